"""Markets: the listed markets as traders see them (tokens with symbol and decimals, tick, lot,
sizes, fees, status), every amount a decimal string."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from web3.exceptions import Web3Exception

from clobnode.exchange.engine import Engine
from clobnode.l1.client import L1Client, L1Error
from clobnode.l1.contracts import load_artifact

log = logging.getLogger(__name__)


def token_metadata(l1: L1Client, address: str) -> dict[str, Any]:
    """`symbol()` and `decimals()` of an ERC-20 on L1 (None where the token does not say)."""
    token = load_artifact("DevToken").at(l1, address)
    meta: dict[str, Any] = {"address": address.lower(), "symbol": None, "decimals": None}
    for name in ("symbol", "decimals"):
        try:
            meta[name] = getattr(token.functions, name)().call()
        except (Web3Exception, L1Error, ValueError, OverflowError, OSError) as exc:
            log.warning("token %s does not answer %s(): %s", address, name, exc)
    return meta


def _decimal(atoms: int, decimals: int | None) -> str | None:
    if decimals is None:
        return None
    return format((Decimal(atoms) / (Decimal(10) ** decimals)).normalize(), "f")


def market_view(market: dict[str, Any], data: dict[str, Any], tokens: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One market for `GET /markets`. `base_lot` base atoms make a lot (quantities count lots);
    one price tick is `quote_tick` quote atoms per lot (prices count ticks)."""
    base, quote = tokens.get(market["base"], {}), tokens.get(market["quote"], {})
    base_dec, quote_dec = base.get("decimals"), quote.get("decimals")
    lot, tick = int(market["base_lot"]), int(market["quote_tick"])
    tick_size = None
    if base_dec is not None and quote_dec is not None:
        # quote units per base unit for one tick: tick quote atoms per lot of `lot` base atoms
        tick_size = format((Decimal(tick) * Decimal(10) ** base_dec / Decimal(lot) / Decimal(10) ** quote_dec).normalize(), "f")
    halted_until = int(data.get("halted_until") or 0)
    return {
        "id": market["id"],
        "symbol": f"{base.get('symbol') or market['base']}/{quote.get('symbol') or market['quote']}",
        "base": {"address": market["base"], "symbol": base.get("symbol"), "decimals": base_dec},
        "quote": {"address": market["quote"], "symbol": quote.get("symbol"), "decimals": quote_dec},
        "base_lot": str(lot), "quote_tick": str(tick),
        "lot_size": _decimal(lot, base_dec), "tick_size": tick_size,
        "min_size": str(market["min_size"]), "max_size": str(market["max_size"]),
        "maker_fee_bps": market["maker_fee_bps"], "taker_fee_bps": market["taker_fee_bps"],
        "fee_recipient": market["fee_recipient"], "max_open_orders": market["max_open_orders"],
        "max_fills": market["max_fills"],
        "circuit_breaker": {"band_bps": market["band_bps"], "band_window_s": str(market["band_window"]), "halt_s": str(market["halt_seconds"])},
        "status": "halted" if halted_until > int(data.get("timestamp") or 0) else "trading",
        "halted_until": str(halted_until),
    }


class MarketCatalog:
    """The markets listed at genesis, with their tokens' metadata read from L1 on first use (and
    read again while L1 does not answer)."""

    def __init__(self, engine: Engine, l1: L1Client | None = None, tokens: dict[str, dict[str, Any]] | None = None) -> None:
        self._engine = engine
        self._l1 = l1
        self._tokens: dict[str, dict[str, Any]] = dict(tokens or {})

    def _token(self, address: str) -> dict[str, Any]:
        known = self._tokens.get(address)
        if known is not None or self._l1 is None:
            return known or {}
        meta = token_metadata(self._l1, address)
        if meta["decimals"] is not None:
            self._tokens[address] = meta
        return meta

    def markets(self) -> list[dict[str, Any]]:
        views = []
        for market in self._engine.markets():
            tokens = {market[side]: self._token(market[side]) for side in ("base", "quote")}
            views.append(market_view(market, self._engine.market_data(int(market["id"])), tokens))
        return views
