"""The trading engine through the extension: account proofs, withdrawal trees, market data,
the batch API, and order options signed by a wallet (PROTOCOL.md sections 2, 3, 10-12)."""

from __future__ import annotations

import struct

import clobnode_core
from clobnode.exchange.signing import signed_cancel_all, signed_order, signed_replace
from eth_account import Account
from eth_utils import keccak

INBOX = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")
VAULT = bytes.fromhex("e7f1725e7734ce288f8367e1bb143e90bb3f0512")
BASE, QUOTE, FEES = b"\xb0" * 20, b"\xc0" * 20, b"\xfe" * 20
A, B = b"\xa1" * 20, b"\xb2" * 20
T0 = 1_700_000_000


def _market(**overrides: object) -> dict[str, object]:
    return {"id": 1, "base": BASE, "quote": QUOTE, "base_lot": 1000, "quote_tick": 1, **overrides}


def _engine(**overrides: object) -> clobnode_core.Engine:
    return clobnode_core.Engine.genesis(31337, INBOX, VAULT, [_market(**overrides)])


def _entry(engine: clobnode_core.Engine, kind: int, sender: bytes, payload: bytes, timestamp: int = T0) -> dict[str, object]:
    return {"index": engine.inbox_next_index(), "kind": kind, "sender": sender, "l1_block": 1, "l1_timestamp": timestamp, "payload": payload}


def _deposit(engine: clobnode_core.Engine, trader: bytes, token: bytes, amount: int) -> None:
    engine.apply_entries([_entry(engine, 3, VAULT, trader + token + amount.to_bytes(32, "big"))], {})


def _order(engine: clobnode_core.Engine, trader: bytes, side: int, price: int, quantity: int, nonce: int, timestamp: int = T0, **options: int) -> list[dict[str, object]]:
    message = clobnode_core.encode_order(1, side, price, quantity, nonce, **options)
    return list(engine.apply_entries([_entry(engine, 1, trader, message, timestamp)], {}))


def _funded(**overrides: object) -> clobnode_core.Engine:
    engine = _engine(**overrides)
    for trader in (A, B):
        _deposit(engine, trader, BASE, 10**12)
        _deposit(engine, trader, QUOTE, 10**12)
    return engine


def _oz_verify(proof: list[bytes], root: bytes, leaf: bytes) -> bool:
    node = leaf
    for sibling in proof:
        node = keccak(min(node, sibling) + max(node, sibling))
    return node == root


def _state_tree_root(path: bytes, value: bytes, siblings: list[bytes]) -> bytes:
    """What Vault.escape computes (PROTOCOL.md section 10), written independently of the core."""
    node = keccak(path + value + b"\x01")
    depth = len(siblings)
    for up, sibling in enumerate(siblings):
        level = depth - 1 - up
        right = (int.from_bytes(path, "big") >> (255 - level)) & 1
        node = keccak(sibling + node) if right else keccak(node + sibling)
    return node


def test_every_balance_proves_against_the_state_root() -> None:
    engine = _funded()
    _order(engine, A, 0, 100, 5, 1)
    root, _, _ = engine.commit()
    for trader in (A, B):
        for row in engine.balances(trader):
            token = bytes.fromhex(row["token"][2:])
            proof = engine.balance_proof(trader, token)
            assert proof["path"] == keccak(b"\x06" + trader + token)
            value = row["available"].to_bytes(16, "big") + row["locked"].to_bytes(16, "big")
            assert _state_tree_root(proof["path"], value, proof["siblings"]) == root == proof["root"]
    assert engine.balance_proof(b"\x77" * 20, BASE) is None


def test_withdrawal_tree_branches_verify_independently() -> None:
    leaves = [clobnode_core.withdrawal_leaf(A, BASE, amount, index) for index, amount in enumerate([5, 6, 7])]
    assert leaves[0] == keccak(A + BASE + (5).to_bytes(32, "big") + (0).to_bytes(8, "big"))
    root, proofs = clobnode_core.withdrawals_tree(leaves)
    assert all(_oz_verify(proof, root, leaf) for proof, leaf in zip(proofs, leaves, strict=True))
    assert clobnode_core.withdrawals_tree([]) == (bytes(32), [])


def test_withdrawal_entry_debits_and_emits_its_event() -> None:
    engine = _funded()
    payload = BASE + (7).to_bytes(32, "big")
    (event,) = engine.apply_entries([_entry(engine, 5, A, payload)], {})
    assert event["type"] == "withdrawal" and event["amount"] == 7
    (rejected,) = engine.apply_entries([_entry(engine, 5, A, BASE + (10**13).to_bytes(32, "big"))], {})
    assert rejected["reason"] == "INSUFFICIENT_BALANCE"


def test_market_data_reports_best_prices_last_trade_and_ohlcv() -> None:
    engine = _funded()
    _order(engine, B, 1, 101, 5, 1)
    _order(engine, A, 0, 99, 5, 1)
    _order(engine, A, 0, 101, 2, 2, timestamp=T0 + 60)
    data = engine.market_data(1)
    assert (data["best_bid"], data["best_ask"]) == (99, 101)
    assert data["last_trade"] == {"price": 101, "quantity": 2, "timestamp": T0 + 60}
    assert data["ohlcv_24h"]["volume"] == 2 and data["ohlcv_24h"]["close"] == 101


def test_fees_and_market_parameters_round_trip() -> None:
    engine = _funded(maker_fee_bps=10, taker_fee_bps=20, fee_recipient=FEES, min_size=2)
    (market,) = engine.markets()
    assert (market["maker_fee_bps"], market["taker_fee_bps"], market["min_size"]) == (10, 20, 2)
    _order(engine, B, 1, 1000, 100, 1)
    fill = _order(engine, A, 0, 1000, 100, 1)[1]
    assert (fill["maker_fee"], fill["taker_fee"]) == (100, 200)
    assert engine.balances(FEES) == [{"token": "0x" + QUOTE.hex(), "available": 300, "locked": 0}]


def test_apply_batch_returns_compact_records() -> None:
    engine = _funded()
    messages = [
        (B, clobnode_core.encode_order(1, 1, 100, 3, 1)),
        (A, clobnode_core.encode_order(1, 0, 100, 5, 1, time_in_force=1)),
        (A, b"\x09"),
    ]
    batch = b"".join(trader + struct.pack(">H", len(m)) + m for trader, m in messages)
    out = engine.apply_batch(batch, T0)
    records = [struct.unpack(">BQQQ", out[i : i + 25]) for i in range(0, len(out), 25)]
    assert records == [(1, 1, 100, 3), (1, 1, 100, 5), (2, 1, 100, 3), (3, 1, 2, 2), (4, 1, 0, 0)]


def test_wallet_signed_options_cancel_all_and_replace_verify() -> None:
    account = Account.create()
    envelopes = [
        signed_order(account, 31337, "0x" + INBOX.hex(), market=1, side=0, price=5, quantity=3, nonce=1,
                     time_in_force=3, stp=1, display_quantity=1, client_order_id=9),
        signed_cancel_all(account, 31337, "0x" + INBOX.hex(), market=2**32 - 1, nonce=2),
        signed_replace(account, 31337, "0x" + INBOX.hex(), market=1, order_nonce=1, nonce=3, price=6, quantity=2),
    ]
    for envelope in envelopes:
        assert clobnode_core.verify_envelope(31337, INBOX, envelope)
    decoded = clobnode_core.decode_envelope(envelopes[0])["message"]
    assert (decoded["time_in_force"], decoded["stp"], decoded["client_order_id"]) == (3, 1, 9)


def test_engine_bench_runs_a_small_mixed_stream() -> None:
    from clobnode.dev import bench_engine as bench

    report = bench.run(inputs=2_000, resting=2_000, chunk=500)
    assert report["inputs"] == 2_000 and report["inputs_per_second"] > 0 and report["events"] > 2_000
