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
from clobnode.dev import demo
from clobnode.dev.devnet import free_port
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import load_artifact
from eth_account import Account
from waiting import until

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


def _cli(*args: str, key: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`clobnode ARGS` with the trader's key in the environment (never on the command line)."""
    env = {k: v for k, v in os.environ.items() if k != "CLOBNODE_TRADER_KEY"}
    if key is not None:
        env["CLOBNODE_TRADER_KEY"] = key
    return subprocess.run([*CLOBNODE, *args], check=check, capture_output=True, text=True, env=env, timeout=60)


def test_a_trader_journey_through_the_cli_on_a_started_devnet(tmp_path: Path) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    log = (tmp_path / "start.log").open("w+")
    process = subprocess.Popen(
        [*CLOBNODE, "start", "--api-port", str(port), "--data-dir", str(tmp_path)],
        stdout=log, stderr=subprocess.STDOUT, text=True, cwd=Path(__file__).parents[1],
    )
    try:
        _wait_for_api(api, process)
        status = _get(f"{api}/status")
        assert status["prover"] == {"backend": "mock", "insecure": True}
        log.flush()
        rpc_url = next(line.split()[2] for line in Path(log.name).read_text().splitlines() if line.strip().startswith("L1 RPC"))
        quote = status["contracts"]["quoteToken"]
        on = ["--api", api, "--rpc-url", rpc_url]
        carol = Account.create()
        b = demo.TRADERS["B"]

        # Carol gets dev tokens and ether on L1, then deposits with the CLI.
        l1 = L1Client(rpc_url)
        l1.rpc("anvil_setBalance", [carol.address, hex(10**20)])
        token = load_artifact("DevToken").at(l1, quote)
        l1.send_transaction(carol, quote, bytes.fromhex(token.encode_abi("mint", args=[carol.address, 10_000 * 10**6])[2:]))
        deposited = json.loads(_cli("deposit", quote, str(10_000 * 10**6), *on, key=carol.key.hex()).stdout)
        assert deposited["deposited"] == str(10_000 * 10**6)
        balance = lambda: json.loads(_cli("balance", "--trader", carol.address, "--api", api).stdout)["balances"]
        until(balance, "Carol's deposit")

        def order_status(nonce: str) -> dict[str, Any]:
            return json.loads(_cli("orders", "--nonce", nonce, "--trader", carol.address, "--api", api, check=False).stdout or "{}")

        def reaches(nonce: str, state: str) -> dict[str, Any]:
            return until(lambda: (o := order_status(nonce)).get("status") == state and o, f"order {nonce} {state}")  # type: ignore[no-any-return]

        # An order that rests, a partial fill by B, a replace, a cancel.
        rests = json.loads(_cli("order", "buy", "190000", "10", "--client-order-id", "5", "--api", api, key=carol.key.hex()).stdout)
        assert rests["status"] == "pending" and rests["clientOrderId"] == "5"
        first = rests["nonce"]
        reaches(first, "resting")
        _cli("order", "sell", "190000", "4", "--api", api, key=b)
        assert reaches(first, "partially_filled")["filled"] == "4"
        replaced = json.loads(_cli("replace", first, "189000", "6", "--api", api, key=carol.key.hex()).stdout)
        second = replaced["nonce"]
        assert reaches(first, "cancelled")["reason"] == "REPLACED"
        reaches(second, "resting")
        _cli("cancel", second, "--api", api, key=carol.key.hex())
        assert reaches(second, "cancelled")["reason"] == "USER"

        # A post-only order that would cross: the node refuses it in one line; sent to L1
        # directly, the engine rejects it with the same reason.
        _cli("order", "sell", "191000", "2", "--api", api, key=b)
        until(lambda: _get(f"{api}/book")["asks"], "B's ask")
        refused = _cli("order", "buy", "191000", "1", "--time-in-force", "post_only", "--api", api, key=carol.key.hex(), check=False)
        assert refused.returncode == 1 and refused.stdout == ""
        assert refused.stderr.strip().splitlines() == [refused.stderr.strip()] and "WOULD_CROSS" in refused.stderr
        direct = json.loads(_cli("order", "buy", "191000", "1", "--time-in-force", "post_only", "--direct", *on, key=carol.key.hex()).stdout)
        assert reaches(direct["nonce"], "rejected")["reason"] == "WOULD_CROSS"
        fills = json.loads(_cli("fills", "--trader", carol.address, "--api", api).stdout)
        assert [f["quantity"] for f in fills] == ["4"]

        # Carol takes 5 QUOTE back to L1: request, wait for the proof, claim.
        _cli("withdraw", quote, "5000000", *on, key=carol.key.hex())
        until(lambda: _get(f"{api}/accounts/{carol.address}/withdrawals")["withdrawals"], "the proven withdrawal")
        claimed = json.loads(_cli("claim", *on, key=carol.key.hex()).stdout)
        assert claimed == {"claimed": 1, "alreadyPaid": 0}

        # Ordinary mistakes are one line each.
        for args, key, words in (
            (("balance", "--api", api), "0x1234", "not a 32-byte hex private key"),
            (("balance", "--api", api), None, "no key"),
            (("order", "buy", "1", "1", "--api", "http://127.0.0.1:9"), carol.key.hex(), "cannot reach the node"),
            (("escape", quote, *on), carol.key.hex(), "vault.escape reverted: notfrozen()"),
        ):
            failed = _cli(*args, key=key, check=False)
            assert failed.returncode != 0 and len(failed.stderr.strip().splitlines()) == 1 and words in failed.stderr.lower(), failed.stderr
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    log.seek(0)
    output = log.read()
    assert "INSECURE" in output and f"{api}/book" in output and "trader A" in output
    assert output.rstrip().endswith("stopped")
