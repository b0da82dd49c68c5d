"""API: the node's REST interface (aiohttp) — orders in; book, accounts, fills, batches out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clobnode_core
from aiohttp import web

from .admission import Admission, Refusal, RateLimiter
from .engine import Engine
from .signing import ORDER_OPTIONS
from .errors import ClobnodeError
from .exits import ExitError, Exits
from .lifecycle import decimal_strings, order_status, submission_status
from .market_data import MarketDataFeed
from .markets import MarketCatalog
from .metrics import metrics_handler
from .store import Store

DASHBOARD = Path(__file__).parent / "static" / "dashboard.html"


class ApiError(ClobnodeError):
    """A request the API refuses; becomes a 400 response with a message."""


@dataclass(frozen=True, slots=True)
class ApiContext:
    """What the API reads from (the engine and its own store connection) and the deployment it serves."""

    engine: Engine
    store: Store
    chain_id: int
    inbox: bytes
    status: Callable[[], dict[str, Any]]
    admission: Admission
    limiter: RateLimiter
    catalog: MarketCatalog | None = None
    exits: Exits | None = None


CONTEXT = web.AppKey("context", ApiContext)


def _hex_bytes(value: Any, what: str, size: int | None = None) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ApiError(f"{what} must be a 0x-prefixed hex string")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError as exc:
        raise ApiError(f"{what} is not valid hex") from exc
    if size is not None and len(raw) != size:
        raise ApiError(f"{what} must be {size} bytes, got {len(raw)}")
    return raw


def _uint(body: dict[str, Any], key: str, bits: int) -> int:
    value = body.get(key)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**bits:
        raise ApiError(f"{key} must be an integer in [0, 2^{bits})")
    return value


_ENUM_OPTIONS = ("order_type", "time_in_force", "stp")


def envelope_from_request(body: Any) -> bytes:
    """Accepts {"envelope": "0x…"} or {"trader", "order": {…}, "signature"} / {"trader", "cancel": {…}, "signature"}."""
    if not isinstance(body, dict):
        raise ApiError("request body must be a JSON object")
    if "envelope" in body:
        return _hex_bytes(body["envelope"], "envelope")
    trader = _hex_bytes(body.get("trader"), "trader", 20)
    signature = _hex_bytes(body.get("signature"), "signature", 65)
    if isinstance(body.get("order"), dict):
        o = body["order"]
        side = o.get("side")
        side = {"buy": 0, "sell": 1}.get(side, side) if isinstance(side, str) else side
        message = clobnode_core.encode_order(
            _uint(o, "market", 32), _uint({"side": side}, "side", 1), _uint(o, "price", 64),
            _uint(o, "quantity", 64), _uint(o, "nonce", 64), _uint(o, "expiry", 64) if "expiry" in o else 0,
            **{k: _uint(o, k, 8 if k in _ENUM_OPTIONS else 64) for k in ORDER_OPTIONS if k in o},
        )
    elif isinstance(body.get("cancel"), dict):
        c = body["cancel"]
        message = clobnode_core.encode_cancel(_uint(c, "market", 32), _uint(c, "order_nonce", 64))
    else:
        raise ApiError("request needs 'envelope', or 'trader' + 'order'/'cancel' + 'signature'")
    return bytes(clobnode_core.encode_envelope(trader, message, signature))


async def post_order(request: web.Request) -> web.Response:
    """Admits a signed message: 202 with its id, or 4xx with a machine-readable `reason`."""
    ctx = request.app[CONTEXT]
    if not ctx.limiter.allow(request.remote or "?"):
        return _error("too many requests from this client", 429, "RATE_LIMITED")
    try:
        body = await request.json()
    except ValueError:
        return _error("request body is not JSON")
    try:
        envelope = envelope_from_request(body)
        decoded = clobnode_core.decode_envelope(envelope)
    except (ApiError, ValueError) as exc:
        return _error(str(exc))
    if not clobnode_core.verify_envelope(ctx.chain_id, ctx.inbox, envelope):
        return _error("signature does not recover to trader (EIP-712 domain: clobnode/1, this chain, this Inbox)", 400, "BAD_SIGNATURE")
    existing = ctx.store.api_order_id(envelope)
    if existing is not None:
        return web.json_response({"id": existing, "status": "duplicate", "trader": decoded["trader"]}, status=200)
    try:
        submission = ctx.admission.admit(envelope)
    except Refusal as refusal:
        return _error(refusal.detail, refusal.status, refusal.reason)
    order_id, is_new = ctx.store.add_api_order(envelope, submission)
    return web.json_response(
        {"id": order_id, "status": "pending" if is_new else "duplicate", "trader": submission.trader, "message": submission.message,
         "market": submission.market, "nonce": str(submission.nonce), "client_order_id": str(submission.client_order_id)},
        status=202 if is_new else 200,
    )


async def get_order(request: web.Request) -> web.Response:
    """An API submission by id, with its stage, its own outcome and its order's lifecycle."""
    ctx = request.app[CONTEXT]
    try:
        order = ctx.store.api_order(int(request.match_info["id"]))
    except ValueError:
        return _error("order id must be an integer")
    if order is None:
        return _error("no such order", 404, "UNKNOWN_ORDER")
    return web.json_response(submission_status(ctx.store, order))


async def get_orders(request: web.Request) -> web.Response:
    """`?trader=0x…&nonce=N[&market=M]`: one order's lifecycle (from L1, wherever it was sent);
    `?trader=0x…`: the trader's orders, most recently active first."""
    ctx = request.app[CONTEXT]
    try:
        trader = "0x" + _hex_bytes(request.query.get("trader"), "trader", 20).hex()
        market = _query_int(request, "market")
        nonce = _query_int(request, "nonce")
    except ApiError as exc:
        return _error(str(exc))
    if nonce is not None:
        order = order_status(ctx.store, trader, nonce, market)
        if order is None:
            return _error(f"no order {nonce} of {trader} is known to this node", 404, "UNKNOWN_ORDER")
        return web.json_response(order)
    orders = []
    for order_market, order_nonce in ctx.store.trader_order_keys(trader, _limit(request)):
        if market is None or order_market == market:
            found = order_status(ctx.store, trader, order_nonce, order_market)
            if found is not None:
                found.pop("events", None)
                orders.append(found)
    return web.json_response({"orders": orders})


async def get_markets(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    if ctx.catalog is None:
        return _error("this node has no market catalog", 503)
    return web.json_response({"markets": ctx.catalog.markets()})


async def get_trades(request: web.Request) -> web.Response:
    """Fills, newest first, with their L1 block and timestamp: `?market=`, `?trader=`, `?limit=`,
    `?before=<sequence>` to page back."""
    ctx = request.app[CONTEXT]
    try:
        market = _query_int(request, "market")
        before = _query_int(request, "before")
        trader = request.query.get("trader")
        trader = None if trader is None else "0x" + _hex_bytes(trader, "trader", 20).hex()
    except ApiError as exc:
        return _error(str(exc))
    rows = ctx.store.trades(market, trader, _limit(request), before)
    trades = [{"sequence": event_id, "l1_block": block, "l1_timestamp": timestamp, **decimal_strings(fill)} for event_id, fill, block, timestamp in rows]
    return web.json_response({"trades": trades, "fills": trades})


def _query_int(request: web.Request, key: str) -> int | None:
    value = request.query.get(key)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 20:
        raise ApiError(f"{key} must be a non-negative integer")
    return int(value)


async def get_book(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    try:
        market = int(request.query.get("market", "0"))
        depth = max(1, min(int(request.query.get("depth", "20")), 500))
    except ValueError:
        return _error("market and depth must be integers")
    try:
        book = ctx.engine.book(market, depth)
    except (KeyError, ValueError) as exc:
        return _error(f"unknown market {market}: {exc}", 404, "UNKNOWN_MARKET")
    for side in ("bids", "asks"):
        book[side] = [{"price": str(level["price"]), "quantity": str(level["quantity"]), "orders": level["orders"]} for level in book[side]]
    return web.json_response(book)


async def get_account(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    try:
        trader = _hex_bytes(request.match_info["address"], "address", 20)
    except ApiError as exc:
        return _error(str(exc))
    account = ctx.engine.account(trader)
    return web.json_response({
        "address": "0x" + trader.hex(),
        "balances": [decimal_strings(b) for b in account["balances"]],
        "open_orders": [decimal_strings(o) for o in account["open_orders"]],
        "last_nonce": str(account["last_nonce"]),
    })


async def get_withdrawals(request: web.Request) -> web.Response:
    """`Vault.claimWithdrawal` arguments for every verified withdrawal of this trader."""
    ctx = request.app[CONTEXT]
    try:
        trader = _hex_bytes(request.match_info["address"], "address", 20)
    except ApiError as exc:
        return _error(str(exc))
    if ctx.exits is None:
        return _error("this node does not follow the Rollup", 503)
    try:
        claims = ctx.exits.withdrawal_claims(trader)
    except ExitError as exc:
        return _error(str(exc), 409)
    return web.json_response({"withdrawals": [c.as_json() for c in claims]})


async def get_escape_proof(request: web.Request) -> web.Response:
    """`Vault.escape` arguments for (trader, token) against the last verified state root."""
    ctx = request.app[CONTEXT]
    try:
        trader = _hex_bytes(request.match_info["address"], "address", 20)
        token = _hex_bytes(request.query.get("token"), "token", 20)
    except ApiError as exc:
        return _error(str(exc))
    if ctx.exits is None:
        return _error("this node does not follow the Rollup", 503)
    try:
        return web.json_response(ctx.exits.escape_proof(trader, token))
    except ExitError as exc:
        return _error(str(exc), 409)


async def get_events(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    return web.json_response({"events": ctx.store.events(request.query.get("type"), limit=_limit(request))})


async def get_batches(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    batches = []
    for b in ctx.store.batches(limit=_limit(request)):
        batches.append({
            "id": b.id, "inbox_start": b.inbox_start, "inbox_end": b.inbox_end, "status": b.status,
            "backend": b.backend, "insecure": b.backend == "mock",
            "public_values": clobnode_core.decode_public_values(b.public_values),
            "tx_hash": b.tx_hash, "error": b.error,
        })
    return web.json_response({"batches": batches})


async def get_status(request: web.Request) -> web.Response:
    return web.json_response(request.app[CONTEXT].status())


def _limit(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("limit", "100")), 1000))
    except ValueError:
        return 100


def _error(message: str, status: int = 400, reason: str = "BAD_REQUEST") -> web.Response:
    return web.json_response({"error": message, "reason": reason}, status=status)


async def get_dashboard(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(DASHBOARD)


def make_app(context: ApiContext) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[CONTEXT] = context
    feed = MarketDataFeed(context.engine, context.store)
    app.on_startup.append(feed.start)
    app.on_shutdown.append(feed.stop)
    app.router.add_get("/", get_dashboard)
    app.router.add_get("/ws", feed.handle)
    app.router.add_get("/metrics", metrics_handler(context.status, context.store))
    app.router.add_get("/status", get_status)
    app.router.add_get("/book", get_book)
    app.router.add_post("/orders", post_order)
    app.router.add_get("/orders", get_orders)
    app.router.add_get("/orders/{id}", get_order)
    app.router.add_get("/markets", get_markets)
    app.router.add_get("/trades", get_trades)
    app.router.add_get("/accounts/{address}", get_account)
    app.router.add_get("/accounts/{address}/withdrawals", get_withdrawals)
    app.router.add_get("/accounts/{address}/escape", get_escape_proof)
    app.router.add_get("/fills", get_trades)
    app.router.add_get("/events", get_events)
    app.router.add_get("/batches", get_batches)
    return app
