"""Demo bots: an A-S market maker and a small population trading on a devnet node from the first
second (`clobnode start --demo`), in background threads until stopped."""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account

from clobnode.dev import bot_traders
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment
from clobnode.trader.bots import population
from clobnode.trader.bots.market_maker import MarketMaker, QuoteParams
from clobnode.trader.bots.replay import replay, sign_actions
from clobnode.trader.bots.wallet import Wallet
from clobnode.trader.client import Client, ClientError

log = logging.getLogger(__name__)

#: The population's actions are generated and signed this many seconds at a time.
CHUNK_S = 30.0


@dataclass(slots=True)
class DemoBots:
    """The bots' threads; `stop` ends them."""

    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(10)


def book_mid(client: Client, market: int, fallback: float, tick_size: float) -> float:
    """(best bid + best ask) / 2 in quote per base, or `fallback` when a side is empty."""
    book = client.book(market, depth=1)
    if book["bids"] and book["asks"]:
        return (int(book["bids"][0]["price"]) + int(book["asks"][0]["price"])) / 2 * tick_size
    return fallback


def start(l1: L1Client, dep: Deployment, api_url: str, seed: int = 1, traders: int = 6, rate_per_s: float = 4.0) -> DemoBots:
    """Funds one market maker and `traders` population traders (waiting until the node derived
    their deposits), then starts both in threads."""
    keys = bot_traders.bot_keys(seed, traders + 1)
    bot_traders.fund(l1, dep, keys)
    client = Client(api_url)
    bot_traders.wait_derived(client, [Account.from_key(k).address for k in keys])
    market = client.markets()[0]
    wallets = [Wallet(k, dep.chain_id, dep.inbox, int(client.account_of(Account.from_key(k).address)["lastNonce"])) for k in keys]
    bots = DemoBots()
    flow = population.Flow()
    tick = float(market["tickSize"])
    last_mid = [flow.mid * tick]

    def mid() -> float:
        last_mid[0] = book_mid(client, int(market["id"]), last_mid[0], tick)
        return last_mid[0]

    maker = MarketMaker(client, wallets[0], market, QuoteParams(), mid)
    bots.threads.append(threading.Thread(target=_make_market, args=(maker, bots.stop), name="demo-market-maker", daemon=True))
    bots.threads.append(threading.Thread(target=_trade, args=(client, wallets[1:], market, seed, rate_per_s, flow, bots.stop), name="demo-population", daemon=True))
    for thread in bots.threads:
        thread.start()
    return bots


def _make_market(maker: MarketMaker, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            maker.step()
        except ClientError as exc:
            log.debug("market maker: %s", exc)
        stop.wait(0.25)


def _trade(client: Client, wallets: list[Wallet], market: dict[str, Any], seed: int, rate_per_s: float, flow: population.Flow, stop: threading.Event) -> None:
    for chunk in itertools.count():
        if stop.is_set():
            return
        actions = population.actions(seed * 1_000_003 + chunk, len(wallets), rate_per_s, CHUNK_S, flow=flow)
        outcomes = replay(client, actions, sign_actions(actions, wallets, int(market["id"]), flow), stop)
        log.debug("demo population, chunk %d: %s", chunk, dict(outcomes))
