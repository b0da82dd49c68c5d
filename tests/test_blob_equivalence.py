"""Blob equivalence (PROTOCOL.md section 13): the core's openings agree with ckzg."""

from __future__ import annotations

import json
from pathlib import Path

import ckzg  # type: ignore[import-not-found]
import clobnode_core
import pytest
from eth_hash.auto import keccak

from clobnode import kzg

ROOT = Path(__file__).parent.parent
VECTORS = json.loads((ROOT / "tests" / "vectors" / "blob_evaluation.json").read_text())


def _blob_from_rule(rule: str, seed: bytes) -> bytes:
    elements = []
    for i in range(kzg.FIELD_ELEMENTS_PER_BLOB):
        digest = keccak(seed + i.to_bytes(4, "big"))
        if rule == "data":
            elements.append(b"\x00" + digest[1:])
        else:
            elements.append((int.from_bytes(digest, "big") % kzg.BLS_MODULUS).to_bytes(32, "big"))
    return b"".join(elements)


def _b(value: str) -> bytes:
    return bytes.fromhex(value[2:])


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["seed"])
def test_core_opening_matches_the_ckzg_vector(case: dict[str, str]) -> None:
    blob = _blob_from_rule(case["rule"], _b(case["seed"]))
    assert keccak(blob) == _b(case["blob_keccak"])
    opening = clobnode_core.open_blob(_b(case["versioned_hash"]), blob)
    assert opening == {"versioned_hash": case["versioned_hash"], "z": case["z"], "y": case["y"]}


def test_core_y_equals_ckzg_evaluation_of_a_batch_blob() -> None:
    envelopes = [bytes([i % 251]) * (100 + i) for i in range(300)]
    blob = clobnode_core.encode_blob_batch(envelopes)[0]
    commitment = kzg.blob_commitment(blob)
    versioned_hash = kzg.versioned_hash(commitment)
    opening = clobnode_core.open_blob(versioned_hash, blob)
    proof, y = ckzg.compute_kzg_proof(blob, _b(opening["z"]), kzg.trusted_setup())
    assert _b(opening["y"]) == bytes(y)
    assert ckzg.verify_kzg_proof(commitment, _b(opening["z"]), bytes(y), bytes(proof), kzg.trusted_setup())


def test_blobs_hash_matches_the_vector() -> None:
    openings = [{k: c[k] for k in ("versioned_hash", "z", "y")} for c in VECTORS["cases"]]
    assert clobnode_core.blobs_hash(openings) == _b(VECTORS["blobs_hash"])
    assert clobnode_core.blobs_hash([]) == bytes(32)


def test_non_canonical_or_wrong_size_blob_does_not_open() -> None:
    with pytest.raises(ValueError, match="131072"):
        clobnode_core.open_blob(bytes(32), bytes(100))
    with pytest.raises(ValueError, match="field element 0"):
        clobnode_core.open_blob(bytes(32), b"\xff" * kzg.BYTES_PER_BLOB)
