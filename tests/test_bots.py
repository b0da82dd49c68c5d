"""The bots' maths and streams: Avellaneda-Stoikov quotes, arrival processes, determinism."""

from __future__ import annotations

import math
import random

import clobnode_core
import pytest
from clobnode.exchange.signing import signed_order
from clobnode.trader.bots import population
from clobnode.trader.bots.market_maker import (
    QuoteParams,
    optimal_spread,
    quote,
    reservation_price,
    time_left,
)
from clobnode.trader.bots.replay import sign_actions
from clobnode.trader.bots.wallet import Wallet
from eth_account import Account

KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
INBOX = "0x" + "11" * 20


def test_reservation_price_is_skewed_against_inventory() -> None:
    assert reservation_price(2000.0, 0.0, 0.1, 2.0, 10.0) == 2000.0
    assert reservation_price(2000.0, 3.0, 0.1, 2.0, 10.0) == pytest.approx(2000.0 - 3 * 0.1 * 4 * 10)
    assert reservation_price(2000.0, -3.0, 0.1, 2.0, 10.0) > 2000.0


def test_optimal_spread_is_the_avellaneda_stoikov_formula() -> None:
    assert optimal_spread(0.1, 2.0, 1.5, 10.0) == pytest.approx(0.1 * 4 * 10 + (2 / 0.1) * math.log(1 + 0.1 / 1.5))
    assert optimal_spread(0.1, 2.0, 1.5, 0.0) == pytest.approx((2 / 0.1) * math.log(1 + 0.1 / 1.5))  # at the horizon


def test_time_left_runs_down_over_a_rolling_horizon() -> None:
    assert time_left(0.0, 30.0) == 30.0
    assert time_left(10.0, 30.0) == 20.0
    assert time_left(40.0, 30.0) == 20.0


def test_quote_rounds_prices_outwards_to_the_tick_and_sizes_to_the_lot() -> None:
    params = QuoteParams(gamma=0.05, sigma=0.5, k=1.5, horizon_s=30.0, size=0.5, max_position=5.0)
    q = quote(2000.0, 0.0, params, 0.0, 0.01, 0.001)
    half = optimal_spread(0.05, 0.5, 1.5, 30.0) / 2
    assert q.bid_price == math.floor((2000.0 - half) / 0.01)
    assert q.ask_price == math.ceil((2000.0 + half) / 0.01)
    assert q.bid_quantity == q.ask_quantity == 500


def test_quote_moves_down_when_long_and_up_when_short() -> None:
    params = QuoteParams()
    flat, long, short = (quote(2000.0, q, params, 0.0, 0.01, 0.001) for q in (0.0, 2.0, -2.0))
    assert long.bid_price < flat.bid_price and long.ask_price < flat.ask_price
    assert short.bid_price > flat.bid_price and short.ask_price > flat.ask_price


def test_quote_pulls_the_side_that_would_pass_the_position_limit() -> None:
    params = QuoteParams(size=0.5, max_position=5.0)
    assert quote(2000.0, 4.8, params, 0.0, 0.01, 0.001).bid_quantity == 0
    assert quote(2000.0, -4.8, params, 0.0, 0.01, 0.001).ask_quantity == 0
    assert quote(2000.0, 4.8, params, 0.0, 0.01, 0.001).ask_quantity == 500


def test_quote_keeps_the_ask_above_the_bid_when_the_spread_is_under_a_tick() -> None:
    q = quote(2000.0, 0.0, QuoteParams(gamma=10.0, sigma=0.0, k=1e9), 0.0, 1.0, 0.001)
    assert q.ask_price > q.bid_price


def test_poisson_arrivals_have_the_asked_mean_rate() -> None:
    times = population.poisson_times(random.Random(3), 200.0, 50.0)
    assert len(times) == pytest.approx(10_000, rel=0.05)
    assert times == sorted(times) and times[-1] < 50.0


def test_hawkes_arrivals_have_the_stationary_mean_rate_and_cluster() -> None:
    times = population.hawkes_for_rate(random.Random(4), 100.0, 100.0, branching=0.5, beta=5.0)
    assert len(times) == pytest.approx(10_000, rel=0.15)
    counts = [0] * 100
    for t in times:
        counts[int(t)] += 1
    mean = sum(counts) / len(counts)
    dispersion = sum((c - mean) ** 2 for c in counts) / len(counts) / mean
    assert dispersion > 2  # burstier than Poisson (1); 1/(1 - 0.5)^2 = 4 over windows much longer than 1/beta


def test_hawkes_refuses_an_explosive_process() -> None:
    with pytest.raises(ValueError):
        population.hawkes_times(random.Random(1), 1.0, 2.0, 1.0, 10.0)


def test_population_is_deterministic_under_a_seed() -> None:
    assert population.actions(7, 10, 100.0, 5.0) == population.actions(7, 10, 100.0, 5.0)
    assert population.actions(7, 10, 100.0, 5.0) != population.actions(8, 10, 100.0, 5.0)
    assert population.actions(7, 10, 100.0, 5.0, arrivals="hawkes") == population.actions(7, 10, 100.0, 5.0, arrivals="hawkes")


def test_population_follows_its_mix_and_cancels_only_its_own_earlier_limits() -> None:
    stream = population.actions(1, 5, 500.0, 10.0, mix=population.Mix(limit=0.5, market=0.2, cancel=0.3))
    kinds = {k: sum(a.kind == k for a in stream) / len(stream) for k in ("limit", "market", "cancel")}
    assert kinds["market"] == pytest.approx(0.2, abs=0.03)
    assert kinds["cancel"] == pytest.approx(0.3, abs=0.05)
    targets = [a.target for a in stream if a.kind == "cancel"]
    assert len(set(targets)) == len(targets)
    for position, action in enumerate(stream):
        if action.kind == "cancel":
            assert action.target is not None and action.target < position
            assert stream[action.target].kind == "limit" and stream[action.target].trader == action.trader


def test_wallet_signs_what_the_eth_account_path_signs() -> None:
    wallet = Wallet(KEY, 31337, INBOX)
    nonce, envelope = wallet.order(0, "buy", 200_000, 10, expiry=2**40)
    expected = signed_order(Account.from_key(KEY), 31337, INBOX, market=0, side=0, price=200_000, quantity=10, nonce=nonce, expiry=2**40)
    assert envelope == expected
    assert clobnode_core.verify_envelope(31337, bytes.fromhex(INBOX[2:]), wallet.cancel(0, nonce))
    new_nonce, replaced = wallet.replace(0, nonce, 199_000, 5)
    assert new_nonce > nonce and clobnode_core.verify_envelope(31337, bytes.fromhex(INBOX[2:]), replaced)


def test_signed_actions_cancel_the_nonce_of_their_target() -> None:
    stream = population.actions(2, 2, 200.0, 3.0)
    wallets = [Wallet(KEY, 31337, INBOX), Wallet("0x" + "22" * 32, 31337, INBOX)]
    signed = sign_actions(stream, wallets, 0)
    for action, (_, envelope) in zip(stream, signed, strict=True):
        message = clobnode_core.decode_envelope(envelope)["message"]
        if action.kind == "cancel":
            assert action.target is not None
            assert int(message["order_nonce"]) == signed[action.target][0]
        else:
            assert message["type"] == "order"
