"""Client: a trader's Python client of a clobnode API (the CLI and the load bots use it).

It signs every message with the trader's key (EIP-712, `signing.py`), picks nonces, gives orders
a short default expiry, and turns every failure into a `ClientError` with one readable line: an
unreachable node, a refusal with its reason, a malformed answer.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from eth_account.signers.local import LocalAccount

from clobnode.api.models import (
    ORDER_TYPES,
    SELF_TRADE_PREVENTION,
    SIDES,
    TIMES_IN_FORCE,
)
from clobnode.errors import ClobnodeError
from clobnode.exchange.signing import (
    signed_cancel,
    signed_cancel_all,
    signed_order,
    signed_replace,
)
from clobnode.hexbytes import to_hex

#: Orders die by themselves this long after signing unless told otherwise (PROTOCOL.md section 5).
DEFAULT_EXPIRES_IN_S = 300
ALL_MARKETS = 2**32 - 1


class ClientError(ClobnodeError):
    """The node could not be reached, refused the request (`reason`, `status`), or answered badly."""

    def __init__(self, message: str, reason: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


class Client:
    """One trader (or none, for reading) talking to one node's API."""

    def __init__(self, api_url: str, account: LocalAccount | None = None, timeout_s: float = 10.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.account = account
        self._timeout_s = timeout_s
        self._domain: tuple[int, str] | None = None
        self._last_nonce = 0

    # ---- transport ----------------------------------------------------------------------

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api_url + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read() or b"{}")
            except ValueError:
                answer = {}
            reason = answer.get("reason")
            raise ClientError(f"refused ({exc.code}{' ' + reason if reason else ''}): {answer.get('error', exc.reason)}", reason, exc.code) from None
        except (urllib.error.URLError, OSError) as exc:
            why = getattr(exc, "reason", exc)
            raise ClientError(f"cannot reach the node at {self.api_url}: {why}") from None
        except ValueError as exc:
            raise ClientError(f"the node at {self.api_url} answered with something that is not JSON: {exc}") from None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    # ---- reading ------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return self.get("/status")  # type: ignore[no-any-return]

    def markets(self) -> list[dict[str, Any]]:
        return self.get("/markets")["markets"]  # type: ignore[no-any-return]

    def book(self, market: int = 0, depth: int = 20) -> dict[str, Any]:
        return self.get(f"/book?market={market}&depth={depth}")  # type: ignore[no-any-return]

    def account_of(self, trader: str | None = None) -> dict[str, Any]:
        return self.get(f"/accounts/{trader or self._me().address}")  # type: ignore[no-any-return]

    def orders(self, trader: str | None = None, nonce: int | None = None, market: int | None = None) -> Any:
        query = f"/orders?trader={trader or self._me().address}"
        query += "" if nonce is None else f"&nonce={nonce}"
        query += "" if market is None else f"&market={market}"
        return self.get(query)

    def submission(self, submission_id: int) -> dict[str, Any]:
        return self.get(f"/orders/{submission_id}")  # type: ignore[no-any-return]

    def trades(self, market: int | None = None, trader: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        query = f"/trades?limit={limit}" + ("" if market is None else f"&market={market}") + ("" if trader is None else f"&trader={trader}")
        return self.get(query)["trades"]  # type: ignore[no-any-return]

    # ---- signing and sending ------------------------------------------------------------

    def _me(self) -> LocalAccount:
        if self.account is None:
            raise ClientError("this needs a trader key (CLOBNODE_TRADER_KEY, or a keystore)")
        return self.account

    def domain(self) -> tuple[int, str]:
        """(chain id, Inbox address): the EIP-712 domain of this node's deployment."""
        if self._domain is None:
            status = self.status()
            self._domain = (int(status["chainId"]), str(status["contracts"]["inbox"]))
        return self._domain

    def next_nonce(self) -> int:
        """Above the trader's last nonce on the node, above every nonce this client used, and
        time-based (milliseconds), so that messages sent in a row keep increasing."""
        last = int(self.account_of()["lastNonce"])
        self._last_nonce = max(last + 1, self._last_nonce + 1, time.time_ns() // 1_000_000)
        return self._last_nonce

    def submit(self, envelope: bytes) -> dict[str, Any]:
        return self.request("POST", "/orders", {"envelope": to_hex(envelope)})  # type: ignore[no-any-return]

    def submit_batch(self, envelopes: list[bytes]) -> list[dict[str, Any]]:
        """Submits signed messages in one request (at most the node's `maxBatch`, 100 by
        default), admitted in their order; one result each: `code`, and `accepted` (as `submit`
        answers) or `refused` (`error`, `reason`)."""
        answer = self.request("POST", "/orders/batch", {"orders": [{"envelope": to_hex(e)} for e in envelopes]})
        return answer["results"]  # type: ignore[no-any-return]

    def sign_order(
        self, market: int, side: str, price: int, quantity: int, *, nonce: int | None = None, expiry: int | None = None,
        order_type: str = "limit", time_in_force: str = "gtc", self_trade_prevention: str = "cancel_taker",
        trigger_price: int = 0, display_quantity: int = 0, client_order_id: int = 0,
    ) -> tuple[int, bytes]:
        """(nonce, signed envelope) of an order, ready for the API or the Inbox."""
        chain_id, inbox = self.domain()
        nonce = self.next_nonce() if nonce is None else nonce
        expiry = int(time.time()) + DEFAULT_EXPIRES_IN_S if expiry is None else expiry
        try:
            options = {
                "order_type": ORDER_TYPES[order_type], "time_in_force": TIMES_IN_FORCE[time_in_force],
                "stp": SELF_TRADE_PREVENTION[self_trade_prevention], "trigger_price": trigger_price,
                "display_quantity": display_quantity, "client_order_id": client_order_id,
            }
            side_number = SIDES[side]
        except KeyError as exc:
            raise ClientError(f"unknown value {exc}") from None
        envelope = signed_order(self._me(), chain_id, inbox, market=market, side=side_number, price=price, quantity=quantity,
                                nonce=nonce, expiry=expiry, **options)
        return nonce, envelope

    def order(self, market: int, side: str, price: int, quantity: int, **terms: Any) -> dict[str, Any]:
        """Signs and submits an order (`terms`: those of `sign_order`); the answer carries its
        submission id and nonce."""
        return self.submit(self.sign_order(market, side, price, quantity, **terms)[1])

    def sign_cancel(self, market: int, order_nonce: int) -> bytes:
        chain_id, inbox = self.domain()
        return signed_cancel(self._me(), chain_id, inbox, market=market, order_nonce=order_nonce)

    def cancel(self, market: int, order_nonce: int) -> dict[str, Any]:
        return self.submit(self.sign_cancel(market, order_nonce))

    def cancel_all(self, market: int = ALL_MARKETS, nonce: int | None = None) -> dict[str, Any]:
        chain_id, inbox = self.domain()
        nonce = self.next_nonce() if nonce is None else nonce
        return self.submit(signed_cancel_all(self._me(), chain_id, inbox, market=market, nonce=nonce))

    def replace(self, market: int, order_nonce: int, price: int, quantity: int, nonce: int | None = None) -> dict[str, Any]:
        chain_id, inbox = self.domain()
        nonce = self.next_nonce() if nonce is None else nonce
        return self.submit(signed_replace(self._me(), chain_id, inbox, market=market, order_nonce=order_nonce, nonce=nonce, price=price, quantity=quantity))
