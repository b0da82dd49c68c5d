"""Market maker: Avellaneda-Stoikov quotes (pure functions) and a bot that keeps them on the book.

Avellaneda and Stoikov, "High-frequency trading in a limit order book" (Quantitative Finance,
2008): a dealer with inventory `q`, risk aversion `γ`, a mid price of volatility `σ` and order
arrivals whose intensity decays as `A·e^(−k·δ)` with the distance `δ` from the mid quotes around

    reservation price  r = s − q·γ·σ²·(T − t)
    optimal spread     δ = γ·σ²·(T − t) + (2/γ)·ln(1 + γ/k)

so it skews both quotes away from its inventory and widens them with risk and time left. The
horizon here is rolling: `T − t` runs down over a session of `horizon_s` and starts again.
Prices are in the market's quote per base (converted to ticks at the end), quantities in base
(converted to lots).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clobnode.trader.bots.wallet import Wallet
from clobnode.trader.client import Client, ClientError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QuoteParams:
    """The model's parameters and the bot's limits."""

    gamma: float = 0.05  # risk aversion, per (quote·base)
    sigma: float = 0.5  # volatility of the mid, quote per base per √s
    k: float = 1.5  # decay of order-arrival intensity with distance from the mid, per quote
    horizon_s: float = 30.0  # T: the rolling session
    size: float = 0.5  # base per quote
    max_position: float = 5.0  # |inventory| in base beyond which the side that adds to it is pulled
    refresh_s: float = 1.0  # quotes are refreshed at least this often, and on every fill


@dataclass(frozen=True, slots=True)
class Quote:
    """Bid and ask in ticks and lots; a quantity of 0 means that side is not quoted."""

    bid_price: int
    bid_quantity: int
    ask_price: int
    ask_quantity: int


def reservation_price(mid: float, inventory: float, gamma: float, sigma: float, time_left_s: float) -> float:
    """r = s − q·γ·σ²·(T − t): the price at which the dealer is indifferent to holding `inventory`."""
    return mid - inventory * gamma * sigma**2 * time_left_s


def optimal_spread(gamma: float, sigma: float, k: float, time_left_s: float) -> float:
    """δ = γ·σ²·(T − t) + (2/γ)·ln(1 + γ/k): the total bid-ask spread."""
    return gamma * sigma**2 * time_left_s + (2 / gamma) * math.log(1 + gamma / k)


def time_left(elapsed_s: float, horizon_s: float) -> float:
    """T − t on a rolling horizon: runs from `horizon_s` down to 0, then starts again."""
    return horizon_s - (elapsed_s % horizon_s)


def quote(mid: float, inventory: float, params: QuoteParams, elapsed_s: float, tick_size: float, lot_size: float) -> Quote:
    """The bid and ask for `inventory` around `mid`: prices rounded outwards to the tick (the bid
    down, the ask up, at least one tick apart), sizes to the lot; the side that would take the
    position past `max_position` is not quoted."""
    tau = time_left(elapsed_s, params.horizon_s)
    r = reservation_price(mid, inventory, params.gamma, params.sigma, tau)
    half = optimal_spread(params.gamma, params.sigma, params.k, tau) / 2
    bid = max(1, math.floor((r - half) / tick_size))
    ask = max(bid + 1, math.ceil((r + half) / tick_size))
    lots = max(1, round(params.size / lot_size))
    bid_lots = lots if inventory + params.size <= params.max_position else 0
    ask_lots = lots if inventory - params.size >= -params.max_position else 0
    return Quote(bid, bid_lots, ask, ask_lots)


class MarketMaker:
    """Keeps an A-S quote on one market: each refresh reads its account (inventory, open
    orders), computes the quote and moves each side with a replace (new order if the old one is
    gone, cancel when the side is pulled). Refreshes on a timer and whenever it was filled."""

    def __init__(self, client: Client, wallet: Wallet, market: dict[str, Any], params: QuoteParams, mid_source: Callable[[], float]) -> None:
        self._client = client
        self._wallet = wallet
        self._market = int(market["id"])
        self._tick = float(market["tickSize"])
        self._lot = float(market["lotSize"])
        self._base = str(market["base"]["address"]).lower()
        self._base_decimals = int(market["base"]["decimals"])
        self._params = params
        self._mid = mid_source  # () -> the reference mid price, quote per base
        self._started = time.monotonic()
        self._start_base: int | None = None
        self._orders: dict[str, tuple[int, int, int]] = {}  # side -> (nonce, price, quantity) last sent
        self._last_fill: int | None = None
        self._next_refresh = 0.0

    def inventory(self, account: dict[str, Any]) -> float:
        """Base held now minus base held at the first refresh (available + locked), in base units."""
        held = next((int(b["available"]) + int(b["locked"]) for b in account["balances"] if str(b["token"]).lower() == self._base), 0)
        if self._start_base is None:
            self._start_base = held
        return float(held - self._start_base) / float(10**self._base_decimals)

    def was_filled(self) -> bool:
        trades = self._client.trades(self._market, self._wallet.address, limit=1)
        newest = int(trades[0]["seq"]) if trades else 0
        filled, self._last_fill = self._last_fill is not None and newest != self._last_fill, newest
        return filled

    def step(self) -> None:
        """Refresh if the timer ran out or a fill came in."""
        now = time.monotonic()
        if now >= self._next_refresh or self.was_filled():
            self.refresh()
            self._next_refresh = now + self._params.refresh_s

    def refresh(self) -> Quote:
        account = self._client.account_of(self._wallet.address)
        open_nonces = {int(o["nonce"]) for o in account.get("openOrders", [])}
        last_nonce = int(account["lastNonce"])
        target = quote(float(self._mid()), self.inventory(account), self._params, time.monotonic() - self._started, self._tick, self._lot)
        for side, price, quantity in (("buy", target.bid_price, target.bid_quantity), ("sell", target.ask_price, target.ask_quantity)):
            self._move(side, price, quantity, open_nonces, last_nonce)
        return target

    def _move(self, side: str, price: int, quantity: int, open_nonces: set[int], last_nonce: int) -> None:
        sent = self._orders.get(side)
        resting = sent is not None and sent[0] in open_nonces
        in_flight = sent is not None and sent[0] > last_nonce  # sent, not yet applied: leave it be
        if in_flight or (resting and sent is not None and sent[1:] == (price, quantity)):
            return
        try:
            if quantity == 0:
                if resting and sent is not None:
                    self._client.submit(self._wallet.cancel(self._market, sent[0]))
                self._orders.pop(side, None)
                return
            expiry = int(time.time()) + 300
            if resting and sent is not None:
                nonce, envelope = self._wallet.replace(self._market, sent[0], price, quantity)
            else:
                nonce, envelope = self._wallet.order(self._market, side, price, quantity, expiry=expiry, time_in_force="post_only")
            self._client.submit(envelope)
            self._orders[side] = (nonce, price, quantity)
        except ClientError as exc:  # a refusal (the order filled meanwhile, a post-only cross): next refresh
            log.debug("market maker %s %s: %s", side, price, exc)
            self._orders.pop(side, None)
