"""API: the node's REST interface (aiohttp). Signed messages in (admission control); markets,
book, orders and their lifecycle, trades, accounts, batches and exits out. Every body is one of
the models in `api/models.py`, and `GET /openapi.json` describes them all (`openapi.py`)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clobnode_core
from aiohttp import web
from pydantic import BaseModel, ValidationError

from clobnode.api import models as m
from clobnode.api.admission import Admission, RateLimiter, Refusal
from clobnode.api.intake import Intake
from clobnode.api.market_data import MarketDataFeed
from clobnode.api.metrics import metrics_handler
from clobnode.api.openapi import Route, openapi_document
from clobnode.errors import ClobnodeError
from clobnode.exchange.engine import Engine
from clobnode.exchange.exits import ExitError, Exits
from clobnode.exchange.lifecycle import decimal_strings, order_status, submission_status
from clobnode.exchange.markets import MarketCatalog
from clobnode.hexbytes import to_hex
from clobnode.storage.store import ApiSubmission, Store
from clobnode.telemetry import NodeMetrics

DASHBOARD = Path(__file__).parent / "static" / "dashboard.html"
VERIFIER_THREADS = os.cpu_count() or 2  # signature checks at once: the core releases the GIL


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
    health: Callable[[], dict[str, Any]] = lambda: {"live": True, "ready": True, "failures": 0, "last_error": None}
    metrics: NodeMetrics | None = None  # the node's; an API without a node gets its own


CONTEXT = web.AppKey("context", ApiContext)
INTAKE = web.AppKey("intake", Intake)
VERIFIERS = web.AppKey("verifiers", ThreadPoolExecutor)
METRICS = web.AppKey("metrics", NodeMetrics)


def respond(model: type[BaseModel], data: dict[str, Any], status: int = 200) -> web.Response:
    """`data` (snake_case) checked against `model` and sent in its wire form (camelCase keys)."""
    body = m.camel_keys(model.model_validate(data).model_dump(by_alias=True, mode="json"))
    return web.json_response(body, status=status)


def _error(message: str, status: int = 400, reason: str = "BAD_REQUEST") -> web.Response:
    return respond(m.ErrorResponse, {"error": message, "reason": reason}, status)


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


def _validation_message(exc: ValidationError) -> str:
    """The first problem, in one line: where (camelCase path) and what."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"])
    if first["type"] == "string_pattern_mismatch":
        message = "must be 0x-prefixed hex" + (" of 20 bytes" if "{40}" in str(first.get("ctx", {}).get("pattern", "")) else "")
    elif first["type"] == "extra_forbidden":
        message = "is not a field of this request (field names are the signed message's: PROTOCOL.md section 3)"
    return f"{where}: {message}" if where else message


def envelope_from_request(body: Any) -> bytes:
    """The envelope a `SubmitRequest` body carries or describes."""
    if not isinstance(body, dict):
        raise ApiError("request body must be a JSON object")
    try:
        request = m.SubmitRequest.model_validate(body)
    except ValidationError as exc:
        raise ApiError(_validation_message(exc)) from exc
    return envelope_of(request)


def envelope_of(request: m.SubmitRequest) -> bytes:
    """The envelope a validated `SubmitRequest` carries or describes."""
    if request.envelope is not None:
        return _hex_bytes(request.envelope, "envelope")
    assert request.trader is not None and request.signature is not None
    trader = _hex_bytes(request.trader, "trader", 20)
    signature = _hex_bytes(request.signature, "signature", 65)
    if request.order is not None:
        fields = request.order.numbers()
        message = clobnode_core.encode_order(
            fields.pop("market"), fields.pop("side"), fields.pop("price"), fields.pop("quantity"), fields.pop("nonce"), fields.pop("expiry"), **fields,
        )
    elif request.cancel is not None:
        message = clobnode_core.encode_cancel(request.cancel.market, request.cancel.order_nonce)
    elif request.cancel_all is not None:
        message = clobnode_core.encode_cancel_all(request.cancel_all.market, request.cancel_all.nonce)
    else:
        r = request.replace
        assert r is not None
        message = clobnode_core.encode_replace(r.market, r.order_nonce, r.nonce, r.price, r.quantity)
    return bytes(clobnode_core.encode_envelope(trader, message, signature))


# ---- orders ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    """What the API answers about one signed message: an HTTP code and a body of `model`."""

    code: int
    model: type[BaseModel]
    body: dict[str, Any]

    @staticmethod
    def refused(message: str, code: int = 400, reason: str = "BAD_REQUEST") -> _Answer:
        return _Answer(code, m.ErrorResponse, {"error": message, "reason": reason})

    def response(self) -> web.Response:
        return respond(self.model, self.body, self.code)


_BAD_SIGNATURE = "signature does not recover to trader (EIP-712 domain: clobnode/1, this chain, this Inbox)"


def _gate(request: web.Request, messages: int) -> web.Response | None:
    """503 while the node is not following L1, 429 once the client has sent more than its rate
    (a batch costs one request per message); None to go on."""
    ctx = request.app[CONTEXT]
    health = ctx.health()
    if not health["ready"]:
        return _error(f"the node is not following L1 right now ({health['last_error'] or 'starting'}); nothing was accepted, try again", 503, "NODE_NOT_READY")
    if not ctx.limiter.allow(request.remote or "?", messages):
        return _error("too many requests from this client", 429, "RATE_LIMITED")
    return None


def _admit(request: web.Request, envelope: bytes, decoded: clobnode_core.DecodedEnvelope, verified: bool) -> _Answer | tuple[ApiSubmission | None, asyncio.Future[tuple[int, bool]]]:
    """A signature-checked message admitted (its submission and the write it waits for), found
    on its way already (None and that write), or refused (an answer). Synchronous: the next
    message admitted sees this one waiting."""
    ctx = request.app[CONTEXT]
    if not verified:
        return _Answer.refused(_BAD_SIGNATURE, 400, "BAD_SIGNATURE")
    intake = request.app[INTAKE]
    existing = ctx.store.api_order_id(envelope)
    if existing is not None:
        return _Answer(200, m.SubmitResponse, {"id": existing, "status": "duplicate", "trader": decoded["trader"]})
    queued = intake.queued(envelope)
    if queued is not None:
        return None, queued
    try:
        submission = ctx.admission.admit(envelope, intake.waiting)
    except Refusal as refusal:
        _count(request, refusal.reason)
        return _Answer.refused(refusal.detail, refusal.status, refusal.reason)
    _count(request, "ADMITTED")
    return submission, intake.enqueue(envelope, submission)


async def _written(decoded: clobnode_core.DecodedEnvelope, admitted: _Answer | tuple[ApiSubmission | None, asyncio.Future[tuple[int, bool]]]) -> _Answer:
    """The answer once the admitted message is on disk (group commit): 202 with its id."""
    if isinstance(admitted, _Answer):
        return admitted
    submission, write = admitted
    order_id, is_new = await asyncio.shield(write)
    if submission is None or not is_new:  # found on its way, or on disk already when written
        return _Answer(200, m.SubmitResponse, {"id": order_id, "status": "duplicate", "trader": decoded["trader"]})
    return _Answer(202, m.SubmitResponse, {
        "id": order_id, "status": "pending", "trader": submission.trader, "message": submission.message,
        "market": submission.market, "nonce": str(submission.nonce), "client_order_id": str(submission.client_order_id),
    })


async def post_order(request: web.Request) -> web.Response:
    """Admits a signed message: 202 with its id, or 4xx with a machine-readable `reason`."""
    ctx = request.app[CONTEXT]
    if (refused := _gate(request, 1)) is not None:
        return refused
    try:
        body = await request.json()
    except ValueError:
        return _error("request body is not JSON")
    try:
        envelope = envelope_from_request(body)
        decoded = clobnode_core.decode_envelope(envelope)
    except (ApiError, ValueError) as exc:
        return _error(str(exc))
    # The signature is checked on a worker thread (the core releases the GIL), so that requests
    # are verified on every core while this loop serves the others.
    verified = await asyncio.get_running_loop().run_in_executor(request.app[VERIFIERS], clobnode_core.verify_envelope, ctx.chain_id, ctx.inbox, envelope)
    answer = await _written(decoded, _admit(request, envelope, decoded, verified))
    return answer.response()


async def post_orders_batch(request: web.Request) -> web.Response:
    """Admits up to `max_batch` signed messages in one request, in their order (a later one sees
    the earlier ones waiting, as if sent one by one): 200 with one result per message, each with
    the code and body `POST /orders` would have answered."""
    ctx = request.app[CONTEXT]
    try:
        body = await request.json()
    except ValueError:
        return _error("request body is not JSON")
    try:
        batch = m.BatchSubmitRequest.model_validate(body)
    except ValidationError as exc:
        return _error(_validation_message(exc))
    limit = ctx.admission.config.max_batch
    if not 1 <= len(batch.orders) <= limit:
        return _error(f"orders: send 1 to {limit} signed messages, got {len(batch.orders)}")
    if (refused := _gate(request, len(batch.orders))) is not None:
        return refused
    decoded: list[tuple[bytes, clobnode_core.DecodedEnvelope] | _Answer] = []
    for item in batch.orders:
        try:
            envelope = envelope_of(item)
            decoded.append((envelope, clobnode_core.decode_envelope(envelope)))
        except (ApiError, ValueError) as exc:
            decoded.append(_Answer.refused(str(exc)))
    envelopes = [d[0] for d in decoded if not isinstance(d, _Answer)]
    verified = iter(await _verify_all(request, envelopes))
    admitted = [d if isinstance(d, _Answer) else (d[1], _admit(request, d[0], d[1], next(verified))) for d in decoded]
    answers = [a if isinstance(a, _Answer) else await _written(*a) for a in admitted]
    return respond(m.BatchSubmitResponse, {"results": [{"code": a.code, **({"accepted": a.body} if a.code < 300 else {"refused": a.body})} for a in answers]})


async def _verify_all(request: web.Request, envelopes: list[bytes]) -> list[bool]:
    """Every envelope's signature check, split over the worker threads (one core each)."""
    ctx = request.app[CONTEXT]
    if not envelopes:
        return []
    verifiers = request.app[VERIFIERS]
    size = -(-len(envelopes) // VERIFIER_THREADS)
    loop = asyncio.get_running_loop()
    parts = await asyncio.gather(*(
        loop.run_in_executor(verifiers, clobnode_core.verify_envelopes, ctx.chain_id, ctx.inbox, envelopes[i : i + size])
        for i in range(0, len(envelopes), size)
    ))
    return [ok for part in parts for ok in part]


def _count(request: web.Request, outcome: str) -> None:
    request.app[METRICS].submissions.labels(outcome).inc()


async def get_order(request: web.Request) -> web.Response:
    """An API submission by id, with its stage, its own outcome and its order's lifecycle."""
    ctx = request.app[CONTEXT]
    try:
        order = ctx.store.api_order(int(request.match_info["id"]))
    except ValueError:
        return _error("order id must be an integer")
    if order is None:
        return _error("no such order", 404, "UNKNOWN_ORDER")
    return respond(m.Submission, submission_status(ctx.store, order))


async def get_orders(request: web.Request) -> web.Response:
    """`?trader=0x…&nonce=N[&market=M]`: one order's lifecycle (from L1, wherever it was sent);
    `?trader=0x…`: the trader's orders, most recently active first."""
    ctx = request.app[CONTEXT]
    try:
        trader = to_hex(_hex_bytes(request.query.get("trader"), "trader", 20))
        market = _query_int(request, "market")
        nonce = _query_int(request, "nonce")
    except ApiError as exc:
        return _error(str(exc))
    if nonce is not None:
        order = order_status(ctx.store, trader, nonce, market)
        if order is None:
            return _error(f"no order {nonce} of {trader} is known to this node", 404, "UNKNOWN_ORDER")
        return respond(m.OrderStatus, order)
    orders = []
    for order_market, order_nonce in ctx.store.trader_order_keys(trader, _limit(request)):
        if market is None or order_market == market:
            found = order_status(ctx.store, trader, order_nonce, order_market)
            if found is not None:
                found["events"] = []
                orders.append(found)
    return respond(m.Orders, {"orders": orders})


# ---- market data ----------------------------------------------------------------------------


async def get_markets(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    if ctx.catalog is None:
        return _error("this node has no market catalog", 503)
    return respond(m.Markets, {"markets": ctx.catalog.markets()})


async def get_book(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    try:
        market = _query_int(request, "market") or 0
        depth = max(1, min(_query_int(request, "depth") or 20, 500))
    except ApiError as exc:
        return _error(str(exc))
    try:
        book = ctx.engine.book(market, depth)
    except (KeyError, ValueError) as exc:
        return _error(f"unknown market {market}: {exc}", 404, "UNKNOWN_MARKET")
    for side in ("bids", "asks"):
        book[side] = [{"price": str(level["price"]), "quantity": str(level["quantity"]), "orders": level["orders"]} for level in book[side]]
    return respond(m.Book, book)


async def get_trades(request: web.Request) -> web.Response:
    """Fills, newest first, with their L1 block and timestamp: `?market=`, `?trader=`, `?limit=`,
    `?before=<seq>` to page back."""
    ctx = request.app[CONTEXT]
    try:
        market = _query_int(request, "market")
        before = _query_int(request, "before")
        trader = request.query.get("trader")
        trader = None if trader is None else to_hex(_hex_bytes(trader, "trader", 20))
    except ApiError as exc:
        return _error(str(exc))
    rows = ctx.store.trades(market, trader, _limit(request), before)
    trades = [{"seq": event_id, "l1_block": block, "l1_timestamp": timestamp, **decimal_strings(fill)} for event_id, fill, block, timestamp in rows]
    return respond(m.Trades, {"trades": trades})


# ---- accounts and exits ---------------------------------------------------------------------


async def get_account(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    try:
        trader = _hex_bytes(request.match_info["address"], "address", 20)
    except ApiError as exc:
        return _error(str(exc))
    account = ctx.engine.account(trader)
    return respond(m.Account, {
        "address": to_hex(trader),
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
    return respond(m.Withdrawals, {"withdrawals": [c.as_json() for c in claims]})


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
        return respond(m.EscapeProof, ctx.exits.escape_proof(trader, token))
    except ExitError as exc:
        return _error(str(exc), 409)


# ---- the node -------------------------------------------------------------------------------


async def get_events(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    events = [decimal_strings(e) for e in ctx.store.events(request.query.get("type"), limit=_limit(request))]
    return respond(m.Events, {"events": events})


async def get_batches(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    batches = []
    for b in ctx.store.batches(limit=_limit(request)):
        batches.append({
            "id": b.id, "inbox_start": b.inbox_start, "inbox_end": b.inbox_end, "status": b.status,
            "backend": b.backend, "insecure": b.backend == "mock",
            "public_values": clobnode_core.decode_public_values(b.public_values) if b.public_values else None,
            "tx_hash": b.tx_hash, "error": b.error,
        })
    return respond(m.Batches, {"batches": batches, "verified": ctx.store.l1_batches(limit=_limit(request))})


async def get_status(request: web.Request) -> web.Response:
    return respond(m.Status, request.app[CONTEXT].status())


async def get_health(request: web.Request) -> web.Response:
    """200 when the node follows L1 (ready), 503 when not: for load balancers and supervisors."""
    health = request.app[CONTEXT].health()
    return respond(m.NodeHealth, health, 200 if health["ready"] else 503)


async def get_dashboard(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(DASHBOARD)


def _limit(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("limit", "100")), 1000))
    except ValueError:
        return 100


def _query_int(request: web.Request, key: str) -> int | None:
    value = request.query.get(key)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 20:
        raise ApiError(f"{key} must be a non-negative integer")
    return int(value)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_TRADER = ("trader", "a 20-byte address, 0x-hex")

#: Every JSON route: what `make_app` serves and what `GET /openapi.json` describes.
ROUTES: tuple[Route, ...] = (
    Route("POST", "/orders/batch", post_orders_batch, "Submit up to maxBatch signed messages at once, each admitted in turn", m.BatchSubmitResponse,
          request=m.BatchSubmitRequest, errors=(400, 429, 503)),
    Route("POST", "/orders", post_order, "Submit a signed order, cancel, cancel-all or replace", m.SubmitResponse, request=m.SubmitRequest,
          errors=(400, 409, 422, 429), status=202),
    Route("GET", "/orders/{id}", get_order, "An API submission with its stage, outcome and order", m.Submission, errors=(400, 404)),
    Route("GET", "/orders", get_orders, "One order's lifecycle (with nonce) or a trader's orders", m.OrderStatus,
          query=(_TRADER, ("nonce", "the order's nonce"), ("market", "a market id"), ("limit", "at most this many orders")),
          errors=(400, 404), alternatives=(m.Orders,)),
    Route("GET", "/markets", get_markets, "Every market: tokens, tick, lot, sizes, fees, status", m.Markets),
    Route("GET", "/book", get_book, "L2 depth with its sequence", m.Book, query=(("market", "a market id"), ("depth", "levels a side, 1..500")), errors=(400, 404)),
    Route("GET", "/trades", get_trades, "Fills, newest first", m.Trades,
          query=(("market", "a market id"), _TRADER, ("limit", "1..1000"), ("before", "only fills with a smaller seq")), errors=(400,)),
    Route("GET", "/fills", get_trades, "The same as /trades", m.Trades, query=(("market", "a market id"), _TRADER, ("limit", "1..1000"), ("before", "seq"))),
    Route("GET", "/accounts/{address}", get_account, "Balances, open orders, last nonce", m.Account, errors=(400,)),
    Route("GET", "/accounts/{address}/withdrawals", get_withdrawals, "Vault.claimWithdrawal arguments of verified withdrawals", m.Withdrawals, errors=(400, 409, 503)),
    Route("GET", "/accounts/{address}/escape", get_escape_proof, "Vault.escape arguments against the verified root", m.EscapeProof,
          query=(("token", "the token's address"),), errors=(400, 409, 503)),
    Route("GET", "/events", get_events, "Engine events, newest first", m.Events, query=(("type", "an event type"), ("limit", "1..1000"))),
    Route("GET", "/batches", get_batches, "Proven ranges and their settlement", m.Batches, query=(("limit", "1..1000"),)),
    Route("GET", "/status", get_status, "Chain, contracts, L1 cursor, inbox position, state root, prover", m.Status),
    Route("GET", "/health", get_health, "Live and ready (503 when not ready)", m.NodeHealth, errors=(503,)),
)


def make_app(context: ApiContext) -> web.Application:
    app = web.Application(client_max_size=256 * 1024)  # a full batch of field-form orders
    app[CONTEXT] = context
    metrics = context.metrics
    if metrics is None:
        metrics = NodeMetrics()
        metrics.watch(context.status)
    app[METRICS] = metrics
    feed = MarketDataFeed(context.engine, context.store)
    app.on_startup.append(feed.start)
    app.on_shutdown.append(feed.stop)
    intake = app[INTAKE] = Intake(context.store.path, context.admission.written)
    verifiers = app[VERIFIERS] = ThreadPoolExecutor(max_workers=VERIFIER_THREADS, thread_name_prefix="clobnode-verify")

    async def close_intake(_app: web.Application) -> None:
        intake.close()
        verifiers.shutdown(wait=False)

    app.on_cleanup.append(close_intake)
    document = openapi_document(ROUTES)

    async def get_openapi(_request: web.Request) -> web.Response:
        return web.json_response(document)

    app.router.add_get("/", get_dashboard)
    app.router.add_get("/ws", feed.handle)
    app.router.add_get("/metrics", metrics_handler(metrics))
    app.router.add_get("/openapi.json", get_openapi)
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
    return app
