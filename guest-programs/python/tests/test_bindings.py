"""The clobnode_core bindings against the golden vectors and an independent EIP-712 signer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import clobnode_core
import pytest
from eth_account import Account

VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors"


def _load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


def _b(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def _typed_data(case: dict[str, Any]) -> dict[str, Any]:
    domain_fields = [("name", "string"), ("version", "string"), ("chainId", "uint256"), ("verifyingContract", "address")]
    message = dict(case["message"])
    kind = message.pop("type")
    if kind == "order":
        fields = [("trader", "address"), ("market", "uint32"), ("side", "uint8"), ("price", "uint64"),
                  ("quantity", "uint64"), ("nonce", "uint64"), ("expiry", "uint64")]
        primary = "Order"
    else:
        fields = [("trader", "address"), ("market", "uint32"), ("orderNonce", "uint64")]
        primary = "Cancel"
        message["orderNonce"] = message.pop("order_nonce")
    message["trader"] = case["trader"]
    return {
        "types": {
            "EIP712Domain": [{"name": n, "type": t} for n, t in domain_fields],
            primary: [{"name": n, "type": t} for n, t in fields],
        },
        "primaryType": primary,
        "domain": {"name": "clobnode", "version": "1", "chainId": case["chain_id"], "verifyingContract": case["inbox"]},
        "message": message,
    }


@pytest.mark.parametrize("case", _load("messages.json")["cases"], ids=lambda c: c["name"])
def test_digest_matches_eth_account_sign_typed_data(case: dict[str, Any]) -> None:
    signed = Account.sign_typed_data(case["private_key"], full_message=_typed_data(case))
    trader, inbox, message = _b(case["trader"]), _b(case["inbox"]), _b(case["message_hex"])
    assert clobnode_core.typed_data_digest(case["chain_id"], inbox, trader, message) == bytes(signed.message_hash)
    assert bytes(signed.message_hash) == _b(case["digest"])
    envelope = clobnode_core.encode_envelope(trader, message, bytes(signed.signature))
    assert clobnode_core.verify_envelope(case["chain_id"], inbox, envelope)
    assert clobnode_core.verify_envelope(case["chain_id"], inbox, _b(case["envelope_hex"]))
    assert clobnode_core.recover_envelope_signer(case["chain_id"], inbox, envelope) == case["trader"]


def test_transition_vector_replays_through_the_engine() -> None:
    vector = _load("transition_basic.json")
    genesis = vector["genesis"]
    markets = [{**m, "base": _b(m["base"]), "quote": _b(m["quote"])} for m in genesis["markets"]]
    engine = clobnode_core.Engine.genesis(genesis["chain_id"], _b(genesis["inbox"]), _b(genesis["vault"]), markets)
    genesis_snapshot = engine.snapshot()
    blobs = {}
    for blob in vector["blobs"]:
        (packed,) = clobnode_core.encode_blob_batch([_b(e) for e in blob["envelopes"]])
        blobs[_b(blob["versioned_hash"])] = packed
    entries = []
    for recorded in vector["entries"]:
        entry = {k: recorded[k] for k in ("index", "kind", "l1_block", "l1_timestamp")}
        entry |= {"sender": _b(recorded["sender"]), "payload": _b(recorded["payload"])}
        assert engine.apply_entries([entry], blobs) == recorded["events"], recorded["name"]
        assert engine.state_root() == _b(recorded["state_root"]), recorded["name"]
        entries.append(entry)
    guest_input = clobnode_core.encode_guest_input(genesis_snapshot, entries, blobs)
    assert clobnode_core.execute_guest_input(guest_input) == _b(vector["public_values"])


def test_missing_blob_raises_and_leaves_the_engine_unchanged() -> None:
    engine = clobnode_core.Engine.genesis(1, bytes(20), bytes(20), [])
    batch = {"index": 0, "kind": 4, "sender": bytes(20), "l1_block": 1, "l1_timestamp": 1, "payload": b"\x01" * 32}
    with pytest.raises(clobnode_core.MissingBlobError, match="missing blob 0x0101"):
        engine.apply_entries([batch], {})
    assert engine.inbox_next_index() == 0


def test_entry_index_must_continue_the_inbox() -> None:
    engine = clobnode_core.Engine.genesis(1, bytes(20), bytes(20), [])
    entry = {"index": 1, "kind": 9, "sender": bytes(20), "l1_block": 1, "l1_timestamp": 1, "payload": b""}
    with pytest.raises(ValueError, match="not the next inbox index 0"):
        engine.apply_entries([entry], {})


def test_malformed_inputs_raise_value_error() -> None:
    with pytest.raises(ValueError):
        clobnode_core.decode_envelope(b"\x00" * 10)
    with pytest.raises(ValueError):
        clobnode_core.decode_message(b"\x03")
    with pytest.raises(ValueError):
        clobnode_core.Engine.restore(b"\xff")
    assert clobnode_core.decode_blob_batch([b"\x01" * 131072]) is None
    assert clobnode_core.recover_envelope_signer(1, bytes(20), b"") is None
