"""Population: takers and noise traders as a stream of actions, a pure function of a seed.

Arrivals are a Poisson process (exponential gaps) or a self-exciting Hawkes process (each
arrival raises the intensity by `alpha`, decaying at rate `beta`: bursts, as real order flow
has). Each arrival is one trader's action, drawn by a configurable mix: a limit order resting
near a reference price that follows a random walk, a taker's market order (IOC, with a
protection price), or a cancel of one of that trader's own earlier limit orders. Everything
comes from one `random.Random(seed)`, so a seed gives the same stream on every machine.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mix:
    """Relative weights of the kinds of action."""

    limit: float = 0.55
    market: float = 0.15
    cancel: float = 0.30


@dataclass(frozen=True, slots=True)
class Flow:
    """How prices and sizes are drawn, in ticks and lots."""

    mid: int = 200_000  # the reference price at the start, in ticks
    volatility: float = 20.0  # the reference's random walk, ticks per √s
    offset: float = 60.0  # mean distance of a limit order from the reference, ticks (exponential)
    cross: float = 0.3  # share of limit orders placed across the reference (they take, then rest)
    protection: float = 0.02  # a market order's price: this fraction through the reference
    lots: tuple[int, int] = (10, 500)  # order size, uniform in lots
    expires_in_s: int = 120  # limit orders die by themselves after this


@dataclass(frozen=True, slots=True)
class Action:
    """One trader's action at `at_s` seconds from the start. For a cancel, `target` is the
    position in the stream of the limit order it cancels (same trader)."""

    at_s: float
    trader: int
    kind: str  # limit | market | cancel
    side: str
    price: int
    quantity: int
    target: int | None = None


def poisson_times(rng: random.Random, rate_per_s: float, duration_s: float) -> list[float]:
    """Arrival times of a Poisson process of `rate_per_s` over `[0, duration_s)`."""
    times, t = [], rng.expovariate(rate_per_s)
    while t < duration_s:
        times.append(t)
        t += rng.expovariate(rate_per_s)
    return times


def hawkes_times(rng: random.Random, baseline: float, alpha: float, beta: float, duration_s: float) -> list[float]:
    """Arrival times of a Hawkes process λ(t) = baseline + Σ alpha·e^(−beta·(t − tᵢ)) over
    `[0, duration_s)`, by Ogata's thinning. Its mean rate is baseline / (1 − alpha/beta)."""
    if alpha >= beta:
        raise ValueError("a stationary Hawkes process needs alpha < beta")
    times: list[float] = []
    t, excitation = 0.0, 0.0  # excitation: Σ alpha·e^(−beta·(t − tᵢ)) at time t
    while True:
        bound = baseline + excitation  # the intensity only decays until the next arrival
        gap = rng.expovariate(bound)
        t += gap
        if t >= duration_s:
            return times
        excitation *= math.exp(-beta * gap)
        if rng.random() * bound <= baseline + excitation:
            times.append(t)
            excitation += alpha


def hawkes_for_rate(rng: random.Random, rate_per_s: float, duration_s: float, branching: float = 0.5, beta: float = 5.0) -> list[float]:
    """A Hawkes process whose mean rate is `rate_per_s`, with `branching` = alpha/beta."""
    return hawkes_times(rng, rate_per_s * (1 - branching), branching * beta, beta, duration_s)


def actions(
    seed: int, traders: int, rate_per_s: float, duration_s: float, mix: Mix = Mix(), flow: Flow = Flow(),
    arrivals: str = "poisson",
) -> list[Action]:
    """The population's actions over `duration_s` at a mean of `rate_per_s`, for traders 0..traders-1."""
    rng = random.Random(seed)
    if arrivals == "poisson":
        times = poisson_times(rng, rate_per_s, duration_s)
    elif arrivals == "hawkes":
        times = hawkes_for_rate(rng, rate_per_s, duration_s)
    else:
        raise ValueError(f"arrivals must be poisson or hawkes, not {arrivals!r}")
    kinds, weights = ("limit", "market", "cancel"), (mix.limit, mix.market, mix.cancel)
    resting: list[list[int]] = [[] for _ in range(traders)]  # positions of each trader's limit orders
    stream: list[Action] = []
    mid, last_t = float(flow.mid), 0.0
    for t in times:
        mid += flow.volatility * math.sqrt(t - last_t) * rng.gauss(0.0, 1.0)
        last_t = t
        trader = rng.randrange(traders)
        kind = rng.choices(kinds, weights)[0]
        side = rng.choice(("buy", "sell"))
        sign = 1 if side == "buy" else -1
        quantity = rng.randint(*flow.lots)
        if kind == "cancel" and resting[trader]:
            target = resting[trader].pop(rng.randrange(len(resting[trader])))
            origin = stream[target]
            stream.append(Action(t, trader, "cancel", origin.side, origin.price, origin.quantity, target))
            continue
        if kind == "market":
            price = round(mid * (1 + sign * flow.protection))
            stream.append(Action(t, trader, "market", side, max(1, price), quantity))
            continue
        distance = rng.expovariate(1 / flow.offset)
        across = rng.random() < flow.cross
        price = round(mid + sign * distance) if across else round(mid - sign * distance)
        resting[trader].append(len(stream))
        stream.append(Action(t, trader, "limit", side, max(1, price), quantity))
    return stream
