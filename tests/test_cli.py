"""The real `clobnode` CLI: `start` brings up a devnet node, `order` trades on it, Ctrl-C stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from clobnode import demo
from clobnode.devnet import free_port

pytestmark = pytest.mark.devnet

CLOBNODE = [sys.executable, "-m", "clobnode.cli"]


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _wait_for_api(api: str, process: subprocess.Popen[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "clobnode start exited early"
        try:
            _get(f"{api}/status")
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the API never answered")


def test_start_serves_a_funded_devnet_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    log = (tmp_path / "start.log").open("w+")
    process = subprocess.Popen(
        [*CLOBNODE, "start", "--api-port", str(port), "--data-dir", str(tmp_path)],
        stdout=log, stderr=subprocess.STDOUT, text=True, cwd=Path(__file__).parents[1],
    )
    try:
        _wait_for_api(api, process)
        for side, price, key in (("buy", "200000", demo.TRADERS["A"]), ("sell", "199000", demo.TRADERS["B"])):
            subprocess.run([*CLOBNODE, "order", side, price, "10", "--key", key, "--api", api], check=True, capture_output=True)
        deadline = time.monotonic() + 60
        while not _get(f"{api}/fills")["fills"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _get(f"{api}/fills")["fills"][0]["quantity"] == "10"
        status = _get(f"{api}/status")
        assert status["prover"] == {"backend": "mock", "insecure": True}

        # Trader A takes 5 QUOTE back to L1: request, wait for the proof, claim.
        log.flush()
        rpc_url = next(line.split()[2] for line in Path(log.name).read_text().splitlines() if line.strip().startswith("L1 RPC"))
        trader_a = Account.from_key(demo.TRADERS["A"]).address
        quote = status["contracts"]["quote_token"]
        exits = ["--key", demo.TRADERS["A"], "--rpc-url", rpc_url, "--api", api]
        subprocess.run([*CLOBNODE, "withdraw", quote, "5000000", *exits], check=True, capture_output=True)
        deadline = time.monotonic() + 60
        while not _get(f"{api}/accounts/{trader_a}/withdrawals")["withdrawals"] and time.monotonic() < deadline:
            time.sleep(0.2)
        claimed = subprocess.run([*CLOBNODE, "claim", *exits], check=True, capture_output=True, text=True)
        assert "1 withdrawal(s) claimed" in claimed.stdout
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    log.seek(0)
    output = log.read()
    assert "INSECURE" in output and f"{api}/book" in output and "trader A" in output
    assert output.rstrip().endswith("stopped")
