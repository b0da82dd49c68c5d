"""Engine: the Rust core (extension module `clobnode_core`) holding the exchange state, made thread-safe."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import clobnode_core

from .derivation import InboxEntry
from .errors import ClobnodeError
from .store import Snapshot

# The devnet market: BASE (18 decimals) quoted in QUOTE (6 decimals).
# One lot is 0.001 BASE; one price tick is 10 QUOTE atoms per lot, i.e. 0.01 QUOTE per BASE.
DEVNET_BASE_LOT = 10**15
DEVNET_QUOTE_TICK = 10


class EngineError(ClobnodeError):
    """The engine could not apply inputs (state unchanged)."""


def devnet_markets(base: bytes, quote: bytes) -> list[dict[str, Any]]:
    """The genesis market list of a devnet deployment (markets are listed at genesis only).

    No fees and no circuit breaker on the devnet, so a fill moves exactly price × quantity; the
    core's defaults apply to the rest (PROTOCOL.md section 5).
    """
    return [{
        "id": 0, "base": base, "quote": quote, "base_lot": DEVNET_BASE_LOT, "quote_tick": DEVNET_QUOTE_TICK,
        "min_size": 1, "max_size": 0, "maker_fee_bps": 0, "taker_fee_bps": 0, "fee_recipient": bytes(20),
        "band_bps": 0, "band_window": 0, "halt_seconds": 0, "max_open_orders": 1000, "max_fills": 100,
    }]


class Engine:
    """The exchange state. Every read and write goes through one lock (API thread vs node thread)."""

    def __init__(self, core: clobnode_core.Engine) -> None:
        self._core = core
        self._lock = threading.Lock()

    @classmethod
    def genesis(cls, chain_id: int, inbox: bytes, vault: bytes, markets: Sequence[Mapping[str, Any]]) -> Engine:
        return cls(clobnode_core.Engine.genesis(chain_id, inbox, vault, [dict(m) for m in markets]))

    @classmethod
    def restore(cls, state: bytes) -> Engine:
        return cls(clobnode_core.Engine.restore(state))

    def reset_to(self, state: bytes) -> None:
        """Replace the state (after a reorg or a failed write)."""
        with self._lock:
            self._core = clobnode_core.Engine.restore(state)

    def apply(self, entries: Sequence[InboxEntry], blobs: Mapping[bytes, bytes]) -> list[dict[str, Any]]:
        """Apply entries in inbox order; returns their events. On error the state is unchanged."""
        if not entries:
            return []
        with self._lock:
            try:
                events: list[dict[str, Any]] = self._core.apply_entries([e.as_core() for e in entries], dict(blobs))
            except (KeyError, ValueError) as exc:
                raise EngineError(str(exc)) from exc
        return events

    def snapshot(self, l1_block: int) -> Snapshot:
        with self._lock:
            return Snapshot(l1_block, self._core.inbox_next_index(), self._core.state_root(), self._core.snapshot())

    # ---- views ------------------------------------------------------------------------------

    def state_root(self) -> bytes:
        with self._lock:
            return bytes(self._core.state_root())

    def inbox_position(self) -> tuple[int, bytes]:
        """(next inbox index, accumulator of the last applied entry)."""
        with self._lock:
            return int(self._core.inbox_next_index()), bytes(self._core.inbox_acc())

    def book(self, market: int, depth: int) -> dict[str, Any]:
        with self._lock:
            return dict(self._core.book(market, depth))

    def account(self, trader: bytes) -> dict[str, Any]:
        with self._lock:
            return {
                "balances": list(self._core.balances(trader)),
                "open_orders": list(self._core.open_orders(trader)),
                "last_nonce": int(self._core.last_nonce(trader)),
            }

    def balance_proof(self, trader: bytes, token: bytes) -> dict[str, Any] | None:
        """The account leaf of (trader, token) and its branch (PROTOCOL.md section 12); None if zero."""
        with self._lock:
            proof = self._core.balance_proof(trader, token)
        return None if proof is None else dict(proof)

    def markets(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._core.markets())
