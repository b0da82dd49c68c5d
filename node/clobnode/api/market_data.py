"""Market data: the `/ws` WebSocket. Channels per market (book deltas, trades) and per trader
(orders, fills, balances), each with a snapshot on subscribe, sequence numbers that let a client
see a gap, and resume from a sequence number. The protocol is in docs/API.md; keys are camelCase
on the wire, as in the REST API (`api/models.py`).

Event channels (trades, orders, fills, balances) number their messages with the node's event
sequence (`seq`, the event log's row id: increasing, never reused); every update also carries
`prevSeq`, the `seq` of the previous message of that subscription, so a client that missed
one can tell. Subscribing with `since` replays what the client missed from the event log. The
book channel numbers its messages with the book's `sequence` (inbox entries applied, as
`GET /book` does): a snapshot, then updates with `prevSequence` and the levels that changed
(quantity "0": the level is gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from clobnode.api.admission import RateLimiter
from clobnode.api.models import camel_keys
from clobnode.exchange.engine import Engine
from clobnode.exchange.lifecycle import decimal_strings
from clobnode.storage.store import Store, order_refs

log = logging.getLogger(__name__)

BOOK_DEPTH = 100
SNAPSHOT_TRADES = 50
#: How many events a resume may replay; further back, the client gets a snapshot instead.
MAX_REPLAY = 10_000
#: Messages a client may have waiting; a client that falls further behind is disconnected (it
#: can reconnect and resume from its last `seq`).
CLIENT_QUEUE = 10_000
#: What one connection may ask of the feed: each subscription costs work on every event, and a
#: subscribe with `since` replays up to MAX_REPLAY events, so both are bounded per connection.
MAX_TOPICS = 32
REQUESTS_PER_S, REQUEST_BURST = 10.0, 50
#: Connections the feed serves at once; more are refused with 503.
MAX_CLIENTS = 1_000
CHANNELS = ("book", "trades", "orders", "fills", "balances")
_BALANCE_EVENTS = frozenset({"deposit", "withdrawal", "accepted", "fill", "cancelled", "reduced", "self_trade"})


class SubscribeError(ValueError):
    """A subscription request the feed cannot serve."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A channel and its key: a market (book, trades) or a trader (orders, fills, balances)."""

    channel: str
    market: int | None = None
    trader: str | None = None

    def key(self) -> dict[str, Any]:
        return {"channel": self.channel, "market": self.market} if self.trader is None else {"channel": self.channel, "trader": self.trader}

    def matches(self, event: dict[str, Any]) -> bool:
        """Whether `event` belongs to this (event) channel."""
        kind: str = event["type"]
        if self.channel == "trades":
            return kind == "fill" and bool(event["market"] == self.market)
        traders = {ref[0] for ref in order_refs(event)}
        if kind in ("deposit", "withdrawal", "cancelled_all"):
            traders.add(event["trader"])
        if self.trader not in traders:
            return False
        if self.channel == "fills":
            return kind == "fill"
        if self.channel == "balances":
            return kind in _BALANCE_EVENTS
        return kind not in ("deposit", "withdrawal")  # orders


def parse_topic(request: dict[str, Any]) -> Topic:
    channel = request.get("channel")
    if channel not in CHANNELS:
        raise SubscribeError(f"channel must be one of {', '.join(CHANNELS)}")
    if channel in ("book", "trades"):
        market = request.get("market", 0)
        if not isinstance(market, int) or isinstance(market, bool) or not 0 <= market < 2**32:
            raise SubscribeError("market must be an integer")
        return Topic(channel, market=market)
    trader = request.get("trader")
    if not isinstance(trader, str) or len(trader) != 42 or not trader.startswith("0x"):
        raise SubscribeError("trader must be a 0x-prefixed 20-byte address")
    try:
        bytes.fromhex(trader[2:])
    except ValueError as exc:
        raise SubscribeError("trader is not valid hex") from exc
    return Topic(channel, trader=trader.lower())


@dataclass(eq=False, slots=True)
class Client:
    """One connection: its subscriptions (topic → last seq or sequence sent) and its outbox."""

    ws: web.WebSocketResponse
    topics: dict[Topic, int] = field(default_factory=dict)
    outbox: asyncio.Queue[dict[str, Any] | None] = field(default_factory=lambda: asyncio.Queue(CLIENT_QUEUE))
    requests: RateLimiter = field(default_factory=lambda: RateLimiter(REQUESTS_PER_S, REQUEST_BURST))

    def send(self, message: dict[str, Any]) -> bool:
        try:
            self.outbox.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True


@dataclass(slots=True)
class BookState:
    """The last book the feed published for a market, and its sequence."""

    sequence: int
    bids: dict[str, str]
    asks: dict[str, str]


def _levels(levels: list[dict[str, Any]]) -> dict[str, str]:
    return {str(level["price"]): str(level["quantity"]) for level in levels}


def _diff(old: dict[str, str], new: dict[str, str]) -> list[list[str]]:
    changed = [[price, quantity] for price, quantity in new.items() if old.get(price) != quantity]
    changed += [[price, "0"] for price in old if price not in new]
    return sorted(changed, key=lambda level: int(level[0]))


class MarketDataFeed:
    """Polls the store's event log and the engine's books, and fans the changes out to clients."""

    def __init__(self, engine: Engine, store: Store, poll_interval_s: float = 0.2) -> None:
        self._engine = engine
        self._store = store
        self._poll_interval_s = poll_interval_s
        self._clients: set[Client] = set()
        self._last_event_id = store.last_event_id()
        self._books: dict[int, BookState] = {}
        self._task: asyncio.Task[None] | None = None
        self.messages_sent = 0

    # ---- connections --------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if len(self._clients) >= MAX_CLIENTS:
            return web.json_response({"error": f"the feed serves at most {MAX_CLIENTS} connections; try again later", "reason": "TOO_MANY_CONNECTIONS"}, status=503)
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        client = Client(ws)
        self._clients.add(client)
        writer = asyncio.get_running_loop().create_task(self._write(client))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_request(client, message.data)
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            self._clients.discard(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _write(self, client: Client) -> None:
        while (message := await client.outbox.get()) is not None:
            if client.ws.closed:
                return
            with contextlib.suppress(ConnectionResetError):
                await client.ws.send_json(camel_keys(message))
                self.messages_sent += 1

    def _on_request(self, client: Client, text: str) -> None:
        try:
            request = json.loads(text)
            if not isinstance(request, dict):
                raise SubscribeError("a request is a JSON object")
            op = request.get("op")
            topic = parse_topic(request)
            if not client.requests.allow("requests"):
                raise SubscribeError(f"too many requests: at most {REQUESTS_PER_S:g} a second (bursts of {REQUEST_BURST})")
            if op == "subscribe" and topic not in client.topics and len(client.topics) >= MAX_TOPICS:
                raise SubscribeError(f"at most {MAX_TOPICS} subscriptions a connection")
            if op == "subscribe":
                since = request.get("since")
                if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
                    raise SubscribeError("since must be a sequence number")
                self._subscribe(client, topic, since)
            elif op == "unsubscribe":
                client.topics.pop(topic, None)
                client.send({"type": "unsubscribed", **topic.key()})
            else:
                raise SubscribeError("op must be subscribe or unsubscribe")
        except (ValueError, KeyError) as exc:
            client.send({"type": "error", "error": str(exc)})

    # ---- snapshots and replays ----------------------------------------------------------

    def _subscribe(self, client: Client, topic: Topic, since: int | None) -> None:
        if topic.channel == "book":
            book = self._book(topic.market or 0)
            client.topics[topic] = book.sequence
            client.send({"type": "snapshot", **topic.key(), "sequence": book.sequence,
                         "bids": sorted(([p, q] for p, q in book.bids.items()), key=lambda l: -int(l[0])),
                         "asks": sorted(([p, q] for p, q in book.asks.items()), key=lambda l: int(l[0]))})
            return
        if since is not None and topic.channel != "balances" and self._replay(client, topic, since):
            return
        client.topics[topic] = self._last_event_id
        client.send({"type": "snapshot", **topic.key(), "seq": self._last_event_id, **self._snapshot(topic)})

    def _replay(self, client: Client, topic: Topic, since: int) -> bool:
        """Sends the topic's events after `since` as updates; False if that is too far back."""
        if since > self._last_event_id:
            return False
        rows = [row for row in self._store.events_after(since, MAX_REPLAY + 1) if row[0] <= self._last_event_id]
        if len(rows) > MAX_REPLAY:
            client.send({"type": "error", **topic.key(), "error": f"cannot resume from {since}: more than {MAX_REPLAY} events ago; here is a snapshot"})
            return False
        client.topics[topic] = since
        client.send({"type": "resumed", **topic.key(), "since": since})
        for row in rows:
            if topic.matches(row[1]):
                self._update(client, topic, *row)
        return True

    def _snapshot(self, topic: Topic) -> dict[str, Any]:
        before = self._last_event_id + 1
        if topic.channel == "trades":
            return {"trades": [self._trade(i, e, b, t) for i, e, b, t in self._store.trades(topic.market, None, SNAPSHOT_TRADES, before)]}
        if topic.channel == "fills":
            return {"fills": [self._trade(i, e, b, t) for i, e, b, t in self._store.trades(None, topic.trader, SNAPSHOT_TRADES, before)]}
        account = self._engine.account(bytes.fromhex((topic.trader or "")[2:]))
        if topic.channel == "balances":
            return {"balances": [decimal_strings(b) for b in account["balances"]]}
        return {"open_orders": [decimal_strings(o) for o in account["open_orders"]], "last_nonce": str(account["last_nonce"])}

    @staticmethod
    def _trade(event_id: int, event: dict[str, Any], l1_block: int, l1_timestamp: int) -> dict[str, Any]:
        return {"seq": event_id, "l1_block": l1_block, "l1_timestamp": l1_timestamp, **decimal_strings(event)}

    def _update(self, client: Client, topic: Topic, event_id: int, event: dict[str, Any], l1_block: int, l1_timestamp: int) -> None:
        message: dict[str, Any] = {
            "type": "update", **topic.key(), "prev_seq": client.topics[topic], "seq": event_id,
            "l1_block": l1_block, "l1_timestamp": l1_timestamp,
        }
        if topic.channel == "balances":
            message["balances"] = [decimal_strings(b) for b in self._engine.account(bytes.fromhex((topic.trader or "")[2:]))["balances"]]
            message["cause"] = decimal_strings(event)
        else:
            message["event"] = decimal_strings(event)
        client.topics[topic] = event_id
        self._deliver(client, message)

    def _deliver(self, client: Client, message: dict[str, Any]) -> None:
        if client.send(message) or client not in self._clients:
            return
        log.warning("market data client fell %d messages behind: disconnected", CLIENT_QUEUE)
        self._clients.discard(client)
        asyncio.get_running_loop().create_task(client.ws.close(message=b"too slow: resume from your last seq"))

    def _book(self, market: int) -> BookState:
        if market not in self._books:
            raw = self._engine.book(market, BOOK_DEPTH)  # KeyError / ValueError: unknown market
            self._books[market] = BookState(int(raw["sequence"]), _levels(raw["bids"]), _levels(raw["asks"]))
        return self._books[market]

    # ---- the poll -----------------------------------------------------------------------

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval_s)
            try:
                self.publish()
            except Exception:  # a locked database or a bug must not end the feed
                log.exception("market data poll failed")

    def publish(self) -> None:
        """Sends every client what changed since the last poll: book updates, then events."""
        self._publish_books()
        while True:
            rows = self._store.events_after(self._last_event_id, 1000)
            if not rows:
                return
            for row in rows:
                self._last_event_id = row[0]
                for client in list(self._clients):
                    for topic in list(client.topics):
                        if topic.channel != "book" and topic.matches(row[1]):
                            self._update(client, topic, *row)

    def _publish_books(self) -> None:
        markets = {t.market for c in self._clients for t in c.topics if t.channel == "book"}
        for market in markets:
            if market is None or market not in self._books:
                continue
            old = self._books[market]
            raw = self._engine.book(market, BOOK_DEPTH)
            new = BookState(int(raw["sequence"]), _levels(raw["bids"]), _levels(raw["asks"]))
            if new.sequence == old.sequence:
                continue
            bids, asks = _diff(old.bids, new.bids), _diff(old.asks, new.asks)
            self._books[market] = new
            if not bids and not asks:
                continue
            topic = Topic("book", market=market)
            for client in list(self._clients):
                if topic in client.topics:
                    self._deliver(client, {"type": "update", **topic.key(), "prev_sequence": client.topics[topic], "sequence": new.sequence, "bids": bids, "asks": asks})
                    client.topics[topic] = new.sequence

    async def start(self, _app: web.Application) -> None:
        self._task = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self, _app: web.Application) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for client in list(self._clients):
            await client.ws.close()

    @property
    def clients(self) -> int:
        return len(self._clients)

