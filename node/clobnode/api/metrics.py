"""Metrics: the node's state in Prometheus text format, read from the engine and the store at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from clobnode.storage.store import Store


class NodeCollector(Collector):
    """Gauges computed on each scrape, so they can never drift from the node's durable state."""

    def __init__(self, status: Callable[[], dict[str, Any]], store: Store) -> None:
        self._status = status
        self._store = store

    def collect(self) -> Iterator[Metric]:
        status = self._status()
        yield GaugeMetricFamily("clobnode_l1_block", "Last L1 block the node derived", value=status.get("l1_block") or 0)
        yield GaugeMetricFamily("clobnode_inbox_next_index", "Next inbox entry the engine will apply", value=status["inbox_next_index"])
        verified = status.get("last_verified_batch") or {}
        yield GaugeMetricFamily("clobnode_verified_inbox_index", "Inbox index up to which L1 verified the state", value=verified.get("inbox_end", 0))
        yield _by_label("clobnode_events", "Events recorded by the engine, by type", "type", self._store.counts("events", "type"))
        yield _by_label("clobnode_api_orders", "Orders received by the API, by status", "status", self._store.counts("api_orders", "status"))
        yield _by_label("clobnode_batches", "Proven batches, by settlement status", "status", self._store.counts("batches", "status"))
        yield _by_label("clobnode_inbox_entries", "Inbox entries derived, by kind", "kind", self._store.counts("entries", "kind"))


def _by_label(name: str, documentation: str, label: str, counts: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for value, count in sorted(counts.items()):
        family.add_metric([value], count)
    return family


def metrics_handler(status: Callable[[], dict[str, Any]], store: Store) -> Callable[[web.Request], Any]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NodeCollector(status, store))

    async def handle(_request: web.Request) -> web.Response:
        body = generate_latest(registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handle
