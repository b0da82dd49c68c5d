"""Admission: what a node agrees to post in a blob, checked before the API answers `202`.

Derivation never refuses anything: every message that reaches L1 is applied by the engine, which
records a rejection with its reason. Admission is about what *this* node spends blob gas on. A
message is admitted when the engine's own checks pass on the node's current state (the core's
`preview`), when its nonce is above every nonce of the trader's messages not yet applied, when
the trader's available balance covers the lock on top of those messages' locks, and when the
trader has fewer than `max_pending_per_trader` of them. The proposer checks again at batch
time and drops, with the reason, what can no longer execute.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import clobnode_core

from clobnode.config import AdmissionConfig
from clobnode.errors import ClobnodeError
from clobnode.exchange.engine import Engine
from clobnode.storage.store import STATUS_CHANGES, ApiSubmission, Store, WaitingSummary

#: Traders whose waiting messages admission keeps summed up, at most (then it starts afresh).
MAX_SUMMARIES = 100_000

#: Engine rejections that say "the nonce is used", which the API reports as a conflict.
_NONCE_REASONS = frozenset({"STALE_NONCE", "NONCE_NOT_FRESH"})


class Refusal(ClobnodeError):
    """A message the node will not post: `reason` is machine-readable, `status` the HTTP code."""

    def __init__(self, reason: str, detail: str, status: int = 422) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.status = status


def submission_of(trader: str, message: clobnode_core.Message) -> ApiSubmission:
    """The admission record of a decoded message, before its lock is known."""
    if message["type"] == "cancel":
        return ApiSubmission(trader, "cancel", message["market"], message["order_nonce"], 0, None, 0)
    client_order_id = message["client_order_id"] if message["type"] == "order" else 0
    return ApiSubmission(trader, message["type"], message["market"], message["nonce"], client_order_id, None, 0)


class Waiting:
    """A trader's admitted messages not applied yet, as admission asks about them: `listed` ones
    (read, or not stored yet) and the `stored` ones summed up; given a store, whether an order is
    among the stored ones is asked in SQL (a cancel names it)."""

    def __init__(self, listed: Sequence[ApiSubmission] = (), stored: WaitingSummary | None = None, store: Store | None = None, trader: str = "", above_nonce: int = 0) -> None:
        self.listed = list(listed)
        self._stored = stored
        self._store, self._trader, self._above = store, trader, above_nonce

    def count_and_nonce(self) -> tuple[int, int | None]:
        count, nonce = (self._stored.count, self._stored.highest_nonce) if self._stored else (0, None)
        nonces = [m.nonce for m in self.listed if m.message != "cancel"] + ([] if nonce is None else [nonce])
        return count + len(self.listed), max(nonces, default=None)

    def has_order(self, market: int, nonce: int) -> bool:
        if any(m.message == "order" and (m.market, m.nonce) == (market, nonce) for m in self.listed):
            return True
        return self._store is not None and self._store.waiting_order(self._trader, self._above, market, nonce)

    def held(self, token: str) -> int:
        stored = self._stored.locks.get(token, 0) if self._stored else 0
        return stored + sum(m.lock_amount for m in self.listed if m.lock_token == token)


@dataclass(slots=True)
class _Summary:
    """A trader's stored waiting messages summed up, kept while no status changed in the store and
    the trader's last nonce stayed, with the messages written since added as they land."""

    status_changes: int
    last_nonce: int
    count: int
    highest_nonce: int | None
    through_id: int
    locks: dict[str, int]

    def add(self, order_id: int, submission: ApiSubmission) -> None:
        if order_id <= self.through_id:
            return  # the store had it when the summary was read
        self.count += 1
        if submission.message != "cancel":
            self.highest_nonce = max(submission.nonce, self.highest_nonce if self.highest_nonce is not None else submission.nonce)
        if submission.lock_token is not None:
            self.locks[submission.lock_token] = self.locks.get(submission.lock_token, 0) + submission.lock_amount

    def frozen(self) -> WaitingSummary:
        return WaitingSummary(self.count, self.highest_nonce, self.through_id, dict(self.locks))


@dataclass(slots=True)
class Admission:
    """The checks, over the engine's state and the store's not-yet-applied messages."""

    engine: Engine
    store: Store
    config: AdmissionConfig
    clock: Callable[[], float] = time.time
    # Each trader's stored waiting messages summed up: read once, then kept up to date as the
    # API's writes land (`written`), and read again once a status changed in the store or the
    # trader's last nonce moved. Admission then costs the same whatever the trader's backlog.
    _summaries: dict[str, _Summary] = field(default_factory=dict)

    def _summary(self, trader: str, last_nonce: int) -> WaitingSummary:
        changes = STATUS_CHANGES.count
        summary = self._summaries.get(trader)
        if summary is None or summary.status_changes != changes or summary.last_nonce != last_nonce:
            if len(self._summaries) >= MAX_SUMMARIES:
                self._summaries.clear()
            read = self.store.waiting_summary(trader, last_nonce)
            summary = self._summaries[trader] = _Summary(changes, last_nonce, read.count, read.highest_nonce, read.through_id, dict(read.locks))
        return summary.frozen()

    def written(self, order_id: int, submission: ApiSubmission) -> None:
        """The API's write of an admitted message landed (id `order_id`): it is stored now."""
        summary = self._summaries.get(submission.trader)
        if summary is not None:
            summary.add(order_id, submission)

    def admit(self, envelope: bytes, waiting: Callable[[str], Sequence[ApiSubmission]] = lambda trader: ()) -> ApiSubmission:
        """The submission to record for a signature-checked envelope, or `Refusal`. `waiting`
        gives a trader's admitted messages not stored yet (the API's group commit)."""
        decoded = clobnode_core.decode_envelope(envelope)
        trader = str(decoded["trader"]).lower()
        last_nonce = self.engine.last_nonce(bytes.fromhex(trader[2:]))
        ahead = Waiting(waiting(trader), self._summary(trader, last_nonce), self.store, trader, last_nonce)
        count, _ = ahead.count_and_nonce()
        if count >= self.config.max_pending_per_trader:
            raise Refusal("TOO_MANY_PENDING", f"{count} messages of this trader are waiting for L1 (at most {self.config.max_pending_per_trader})", 429)
        return self.check(envelope[20:-65], submission_of(trader, decoded["message"]), ahead)

    def check(self, message: bytes, submission: ApiSubmission, ahead: Waiting) -> ApiSubmission:
        """`submission` with its lock, if `message` may execute after the trader's messages `ahead`."""
        trader = bytes.fromhex(submission.trader[2:])
        _, highest = ahead.count_and_nonce()
        if submission.message != "cancel" and highest is not None and submission.nonce <= highest:
            raise Refusal("NONCE_NOT_FRESH", f"nonce {submission.nonce} is not above {highest}, the nonce of a message of this trader still waiting for L1", 409)
        if submission.message == "cancel" and ahead.has_order(submission.market, submission.nonce):
            return submission  # cancels an order still on its way: the engine will find it
        preview = self.engine.preview(trader, message, int(self.clock()))
        if "reason" in preview:
            reason = str(preview["reason"])
            raise Refusal(reason, f"the engine would reject this {submission.message}: {reason}", 409 if reason in _NONCE_REASONS else 422)
        token, amount = preview["token"], int(preview["amount"])
        if token is None:
            return submission
        held = ahead.held(str(token))
        available = self.engine.available(trader, str(token))
        if available < held + amount:
            raise Refusal("INSUFFICIENT_BALANCE", f"locks {amount} of token {token}; available {available}, of which {held} is held by this trader's messages waiting for L1")
        return ApiSubmission(submission.trader, submission.message, submission.market, submission.nonce, submission.client_order_id, str(token), amount)

    def recheck(self, pending: Iterable[tuple[int, bytes]]) -> tuple[list[tuple[int, bytes]], list[tuple[int, str]]]:
        """Splits pending (id, envelope) into those still worth posting, in order, and (id, reason)
        of those that can no longer execute (funds gone, nonce used on L1, expired, ...)."""
        keep: list[tuple[int, bytes]] = []
        dropped: list[tuple[int, str]] = []
        ahead: dict[str, Waiting] = {}
        for order_id, envelope in pending:
            decoded = clobnode_core.decode_envelope(envelope)
            trader = str(decoded["trader"]).lower()
            if trader not in ahead:
                last_nonce = self.engine.last_nonce(bytes.fromhex(trader[2:]))
                ahead[trader] = Waiting(self.store.in_flight_api_orders(trader, last_nonce, statuses=("submitted", "posted")))
            try:
                submission = self.check(envelope[20:-65], submission_of(trader, decoded["message"]), ahead[trader])
            except Refusal as refusal:
                dropped.append((order_id, refusal.reason))
                continue
            ahead[trader].listed.append(submission)
            keep.append((order_id, envelope))
        return keep, dropped


@dataclass(slots=True)
class RateLimiter:
    """A token bucket per client: `rate_per_s` requests a second on average, `burst` at once."""

    rate_per_s: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def allow(self, client: str, cost: int = 1) -> bool:
        """Whether `client` may send `cost` more requests now (and if so, they are counted)."""
        now = self.clock()
        tokens, then = self._buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate_per_s)
        if len(self._buckets) > 100_000:  # forget idle clients rather than grow without bound
            self._buckets = {c: v for c, v in self._buckets.items() if now - v[1] < 60}
        if tokens < cost:
            self._buckets[client] = (tokens, now)
            return False
        self._buckets[client] = (tokens - cost, now)
        return True
