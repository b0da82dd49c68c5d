"""The blob batch payload (PROTOCOL.md section 4, docs/DA.md) through the node binding: golden
vectors, round trips, and any malformed payload decoding to None (a recorded no-op)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import clobnode_core
import pytest
from eth_hash.auto import keccak

BLOB_SIZE = 131_072
VECTORS = json.loads((Path(__file__).parent / "vectors" / "blob_payload.json").read_text())


def _b(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def _pack(batch: bytes, blobs: int) -> list[bytes]:
    data = bytearray(BLOB_SIZE * blobs)
    for k in range(0, len(batch), 31):
        element = k // 31
        data[32 * element + 1 : 32 * element + 1 + len(batch[k : k + 31])] = batch[k : k + 31]
    return [bytes(data[i * BLOB_SIZE : (i + 1) * BLOB_SIZE]) for i in range(blobs)]


def _messages(envelopes: list[bytes]) -> bytes:
    return len(envelopes).to_bytes(4, "big") + b"".join(len(e).to_bytes(2, "big") + e for e in envelopes)


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_payload_vector_decodes_as_recorded(case: dict[str, Any]) -> None:
    blobs = _pack(_b(case["batch"]), case["blobs"])
    assert [("0x" + keccak(b).hex()) for b in blobs] == case["blob_keccaks"]
    decoded = clobnode_core.decode_blob_batch(blobs)
    if case["messages_keccak"] is None:
        assert decoded is None
        return
    assert decoded is not None and len(decoded) == case["envelope_count"]
    assert "0x" + keccak(_messages(list(decoded))).hex() == case["messages_keccak"]
    if case["envelopes"] is not None:
        assert [bytes(e) for e in decoded] == [_b(e) for e in case["envelopes"]]


def test_random_batches_round_trip_through_one_or_more_blobs() -> None:
    rng = random.Random(5)
    for _ in range(20):
        envelopes = [rng.randbytes(rng.randrange(0, 400)) if rng.random() < 0.5 else bytes(rng.randrange(0, 400)) for _ in range(rng.randrange(0, 1500))]
        blobs = clobnode_core.encode_blob_batch(envelopes)
        assert all(len(b) == BLOB_SIZE and all(b[i] == 0 for i in range(0, BLOB_SIZE, 32)) for b in blobs)
        assert [bytes(e) for e in clobnode_core.decode_blob_batch(blobs) or []] == envelopes


def test_random_garbage_blobs_decode_to_none_never_raise() -> None:
    rng = random.Random(6)
    good = clobnode_core.encode_blob_batch([rng.randbytes(150) for _ in range(30)])[0]
    for _ in range(200):
        blob = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            position = rng.randrange(0, 600)
            if position % 32:
                blob[position] = rng.randrange(256)
        result = clobnode_core.decode_blob_batch([bytes(blob)])
        assert result is None or isinstance(result, list)
    assert clobnode_core.decode_blob_batch([bytes(rng.randbytes(BLOB_SIZE))]) is None
