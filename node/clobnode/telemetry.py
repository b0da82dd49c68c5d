"""Telemetry: the node's Prometheus metrics. Counters are counted where things happen (no table is
scanned at scrape time), histograms time proving and settlement, gauges are read from the node's
position at scrape time, and the process's own metrics come from prometheus_client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

#: Seconds: proving a range on a CPU takes from milliseconds (mock) to hours (a Groth16 wrap).
PROVE_BUCKETS = (0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400)
SETTLE_BUCKETS = (0.1, 0.5, 1, 2, 5, 12, 30, 60, 120, 300)


class Position(Collector):
    """Gauges from `status()` at scrape time: where the node stands on L1 and in the inbox."""

    def __init__(self, position: Callable[[], dict[str, Any]]) -> None:
        self._position = position

    def collect(self) -> Iterator[Metric]:
        p = self._position()
        derived, head = p.get("l1_block") or 0, p.get("l1_head") or 0
        verified = (p.get("last_verified_batch") or {}).get("inbox_end", 0)
        next_index, inbox_count = p.get("inbox_next_index", 0), p.get("inbox_count") or 0
        health = p.get("health") or {}
        yield GaugeMetricFamily("clobnode_l1_block", "Last L1 block the node derived", value=derived)
        yield GaugeMetricFamily("clobnode_l1_head", "Latest L1 block the node saw", value=head)
        yield GaugeMetricFamily("clobnode_l1_head_lag_blocks", "L1 blocks between the head and the last derived block", value=max(head - derived, 0))
        yield GaugeMetricFamily("clobnode_inbox_next_index", "Next inbox entry the engine will apply", value=next_index)
        yield GaugeMetricFamily("clobnode_derivation_lag_entries", "Inbox entries on L1 (as of the last derived block) not yet applied", value=max(inbox_count - next_index, 0))
        yield GaugeMetricFamily("clobnode_verified_inbox_index", "Inbox index up to which L1 verified the state", value=verified)
        yield GaugeMetricFamily("clobnode_settlement_lag_entries", "Applied inbox entries L1 has not verified yet", value=max(next_index - verified, 0))
        yield GaugeMetricFamily("clobnode_ready", "1 when the node follows L1", value=1 if health.get("ready") else 0)


class NodeMetrics:
    """One node's metrics in their own registry (several nodes may share a process in tests)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.entries = Counter("clobnode_inbox_entries", "Inbox entries derived, by kind", ["kind"], registry=r)
        self.events = Counter("clobnode_events", "Events recorded by the engine, by type", ["type"], registry=r)
        self.submissions = Counter("clobnode_api_submissions", "Messages the API admitted or refused, by outcome", ["outcome"], registry=r)
        self.dropped = Counter("clobnode_proposer_dropped", "Admitted messages the proposer dropped at batch time, by reason", ["reason"], registry=r)
        self.blob_txs = Counter("clobnode_blob_txs", "Blob batch transactions the proposer saw included", registry=r)
        self.blob_messages = Counter("clobnode_blob_messages", "Messages posted in included blob batches", registry=r)
        self.blob_fees = Counter("clobnode_blob_fees_wei", "Blob gas fees paid by the proposer (wei)", registry=r)
        self.batches = Counter("clobnode_batches", "Batches by what happened to them (proven, verified, failed)", ["status"], registry=r)
        self.prove_seconds = Histogram("clobnode_prove_seconds", "Time to prove one range", buckets=PROVE_BUCKETS, registry=r)
        self.settle_seconds = Histogram("clobnode_settle_seconds", "Time from submitting a batch to its verification on L1", buckets=SETTLE_BUCKETS, registry=r)
        self.wallet = Gauge("clobnode_wallet_balance_wei", "Balance of the node's L1 accounts", ["role"], registry=r)
        ProcessCollector(registry=r)

    def watch(self, position: Callable[[], dict[str, Any]]) -> None:
        """Adds the scrape-time gauges of a node's position."""
        self.registry.register(Position(position))
