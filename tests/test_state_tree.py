"""The state tree (PROTOCOL.md sections 7, 10, 12) from Python, written independently of the
core: the golden vectors' keys, records, paths and leaves, a root rebuilt from the leaves alone,
and every balance branch leading to it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import clobnode_core
from eth_utils import keccak

VECTOR: dict[str, Any] = json.loads((Path(__file__).parent / "vectors" / "state_tree.json").read_text())


def _b(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def _bit(path: bytes, depth: int) -> int:
    return (path[depth // 8] >> (7 - depth % 8)) & 1


def _leaf(path: bytes, value: bytes) -> bytes:
    assert len(value) != 31  # 33 + 31 would be an internal node's 64 bytes
    return keccak(path + value + b"\x01")


def _root(leaves: list[tuple[bytes, bytes]], depth: int = 0) -> bytes:
    """The compact sparse Merkle root of (path, leaf hash) pairs: one leaf is itself, none is zero."""
    if not leaves:
        return bytes(32)
    if len(leaves) == 1:
        return leaves[0][1]
    left = [leaf for leaf in leaves if _bit(leaf[0], depth) == 0]
    right = [leaf for leaf in leaves if _bit(leaf[0], depth) == 1]
    return keccak(_root(left, depth + 1) + _root(right, depth + 1))


def _up(path: bytes, leaf: bytes, siblings: list[bytes]) -> bytes:
    node, depth = leaf, len(siblings)
    for up, sibling in enumerate(siblings):
        node = keccak(sibling + node) if _bit(path, depth - 1 - up) else keccak(node + sibling)
    return node


def test_every_leaf_hashes_its_key_and_record_as_recorded() -> None:
    for leaf in VECTOR["leaves"]:
        key, value = _b(leaf["key"]), _b(leaf["value"])
        assert keccak(key) == _b(leaf["path"])
        assert _leaf(keccak(key), value) == _b(leaf["leaf"])
        assert clobnode_core.describe_state_key(key).split("(")[0] == leaf["kind"].split("(")[0]


def test_the_root_is_a_function_of_the_leaves_alone() -> None:
    leaves = sorted((_b(leaf["path"]), _b(leaf["leaf"])) for leaf in VECTOR["leaves"])
    assert _root(leaves) == _b(VECTOR["root"])
    restored = clobnode_core.Engine.restore([(_b(leaf["key"]), _b(leaf["value"])) for leaf in VECTOR["leaves"]])
    assert restored.state_root() == _b(VECTOR["root"])


def test_balance_records_and_branches_lead_to_the_root() -> None:
    assert VECTOR["balances"]
    for case in VECTOR["balances"]:
        trader, token = _b(case["trader"]), _b(case["token"])
        key = b"\x06" + trader + token
        assert _b(case["key"]) == key
        value = int(case["available"]).to_bytes(16, "big") + int(case["locked"]).to_bytes(16, "big")
        siblings = [_b(s) for s in case["siblings"]]
        assert _up(keccak(key), _leaf(keccak(key), value), siblings) == _b(VECTOR["root"])


def test_a_wrong_balance_or_sibling_misses_the_root() -> None:
    case = VECTOR["balances"][0]
    key = _b(case["key"])
    value = (int(case["available"]) + 1).to_bytes(16, "big") + int(case["locked"]).to_bytes(16, "big")
    siblings = [_b(s) for s in case["siblings"]]
    assert _up(keccak(key), _leaf(keccak(key), value), siblings) != _b(VECTOR["root"])
