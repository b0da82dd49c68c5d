"""API: the node's REST interface (aiohttp) — orders in; book, accounts, fills, batches out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clobnode_core
from aiohttp import web

from .engine import Engine
from .signing import ORDER_OPTIONS
from .errors import ClobnodeError
from .exits import ExitError, Exits
from .market_data import MarketDataFeed
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
    ctx = request.app[CONTEXT]
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
        return _error("signature does not recover to trader (EIP-712 domain: clobnode/1, this chain, this Inbox)")
    order_id, is_new = ctx.store.add_api_order(envelope, decoded["trader"])
    status = 202 if is_new else 200
    return web.json_response({"id": order_id, "status": "pending" if is_new else "duplicate", "trader": decoded["trader"]}, status=status)


async def get_order(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    try:
        order = ctx.store.api_order(int(request.match_info["id"]))
    except ValueError:
        return _error("order id must be an integer")
    if order is None:
        return _error("no such order", 404)
    return web.json_response(order)


async def get_book(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    try:
        market = int(request.query.get("market", "0"))
        depth = max(1, min(int(request.query.get("depth", "20")), 500))
    except ValueError:
        return _error("market and depth must be integers")
    try:
        return web.json_response(ctx.engine.book(market, depth))
    except (KeyError, ValueError) as exc:
        return _error(f"unknown market {market}: {exc}", 404)


async def get_account(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    try:
        trader = _hex_bytes(request.match_info["address"], "address", 20)
    except ApiError as exc:
        return _error(str(exc))
    return web.json_response({"address": "0x" + trader.hex(), **ctx.engine.account(trader)})


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


async def get_fills(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    return web.json_response({"fills": ctx.store.events("fill", limit=_limit(request))})


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


def _error(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


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
    app.router.add_get("/orders/{id}", get_order)
    app.router.add_get("/accounts/{address}", get_account)
    app.router.add_get("/accounts/{address}/withdrawals", get_withdrawals)
    app.router.add_get("/accounts/{address}/escape", get_escape_proof)
    app.router.add_get("/fills", get_fills)
    app.router.add_get("/events", get_events)
    app.router.add_get("/batches", get_batches)
    return app
