"""Hex and bytes: the node's one pair of conversions between 0x-hex strings and bytes."""

from __future__ import annotations


def to_hex(data: bytes | bytearray | memoryview) -> str:
    """`b"\\x12\\x34"` → `"0x1234"`."""
    return "0x" + bytes(data).hex()


def from_hex(value: str | bytes | bytearray | None) -> bytes:
    """`"0x1234"` (or `"1234"`, or bytes as they are) → `b"\\x12\\x34"`; None → `b""`.
    Raises ValueError on a string that is not hex."""
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return bytes.fromhex(value.removeprefix("0x"))
