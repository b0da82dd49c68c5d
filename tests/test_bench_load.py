"""The load bench on a devnet: every acknowledged order is accounted for, and after settlement
the node's state root is the Rollup's; and the demo bots make a live market."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from clobnode.dev import bench_derive, bench_load, demo_bots
from clobnode.l1.client import L1Client
from clobnode.service import NodeService
from clobnode.trader.client import Client
from waiting import until

pytestmark = [pytest.mark.devnet, pytest.mark.timeout(240)]


def test_load_bench_accounts_for_every_acknowledged_order_and_settles_the_nodes_root(tmp_path: Path) -> None:
    config = bench_load.LoadConfig(rates=(100.0, 300.0), step_s=2.0, traders=4, sample=5, ws_clients=2, batch=16, derive_again=False, settle_timeout_s=90)
    started = time.monotonic()
    report = bench_load.run(config, tmp_path)

    admitted = sum(step["admitted"] for step in report["steps"])
    assert admitted > 300
    accounting = report["accounting"]
    assert accounting["acknowledged"] == admitted
    assert accounting["accounted"] == admitted, accounting["unaccounted"]
    assert all(fate.split(":")[0] in ("included", "dropped") for fate in accounting["fates"])
    assert any(fate == "included:accepted" for fate in accounting["fates"])
    settlement = report["settlement"]
    assert settlement["rollupNextInboxIndex"] == settlement["inboxCount"]
    assert settlement["rootsEqual"], settlement
    first = report["steps"][0]
    assert first["sampled"] > 0 and first["endToEndMs"]["included"]["p50"] is not None
    assert (tmp_path / "load.json").is_file()
    assert time.monotonic() - started < 120


def test_demo_bots_quote_both_sides_and_trade(trading_node: tuple[NodeService, Any, L1Client]) -> None:
    service, dep, l1 = trading_node
    bots = demo_bots.start(l1, dep, service.api_url, seed=3, traders=3, rate_per_s=6.0)
    try:
        client = Client(service.api_url)
        until(lambda: len(client.trades(0)) >= 3, "the population's orders to trade", timeout=60)
        book = until(lambda: two_sided(client.book(0)), "a two-sided book", timeout=30)
        assert int(book["bids"][0]["price"]) < int(book["asks"][0]["price"])
    finally:
        bots.close()


def two_sided(book: dict[str, Any]) -> dict[str, Any] | None:
    return book if book["bids"] and book["asks"] else None


def test_derivation_bench_derives_every_posted_message_from_full_blobs(tmp_path: Path) -> None:
    report = bench_derive.run(bench_derive.DeriveConfig(blobs=2, blobs_per_tx=2, traders=4), tmp_path)

    assert report["blobs"] == 2 and report["maxBlobsPerBlock"] == 2
    assert report["ordersPerBlob"] > 1_000  # full blobs of signed messages
    derived = report["derivation"]
    assert derived["entries"] == 1 and derived["messages"] == round(report["ordersPerBlob"] * 2)
    assert derived["engineS"] > 0 and derived["blobsS"] > 0 and derived["recordS"] > 0
    assert report["headroom"]["bpo2"] == round(derived["messagesPerS"] / report["ceilingOrdersPerS"]["bpo2"], 2)
    assert "bpo2: 21 blobs a slot" in bench_derive.render(report)
