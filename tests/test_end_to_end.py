"""End to end on a real anvil L1: a signed order pair goes from L1 to a state root anchored by the Rollup."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clobnode.dev import demo
from clobnode.dev.devnet import DEV_PRIVATE_KEYS
from clobnode.exchange.signing import signed_order
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import load_artifact
from devnet_node import start_node
from eth_account import Account
from feed_client import FeedListener, book_from

pytestmark = pytest.mark.devnet

QUOTE = 10**6  # QUOTE has 6 decimals
BASE = 10**18  # BASE has 18 decimals
PRICE_2000 = 200_000  # ticks: 0.01 QUOTE per BASE each
LOT_ATOMS = 10**15
TICK_ATOMS = 10


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _wait_for(condition: Callable[[], bool], timeout: float = 90.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _balance(account: dict[str, Any], token: str) -> tuple[int, int]:
    for b in account["balances"]:
        if b["token"].lower() == token.lower():
            return int(b["available"]), int(b["locked"])
    return 0, 0


def test_signed_order_pair_is_matched_proven_and_anchored(anvil: Any, tmp_path: Path) -> None:
    l1 = L1Client(anvil.url)
    dep = demo.deploy(l1)
    trader_a, trader_b, mallory = (Account.from_key(DEV_PRIVATE_KEYS[i]) for i in (1, 2, 5))
    demo.mint_and_deposit(l1, dep, trader_a, dep.quote_token, 10_000 * QUOTE)
    demo.mint_and_deposit(l1, dep, trader_b, dep.base_token, 10 * BASE)

    service = start_node(l1, dep, tmp_path)
    api = service.api_url
    feed = FeedListener(api.replace("http://", "ws://") + "/ws", [
        {"op": "subscribe", "channel": "book", "market": 0}, {"op": "subscribe", "channel": "trades", "market": 0},
    ])
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    rollup = load_artifact("Rollup").at(l1, dep.rollup)
    try:
        # Trader A: a signed buy of 1 BASE at 2000.00, sent directly to the Inbox.
        buy = signed_order(trader_a, dep.chain_id, dep.inbox, market=0, side=0, price=PRICE_2000, quantity=1000, nonce=1)
        l1.send_transaction(trader_a, dep.inbox, demo.calldata(inbox, "relaySigned", buy))

        # Trader B: a crossing signed sell of 0.4 BASE through the API, posted by the node as a blob
        # batch (once the node has derived B's deposit: it admits only what B can pay for).
        _wait_for(lambda: _balance(_get(f"{api}/accounts/{trader_b.address}"), dep.base_token)[0] > 0, 30, "B's deposit")
        sell = signed_order(trader_b, dep.chain_id, dep.inbox, market=0, side=1, price=PRICE_2000 - 1000, quantity=400, nonce=1)
        status, answer = _post(f"{api}/orders", {"envelope": "0x" + sell.hex()})
        assert status == 202, answer

        # A third party posts a malformed blob batch and a badly signed order.
        garbage = bytearray(b if i % 32 else 0 for i, b in enumerate(os.urandom(131072)))
        garbage[1] = 0x07  # no such payload version: valid field elements, malformed batch
        l1.send_blob_transaction(mallory, dep.inbox, demo.calldata(inbox, "proposeBatch"), [bytes(garbage)])
        forged = bytearray(signed_order(mallory, dep.chain_id, dep.inbox, market=0, side=0, price=1, quantity=1, nonce=1))
        forged[-10] ^= 0xFF
        l1.send_transaction(mallory, dep.inbox, demo.calldata(inbox, "relaySigned", bytes(forged)))

        # The node derives everything, proves (mock) and the Rollup accepts; the chain keeps going.
        def settled() -> bool:
            count = int(inbox.functions.count().call())
            return count >= 6 and int(rollup.functions.nextInboxIndex().call()) == count

        _wait_for(settled, what="the Rollup to verify every inbox entry")
        assert bytes(rollup.functions.stateRoot().call()) == service.node.engine.state_root()

        fills = _get(f"{api}/trades")["trades"]
        assert len(fills) == 1
        fill = fills[0]
        assert fill["maker"].lower() == trader_a.address.lower()
        assert fill["taker"].lower() == trader_b.address.lower()
        assert (int(fill["price"]), int(fill["quantity"])) == (PRICE_2000, 400)

        a = _get(f"{api}/accounts/{trader_a.address}")
        b = _get(f"{api}/accounts/{trader_b.address}")
        assert _balance(a, dep.base_token) == (400 * LOT_ATOMS, 0)
        assert _balance(a, dep.quote_token) == (10_000 * QUOTE - 1000 * PRICE_2000 * TICK_ATOMS, 600 * PRICE_2000 * TICK_ATOMS)
        assert _balance(b, dep.quote_token) == (400 * PRICE_2000 * TICK_ATOMS, 0)
        assert _balance(b, dep.base_token) == (10 * BASE - 400 * LOT_ATOMS, 0)

        reasons = {e["reason"] for e in _get(f"{api}/events?type=rejected")["events"]}
        assert {"MALFORMED_BATCH", "BAD_SIGNATURE"} <= reasons

        book = _get(f"{api}/book")
        assert [(int(lvl["price"]), int(lvl["quantity"])) for lvl in book["bids"]] == [(PRICE_2000, 600)]
        assert book["asks"] == []

        # The settler sees its last submitBatch receipt on a later pass than the one L1 verified it in.
        def node_saw_every_batch_verified() -> bool:
            batches = _get(f"{api}/batches")["batches"]
            return bool(batches) and all(b["status"] == "verified" for b in batches)

        _wait_for(node_saw_every_batch_verified, 10, "the node to record every batch as verified")
        assert all(b["insecure"] for b in _get(f"{api}/batches")["batches"])

        # The market-data WebSocket streamed the trade, and book deltas that add up to the book.
        _wait_for(lambda: bool(feed.of("trades", "update")), 10, "the trade on the feed")
        (trade,) = feed.of("trades", "update")
        assert (trade["event"]["quantity"], trade["event"]["price"], trade["prevSeq"]) == ("400", str(PRICE_2000), feed.of("trades", "snapshot")[0]["seq"])
        _wait_for(lambda: book_from(feed.of("book"))[0]["bids"] == {str(PRICE_2000): "600"}, 10, "the book on the feed")
        # The chain of sequences held; the feed sends a book update only when the book changed.
        sequence = book_from(feed.of("book"))[1]
        assert sequence is not None and sequence <= _get(f"{api}/book")["sequence"]
    finally:
        feed.stop()
        service.stop()
