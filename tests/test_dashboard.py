"""The dashboard, rendered by headless Chromium against a live devnet node: the markets table,
the book and trades from the WebSocket, and a trader's orders with their lifecycle."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from clobnode.dev import demo
from clobnode.exchange.signing import signed_order
from eth_account import Account

pytestmark = pytest.mark.devnet

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags for a closed network (no background connections) and a root user (no sandbox).
HEADLESS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]


def _post(api: str, envelope: bytes) -> None:
    body = json.dumps({"envelope": "0x" + envelope.hex()}).encode()
    with urllib.request.urlopen(urllib.request.Request(api + "/orders", data=body, headers={"Content-Type": "application/json"}), timeout=10) as r:
        assert r.status == 202


def _table(dom: str, table_id: str) -> list[list[str]]:
    match = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', dom, re.DOTALL)
    assert match, f"no table {table_id}"
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", match.group(1), re.DOTALL)]


def test_dashboard_shows_markets_book_trades_and_a_traders_orders(trading_node: Any, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CLOBNODE_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is missing: scripts/install-browser.sh installs it")
        pytest.skip("chromium is not installed (scripts/install-browser.sh)")
    service, dep, _ = trading_node
    a, b = (Account.from_key(key) for key in demo.TRADERS.values())
    _post(service.api_url, signed_order(a, dep.chain_id, dep.inbox, market=0, side=0, price=200_000, quantity=10, nonce=1, client_order_id=7))
    _post(service.api_url, signed_order(b, dep.chain_id, dep.inbox, market=0, side=1, price=200_000, quantity=4, nonce=1))
    deadline = time.monotonic() + 60
    while not json.loads(urllib.request.urlopen(service.api_url + "/trades", timeout=10).read())["trades"]:
        assert time.monotonic() < deadline, "no trade"
        time.sleep(0.2)
    page = subprocess.run(
        [CHROMIUM, *HEADLESS, f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=5000", "--dump-dom",
         f"{service.api_url}/#trader={a.address}"],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    assert _table(page, "markets") == [["0 WETH/USDC", "0.01", "0.001", "0 / 0", "trading"]]
    assert _table(page, "book") == [["bid", "200000", "6"]]
    (trade,) = _table(page, "trades")
    assert trade[2:] == ["200000", "4", "sell"]
    (order,) = _table(page, "orders")
    assert order[:5] == ["1", "buy", "200000", "4 / 10", "partially_filled"] and order[5] in ("included", "proven", "settled")
