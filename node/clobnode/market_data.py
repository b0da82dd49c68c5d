"""Market data: a WebSocket feed of book snapshots, fills and batch progress, driven by the node's event log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import WSMsgType, web

from .engine import Engine
from .store import Store

log = logging.getLogger(__name__)

BOOK_DEPTH = 20
STREAMED_EVENTS = frozenset({"fill", "accepted", "cancelled", "rejected", "deposit", "withdrawal"})


class MarketDataFeed:
    """Polls the store for new events and fans them out to every connected WebSocket.

    A client connects to `/ws?market=N` and receives, as JSON messages: one `book` snapshot at
    once, then each new `event` (fills, acceptances, cancels, rejections, deposits) and a fresh
    `book` snapshot of its market whenever L1 blocks changed the exchange.
    """

    def __init__(self, engine: Engine, store: Store, poll_interval_s: float = 0.2) -> None:
        self._engine = engine
        self._store = store
        self._poll_interval_s = poll_interval_s
        self._clients: dict[web.WebSocketResponse, int] = {}
        self._last_event_id = store.last_event_id()
        self._task: asyncio.Task[None] | None = None

    def book_message(self, market: int) -> dict[str, Any]:
        return {"type": "book", **self._engine.book(market, BOOK_DEPTH)}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            market = int(request.query.get("market", "0"))
            first = self.book_message(market)
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": f"unknown market: {exc}"}, status=400)
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        self._clients[ws] = market
        try:
            await ws.send_json(first)
            async for message in ws:  # the feed is one-way; reading keeps the socket alive
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            self._clients.pop(ws, None)
        return ws

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval_s)
            try:
                await self.publish_new_events()
            except Exception:  # a broken client or a locked database must not end the feed
                log.exception("market data poll failed")

    async def publish_new_events(self) -> None:
        rows = self._store.events_after(self._last_event_id)
        if not rows:
            return
        self._last_event_id = rows[-1][0]
        events = [body for _, body in rows if body.get("type") in STREAMED_EVENTS]
        for ws, market in list(self._clients.items()):
            for event in events:
                if event.get("market", market) == market:
                    await self._send(ws, {"type": "event", "event": event})
            await self._send(ws, self.book_message(market))

    async def _send(self, ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
        if ws.closed:
            self._clients.pop(ws, None)
            return
        with contextlib.suppress(ConnectionResetError):
            await ws.send_json(message)

    async def start(self, _app: web.Application) -> None:
        self._task = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self, _app: web.Application) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for ws in list(self._clients):
            await ws.close()
