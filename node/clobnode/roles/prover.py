"""Prover: the role that proves the next inbox range from the Rollup's verified index and has the
settler submit it (at most one batch in flight; a range the Rollup refused is not retried)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from clobnode.da import equivalence
from clobnode.exchange.engine import Engine
from clobnode.proving.backend import ProvingBackend
from clobnode.proving.guest_input import guest_input_for_range, next_range
from clobnode.roles.settler import Settler
from clobnode.storage.store import BatchRecord, Store
from clobnode.telemetry import NodeMetrics

log = logging.getLogger(__name__)


class Prover:
    """Proves ranges with `backend` and settles them with `settler`."""

    def __init__(self, store: Store, engine: Engine, backend: ProvingBackend, settler: Settler, max_range: int, prune: Callable[[int], None], metrics: NodeMetrics) -> None:
        self.metrics = metrics
        self.store = store
        self.engine = engine
        self.backend = backend
        self.settler = settler
        self.max_range = max_range
        self._prune = prune

    def prove_next(self) -> BatchRecord | None:
        """Prove the longest range from the Rollup's next inbox index that ends at a state checkpoint."""
        _, start = self.settler.rollup_position()
        span = next_range(self.store, start, self.max_range)
        if span is None:
            return None
        last = next(iter(self.store.batches(limit=1)), None)
        if last is not None and last.status == "failed" and (last.inbox_start, last.inbox_end) == span:
            return None  # the Rollup refused exactly this range; wait for new entries instead of retrying
        with self.metrics.prove_seconds.time():
            proof = self.backend.prove(guest_input_for_range(self.store, self.engine, *span))
        self.metrics.batches.labels("proven").inc()
        batch_id = self.store.add_batch(span[0], span[1], proof.backend, proof.public_values, proof.proof)
        log.info("proved inbox range [%d, %d) with %s%s", span[0], span[1], proof.backend, " (INSECURE mock)" if proof.insecure else "")
        return next(b for b in self.store.batches(limit=5) if b.id == batch_id)

    def prove_and_settle(self) -> None:
        _, verified_index = self.settler.rollup_position()
        self._prune(verified_index)
        batch = self.store.open_batch() or self.prove_next()
        if batch is not None:
            openings = equivalence.openings_for_range(self.store, batch.inbox_start, batch.inbox_end)
            equivalence.check_blobs_hash(openings, batch.public_values)
            with self.metrics.settle_seconds.time():
                verified = self.settler.submit(batch, [o.as_tuple() for o in openings])
            self.metrics.batches.labels("verified" if verified else "failed").inc()
            self.metrics.wallet.labels("settler").set(self.settler.balance())
