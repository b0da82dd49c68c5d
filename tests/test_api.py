"""The REST API: bad requests get clear errors and change nothing; good orders are persisted before the ack."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from clobnode.api.admission import Admission, RateLimiter
from clobnode.api.app import INTAKE, ApiContext, make_app
from clobnode.config import AdmissionConfig
from clobnode.dev.devnet import DEV_PRIVATE_KEYS
from clobnode.exchange.engine import Engine, devnet_markets
from clobnode.exchange.signing import order_typed_data, signed_order
from clobnode.l1.derivation import KIND_DEPOSIT, InboxEntry
from clobnode.service import ApiServer
from clobnode.storage.store import ApiSubmission, Store
from eth_account import Account
from feed_client import FeedListener
from waiting import until

CHAIN_ID = 31337
INBOX = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
TRADER = Account.from_key(DEV_PRIVATE_KEYS[1])


BASE, QUOTE = b"\x01" * 20, b"\x02" * 20
FUNDS = 10**12  # quote atoms: 10^5 lots at price 100 (10 atoms a tick), the _envelope() order 5,000


def _deposit(engine: Engine, trader: str, token: bytes, amount: int) -> None:
    """A Vault deposit applied as the node applies derived entries (the vault is address zero here)."""
    index, _ = engine.inbox_position()
    payload = bytes.fromhex(trader[2:]) + token + amount.to_bytes(32, "big")
    engine.apply([InboxEntry(index, KIND_DEPOSIT, bytes(20), 1, int(time.time()), payload, bytes(32))], {})


TRADERS = [Account.from_key(key) for key in DEV_PRIVATE_KEYS[1:7]]


@pytest.fixture
def api_server(tmp_path: Path) -> Iterator[tuple[ApiServer, Store]]:
    engine = Engine.genesis(CHAIN_ID, bytes.fromhex(INBOX[2:]), bytes(20), devnet_markets(BASE, QUOTE))
    for trader in TRADERS:
        _deposit(engine, trader.address, QUOTE, FUNDS)
    store = Store(tmp_path / "api.sqlite")
    config = AdmissionConfig(max_pending_per_trader=8, rate_per_s=1_000, burst=1_000)
    context = ApiContext(
        engine, store, CHAIN_ID, bytes.fromhex(INBOX[2:]), status=lambda: {"inbox_next_index": 0, "l1_block": None, "last_verified_batch": None},
        admission=Admission(engine, store, config), limiter=RateLimiter(config.rate_per_s, config.burst),
    )
    server = ApiServer(make_app(context), "127.0.0.1", 0)
    server.start()
    yield server, store
    server.stop()


@pytest.fixture
def api(api_server: tuple[ApiServer, Store]) -> tuple[str, Store]:
    server, store = api_server
    return f"http://127.0.0.1:{server.port}", store


def _request(url: str, body: bytes | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _post(url: str, body: Any) -> tuple[int, Any]:
    return _request(url + "/orders", json.dumps(body).encode())


def _envelope(**overrides: int) -> bytes:
    order = {"market": 0, "side": 0, "price": 100, "quantity": 5, "nonce": 1, "expiry": 0} | overrides
    return signed_order(TRADER, CHAIN_ID, INBOX, **order)


def test_signed_order_is_persisted_then_acknowledged(api: tuple[str, Store]) -> None:
    url, store = api
    status, body = _post(url, {"envelope": "0x" + _envelope().hex()})
    assert status == 202 and body["status"] == "pending"
    assert [envelope for _, envelope in store.pending_api_orders(10)] == [_envelope()]
    assert _request(f"{url}/orders/{body['id']}")[1]["status"] == "pending"


def test_resubmitted_order_is_a_duplicate_not_a_second_order(api: tuple[str, Store]) -> None:
    url, store = api
    _post(url, {"envelope": "0x" + _envelope().hex()})
    status, body = _post(url, {"envelope": "0x" + _envelope().hex()})
    assert (status, body["status"]) == (200, "duplicate")
    assert len(store.pending_api_orders(10)) == 1


def test_order_fields_with_a_wallet_signature_are_accepted(api: tuple[str, Store]) -> None:
    url, _ = api
    fields = {"market": 0, "side": 0, "price": 7, "quantity": 3, "nonce": 9, "expiry": 0}
    typed = order_typed_data(CHAIN_ID, INBOX, TRADER.address, **fields)
    signature = TRADER.sign_typed_data(full_message=typed).signature
    status, body = _post(url, {"trader": TRADER.address, "order": fields, "signature": "0x" + bytes(signature).hex()})
    assert status == 202, body


@pytest.mark.parametrize(
    "body, message",
    [
        ({"envelope": "0x1234"}, "malformed"),
        ({"envelope": "not hex"}, "hex"),
        ({"trader": "0x00", "order": {}, "signature": "0x"}, "20 bytes"),
        ({"trader": TRADER.address, "order": {"market": 0, "side": 0, "price": 2**64, "quantity": 1, "nonce": 1}, "signature": "0x" + "00" * 65}, "price"),
        ([1, 2, 3], "JSON object"),
    ],
)
def test_malformed_requests_get_a_clear_error_and_store_nothing(api: tuple[str, Store], body: Any, message: str) -> None:
    url, store = api
    status, answer = _post(url, body)
    assert status == 400
    assert message in answer["error"].lower() or message in answer["error"]
    assert store.pending_api_orders(10) == []


def test_order_signed_by_someone_else_is_refused(api: tuple[str, Store]) -> None:
    url, store = api
    forged = bytearray(_envelope())
    forged[:20] = bytes.fromhex(Account.from_key(DEV_PRIVATE_KEYS[2]).address[2:])
    status, answer = _post(url, {"envelope": "0x" + forged.hex()})
    assert status == 400 and "signature" in answer["error"]
    assert store.pending_api_orders(10) == []


def test_body_that_is_not_json_is_refused(api: tuple[str, Store]) -> None:
    url, _ = api
    status, answer = _request(url + "/orders", b"{not json")
    assert status == 400 and "JSON" in answer["error"]


def test_book_and_account_views_answer_on_a_fresh_exchange(api: tuple[str, Store]) -> None:
    url, _ = api
    assert _request(url + "/book")[1] == {"market": 0, "bids": [], "asks": [], "sequence": len(TRADERS)}  # one deposit each
    account = _request(f"{url}/accounts/{Account.create().address}")[1]
    assert account["balances"] == [] and account["lastNonce"] == "0"
    funded = _request(f"{url}/accounts/{TRADER.address}")[1]
    assert funded["balances"] == [{"token": "0x" + QUOTE.hex(), "available": str(FUNDS), "locked": "0"}]
    assert _request(url + "/accounts/0x1234")[0] == 400
    assert _request(url + "/book?market=x")[0] == 400


def test_metrics_are_prometheus_text(api: tuple[str, Store]) -> None:
    url, _ = api
    _post(url, {"envelope": "0x" + _envelope().hex()})
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    assert 'clobnode_api_submissions_total{outcome="ADMITTED"} 1.0' in text
    assert "clobnode_inbox_next_index 0.0" in text and "clobnode_settlement_lag_entries 0.0" in text
    assert "process_resident_memory_bytes" in text and "# TYPE clobnode_events_total counter" in text


def test_dashboard_page_is_served(api: tuple[str, Store]) -> None:
    url, _ = api
    with urllib.request.urlopen(url + "/", timeout=10) as response:
        page = response.read().decode()
    assert "<title>clobnode</title>" in page and 'op: "subscribe", channel: "book"' in page


# ---- admission control: what the node spends blob gas on ----------------------------------


def test_unfunded_traders_are_refused_before_any_blob(api: tuple[str, Store]) -> None:
    url, store = api
    for _ in range(30):
        stranger = Account.create()
        envelope = signed_order(stranger, CHAIN_ID, INBOX, market=0, side=0, price=100, quantity=5, nonce=1)
        status, answer = _post(url, {"envelope": "0x" + envelope.hex()})
        assert (status, answer["reason"]) == (422, "INSUFFICIENT_BALANCE"), answer
    assert store.pending_api_orders(100) == []


@pytest.mark.parametrize(
    "order, reason",
    [
        ({"market": 7}, "UNKNOWN_MARKET"),
        ({"quantity": 2**64 - 1, "price": 2**64 - 1}, "AMOUNT_OVERFLOW"),
        ({"quantity": 2**64 - 1}, "INSUFFICIENT_BALANCE"),
        ({"price": 0}, "INVALID_AMOUNT"),
        ({"expiry": 1}, "EXPIRED"),
        ({"order_type": 1}, "INVALID_ORDER"),  # a market order that may rest (GTC)
    ],
)
def test_orders_the_engine_would_reject_are_refused_with_its_reason(api: tuple[str, Store], order: dict[str, int], reason: str) -> None:
    url, store = api
    status, answer = _post(url, {"envelope": "0x" + _envelope(**order).hex()})
    assert (status, answer["reason"]) == (422, reason), answer
    assert store.pending_api_orders(10) == []


def test_pending_orders_hold_the_balance_they_will_lock(api: tuple[str, Store]) -> None:
    url, _ = api
    lots = FUNDS // (100 * 10) // 2  # half the funds at price 100
    assert _post(url, {"envelope": "0x" + _envelope(quantity=lots, nonce=1).hex()})[0] == 202
    assert _post(url, {"envelope": "0x" + _envelope(quantity=lots, nonce=2).hex()})[0] == 202
    status, answer = _post(url, {"envelope": "0x" + _envelope(quantity=1, nonce=3).hex()})
    assert (status, answer["reason"]) == (422, "INSUFFICIENT_BALANCE")


def test_the_waiting_summary_sums_up_the_traders_messages_not_yet_applied(tmp_path: Path) -> None:
    store = Store(tmp_path / "node.sqlite")
    t = TRADER.address.lower()
    rows = [  # (message, nonce, lock token, lock amount)
        ("order", 3, "0xbase", 10), ("order", 5, "0xquote", 7), ("cancel", 2, None, 0), ("order", 6, "0xquote", 1),
    ]
    ids = [store.add_api_order(b"e%d" % n, ApiSubmission(t, m, 0, nonce, 0, token, amount))[0] for n, (m, nonce, token, amount) in enumerate(rows)]
    store.set_api_orders_status(ids[:1], "posted", "0x01")  # posted, and applied below (nonce 3 <= 4)
    store.drop_api_orders([(ids[3], "INSUFFICIENT_BALANCE")])
    summary = store.waiting_summary(t, above_nonce=4)
    assert (summary.count, summary.highest_nonce, summary.locks, summary.through_id) == (2, 5, {"0xquote": 7}, ids[-1])
    assert summary.count == len(store.in_flight_api_orders(t, 4))


def test_a_dropped_message_frees_its_lock_and_its_place(api: tuple[str, Store]) -> None:
    """Admission keeps each trader's waiting messages summed up; a status changed in the store
    (here: the proposer drops one) is seen by the next message."""
    url, store = api
    lots = FUNDS // (100 * 10) // 2
    first = _post(url, {"envelope": "0x" + _envelope(quantity=lots, nonce=1).hex()})[1]["id"]
    assert _post(url, {"envelope": "0x" + _envelope(quantity=lots, nonce=2).hex()})[0] == 202
    assert _post(url, {"envelope": "0x" + _envelope(quantity=lots, nonce=3).hex()})[1]["reason"] == "INSUFFICIENT_BALANCE"
    store.drop_api_orders([(first, "INSUFFICIENT_BALANCE")])
    assert _post(url, {"envelope": "0x" + _envelope(quantity=lots, nonce=4).hex()})[0] == 202
    assert _post(url, {"envelope": "0x" + _envelope(quantity=1, nonce=5).hex()})[1]["reason"] == "INSUFFICIENT_BALANCE"


def test_a_nonce_must_be_above_the_traders_waiting_messages(api: tuple[str, Store]) -> None:
    url, _ = api
    assert _post(url, {"envelope": "0x" + _envelope(nonce=5).hex()})[0] == 202
    status, answer = _post(url, {"envelope": "0x" + _envelope(nonce=4, price=101).hex()})
    assert (status, answer["reason"]) == (409, "NONCE_NOT_FRESH")


def test_a_trader_has_a_bounded_number_of_waiting_messages(api: tuple[str, Store]) -> None:
    url, _ = api
    for nonce in range(1, 9):
        assert _post(url, {"envelope": "0x" + _envelope(nonce=nonce, quantity=1).hex()})[0] == 202
    status, answer = _post(url, {"envelope": "0x" + _envelope(nonce=9, quantity=1).hex()})
    assert (status, answer["reason"]) == (429, "TOO_MANY_PENDING")


def test_a_client_over_its_rate_is_told_to_slow_down() -> None:
    clock = [0.0]
    limiter = RateLimiter(rate_per_s=2, burst=3, clock=lambda: clock[0])
    assert [limiter.allow("1.2.3.4") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("5.6.7.8")
    clock[0] = 0.5
    assert limiter.allow("1.2.3.4") and not limiter.allow("1.2.3.4")


def test_markets_trades_and_order_lookups_answer_on_a_fresh_exchange(api: tuple[str, Store]) -> None:
    url, _ = api
    assert _request(url + "/trades?market=0")[1]["trades"] == []
    assert _request(f"{url}/orders?trader={TRADER.address}")[1] == {"orders": []}
    status, answer = _request(f"{url}/orders?trader={TRADER.address}&nonce=1")
    assert (status, answer["reason"]) == (404, "UNKNOWN_ORDER")
    assert _request(url + "/orders?trader=0x12")[0] == 400


def test_fields_carry_the_signed_names_and_unknown_ones_are_refused(api: tuple[str, Store]) -> None:
    url, store = api
    fields = {"market": 0, "side": "buy", "price": "7", "quantity": 3, "nonce": 11, "timeInForce": "post_only", "clientOrderId": "99"}
    typed = order_typed_data(CHAIN_ID, INBOX, TRADER.address, market=0, side=0, price=7, quantity=3, nonce=11, time_in_force=3, client_order_id=99)
    signature = "0x" + bytes(TRADER.sign_typed_data(full_message=typed).signature).hex()
    status, body = _post(url, {"trader": TRADER.address, "order": fields, "signature": signature})
    assert (status, body["clientOrderId"], body["nonce"]) == (202, "99", "11"), body
    snake = {**fields, "client_order_id": 99, "nonce": 12}
    status, body = _post(url, {"trader": TRADER.address, "order": snake, "signature": signature})
    assert status == 400 and body["error"].startswith("order.client_order_id: is not a field"), body
    status, body = _post(url, {"envelope": "0x" + _envelope().hex(), "order": fields})
    assert status == 400 and "either envelope" in body["error"]
    assert len(store.pending_api_orders(10)) == 1


def test_openapi_document_describes_every_route_and_model(api: tuple[str, Store]) -> None:
    url, _ = api
    document = _request(url + "/openapi.json")[1]
    assert document["openapi"].startswith("3.1")
    assert {"/orders", "/orders/{id}", "/markets", "/book", "/trades", "/accounts/{address}", "/status"} <= set(document["paths"])
    order = document["components"]["schemas"]["OrderFields"]
    assert order["additionalProperties"] is False and "clientOrderId" in order["properties"] and "timeInForce" in order["properties"]
    assert document["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SubmitRequest"}
    assert "429" in document["paths"]["/orders"]["post"]["responses"]


def test_orders_sent_at_once_are_written_together_each_acknowledged_once_on_disk(api_server: tuple[ApiServer, Store]) -> None:
    """Group commit: many traders at once, one fsync for several orders; every 202 is a stored row."""
    server, store = api_server
    url = f"http://127.0.0.1:{server.port}"

    def send(trader: Any) -> list[tuple[int, Any]]:
        return [
            _post(url, {"envelope": "0x" + signed_order(trader, CHAIN_ID, INBOX, market=0, side=0, price=100, quantity=1, nonce=n, expiry=0).hex()})
            for n in range(1, 9)
        ]

    with ThreadPoolExecutor(len(TRADERS)) as pool:
        answers = [a for answers in pool.map(send, TRADERS) for a in answers]
    assert [status for status, _ in answers] == [202] * 48
    ids = {body["id"] for _, body in answers}
    assert len(ids) == 48 and store.db.execute("SELECT COUNT(*) FROM api_orders").fetchone()[0] == 48
    intake = server._app[INTAKE]
    assert intake.written == 48 and intake.writes < 48  # some orders shared a transaction


def test_one_nonce_sent_twice_at_once_is_admitted_once_and_one_envelope_stored_once(api: tuple[str, Store]) -> None:
    url, store = api
    first, second = _envelope(nonce=7, price=100), _envelope(nonce=7, price=101)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda e: _post(url, {"envelope": "0x" + e.hex()}), [first, second]))
    assert sorted(status for status, _ in answers) == [202, 409]
    assert {body.get("reason") for status, body in answers if status == 409} == {"NONCE_NOT_FRESH"}
    again = _envelope(nonce=8)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda e: _post(url, {"envelope": "0x" + e.hex()}), [again, again]))
    assert len({body["id"] for _, body in answers}) == 1 and sorted(body["status"] for _, body in answers) == ["duplicate", "pending"]
    assert store.db.execute("SELECT COUNT(*) FROM api_orders WHERE nonce = 8").fetchone()[0] == 1


def test_a_feed_connection_has_bounded_subscriptions_and_requests(api: tuple[str, Store]) -> None:
    """Each subscription costs work on every event and a resume replays events: a connection may
    hold 32 and send 50 requests at once (10 a second after that); beyond, it gets an error."""
    url, _ = api
    traders = [Account.create(f"feed-{i}").address for i in range(40)]
    feed = FeedListener(url.replace("http://", "ws://") + "/ws", [{"op": "subscribe", "channel": "orders", "trader": t} for t in traders])
    try:
        until(lambda: len(feed.messages) >= 40, "an answer to each request", timeout=10, every=0.05)
    finally:
        feed.stop()
    errors = [m["error"] for m in feed.messages if m["type"] == "error"]
    assert len([m for m in feed.messages if m["type"] == "snapshot"]) == 32
    assert errors == ["at most 32 subscriptions a connection"] * 8

    flood = FeedListener(url.replace("http://", "ws://") + "/ws", [{"op": "unsubscribe", "channel": "trades", "market": 0}] * 60)
    try:
        until(lambda: len(flood.messages) >= 60, "an answer to each request", timeout=10, every=0.05)
    finally:
        flood.stop()
    refused = [m for m in flood.messages if m["type"] == "error"]
    assert 5 <= len(refused) <= 10 and all("too many requests" in m["error"] for m in refused)


# ---- batches --------------------------------------------------------------------------------


def _post_batch(url: str, envelopes: list[bytes]) -> tuple[int, Any]:
    return _request(url + "/orders/batch", json.dumps({"orders": [{"envelope": "0x" + e.hex()} for e in envelopes]}).encode())


def test_a_batch_is_admitted_in_order_each_message_answered_as_if_sent_alone(api_server: tuple[ApiServer, Store]) -> None:
    server, store = api_server
    url = f"http://127.0.0.1:{server.port}"
    forged = bytearray(_envelope(nonce=3))
    forged[:20] = bytes.fromhex(TRADERS[1].address[2:])
    status, body = _post_batch(url, [_envelope(nonce=1), _envelope(nonce=2), bytes(forged), _envelope(nonce=2, price=101), _envelope(nonce=4)])
    assert status == 200
    results = body["results"]
    assert [r["code"] for r in results] == [202, 202, 400, 409, 202]
    assert [r["refused"]["reason"] for r in results if r["code"] >= 400] == ["BAD_SIGNATURE", "NONCE_NOT_FRESH"]
    assert [r["accepted"]["nonce"] for r in results if r["code"] == 202] == ["1", "2", "4"]
    stored = [envelope for _, envelope in store.pending_api_orders(10)]
    assert stored == [_envelope(nonce=1), _envelope(nonce=2), _envelope(nonce=4)]
    assert server._app[INTAKE].writes == 1  # the whole batch in one transaction


def test_a_batch_holds_balance_and_sees_its_own_duplicates(api: tuple[str, Store]) -> None:
    url, store = api
    lots = FUNDS // (100 * 10) // 2
    first = _envelope(quantity=lots, nonce=1)
    _, body = _post_batch(url, [first, first, _envelope(quantity=lots, nonce=2), _envelope(quantity=1, nonce=3)])
    results = body["results"]
    assert [r["code"] for r in results] == [202, 200, 202, 422]
    assert results[1]["accepted"]["status"] == "duplicate" and results[1]["accepted"]["id"] == results[0]["accepted"]["id"]
    assert results[3]["refused"]["reason"] == "INSUFFICIENT_BALANCE"
    assert len(store.pending_api_orders(10)) == 2


@pytest.mark.parametrize(
    "orders, message",
    [
        ([], "1 to 100"),
        ([{"envelope": "0x" + _envelope(nonce=1).hex()}] * 101, "1 to 100"),
        ([{"envelope": "0x" + _envelope(nonce=1).hex()}, {"envelope": "nope"}], "orders.1.envelope"),
    ],
)
def test_an_empty_oversized_or_malformed_batch_is_refused_whole(api: tuple[str, Store], orders: list[Any], message: str) -> None:
    url, store = api
    status, answer = _request(url + "/orders/batch", json.dumps({"orders": orders}).encode())
    assert status == 400 and message in answer["error"], answer
    assert store.pending_api_orders(10) == []


def test_a_batch_costs_one_request_per_message_against_the_rate() -> None:
    clock = [0.0]
    limiter = RateLimiter(rate_per_s=2, burst=5, clock=lambda: clock[0])
    assert limiter.allow("1.2.3.4", 4) and not limiter.allow("1.2.3.4", 2) and limiter.allow("1.2.3.4", 1)
    clock[0] = 1.0
    assert limiter.allow("1.2.3.4", 2) and not limiter.allow("1.2.3.4")
