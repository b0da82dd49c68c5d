"""Node: wires the roles (follower, proposer, prover and settler) over one engine and store, and
runs their loop. Each role's rules live in its own module under `roles/`."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account

from clobnode.api.admission import Admission
from clobnode.config import NodeConfig
from clobnode.da.store import DAStore
from clobnode.errors import ClobnodeError
from clobnode.exchange.engine import Engine
from clobnode.hexbytes import to_hex
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment, load_artifact
from clobnode.l1.watcher import L1Watcher
from clobnode.proving.backends import backend_for
from clobnode.roles.follower import Follower
from clobnode.roles.proposer import Proposer
from clobnode.roles.prover import Prover
from clobnode.roles.settler import Settler
from clobnode.storage.store import BatchRecord, Store
from clobnode.telemetry import NodeMetrics

log = logging.getLogger(__name__)


#: The longest wait between two passes of a failing loop.
MAX_BACKOFF_S = 30.0
#: The same failure is logged at most once in this many seconds.
LOG_EVERY_S = 30.0


@dataclass(slots=True)
class Health:
    """Whether the loop runs (`live`) and the node follows L1 (`ready`), and the failures that say
    otherwise. Failures are logged one line each, the same one at most every `LOG_EVERY_S`."""

    live: bool = False
    ready: bool = False
    failures: int = 0  # consecutive failing passes
    last_error: str | None = None
    _logged: dict[str, tuple[float, int]] = field(default_factory=dict)

    def failed(self, role: str, exc: BaseException) -> None:
        self.failures += 1
        self.last_error = f"{role}: {type(exc).__name__}: {exc}".splitlines()[0]
        key = f"{role}:{type(exc).__name__}:{str(exc)[:120]}"
        now = time.monotonic()
        then, suppressed = self._logged.get(key, (-LOG_EVERY_S, 0))
        if now - then < LOG_EVERY_S:
            self._logged[key] = (then, suppressed + 1)
            return
        again = f" (and {suppressed} more times)" if suppressed else ""
        if isinstance(exc, ClobnodeError):
            log.warning("%s%s", self.last_error, again)
        else:
            log.error("%s%s", self.last_error, again)
            log.debug("traceback of the failure above", exc_info=exc)
        self._logged[key] = (now, 0)

    def recovered(self) -> None:
        if self.failures:
            log.info("recovered after %d failing passes", self.failures)
        self.failures = 0
        self.last_error = None
        self._logged.clear()

    def backoff(self, poll_interval_s: float) -> float:
        return poll_interval_s if not self.failures else min(poll_interval_s * 2 ** min(self.failures, 10), MAX_BACKOFF_S)

    def as_json(self) -> dict[str, Any]:
        return {"live": self.live, "ready": self.live and self.ready, "failures": self.failures, "last_error": self.last_error}


class Node:
    """One clobnode: a pure function of L1 (the follower) plus the optional proposer and
    prover/settler roles."""

    def __init__(self, config: NodeConfig, deployment: Deployment, l1: L1Client) -> None:
        self.config = config
        self.deployment = deployment
        self.l1 = l1
        self.health = Health()
        self.metrics = NodeMetrics()
        self.store = Store(config.store.path)
        self.da = DAStore(config.store.path)  # RS-coded copies of every derived blob (docs/DA.md)
        self.inbox = load_artifact("Inbox").at(l1, deployment.inbox)
        self.rollup = load_artifact("Rollup").at(l1, deployment.rollup)
        self.follower = Follower(config, deployment, l1, L1Watcher(l1, self.inbox, config.l1, self.rollup), self.store, self.da, self.metrics)
        self.engine: Engine = self.follower.engine
        self.backend = backend_for(config.prover, config.store.path.parent / "proofs")
        self.proposer = (
            Proposer(
                l1, Account.from_key(config.proposer.private_key), self.inbox, self.store, config.proposer, config.l1.sidecar,
                Admission(self.engine, self.store, config.api.admission), self.metrics, slot_s=config.l1.seconds_per_slot,
            )
            if config.proposer.private_key
            else None
        )
        self.settler = (
            Settler(l1, Account.from_key(config.settler.private_key), self.rollup, self.store)
            if config.settler.private_key
            else None
        )
        self.prover = (
            Prover(self.store, self.engine, self.backend, self.settler, config.prover, self.follower.prune_state, self.metrics)
            if self.settler is not None
            else None
        )
        self.metrics.watch(self.status)

    # ---- the roles, one step each -----------------------------------------------------------

    def sync(self) -> int:
        """Derive and apply confirmed L1 blocks; returns how many blocks were processed."""
        return self.follower.sync()

    def rollback(self, common_ancestor: int) -> None:
        self.follower.rollback(common_ancestor)

    def prove_next(self) -> BatchRecord | None:
        assert self.prover is not None, "proving needs a settler key"
        return self.prover.prove_next()

    def prove_and_settle(self) -> None:
        if self.prover is not None:
            self.prover.prove_and_settle()

    def _propose(self) -> None:
        if self.proposer is not None:
            self.proposer.step()

    # ---- the loop ---------------------------------------------------------------------------

    def step(self) -> bool:
        """One pass of every role; returns whether every role succeeded. A failure of any kind (an
        RPC that is down, a bug, a panic of the Rust core) is reported in one line, rate-limited,
        and retried by the next pass; a failing sync makes the node not ready."""
        healthy = True
        for role in (self.sync, self._propose, self.prove_and_settle):
            try:
                role()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 (a Rust panic is a BaseException: the loop must outlive it)
                healthy = False
                self.health.failed(role.__name__, exc)
                if role == self.sync:
                    self.health.ready = False
            else:
                if role == self.sync:
                    self.health.ready = True
        if healthy:
            self.health.recovered()
        return healthy

    def run(self, stop: threading.Event) -> None:
        """Steps until `stop`; after failures, waits longer each time (up to `MAX_BACKOFF_S`)."""
        self.health.live = True
        try:
            while not stop.is_set():
                self.step()
                stop.wait(self.health.backoff(self.config.l1.poll_interval_s))
        finally:
            self.health.live = False

    def close(self) -> None:
        """Stop the prover's workers (a proof under way is abandoned; its job is queued again at
        the next start)."""
        if self.prover is not None:
            self.prover.close()

    def status(self) -> dict[str, Any]:
        next_index, acc = self.engine.inbox_position()
        last = self.store.last_block()
        verified = self.store.last_l1_batch()
        return {
            "chain_id": self.deployment.chain_id,
            "contracts": json.loads(self.deployment.to_json()),
            "l1_block": last[0] if last else None,
            "l1_head": self.follower.head,
            "inbox_count": self.follower.inbox_count,
            "inbox_next_index": next_index,
            "inbox_acc": to_hex(acc),
            "state_root": to_hex(self.engine.state_root()),
            "last_verified_batch": verified,
            "prover": {"backend": self.backend.name, "insecure": self.backend.insecure},
            "proposer": self.proposer is not None,
            "health": self.health.as_json(),
        }
