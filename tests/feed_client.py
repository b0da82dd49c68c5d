"""A market-data WebSocket client for tests: subscribes, then collects messages in a thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import aiohttp


class FeedListener:
    """Connects to `url`, sends `subscriptions`, and appends every message to `messages`."""

    def __init__(self, url: str, subscriptions: list[dict[str, Any]]) -> None:
        self.messages: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._listen(url, subscriptions),), daemon=True)
        self._thread.start()

    async def _listen(self, url: str, subscriptions: list[dict[str, Any]]) -> None:
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            for subscription in subscriptions:
                await ws.send_json(subscription)
            while not self._stop.is_set():
                try:
                    self.messages.append(await ws.receive_json(timeout=0.2))
                except TimeoutError:
                    continue

    def of(self, channel: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [m for m in list(self.messages) if m.get("channel") == channel and (kind is None or m["type"] == kind)]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def book_from(messages: list[dict[str, Any]]) -> tuple[dict[str, dict[str, str]], int | None]:
    """The book a client keeps from a snapshot and its updates, and whether the sequence chain held
    (the last sequence, or None at a gap)."""
    book: dict[str, dict[str, str]] = {"bids": {}, "asks": {}}
    sequence: int | None = None
    for m in messages:
        if m["type"] == "snapshot":
            book = {side: {p: q for p, q in m[side]} for side in ("bids", "asks")}
            sequence = m["sequence"]
        elif m["type"] == "update":
            if m["prevSequence"] != sequence:
                return book, None
            for side in ("bids", "asks"):
                for price, quantity in m[side]:
                    if quantity == "0":
                        book[side].pop(price, None)
                    else:
                        book[side][price] = quantity
            sequence = m["sequence"]
    return book, sequence
