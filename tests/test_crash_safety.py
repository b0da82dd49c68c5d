"""Crash safety, proven on a real node process: SIGKILLed at random moments while traders send
orders through its API, and restarted each time, it loses no acknowledged order, posts none
twice, and settles on L1 the root it derived."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import clobnode_core
import pytest
from clobnode.dev import demo
from clobnode.dev.devnet import Anvil, AnvilConfig
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment, load_artifact
from clobnode.trader.client import Client, ClientError
from eth_account import Account
from waiting import until

pytestmark = pytest.mark.devnet

KILLS = 4
ORDERS_PER_TRADER = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NodeProcess:
    """`clobnode start` on an existing L1 and deployment, as an operator runs it."""

    def __init__(self, rpc_url: str, deployment: Path, data_dir: Path, port: int, log: Path) -> None:
        self.args = [
            str(Path(sys.executable).parent / "clobnode"), "start", "--rpc-url", rpc_url, "--deployment", str(deployment),
            "--data-dir", str(data_dir), "--api-port", str(port),
        ]
        self.env = {
            **os.environ, "CLOBNODE_PROPOSER_KEY": demo.PROPOSER_KEY, "CLOBNODE_SETTLER_KEY": demo.SETTLER_KEY,
            "CLOBNODE_L1_POLL_INTERVAL_S": "0.1", "CLOBNODE_PROPOSER_INCLUSION_WAIT_S": "0.2",
        }
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.args, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        until(self.ready, "the node to be ready", timeout=60)

    def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the node exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return bool(json.loads(response.read())["ready"])
        except OSError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)  # this process only: no cleanup runs
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class Traders:
    """Two traders sending crossing orders through the API; each envelope is sent until the node
    acknowledges it (`202`) or refuses it, across the node's deaths."""

    def __init__(self, api_url: str) -> None:
        self.clients = [Client(api_url, Account.from_key(demo.TRADERS[name]), timeout_s=5) for name in ("A", "B")]
        self.acknowledged: dict[tuple[str, int], bytes] = {}
        self.refused: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        for nonce in range(1, ORDERS_PER_TRADER + 1):
            for side, client in enumerate(self.clients):
                _, envelope = client.sign_order(0, ("buy", "sell")[side], 100, 1, nonce=nonce)
                self._until_answered(client, nonce, envelope)
            time.sleep(0.05)
        self.done.set()

    def _until_answered(self, client: Client, nonce: int, envelope: bytes) -> None:
        while True:
            try:
                client.submit(envelope)
            except ClientError as exc:
                if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                    self.refused.append(f"{nonce}: {exc}")
                    return
                time.sleep(0.1)  # the node is down or not ready: the same envelope again
                continue
            assert client.account is not None
            self.acknowledged[(client.account.address.lower(), nonce)] = envelope
            return


@pytest.fixture
def slow_anvil() -> Iterator[Anvil]:
    """An anvil mining every half second, so that blob transactions stay in flight a while."""
    with Anvil(AnvilConfig(block_time=0.5)) as node:
        yield node


def test_a_node_killed_at_random_points_loses_no_order_posts_none_twice_and_settles_its_root(slow_anvil: Anvil, tmp_path: Path) -> None:
    anvil = slow_anvil
    l1 = L1Client(anvil.url)
    dep = demo.deploy_and_fund(l1)
    deployment = tmp_path / "deployment.json"
    deployment.write_text(dep.to_json())
    node = NodeProcess(anvil.url, deployment, tmp_path / "data", _free_port(), tmp_path / "node.log")
    node.start()
    traders = Traders(node.url)
    sender = threading.Thread(target=traders.run, daemon=True)
    sender.start()
    rng = random.Random(20261201)
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.3, 2.5))
            node.kill()
            node.start()
        sender.join(timeout=180)
        assert traders.done.is_set(), "the traders did not finish"
        inbox = load_artifact("Inbox").at(l1, dep.inbox)
        rollup = load_artifact("Rollup").at(l1, dep.rollup)
        db = tmp_path / "data" / "clobnode.sqlite"

        def all_posted_and_settled() -> bool:
            with sqlite3.connect(db, timeout=30) as conn:
                waiting = conn.execute("SELECT COUNT(*) FROM api_orders WHERE status IN ('pending', 'submitted')").fetchone()[0]
            count = inbox.functions.count().call()
            return bool(waiting == 0 and rollup.functions.nextInboxIndex().call() == count)

        until(all_posted_and_settled, "every order posted and every entry settled", timeout=120)
        root = json.loads(urllib.request.urlopen(f"{node.url}/status", timeout=10).read())["stateRoot"]
    finally:
        node.stop()

    assert traders.refused == []
    assert len(traders.acknowledged) == 2 * ORDERS_PER_TRADER
    assert root == "0x" + bytes(rollup.functions.stateRoot().call()).hex()
    _assert_each_acknowledged_order_settled_exactly_once(db, traders.acknowledged)
    _assert_no_order_was_posted_twice(db, dep)


def _assert_each_acknowledged_order_settled_exactly_once(db: Path, acknowledged: dict[tuple[str, int], bytes]) -> None:
    """Each acknowledged order was executed once (accepted; a second copy would show up as a
    second, rejected, event for the same nonce) or dropped before posting with a reason."""
    with sqlite3.connect(db) as conn:
        outcomes = Counter(
            (trader.lower(), nonce)
            for trader, nonce in conn.execute(
                "SELECT o.trader, o.nonce FROM event_orders o JOIN events e ON e.id = o.event_id "
                "WHERE o.message = 'order' AND e.type IN ('accepted', 'rejected')"
            )
        )
        dropped = {(t.lower(), n): r for t, n, r in conn.execute("SELECT trader, nonce, reason FROM api_orders WHERE status = 'dropped'")}
    for key in acknowledged:
        assert outcomes[key] + (key in dropped) == 1, f"order {key}: {outcomes[key]} outcomes, dropped: {dropped.get(key)}"
        assert key not in dropped or dropped[key]


def _assert_no_order_was_posted_twice(db: Path, dep: Deployment) -> None:
    """Every blob batch on L1, decoded: no envelope appears in two of them (or twice in one)."""
    with sqlite3.connect(db) as conn:
        blobs = {bytes(h): bytes(d) for h, d in conn.execute("SELECT versioned_hash, data FROM blobs")}
        payloads = [bytes(p) for (p,) in conn.execute("SELECT payload FROM entries WHERE kind = 4 ORDER BY idx")]
    posted: Counter[bytes] = Counter()
    for payload in payloads:
        hashes = [payload[at : at + 32] for at in range(0, len(payload), 32)]
        envelopes = clobnode_core.decode_blob_batch([blobs[h] for h in hashes])
        assert envelopes is not None
        posted.update(bytes(e) for e in envelopes)
    assert posted and max(posted.values()) == 1
