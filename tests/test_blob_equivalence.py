"""Blob equivalence (PROTOCOL.md section 13): the core's openings agree with ckzg."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import ckzg  # type: ignore[import-not-found]
import clobnode_core
import pytest
from clobnode.da import kzg
from eth_hash.auto import keccak

ROOT = Path(__file__).parent.parent
VECTORS = json.loads((ROOT / "tests" / "vectors" / "blob_evaluation.json").read_text())


def _load_vector_generator() -> ModuleType:
    """The script that wrote the vectors: the test rebuilds each blob with its very rule."""
    spec = importlib.util.spec_from_file_location("gen_blob_vectors", ROOT / "scripts" / "gen-blob-vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_blob_from_rule = _load_vector_generator().blob_from_rule


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
