"""Lifecycle: what happened to an order, folded from the engine's events and the node's records.

An order moves through stages: `pending` (admitted by this node's API) → `posted` (in a blob tx
on L1) → `included` (at an inbox index, executed by the engine) → `proven` (in a proven batch)
→ `settled` (the batch verified by the Rollup on L1). Its trading `status` once included is one
of `rejected` (with the engine's reason), `untriggered` (a stop waiting), `resting`,
`partially_filled`, `filled`, `cancelled` or `expired` (with the cancel reason). Every amount is
a decimal string.
"""

from __future__ import annotations

from typing import Any

from clobnode.storage.store import Store

#: Cancel reasons that mean "the order's time ran out" rather than "someone cancelled it".
_EXPIRY_REASONS = frozenset({"EXPIRED"})


def fold(history: list[tuple[int, dict[str, Any], int, int]], trader: str, nonce: int) -> dict[str, Any] | None:
    """The order (trader, nonce) as its events leave it; None if it has none."""
    if not history:
        return None
    order: dict[str, Any] = {"trader": trader, "nonce": str(nonce), "events": []}
    quantity = remaining = filled = 0
    notional = 0
    status, reason = "included", None
    for event_id, event, l1_block, l1_timestamp in history:
        kind = event["type"]
        order["events"].append({"seq": event_id, "l1_block": l1_block, "l1_timestamp": l1_timestamp, **decimal_strings(event)})
        if kind == "rejected":
            status, reason = "rejected", event["reason"]
            order.update(market=event["market"], client_order_id=str(event["client_order_id"]))
            order.setdefault("inbox_index", event["index"])
            order.setdefault("position", event.get("position"))
        elif kind == "accepted":
            quantity = remaining = int(event["quantity"])
            status = "untriggered" if int(event["trigger_price"]) else "resting"
            order.update(
                market=event["market"], side=event["side"], order_type=event["order_type"], time_in_force=event["time_in_force"],
                price=str(event["price"]), trigger_price=str(event["trigger_price"]), client_order_id=str(event["client_order_id"]),
                expiry=str(event["expiry"]), inbox_index=event["index"], position=event.get("position"), l1_timestamp=l1_timestamp,
            )
        elif kind == "triggered":
            status = "resting"
        elif kind == "fill":
            filled += int(event["quantity"])
            notional += int(event["quantity"]) * int(event["price"])
            remaining -= int(event["quantity"])
            status = "filled" if remaining <= 0 else "partially_filled"
        elif kind == "self_trade":
            remaining -= int(event["quantity"])
        elif kind == "reduced":
            remaining = int(event["quantity"])
        elif kind == "cancelled":
            remaining = 0
            reason = event["reason"]
            status = "expired" if reason in _EXPIRY_REASONS else "cancelled"
    if status in ("resting", "partially_filled") and remaining <= 0:
        status = "filled" if filled else "cancelled"
    order.update(
        status=status, reason=reason, quantity=str(quantity), filled=str(filled), remaining=str(max(remaining, 0)),
        average_price=None if not filled else str(notional // filled),
    )
    return order


#: Small integers that stay JSON numbers: positions and identifiers, not amounts.
_NUMBERS = frozenset({"index", "position", "market", "code", "orders", "id", "count", "messages"})


def decimal_strings(event: dict[str, Any]) -> dict[str, Any]:
    """`event` with every integer amount as a decimal string (JavaScript numbers lose digits
    above 2^53, and trading APIs send amounts as strings)."""
    return {k: str(v) if isinstance(v, int) and not isinstance(v, bool) and k not in _NUMBERS else v for k, v in event.items()}


def order_status(store: Store, trader: str, nonce: int, market: int | None = None) -> dict[str, Any] | None:
    """The order (trader, nonce) with its stage: as derived from L1, or as this node's API holds it."""
    trader = trader.lower()
    order = fold(store.order_history(trader, nonce, market), trader, nonce)
    submission = store.api_order_by_nonce(trader, nonce)
    if order is None:
        if submission is None or submission["message"] not in ("order", "replace"):
            return None
        return {"trader": trader, "nonce": str(nonce), "market": submission["market"], "status": submission["status"],
                "stage": submission["status"], "reason": submission["reason"], "submission": submission, "events": []}
    order["submission"] = submission
    _place(store, order, order.get("inbox_index"))
    return order


def _placement(store: Store, inbox_index: int | None) -> tuple[str, dict[str, Any] | None]:
    """The stage of what was applied at `inbox_index`, and the batch that proves it: `settled`
    once the Rollup verified a batch holding it (from its logs, whoever proved it), `proven`
    while this node's own proof of it waits, else `included`."""
    if inbox_index is None:
        return "included", None
    verified = store.l1_batch_covering(inbox_index)
    if verified is not None:
        return "settled", {"id": verified["number"], "status": "verified", "tx_hash": verified["tx_hash"],
                           "inbox_start": verified["inbox_start"], "inbox_end": verified["inbox_end"]}
    batch = store.batch_covering(inbox_index)
    if batch is None:
        return "included", None
    return "proven", {"id": batch.id, "status": batch.status, "tx_hash": batch.tx_hash, "inbox_start": batch.inbox_start, "inbox_end": batch.inbox_end}


def _place(store: Store, record: dict[str, Any], inbox_index: int | None) -> None:
    record["stage"], record["batch"] = _placement(store, inbox_index)


def submission_status(store: Store, submission: dict[str, Any]) -> dict[str, Any]:
    """An API submission with what became of it: its own events once included, and for an order
    (or a replace's new order) the order's lifecycle."""
    result = dict(submission)
    index = submission.get("inbox_index")
    if index is not None:
        result["outcome"] = [decimal_strings(e) for e in store.events_of_message(index, submission.get("position"))]
        _place(store, result, index)
    else:
        result["stage"] = submission["status"]
    if submission["message"] in ("order", "replace"):
        order = fold(store.order_history(submission["trader"], int(submission["nonce"]), submission["market"]), submission["trader"], int(submission["nonce"]))
        if order is not None:
            _place(store, order, order.get("inbox_index"))
            result["order"] = order
    return result
