"""An operator's failures, as real processes: each gives one clear line and no traceback, and the
node recovers where it can (an L1 that does not answer, a panic in the loop, an RPC whose logs lag)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from clobnode.config import L1Config, NodeConfig, StoreConfig
from clobnode.dev import demo
from clobnode.dev.devnet import Anvil, AnvilConfig, free_port
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment
from clobnode.node import Node
from clobnode.service import ApiServer
from waiting import until

pytestmark = pytest.mark.devnet

CLOBNODE = [sys.executable, "-m", "clobnode.cli"]


def _start(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`clobnode start ARGS` expected to stop by itself (a failure at start)."""
    return subprocess.run([*CLOBNODE, "start", *args], check=False, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def _one_clear_line(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("clobnode: ") and words in last, result.stderr


def _anvils() -> set[int]:
    out = subprocess.run(["pgrep", "-x", "anvil"], check=False, capture_output=True, text=True).stdout
    return {int(pid) for pid in out.split()}


def test_a_taken_api_port_is_one_line_and_leaves_no_anvil_behind(tmp_path: Path) -> None:
    before = _anvils()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _start("--api-port", str(port), "--data-dir", str(tmp_path))
    _one_clear_line(result, f"cannot serve the API on 127.0.0.1:{port}: the port is in use")
    assert _anvils() <= before


def test_a_missing_sp1_host_is_one_line_at_start(tmp_path: Path) -> None:
    before = _anvils()
    result = _start("--prover", "sp1", "--api-port", str(free_port()), "--data-dir", str(tmp_path), env={"CLOBNODE_SP1_HOST": str(tmp_path / "nothing")})
    _one_clear_line(result, "--prover sp1 needs the SP1 host binary")
    assert _anvils() <= before


def test_a_deployment_of_another_chain_or_without_contracts_is_refused(anvil: Any, tmp_path: Path) -> None:
    dep = demo.deploy(L1Client(anvil.url))
    other_chain = tmp_path / "other-chain.json"
    other_chain.write_text(dep.to_json().replace(f'"chain_id": {dep.chain_id}', '"chain_id": 1'))
    _one_clear_line(_start("--rpc-url", anvil.url, "--deployment", str(other_chain), "--data-dir", str(tmp_path)),
                    f"the L1 RPC serves chain {dep.chain_id}, the deployment file is for chain 1")
    empty = tmp_path / "empty.json"
    empty.write_text(dep.to_json().replace(dep.inbox, "0x" + "11" * 20))
    _one_clear_line(_start("--rpc-url", anvil.url, "--deployment", str(empty), "--data-dir", str(tmp_path)), "no contract at the deployment's inbox address")


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_an_unreachable_l1_makes_the_node_not_ready_with_one_rate_limited_line(anvil: Any, tmp_path: Path) -> None:
    deployment = tmp_path / "deployment.json"
    deployment.write_text(demo.deploy(L1Client(anvil.url)).to_json())
    port, dead_rpc = free_port(), f"http://127.0.0.1:{free_port()}"
    log = (tmp_path / "node.log").open("w+")
    node = subprocess.Popen([*CLOBNODE, "start", "--rpc-url", dead_rpc, "--deployment", str(deployment), "--api-port", str(port),
                             "--data-dir", str(tmp_path)], stdout=log, stderr=subprocess.STDOUT, text=True)
    api = f"http://127.0.0.1:{port}"
    try:
        until(lambda: _get_or_none(api + "/health"), "the API")
        time.sleep(4)  # many passes of the loop
        status, health = _get(api + "/health")
        assert status == 503 and health["live"] and not health["ready"] and health["failures"] >= 2
        body = json.dumps({"envelope": "0x00"}).encode()
        request = urllib.request.Request(api + "/orders", data=body, headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 503 and json.loads(refused.value.read())["reason"] == "NODE_NOT_READY"
    finally:
        node.send_signal(signal.SIGINT)
        assert node.wait(timeout=30) == 0
    log.seek(0)
    lines = log.read().splitlines()
    failures = [line for line in lines if "sync:" in line]
    assert 1 <= len(failures) <= 2, lines  # one line, then at most one every 30 s
    assert not any("Traceback" in line for line in lines)


def _get_or_none(url: str) -> Any:
    try:
        return _get(url)
    except OSError:
        return None


class Panic(BaseException):
    """Stands for pyo3's PanicException: a BaseException, not an Exception."""


def test_a_panic_in_the_loop_is_caught_reported_and_recovered_from(anvil: Any, tmp_path: Path) -> None:
    l1 = L1Client(anvil.url)
    node = Node(NodeConfig(l1=L1Config(rpc_url=anvil.url), store=StoreConfig(path=tmp_path / "node.sqlite")), demo.deploy(l1), l1)
    sync = node.follower.sync
    panics = iter([True, True])
    node.follower.sync = lambda: (_ for _ in ()).throw(Panic("core panicked")) if next(panics, False) else sync()  # type: ignore[method-assign]
    stop = threading.Event()
    loop = threading.Thread(target=node.run, args=(stop,), daemon=True)
    loop.start()
    until(lambda: node.health.failures >= 1, "the panic")
    assert node.health.live and not node.health.ready and "Panic: core panicked" in (node.health.last_error or "")
    until(lambda: node.health.ready, "recovery", timeout=30)
    assert node.health.failures == 0 and loop.is_alive()
    stop.set()
    loop.join(10)
    assert not node.health.live


class LaggingRpc:
    """A JSON-RPC proxy in front of anvil that answers `eth_getLogs` with [] while `lagging`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.lagging = True
        app = web.Application()
        app.router.add_post("/", self._forward)
        self.server = ApiServer(app, "127.0.0.1", 0)

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("method") == "eth_getLogs" and self.lagging:
            return web.json_response({"jsonrpc": "2.0", "id": body["id"], "result": []})
        upstream = urllib.request.Request(self.upstream, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(upstream, timeout=10) as response:  # noqa: ASYNC210 (a test proxy: one request at a time)
            return web.json_response(json.loads(response.read()))


def test_a_block_whose_logs_the_rpc_has_not_indexed_is_read_again_not_skipped(anvil: Any, tmp_path: Path) -> None:
    dep: Deployment = demo.deploy_and_fund(L1Client(anvil.url))  # deposits: Inbox entries in several blocks
    proxy = LaggingRpc(anvil.url)
    proxy.server.start()
    try:
        l1 = L1Client(f"http://127.0.0.1:{proxy.server.port}")
        node = Node(NodeConfig(l1=L1Config(rpc_url=l1.url), store=StoreConfig(path=tmp_path / "node.sqlite")), dep, l1)
        assert not node.step() and not node.health.ready
        assert "logs not indexed yet" in (node.health.last_error or "")
        assert node.store.entry_count() == 0 and node.store.last_block() is not None  # blocks before the first entry only
        proxy.lagging = False
        assert node.step() and node.health.ready
        assert node.store.entry_count() == int(node.inbox.functions.count().call())
    finally:
        proxy.server.stop()


def test_anvil_context_stops_anvil() -> None:
    with Anvil(AnvilConfig()) as anvil:
        pid = anvil._process.pid  # type: ignore[union-attr]
        assert pid in _anvils()
    assert pid not in _anvils()


def test_a_node_on_the_finalized_head_derives_no_newer_block(anvil: Any, tmp_path: Path) -> None:
    l1 = L1Client(anvil.url)
    dep = demo.deploy_and_fund(l1)
    l1.rpc("anvil_mine", ["0x50"])
    finalized = int(l1.get_block("finalized")["number"])
    latest = l1.block_number()
    assert finalized < latest  # anvil finalizes behind its head
    node = Node(NodeConfig(l1=L1Config(rpc_url=anvil.url, head="finalized"), store=StoreConfig(path=tmp_path / "node.sqlite")), dep, l1)
    until(lambda: node.sync() == 0, "the node to catch up")
    last = node.store.last_block()
    assert last is not None and last[0] == finalized
