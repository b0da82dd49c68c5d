"""Metrics: `GET /metrics`, the node's Prometheus registry (`telemetry.py`) in text format."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from clobnode.telemetry import NodeMetrics


def metrics_handler(metrics: NodeMetrics) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(_request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handle
