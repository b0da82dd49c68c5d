"""Engine: the Rust core (extension module `clobnode_core`) holding the exchange state, made thread-safe."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any, cast

import clobnode_core

from clobnode.errors import ClobnodeError
from clobnode.l1.derivation import InboxEntry
from clobnode.storage.state_store import LeafValue, StateCommit

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


def event_dicts(events: list[clobnode_core.Event]) -> list[dict[str, Any]]:
    """The core's events as the node keeps them: plain dicts (stored as JSON, served by the API)."""
    return cast("list[dict[str, Any]]", events)


class Engine:
    """The exchange state and its tree. Every read and write goes through one lock (API thread vs node thread)."""

    def __init__(self, core: clobnode_core.Engine) -> None:
        self._core = core
        self._lock = threading.Lock()

    @classmethod
    def genesis(cls, chain_id: int, inbox: bytes, vault: bytes, markets: Sequence[Mapping[str, Any]]) -> Engine:
        # Markets come from config and deployment files as plain dicts: the core checks their
        # fields (KeyError: one missing, ValueError: one invalid).
        core_markets = cast("list[clobnode_core.Market]", [dict(m) for m in markets])
        return cls(clobnode_core.Engine.genesis(chain_id, inbox, vault, core_markets))

    @classmethod
    def restore(cls, records: Sequence[tuple[bytes, bytes]]) -> Engine:
        """The state from its stored leaves (`StateStore.records`)."""
        try:
            return cls(clobnode_core.Engine.restore(list(records)))
        except ValueError as exc:
            raise EngineError(str(exc)) from exc

    def reset_to(self, records: Sequence[tuple[bytes, bytes]]) -> None:
        """Replace the state with stored leaves (after a failed write)."""
        core = clobnode_core.Engine.restore(list(records))
        with self._lock:
            self._core = core

    def apply(self, entries: Sequence[InboxEntry], blobs: Mapping[bytes, bytes]) -> list[dict[str, Any]]:
        """Apply entries in inbox order; returns their events. On error the state is unchanged."""
        if not entries:
            return []
        core_entries, blob_dict = [e.as_core() for e in entries], dict(blobs)
        try:
            # Signers first, on every core and outside the lock: the API reads the state meanwhile.
            self._core.recover_signers(core_entries, blob_dict)
            with self._lock:
                events = self._core.apply_entries(core_entries, blob_dict)
        except (KeyError, ValueError) as exc:
            raise EngineError(str(exc)) from exc
        return event_dicts(events)

    def commit(self) -> StateCommit:
        """Updates the state tree with what was applied since the last commit (one L1 block)."""
        with self._lock:
            root, changed, accessed = self._core.commit()
            next_index = int(self._core.inbox_next_index())
        return StateCommit(next_index, bytes(root), [(bytes(k), None if v is None else bytes(v)) for k, v in changed], [bytes(k) for k in accessed])

    def revert(self, values: Sequence[LeafValue]) -> None:
        """Sets leaves back to earlier values (a reorg's rollback)."""
        with self._lock:
            self._core.revert(list(values))

    def records(self) -> list[tuple[bytes, bytes]]:
        with self._lock:
            return [(bytes(k), bytes(v)) for k, v in self._core.records()]

    def root_with(self, values: Sequence[LeafValue]) -> bytes:
        """The root the state had when `values` were its leaves."""
        with self._lock:
            return bytes(self._core.root_with(list(values)))

    def witness(self, keys: Sequence[bytes], start: Sequence[LeafValue], end: Sequence[LeafValue]) -> bytes:
        """The witness of a range that reached `keys`, between the states `start` and `end`
        (each given by the leaves changed since, as they were)."""
        with self._lock:
            try:
                return bytes(self._core.witness(list(keys), list(start), list(end)))
            except ValueError as exc:
                raise EngineError(str(exc)) from exc

    # ---- views ------------------------------------------------------------------------------

    def state_root(self) -> bytes:
        with self._lock:
            return bytes(self._core.state_root())

    def inbox_position(self) -> tuple[int, bytes]:
        """(next inbox index, accumulator of the last applied entry)."""
        with self._lock:
            return int(self._core.inbox_next_index()), bytes(self._core.inbox_acc())

    def book(self, market: int, depth: int) -> dict[str, Any]:
        """The book's top `depth` levels a side, with `sequence`: the inbox entries applied so far
        (every node that derived the same entries serves the same book under the same sequence)."""
        with self._lock:
            return {**dict(self._core.book(market, depth)), "sequence": int(self._core.inbox_next_index())}

    def preview(self, trader: bytes, message: bytes, now: int) -> dict[str, Any]:
        """The engine's checks of `message` from `trader` at L1 time `now`, changing nothing:
        `{"reason", "code"}` of the rejection it would get, else `{"token", "amount"}` it would lock."""
        with self._lock:
            return dict(self._core.preview(trader, message, now))

    def last_nonce(self, trader: bytes) -> int:
        with self._lock:
            return int(self._core.last_nonce(trader))

    def available(self, trader: bytes, token: str) -> int:
        """The trader's available (unlocked) balance of `token` (0x-hex)."""
        with self._lock:
            rows = self._core.balances(trader)
        return next((int(r["available"]) for r in rows if r["token"] == token.lower()), 0)

    def account(self, trader: bytes) -> dict[str, Any]:
        with self._lock:
            return {
                "balances": list(self._core.balances(trader)),
                "open_orders": list(self._core.open_orders(trader)),
                "last_nonce": int(self._core.last_nonce(trader)),
            }

    def balance_proof(self, trader: bytes, token: bytes, values: Sequence[LeafValue] = ()) -> dict[str, Any] | None:
        """The balance leaf of (trader, token) and its branch in the state with `values` set back
        (PROTOCOL.md section 12); None if zero."""
        with self._lock:
            proof = self._core.balance_proof(trader, token, list(values))
        return None if proof is None else dict(proof)

    def market_data(self, market: int) -> dict[str, Any]:
        """Best bid/ask, last trade, halt, 24h OHLCV and the state's L1 timestamp of a market."""
        with self._lock:
            return dict(self._core.market_data(market))

    def markets(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._core.markets()]
