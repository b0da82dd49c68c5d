"""Prover jobs: persisted in the store, several ranges proven at once, settled in order, retried
after a backoff when proving fails, and picked up again after a restart."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from clobnode.config import (
    L1Config,
    NodeConfig,
    ProverConfig,
    SettlerConfig,
    StoreConfig,
)
from clobnode.dev import demo
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment
from clobnode.node import Node
from clobnode.proving.backend import MockBackend, Proof, ProverError
from devnet_node import TRADER_A, TRADER_B, relay_order, settle_to
from waiting import until

pytestmark = pytest.mark.devnet



class HeldMockBackend(MockBackend):
    """The INSECURE mock backend, held at a gate: each proof waits until the test opens it, and
    the first `failures` proofs fail (a prover machine that crashed, say)."""

    def __init__(self, failures: int = 0) -> None:
        self.gate = threading.Event()
        self.proving = 0
        self.most_at_once = 0
        self.failures = failures
        self._lock = threading.Lock()

    def prove(self, guest_input: bytes) -> Proof:
        with self._lock:
            self.proving += 1
            self.most_at_once = max(self.most_at_once, self.proving)
        try:
            self.gate.wait(30)
            with self._lock:
                if self.failures:
                    self.failures -= 1
                    raise ProverError("the prover machine went away")
            return super().prove(guest_input)
        finally:
            with self._lock:
                self.proving -= 1


def _node(l1: L1Client, dep: Deployment, db: Path, backend: MockBackend, **prover: Any) -> Node:
    config = NodeConfig(
        l1=L1Config(rpc_url=l1.url), store=StoreConfig(path=db, checkpoint_entries=1),
        prover=ProverConfig(max_range=1, **prover), settler=SettlerConfig(private_key=demo.SETTLER_KEY),
    )
    node = Node(config, dep, l1)
    assert node.prover is not None
    node.prover.backend = node.backend = backend
    return node


def _six_entries(l1: L1Client, dep: Deployment) -> None:
    """Four orders after the two deposits: six one-entry ranges (max_range = 1)."""
    for nonce in (1, 2):
        relay_order(l1, dep, TRADER_A, side=0, price=100, quantity=1, nonce=nonce)
        relay_order(l1, dep, TRADER_B, side=1, price=100, quantity=1, nonce=nonce)


def test_several_ranges_are_proven_at_once_and_settled_in_order(funded: tuple[L1Client, Deployment], tmp_path: Path) -> None:
    l1, dep = funded
    _six_entries(l1, dep)
    backend = HeldMockBackend()
    node = _node(l1, dep, tmp_path / "node.sqlite", backend, workers=3, max_jobs=4)
    node.sync()
    node.prove_and_settle()
    until(lambda: backend.proving == 3, "three proofs under way at once", timeout=10, every=0.02)
    assert sorted(b.status for b in node.store.batches()) == ["proving"] * 3 + ["queued"]
    backend.gate.set()
    settle_to(node, dep, 6, timeout=30)
    verified = [(b.inbox_start, b.inbox_end) for b in node.store.batches() if b.status == "verified"]
    assert sorted(verified) == [(i, i + 1) for i in range(6)]
    node.sync()  # the Rollup's BatchVerified logs: settled in inbox order
    assert [(b["inbox_start"], b["inbox_end"]) for b in reversed(node.store.l1_batches())] == [(i, i + 1) for i in range(6)]
    assert backend.most_at_once == 3
    node.close()


def test_a_failed_proof_is_retried_after_a_backoff(funded: tuple[L1Client, Deployment], tmp_path: Path) -> None:
    l1, dep = funded
    backend = HeldMockBackend(failures=1)
    backend.gate.set()
    node = _node(l1, dep, tmp_path / "node.sqlite", backend, retry_base_s=0.5)
    node.sync()
    until(lambda: any(b.status == "error" for b in node.store.batches()) or node.prove_and_settle(), "the first attempt to fail", timeout=10, every=0.02)
    failed_at = time.time()
    (error,) = [b for b in node.store.batches() if b.status == "error"]
    assert error.inbox_start == 0 and "went away" in (error.error or "")
    node.prove_and_settle()
    (retry,) = [b for b in node.store.batches() if b.inbox_start == 0 and b.status == "queued"]
    assert retry.retry_at >= failed_at + 0.4  # not before the backoff
    settle_to(node, dep, 2, timeout=30)
    node.close()


def test_jobs_survive_a_restart(funded: tuple[L1Client, Deployment], tmp_path: Path) -> None:
    l1, dep = funded
    db = tmp_path / "node.sqlite"
    held = HeldMockBackend()
    node = _node(l1, dep, db, held, workers=2, max_jobs=2)
    node.sync()
    node.prove_and_settle()
    until(lambda: held.proving == 2, "two proofs under way", timeout=10, every=0.02)
    node.close()  # the process stops with its proofs unfinished
    node.store.close()
    held.gate.set()

    backend = HeldMockBackend()
    backend.gate.set()
    restarted = _node(l1, dep, db, backend, workers=2, max_jobs=2)
    assert sorted((b.inbox_start, b.status) for b in restarted.store.active_jobs()) == [(0, "queued"), (1, "queued")]
    settle_to(restarted, dep, 2, timeout=30)
    assert len(restarted.store.batches()) == 2  # the same two jobs, not new ones
    restarted.close()
