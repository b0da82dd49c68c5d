"""A trader sees what happens to every order: admitted or refused with a reason, posted, included,
resting, filled, replaced, cancelled or rejected by the engine, proven and settled (anvil, real node)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from clobnode.config import L1Config, NodeConfig, StoreConfig
from clobnode.dev import demo
from clobnode.exchange.lifecycle import order_status
from clobnode.exchange.signing import signed_cancel, signed_order, signed_replace
from clobnode.l1.contracts import load_artifact
from clobnode.node import Node
from eth_account import Account
from feed_client import FeedListener
from waiting import until

pytestmark = pytest.mark.devnet

PRICE = 200_000  # ticks: 2,000.00 QUOTE per BASE
A, B = (Account.from_key(key) for key in demo.TRADERS.values())


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _post(url: str, envelope: bytes) -> tuple[int, Any]:
    body = json.dumps({"envelope": "0x" + envelope.hex()}).encode()
    request = urllib.request.Request(url + "/orders", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _order(api: str, trader: Any, nonce: int) -> dict[str, Any] | None:
    try:
        return _get(f"{api}/orders?trader={trader.address}&nonce={nonce}&market=0")  # type: ignore[no-any-return]
    except urllib.error.HTTPError:
        return None


def _status(api: str, trader: Any, nonce: int, status: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        order = _order(api, trader, nonce)
        return order if order is not None and order["status"] == status else None
    return until(reached, f"order {nonce} of {trader.address} to be {status}")  # type: ignore[no-any-return]


def _chain_holds(messages: list[dict[str, Any]]) -> bool:
    """Each update names the previous message's seq: no gap."""
    return all(later["prevSeq"] == earlier["seq"] for earlier, later in pairwise(messages))


def test_a_traders_orders_move_through_their_lifecycle(trading_node: Any) -> None:
    service, dep, l1 = trading_node
    api = service.api_url
    sign: dict[str, Any] = {"chain_id": dep.chain_id, "inbox": dep.inbox}
    ws = api.replace("http://", "ws://") + "/ws"
    mine = [{"op": "subscribe", "channel": channel, "trader": A.address} for channel in ("orders", "fills", "balances")]
    watcher = FeedListener(ws, mine)  # stays connected throughout
    dropped = FeedListener(ws, mine[:1])  # leaves after the partial fill, resumes at the end

    # An order that rests, with the client's own id echoed everywhere.
    status, answer = _post(api, signed_order(A, market=0, side=0, price=PRICE, quantity=10, nonce=1, client_order_id=42, **sign))
    assert status == 202 and (answer["status"], answer["nonce"], answer["clientOrderId"]) == ("pending", "1", "42")
    submission_id = answer["id"]
    resting = _status(api, A, 1, "resting")
    assert (resting["quantity"], resting["remaining"], resting["clientOrderId"]) == ("10", "10", "42")
    submission = _get(f"{api}/orders/{submission_id}")
    assert submission["status"] == "posted" and submission["inboxIndex"] == resting["inboxIndex"]
    assert [e["type"] for e in submission["outcome"]] == ["accepted"]

    # B takes 4 of it: A's order is partially filled, B's filled, one trade each side can find.
    assert _post(api, signed_order(B, market=0, side=1, price=PRICE, quantity=4, nonce=1, **sign))[0] == 202
    partial = _status(api, A, 1, "partially_filled")
    assert (partial["filled"], partial["remaining"], partial["averagePrice"]) == ("4", "6", str(PRICE))
    assert _status(api, B, 1, "filled")["filled"] == "4"
    until(lambda: any(m["event"]["type"] == "fill" for m in dropped.of("orders", "update")), "the fill on the feed")
    dropped.stop()
    last_seen = dropped.of("orders")[-1]["seq"]
    (trade,) = _get(f"{api}/trades?trader={A.address}")["trades"]
    assert trade["makerClientOrderId"] == "42" and trade["quantity"] == "4" and trade["price"] == str(PRICE)
    assert trade["l1Timestamp"] > 0 and trade == _get(f"{api}/trades?market=0")["trades"][0]
    assert _get(f"{api}/trades?market=1")["trades"] == []

    # A replaces the rest at a lower price (new nonce 2), then cancels it.
    assert _post(api, signed_replace(A, market=0, order_nonce=1, nonce=2, price=PRICE - 100, quantity=6, **sign))[0] == 202
    replaced = _status(api, A, 1, "cancelled")
    assert replaced["reason"] == "REPLACED"
    assert _status(api, A, 2, "resting")["price"] == str(PRICE - 100)
    assert _post(api, signed_cancel(A, market=0, order_nonce=2, **sign))[0] == 202
    assert _status(api, A, 2, "cancelled")["reason"] == "USER"

    # An order the engine rejects, sent straight to the Inbox: visible once derived, with the
    # engine's reason; it used up its nonce, so relaying it again later does nothing.
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    assert _post(api, signed_order(B, market=0, side=1, price=PRICE + 500, quantity=3, nonce=2, **sign))[0] == 202
    _status(api, B, 2, "resting")
    post_only_cross = signed_order(A, market=0, side=0, price=PRICE + 500, quantity=1, nonce=3, time_in_force=3, **sign)
    l1.send_transaction(A, dep.inbox, demo.calldata(inbox, "relaySigned", post_only_cross))
    rejected = _status(api, A, 3, "rejected")
    assert rejected["reason"] == "WOULD_CROSS" and rejected["submission"] is None
    status, answer = _post(api, post_only_cross)
    assert (status, answer["reason"]) == (409, "STALE_NONCE")
    l1.send_transaction(A, dep.inbox, demo.calldata(inbox, "relaySigned", post_only_cross))
    count = int(inbox.functions.count().call())
    until(lambda: service.node.engine.inbox_position()[0] == count, "the relayed copy to be derived")
    assert _order(api, A, 3)["status"] == "rejected"  # type: ignore[index]
    assert int(_get(f"{api}/accounts/{A.address}")["lastNonce"]) == 3

    # Every order is proven and settled on L1 with the range that holds it; the roots agree.
    rollup = load_artifact("Rollup").at(l1, dep.rollup)
    until(lambda: int(rollup.functions.nextInboxIndex().call()) == count, "the Rollup to verify every entry", 120)
    settled = _status(api, A, 1, "cancelled")
    assert settled["stage"] == "settled" and settled["batch"]["status"] == "verified" and settled["batch"]["txHash"]
    assert bytes(rollup.functions.stateRoot().call()) == service.node.engine.state_root()
    orders = _get(f"{api}/orders?trader={A.address}")["orders"]
    assert [(o["nonce"], o["status"]) for o in orders] == [("3", "rejected"), ("2", "cancelled"), ("1", "cancelled")]

    # The metrics counted it all where it happened.
    with urllib.request.urlopen(api + "/metrics", timeout=10) as response:
        metrics = {line.split(" ")[0]: float(line.split(" ")[1]) for line in response.read().decode().splitlines() if line and not line.startswith("#")}
    assert metrics['clobnode_events_total{type="fill"}'] == 1 and metrics['clobnode_events_total{type="rejected"}'] == 2
    assert metrics["clobnode_blob_txs_total"] >= 4 and metrics["clobnode_blob_fees_wei_total"] > 0
    assert metrics['clobnode_batches_total{status="verified"}'] >= 1 and metrics["clobnode_prove_seconds_count"] >= 1
    assert metrics['clobnode_wallet_balance_wei{role="proposer"}'] > 0 and metrics["clobnode_ready"] == 1
    assert metrics['clobnode_api_submissions_total{outcome="STALE_NONCE"}'] == 1

    # The WebSocket told the trader every step, numbered without a gap: acceptance, fill,
    # replacement, cancel, rejection (twice: the relayed copy too), and the balances after each.
    until(lambda: [m["event"]["type"] for m in watcher.of("orders", "update")].count("rejected") == 2, "both rejections on the feed")
    watcher.stop()
    updates = watcher.of("orders")
    assert updates[0]["type"] == "snapshot" and _chain_holds(updates)
    kinds = [(m["event"]["type"], m["event"]["nonce"] if "nonce" in m["event"] else m["event"]["makerNonce"]) for m in updates[1:]]
    assert kinds[:2] == [("accepted", "1"), ("fill", "1")]
    assert ("cancelled", "1") in kinds and ("accepted", "2") in kinds and ("cancelled", "2") in kinds
    assert kinds[-2:] == [("rejected", "3"), ("rejected", "3")]
    assert [m["event"]["type"] for m in watcher.of("fills", "update")] == ["fill"] and _chain_holds(watcher.of("fills"))
    balances = watcher.of("balances")
    assert _chain_holds(balances) and balances[-1]["balances"] == _get(f"{api}/accounts/{A.address}")["balances"]

    # A client that dropped out resumes from the last seq it saw and gets exactly what it missed.
    resumed = FeedListener(ws, [{**mine[0], "since": last_seen}])
    missed = [m for m in updates if m["type"] == "update" and m["seq"] > last_seen]
    until(lambda: len(resumed.of("orders", "update")) >= len(missed), "the replay")
    time.sleep(0.5)
    resumed.stop()
    assert resumed.of("orders")[0] == {"type": "resumed", "channel": "orders", "trader": A.address.lower(), "since": last_seen}
    assert resumed.of("orders", "update") == missed and missed[0]["prevSeq"] == last_seen


def test_unfunded_orders_are_refused_and_never_reach_a_blob(trading_node: Any) -> None:
    service, dep, _ = trading_node
    api = service.api_url
    refusals = set()
    for _ in range(300):
        stranger = Account.create()
        status, answer = _post(api, signed_order(stranger, dep.chain_id, dep.inbox, market=0, side=0, price=PRICE, quantity=1, nonce=1))
        refusals.add((status, answer["reason"]))
    assert refusals == {(422, "INSUFFICIENT_BALANCE")}
    assert service.node.store.counts("api_orders", "status") == {}
    assert _get(f"{api}/markets")["markets"][0]["status"] == "trading"


def test_markets_describe_tokens_tick_lot_and_fees(trading_node: Any) -> None:
    service, dep, _ = trading_node
    (market,) = _get(f"{service.api_url}/markets")["markets"]
    assert market["base"] == {"address": dep.base_token.lower(), "symbol": "WETH", "decimals": 18}
    assert market["symbol"] == "WETH/USDC"
    assert market["quote"]["decimals"] == 6
    assert (market["lotSize"], market["tickSize"], market["baseLot"], market["quoteTick"]) == ("0.001", "0.01", "1000000000000000", "10")
    assert (market["minSize"], market["makerFeeBps"], market["status"]) == ("1", 0, "trading")


def test_a_follower_knows_what_l1_verified_without_proving_anything(trading_node: Any, tmp_path: Path) -> None:
    service, dep, l1 = trading_node
    api = service.api_url
    sign: dict[str, Any] = {"chain_id": dep.chain_id, "inbox": dep.inbox}
    assert _post(api, signed_order(A, market=0, side=0, price=PRICE, quantity=2, nonce=1, **sign))[0] == 202
    rollup = load_artifact("Rollup").at(l1, dep.rollup)
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    _status(api, A, 1, "resting")
    until(lambda: int(rollup.functions.nextInboxIndex().call()) == int(inbox.functions.count().call()), "the proving node to settle everything", 120)

    follower = Node(NodeConfig(l1=L1Config(rpc_url=l1.url), store=StoreConfig(path=tmp_path / "follower.sqlite")), dep, l1)
    until(lambda: follower.sync() == 0 and follower.engine.inbox_position()[0] == int(inbox.functions.count().call()), "the follower")
    verified = follower.status()["last_verified_batch"]
    assert verified["inbox_end"] == int(rollup.functions.nextInboxIndex().call())
    assert bytes.fromhex(verified["new_state_root"][2:]) == bytes(rollup.functions.stateRoot().call()) == follower.engine.state_root()
    assert follower.store.batches() == [] and follower.store.l1_batches()[0]["tx_hash"].startswith("0x")
    order = order_status(follower.store, A.address, 1)
    assert order is not None and (order["status"], order["stage"], order["batch"]["status"]) == ("resting", "settled", "verified")
