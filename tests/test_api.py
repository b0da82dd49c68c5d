"""The REST API: bad requests get clear errors and change nothing; good orders are persisted before the ack."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from clobnode.api import ApiContext, make_app
from clobnode.devnet import DEV_PRIVATE_KEYS
from clobnode.engine import Engine, devnet_markets
from clobnode.service import ApiServer
from clobnode.signing import order_typed_data, signed_order
from clobnode.store import Store

CHAIN_ID = 31337
INBOX = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
TRADER = Account.from_key(DEV_PRIVATE_KEYS[1])


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    engine = Engine.genesis(CHAIN_ID, bytes.fromhex(INBOX[2:]), bytes(20), devnet_markets(b"\x01" * 20, b"\x02" * 20))
    store = Store(tmp_path / "api.sqlite")
    context = ApiContext(engine, store, CHAIN_ID, bytes.fromhex(INBOX[2:]), status=lambda: {"inbox_next_index": 0, "l1_block": None, "last_verified_batch": None})
    server = ApiServer(make_app(context), "127.0.0.1", 0)
    server.start()
    yield f"http://127.0.0.1:{server.port}", store
    server.stop()


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
    fields = {"market": 0, "side": 1, "price": 7, "quantity": 3, "nonce": 9, "expiry": 0}
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
    assert _request(url + "/book")[1] == {"market": 0, "bids": [], "asks": []}
    account = _request(f"{url}/accounts/{TRADER.address}")[1]
    assert account["balances"] == [] and account["last_nonce"] == 0
    assert _request(url + "/accounts/0x1234")[0] == 400
    assert _request(url + "/book?market=x")[0] == 400


def test_metrics_are_prometheus_text(api: tuple[str, Store]) -> None:
    url, store = api
    _post(url, {"envelope": "0x" + _envelope().hex()})
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    assert 'clobnode_api_orders{status="pending"} 1.0' in text
    assert "clobnode_inbox_next_index 0.0" in text


def test_dashboard_page_is_served(api: tuple[str, Store]) -> None:
    url, _ = api
    with urllib.request.urlopen(url + "/", timeout=10) as response:
        page = response.read().decode()
    assert "<title>clobnode</title>" in page and "/ws?market=0" in page
