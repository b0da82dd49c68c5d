"""The golden vectors in tests/vectors/, replayed through the Rust core as the node sees it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import clobnode_core
import pytest

VECTORS = Path(__file__).parent / "vectors"


def _load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


def _b(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def test_inbox_entry_hashes_and_accumulators_match_the_l1_vectors() -> None:
    acc = bytes(32)
    for entry in _load("inbox_entries.json")["entries"]:
        entry_hash = clobnode_core.entry_hash(
            entry["kind"], _b(entry["sender"]), entry["l1_block"], entry["l1_timestamp"], _b(entry["payload"])
        )
        assert entry_hash == _b(entry["entry_hash"])
        acc = clobnode_core.next_acc(acc, entry_hash)
        assert acc == _b(entry["acc"])


@pytest.mark.parametrize("case", _load("public_values.json")["cases"], ids=lambda c: f"{c['inbox_start']}-{c['inbox_end']}")
def test_public_values_encode_to_the_abi_vector(case: dict[str, Any]) -> None:
    fields = {k: (_b(v) if isinstance(v, str) else v) for k, v in case.items() if k != "encoded"}
    encoded = clobnode_core.encode_public_values(fields)
    assert len(encoded) == 256  # PROTOCOL.md section 8
    assert encoded == _b(case["encoded"])
    decoded = clobnode_core.decode_public_values(encoded)
    assert int(decoded["inbox_start"]) == case["inbox_start"]
    assert int(decoded["inbox_end"]) == case["inbox_end"]
    assert _b(decoded["blobs_hash"]) == fields["blobs_hash"]


@pytest.mark.parametrize("case", _load("aggregation.json")["cases"], ids=lambda c: c["name"])
def test_aggregation_commits_the_recorded_header_or_refuses_with_the_recorded_check(case: dict[str, Any]) -> None:
    """PROTOCOL.md section 14: the aggregation program's checks, as the binding runs them."""
    words, ranges = _b(case["range_vkey_words"]), [_b(r) for r in case["ranges"]]
    if len(words) == 32 and all(len(r) == 256 for r in ranges):
        assert clobnode_core.encode_aggregation_input(words, ranges) == _b(case["input"])
    if "error" in case:
        with pytest.raises(ValueError, match=case["error"].replace("(", r"\(").replace(")", r"\)")):
            clobnode_core.aggregate_ranges(_b(case["input"]))
        return
    header = clobnode_core.aggregate_ranges(_b(case["input"]))
    assert header["encoded"] == _b(case["encoded"])
    assert {k: v for k, v in header.items() if k != "encoded"} == case["header"]
