"""Replay: a population's actions as signed envelopes, and sent to a node in real time.

`sign_actions` turns actions into envelopes ahead of time (the load bench signs before its
timed window); `replay` sends them at their times through the Python client (the demo).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Sequence

from clobnode.trader.bots.population import Action, Flow
from clobnode.trader.bots.wallet import Wallet
from clobnode.trader.client import Client, ClientError

log = logging.getLogger(__name__)


def sign_actions(actions: Sequence[Action], wallets: Sequence[Wallet], market: int, flow: Flow | None = None) -> list[tuple[int, bytes]]:
    """(trader's nonce, envelope) of each action, in order; a cancel names the nonce of the
    limit order at its `target` and carries no nonce of its own (0)."""
    expiry = int(time.time()) + (flow or Flow()).expires_in_s
    signed: list[tuple[int, bytes]] = []
    for action in actions:
        wallet = wallets[action.trader]
        if action.kind == "cancel":
            assert action.target is not None
            signed.append((0, wallet.cancel(market, signed[action.target][0])))
        elif action.kind == "market":
            signed.append(wallet.order(market, action.side, action.price, action.quantity, expiry=expiry, order_type="market", time_in_force="ioc"))
        else:
            signed.append(wallet.order(market, action.side, action.price, action.quantity, expiry=expiry))
    return signed


def replay(client: Client, actions: Sequence[Action], signed: Sequence[tuple[int, bytes]], stop: threading.Event) -> collections.Counter[str]:
    """Sends each envelope at its action's time (from now) until done or `stop`; returns how
    many were admitted and refused, by reason."""
    outcomes: collections.Counter[str] = collections.Counter()
    start = time.monotonic()
    for action, (_, envelope) in zip(actions, signed, strict=True):
        if stop.wait(max(0.0, start + action.at_s - time.monotonic())):
            break
        try:
            client.submit(envelope)
            outcomes["ADMITTED"] += 1
        except ClientError as exc:
            outcomes[exc.reason or "UNREACHABLE"] += 1
            log.debug("population %s: %s", action.kind, exc)
    return outcomes
