"""Prover: proves inbox ranges as persisted jobs and has the settler submit them in order.

Jobs live in the store (table `batches`, one row per attempt), so they survive restarts. From the
Rollup's verified index the prover plans a chain of consecutive ranges, each ending at a state
checkpoint, up to `[prover] max_jobs` ahead; `workers` threads prove them at once (the guest input
is built on the node's loop, where the engine and the store live; the backend runs in the
thread). The range that starts at the verified index is submitted to the Rollup as soon as it is
proven, and its receipt is followed on the next passes: one settlement in flight, and the loop
never waits for L1. A range whose proving failed, or that the Rollup refused, is tried again as a
new job after a backoff (`retry_base_s`, doubled per attempt, up to `retry_max_s`). Jobs the
chain no longer needs (a range someone else settled, one a reorg moved) are superseded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from clobnode.config import ProverConfig
from clobnode.da import equivalence
from clobnode.exchange.engine import Engine
from clobnode.proving.backend import Proof, ProverError, ProvingBackend
from clobnode.proving.guest_input import guest_input_for_range, next_range
from clobnode.roles.settler import Settler
from clobnode.storage.store import BatchRecord, Store
from clobnode.telemetry import NodeMetrics

log = logging.getLogger(__name__)


class Prover:
    """Proves ranges with `backend` and settles them with `settler`."""

    def __init__(self, store: Store, engine: Engine, backend: ProvingBackend, settler: Settler, config: ProverConfig,
                 prune: Callable[[int], None], metrics: NodeMetrics) -> None:
        self.metrics = metrics
        self.store = store
        self.engine = engine
        self.backend = backend
        self.settler = settler
        self.config = config
        self._prune = prune
        self._pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="prover")
        self._running: dict[int, Future[tuple[Proof, float]]] = {}
        self._submitted_at: dict[int, float] = {}  # batch id → when its settlement was sent
        requeued = store.requeue_proving_jobs()
        if requeued:
            log.info("%d prover job(s) interrupted by the last stop are queued again", requeued)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ---- one pass -----------------------------------------------------------------------------

    def prove_and_settle(self) -> None:
        """Follow, plan, start, collect and settle: one pass, never blocking on a proof or on L1."""
        self._follow_settlement()
        _, verified_index = self.settler.rollup_position()
        self._prune(verified_index)
        chain = self._plan(verified_index)
        self._collect()
        for job in chain:
            if job.status == "queued" and job.retry_at <= time.time() and len(self._running) < self.config.workers:
                self._start(job)
        self._collect()
        head = self.store.open_batch()
        if head is not None and head.inbox_start == verified_index and not self.store.submitted_batches():
            self._settle(head)

    def prove_next(self) -> BatchRecord | None:
        """Prove, here and now, the first range of the chain not proven yet (tools and tests)."""
        _, verified_index = self.settler.rollup_position()
        for job in self._plan(verified_index):
            if job.status == "queued":
                proof, seconds = self._prove(guest_input_for_range(self.store, self.engine, job.inbox_start, job.inbox_end))
                self._proven(job, proof, seconds)
                return self.store.batch(job.id)
        return None

    # ---- planning -----------------------------------------------------------------------------

    def _plan(self, verified_index: int) -> list[BatchRecord]:
        """The chain of jobs from `verified_index`, extended with new ranges up to `max_jobs`;
        active jobs off the chain are superseded."""
        by_start: dict[int, BatchRecord] = {}
        for active in self.store.active_jobs():
            on_chain = active.inbox_start >= verified_index and active.inbox_start not in by_start and self._still_provable(active)
            if on_chain:
                by_start[active.inbox_start] = active
            elif active.id not in self._running:
                self.store.set_batch_status(active.id, "superseded", error="not needed: the Rollup or a reorg moved past it")
        chain: list[BatchRecord] = []
        cursor = verified_index
        while True:
            job = by_start.get(cursor)
            if job is None and len(chain) < self.config.max_jobs:
                job = self._new_job(cursor)
            if job is None:
                return chain
            chain.append(job)
            cursor = job.inbox_end

    def _new_job(self, start: int) -> BatchRecord | None:
        """A job for the longest provable range from `start`, after the backoff its earlier
        attempts earned."""
        span = next_range(self.store, start, self.config.max_range)
        if span is None:
            return None
        attempts, last = self.store.attempts_at(start)
        retry_at = last + min(self.config.retry_base_s * 2 ** (attempts - 1), self.config.retry_max_s) if attempts else 0.0
        return self.store.batch(self.store.add_job(span[0], span[1], self.backend.name, retry_at))

    def _still_provable(self, job: BatchRecord) -> bool:
        """Whether both ends of `job` are still state checkpoints (a reorg can move them)."""
        return self.store.state.at_index(job.inbox_start) is not None and self.store.state.at_index(job.inbox_end) is not None

    # ---- proving ------------------------------------------------------------------------------

    def _start(self, job: BatchRecord) -> None:
        try:
            guest_input = guest_input_for_range(self.store, self.engine, job.inbox_start, job.inbox_end)
        except ProverError as exc:
            self._error(job, exc)
            return
        self.store.set_batch_status(job.id, "proving")
        self._running[job.id] = self._pool.submit(self._prove, guest_input)

    def _prove(self, guest_input: bytes) -> tuple[Proof, float]:
        started = time.monotonic()
        proof = self.backend.prove(guest_input)
        return proof, time.monotonic() - started

    def _collect(self) -> None:
        for job_id, future in list(self._running.items()):
            if not future.done():
                continue
            del self._running[job_id]
            job = self.store.batch(job_id)
            if job is None or job.status != "proving":
                continue
            try:
                proof, seconds = future.result()
            except Exception as exc:  # noqa: BLE001 (any failure of a backend is this job's, retried)
                self._error(job, exc)
                continue
            self._proven(job, proof, seconds)

    def _proven(self, job: BatchRecord, proof: Proof, seconds: float) -> None:
        self.store.set_job_proven(job.id, proof.public_values, proof.proof)
        self.metrics.prove_seconds.observe(seconds)
        self.metrics.batches.labels("proven").inc()
        log.info("proved inbox range [%d, %d) with %s in %.1f s%s", job.inbox_start, job.inbox_end, proof.backend, seconds,
                 " (INSECURE mock)" if proof.insecure else "")

    def _error(self, job: BatchRecord, exc: BaseException) -> None:
        self.store.set_batch_status(job.id, "error", error=f"{type(exc).__name__}: {exc}"[:2000])
        self.metrics.batches.labels("error").inc()
        log.warning("proving inbox range [%d, %d) failed (tried again after a backoff): %s", job.inbox_start, job.inbox_end, exc)

    # ---- settling -----------------------------------------------------------------------------

    def _settle(self, batch: BatchRecord) -> None:
        openings = equivalence.openings_for_range(self.store, batch.inbox_start, batch.inbox_end)
        equivalence.check_blobs_hash(openings, batch.public_values)
        if self.settler.submit(batch, [o.as_tuple() for o in openings]):
            self._submitted_at[batch.id] = time.monotonic()
            self._follow_settlement()  # an automining L1 has it already
        else:
            self.metrics.batches.labels("failed").inc()

    def _follow_settlement(self) -> None:
        """The submitted batch's receipt, if it came (one batch is submitted at a time)."""
        for batch in self.store.submitted_batches():
            verified = self.settler.follow(batch)
            if verified is None:
                continue
            self.metrics.batches.labels("verified" if verified else "failed").inc()
            started = self._submitted_at.pop(batch.id, None)
            if verified and started is not None:
                self.metrics.settle_seconds.observe(time.monotonic() - started)
            self.metrics.wallet.labels("settler").set(self.settler.balance())
