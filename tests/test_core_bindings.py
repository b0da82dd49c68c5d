"""The Rust core through the Python extension: golden vectors, eth-account cross-checks, and its error contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import clobnode_core
import pytest
from clobnode.exchange.signing import (
    cancel_all_typed_data,
    cancel_typed_data,
    order_typed_data,
    replace_typed_data,
    signed_order,
)
from clobnode.proving.guest_input import prove_entries
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

VECTORS = Path(__file__).parent / "vectors"
MESSAGES = json.loads((VECTORS / "messages.json").read_text())["cases"]
TRANSITION = json.loads((VECTORS / "transition_basic.json").read_text())
TRANSITIONS = ["transition_basic.json", "transition_orders.json", "transition_risk.json"]


def _b(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def _typed(case: dict[str, Any]) -> dict[str, Any]:
    m = case["message"]
    trader = Account.from_key(case["private_key"]).address
    fields = {k: v for k, v in m.items() if k != "type"}
    if m["type"] == "order":
        return order_typed_data(case["chain_id"], case["inbox"], trader, **fields)
    if m["type"] == "cancel_all":
        return cancel_all_typed_data(case["chain_id"], case["inbox"], trader, **fields)
    if m["type"] == "replace":
        return replace_typed_data(case["chain_id"], case["inbox"], trader, **fields)
    return cancel_typed_data(case["chain_id"], case["inbox"], trader, market=m["market"], order_nonce=m["order_nonce"])


@pytest.mark.parametrize("case", MESSAGES, ids=lambda c: c["name"])
def test_eip712_digest_agrees_with_eth_account(case: dict[str, Any]) -> None:
    signable = encode_typed_data(full_message=_typed(case))
    independent = keccak(b"\x19" + signable.version + signable.header + signable.body)
    core = clobnode_core.typed_data_digest(case["chain_id"], _b(case["inbox"]), _b(case["trader"]), _b(case["message_hex"]))
    assert independent == core == _b(case["digest"])


@pytest.mark.parametrize("case", MESSAGES, ids=lambda c: c["name"])
def test_wallet_signature_makes_the_vector_envelope(case: dict[str, Any]) -> None:
    signature = Account.from_key(case["private_key"]).sign_typed_data(full_message=_typed(case)).signature
    envelope = clobnode_core.encode_envelope(_b(case["trader"]), _b(case["message_hex"]), bytes(signature))
    assert envelope == _b(case["envelope_hex"])
    assert clobnode_core.verify_envelope(case["chain_id"], _b(case["inbox"]), envelope)


def test_signature_for_another_chain_does_not_verify() -> None:
    case = MESSAGES[0]
    assert not clobnode_core.verify_envelope(case["chain_id"] + 1, _b(case["inbox"]), _b(case["envelope_hex"]))


def _engine(vector: dict[str, Any] = TRANSITION) -> clobnode_core.Engine:
    g = vector["genesis"]
    markets = [{**m, "base": _b(m["base"]), "quote": _b(m["quote"]), "fee_recipient": _b(m["fee_recipient"])} for m in g["markets"]]
    return clobnode_core.Engine.genesis(g["chain_id"], _b(g["inbox"]), _b(g["vault"]), markets)


def _entry(e: dict[str, Any]) -> dict[str, Any]:
    return {"index": e["index"], "kind": e["kind"], "sender": _b(e["sender"]), "l1_block": e["l1_block"], "l1_timestamp": e["l1_timestamp"], "payload": _b(e["payload"])}


def _blobs(vector: dict[str, Any] = TRANSITION) -> dict[bytes, bytes]:
    blobs = {}
    for b in vector["blobs"]:
        (blob,) = clobnode_core.encode_blob_batch([_b(e) for e in b["envelopes"]])
        blobs[_b(b["versioned_hash"])] = bytes(blob)
    return blobs


@pytest.mark.parametrize("name", TRANSITIONS)
def test_transition_vector_events_and_roots_after_every_entry(name: str) -> None:
    vector = json.loads((VECTORS / name).read_text())
    engine = _engine(vector)
    assert engine.state_root() == _b(vector["genesis"]["state_root"])
    blobs = _blobs(vector)
    for e in vector["entries"]:
        events = engine.apply_entries([_entry(e)], blobs)
        assert events == e["events"], e["name"]
        root, _, _ = engine.commit()
        assert root == engine.state_root() == _b(e["state_root"]), e["name"]
        assert engine.inbox_acc() == _b(e["acc"]), e["name"]
    entries = [_entry(e) for e in vector["entries"]]
    _, guest_input = prove_entries(_engine(vector), entries, blobs)
    assert clobnode_core.execute_guest_input(guest_input) == _b(vector["public_values"])


def _vector_guest_input(blobs: dict[bytes, bytes]) -> bytes:
    """The vector's range with the witness it records (the one the Rust core wrote)."""
    return bytes(clobnode_core.encode_guest_input(_b(TRANSITION["witness"]), [_entry(e) for e in TRANSITION["entries"]], blobs, 7))


def test_guest_execution_commits_the_vector_public_values() -> None:
    assert clobnode_core.execute_guest_input(_vector_guest_input(_blobs())) == _b(TRANSITION["public_values"])


def test_guest_execution_refuses_a_range_with_a_missing_blob() -> None:
    with pytest.raises(ValueError, match="blob"):
        clobnode_core.execute_guest_input(_vector_guest_input({}))


def test_guest_execution_refuses_an_incomplete_witness() -> None:
    # The vector's last entries without the state they reach: the witness of only the first.
    engine = _engine()
    entries = [_entry(e) for e in TRANSITION["entries"]]
    blobs = _blobs()
    _, first = prove_entries(engine, entries[:1], blobs)
    witness = _engine()
    witness.apply_entries(entries[:1], blobs)
    _, _, accessed = witness.commit()
    partial = witness.witness(accessed[:2], [], [])
    with pytest.raises(ValueError, match="witness"):
        clobnode_core.execute_guest_input(bytes(clobnode_core.encode_guest_input(partial, entries[1:], blobs, 1)))
    assert clobnode_core.execute_guest_input(first)


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
        clobnode_core.Engine.restore([(b"\xff", b"")])
    with pytest.raises(ValueError):
        clobnode_core.Engine.restore([(b"\x06" + bytes(40), b"\x00" * 31)])
    assert clobnode_core.decode_blob_batch([b"\x01" * 131072]) is None
    assert clobnode_core.recover_envelope_signer(1, bytes(20), b"") is None


def test_signers_recovered_ahead_give_the_same_events_and_root() -> None:
    """A block's signers recovered first on every core (`recover_signers`) are the answers the
    transition would compute itself: the same events and state root, bad signatures included."""
    g = TRANSITION["genesis"]
    accounts = [Account.from_key(keccak(b"ahead" + bytes([i]))) for i in range(4)]
    envelopes = []
    for n in range(96):
        envelope = bytearray(signed_order(accounts[n % 4], g["chain_id"], g["inbox"], market=0, side=n % 2, price=100 + n % 7, quantity=1, nonce=n + 1))
        if n % 10 == 3:
            envelope[-40] ^= 1  # a signature of nobody in particular
        if n % 10 == 7:
            envelope[0] ^= 1  # signed, but not by its trader
        envelopes.append(bytes(envelope))
    (blob,) = clobnode_core.encode_blob_batch(envelopes)
    versioned_hash = b"\x01" + keccak(blob)[1:]
    entry = {"index": 0, "kind": 4, "sender": bytes(20), "l1_block": 1, "l1_timestamp": 1_700_000_000, "payload": versioned_hash}
    ahead, alone = _engine(), _engine()
    assert ahead.recover_signers([entry], {versioned_hash: blob}) == 96
    events = ahead.apply_entries([entry], {versioned_hash: blob})
    assert events == alone.apply_entries([entry], {versioned_hash: blob})
    assert sum(e["type"] == "rejected" and e["reason"] == "BAD_SIGNATURE" for e in events) == 10 + 9
    assert ahead.commit()[0] == alone.commit()[0]


def test_signers_are_not_recovered_ahead_for_entries_that_do_not_continue_the_inbox() -> None:
    entry = {"index": 5, "kind": 2, "sender": bytes(20), "l1_block": 1, "l1_timestamp": 1, "payload": b""}
    assert _engine().recover_signers([entry], {}) == 0
