"""API models: the one definition of every request and response body of the REST API and the
WebSocket, from which the OpenAPI document is generated (`openapi.py`).

One name per concept, and the same as in the signed message (PROTOCOL.md section 3): JSON keys
are the EIP-712 field names (`clientOrderId`, `timeInForce`, `selfTradePrevention`,
`orderNonce`, ...); every other key follows the same camelCase rule (`inboxIndex`,
`l1Timestamp`). The CLI spells them in kebab case (`--client-order-id`). Requests with unknown
fields are refused. Every amount (prices, quantities, balances, fees, nonces, client ids) is a
decimal string, which JavaScript and ccxt read without rounding; requests also take integers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

U8 = Annotated[int, Field(ge=0, lt=2**8)]
U32 = Annotated[int, Field(ge=0, lt=2**32)]
U64 = Annotated[int, Field(ge=0, lt=2**64, description="an unsigned 64-bit integer (a decimal string or a number)")]
Amount = Annotated[str, Field(pattern=r"^[0-9]+$", description="an integer amount as a decimal string")]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="a 20-byte address, 0x-hex")]
HexBytes = Annotated[str, Field(pattern=r"^0x([0-9a-fA-F]{2})*$", description="bytes, 0x-hex")]
Event = Annotated[dict[str, Any], Field(description="an engine event (PROTOCOL.md section 6), keys in camelCase, amounts as strings")]

SIDES = {"buy": 0, "sell": 1}
ORDER_TYPES = {"limit": 0, "market": 1}
TIMES_IN_FORCE = {"gtc": 0, "ioc": 1, "fok": 2, "post_only": 3}
SELF_TRADE_PREVENTION = {"cancel_taker": 0, "cancel_maker": 1, "decrement_both": 2}


def camel(name: str) -> str:
    """`client_order_id` → `clientOrderId`, `ohlcv_24h` → `ohlcv24h`."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] if part[:1].isalpha() else part for part in rest)


def camel_keys(value: Any) -> Any:
    """`value` with every dict key, at any depth, in camelCase."""
    if isinstance(value, dict):
        return {camel(k) if isinstance(k, str) else k: camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


class Wire(BaseModel):
    """A JSON body: camelCase keys, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", alias_generator=camel, populate_by_name=True)


# ---- requests -------------------------------------------------------------------------------


class OrderFields(Wire):
    """An order as signed (EIP-712 `Order`); enums as their number or name."""

    market: U32
    side: Literal["buy", "sell", 0, 1]
    order_type: Literal["limit", "market", 0, 1] = 0
    time_in_force: Literal["gtc", "ioc", "fok", "post_only", 0, 1, 2, 3] = 0
    self_trade_prevention: Literal["cancel_taker", "cancel_maker", "decrement_both", 0, 1, 2] = 0
    price: U64
    quantity: U64
    trigger_price: U64 = 0
    display_quantity: U64 = 0
    nonce: U64
    expiry: U64 = 0
    client_order_id: U64 = 0

    def numbers(self) -> dict[str, int]:
        """The fields as the message encoder takes them (enums as numbers, PROTOCOL.md section 2)."""
        def number(value: str | int, names: dict[str, int]) -> int:
            return names[value] if isinstance(value, str) else value
        return {
            "market": self.market, "side": number(self.side, SIDES), "order_type": number(self.order_type, ORDER_TYPES),
            "time_in_force": number(self.time_in_force, TIMES_IN_FORCE), "stp": number(self.self_trade_prevention, SELF_TRADE_PREVENTION),
            "price": self.price, "quantity": self.quantity, "trigger_price": self.trigger_price,
            "display_quantity": self.display_quantity, "nonce": self.nonce, "expiry": self.expiry, "client_order_id": self.client_order_id,
        }


class CancelFields(Wire):
    """EIP-712 `Cancel`: the order is named by its nonce."""

    market: U32
    order_nonce: U64


class CancelAllFields(Wire):
    """EIP-712 `CancelAll`: market 4294967295 cancels in every market."""

    market: U32
    nonce: U64


class ReplaceFields(Wire):
    """EIP-712 `Replace`."""

    market: U32
    order_nonce: U64
    nonce: U64
    price: U64
    quantity: U64


class SubmitRequest(Wire):
    """A signed message: the envelope's bytes (PROTOCOL.md section 3), or the trader, one
    message's fields and the wallet's EIP-712 signature."""

    envelope: HexBytes | None = None
    trader: Address | None = None
    signature: HexBytes | None = None
    order: OrderFields | None = None
    cancel: CancelFields | None = None
    cancel_all: CancelAllFields | None = None
    replace: ReplaceFields | None = None

    @model_validator(mode="after")
    def one_form(self) -> SubmitRequest:
        messages = [m for m in (self.order, self.cancel, self.cancel_all, self.replace) if m is not None]
        if self.envelope is not None:
            if messages or self.trader is not None or self.signature is not None:
                raise ValueError("send either envelope, or trader + one message + signature")
        elif len(messages) != 1 or self.trader is None or self.signature is None:
            raise ValueError("send either envelope, or trader + one of order/cancel/cancelAll/replace + signature")
        return self


# ---- responses ------------------------------------------------------------------------------


class BatchSubmitRequest(Wire):
    """Signed messages admitted in their order, as if sent one by one (at most `maxBatch`,
    docs/API.md)."""

    orders: list[SubmitRequest]


class ErrorResponse(Wire):
    error: str
    reason: str = Field(description="machine-readable: BAD_REQUEST, INSUFFICIENT_BALANCE, NONCE_NOT_FRESH, RATE_LIMITED, ...")


class SubmitResponse(Wire):
    id: int
    status: Literal["pending", "duplicate"]
    trader: Address
    message: Literal["order", "cancel", "cancel_all", "replace"] | None = None
    market: int | None = None
    nonce: Amount | None = None
    client_order_id: Amount | None = None


class BatchResult(Wire):
    """One message of a batch: the code `POST /orders` would have answered, and its body."""

    code: int
    accepted: SubmitResponse | None = None
    refused: ErrorResponse | None = None


class BatchSubmitResponse(Wire):
    results: list[BatchResult]


class BatchRef(Wire):
    id: int
    status: str
    tx_hash: str | None
    inbox_start: int
    inbox_end: int


class Submission(Wire):
    """A message this node's API admitted, and what became of it."""

    id: int
    trader: Address
    status: Literal["pending", "submitted", "posted", "dropped"]
    tx_hash: str | None
    received_at: float
    message: str
    market: int
    nonce: Amount
    client_order_id: Amount
    reason: str | None
    inbox_index: int | None
    position: int | None
    stage: str | None = None
    outcome: list[Event] | None = None
    batch: BatchRef | None = None
    order: OrderStatus | None = None


class OrderStatus(Wire):
    """One order's lifecycle (`exchange/lifecycle.py`)."""

    trader: Address
    market: int | None = None
    nonce: Amount
    client_order_id: Amount | None = None
    side: str | None = None
    order_type: str | None = None
    time_in_force: str | None = None
    price: Amount | None = None
    trigger_price: Amount | None = None
    expiry: Amount | None = None
    quantity: Amount | None = None
    filled: Amount | None = None
    remaining: Amount | None = None
    average_price: Amount | None = None
    status: str = Field(description="pending, submitted, posted, dropped (not yet on L1); rejected, untriggered, resting, partially_filled, filled, cancelled, expired")
    reason: str | None = None
    stage: str = Field(description="pending, submitted, posted, included, proven, settled")
    inbox_index: int | None = None
    position: int | None = None
    l1_timestamp: int | None = None
    batch: BatchRef | None = None
    submission: Submission | None = None
    events: list[Event] = Field(default_factory=list)


class Orders(Wire):
    orders: list[OrderStatus]


class Trade(Wire):
    seq: int = Field(description="the event's sequence number (the node's event log)")
    l1_block: int
    l1_timestamp: int
    index: int
    position: int | None = None
    type: Literal["fill"]
    market: int
    maker: Address
    maker_nonce: Amount
    maker_client_order_id: Amount
    taker: Address
    taker_nonce: Amount
    taker_client_order_id: Amount
    price: Amount
    quantity: Amount
    taker_side: Literal["buy", "sell"]
    maker_fee: Amount
    taker_fee: Amount


class Trades(Wire):
    trades: list[Trade]


class Level(Wire):
    price: Amount
    quantity: Amount
    orders: int


class Book(Wire):
    market: int
    sequence: int = Field(description="inbox entries applied: the same book has the same sequence on every node")
    bids: list[Level]
    asks: list[Level]


class Token(Wire):
    address: Address
    symbol: str | None
    decimals: int | None


class CircuitBreaker(Wire):
    band_bps: int
    band_window_s: Amount
    halt_s: Amount


class Market(Wire):
    id: int
    symbol: str
    base: Token
    quote: Token
    base_lot: Amount = Field(description="base atoms in one lot (quantities count lots)")
    quote_tick: Amount = Field(description="quote atoms per lot in one price tick (prices count ticks)")
    lot_size: str | None = Field(description="one lot in base units, a decimal")
    tick_size: str | None = Field(description="one tick in quote units per base unit, a decimal")
    min_size: Amount
    max_size: Amount
    maker_fee_bps: int
    taker_fee_bps: int
    fee_recipient: Address
    max_open_orders: int
    max_fills: int
    circuit_breaker: CircuitBreaker
    status: Literal["trading", "halted"]
    halted_until: Amount


class Markets(Wire):
    markets: list[Market]


class Balance(Wire):
    token: Address
    available: Amount
    locked: Amount


class Account(Wire):
    address: Address
    balances: list[Balance]
    open_orders: list[dict[str, Any]]
    last_nonce: Amount


class Batch(Wire):
    """A prover job: one attempt at a range (queued, proving, proven, verified, failed by the
    Rollup, error while proving, or superseded by a batch someone else settled)."""

    id: int
    inbox_start: int
    inbox_end: int
    status: str
    backend: str
    insecure: bool
    public_values: dict[str, Any] | None = Field(description="what the proof commits to; null while the range is not proven yet")
    tx_hash: str | None
    error: str | None


class L1Batch(Wire):
    """A batch the Rollup verified, from its `BatchVerified` log (whoever proved it)."""

    number: int
    inbox_start: int
    inbox_end: int
    new_state_root: HexBytes
    backend: str = Field(description='the Rollup backend that verified it: "sp1", "zisk", or "sp1-aggregation" (one of several ranges settled with one aggregation proof)')
    tx_hash: str
    l1_block: int


class Batches(Wire):
    batches: list[Batch] = Field(description="ranges this node proved, and what became of them")
    verified: list[L1Batch] = Field(description="ranges the Rollup verified, newest first")


class Events(Wire):
    events: list[Event]


class WithdrawalClaim(Wire):
    batch_number: int
    trader: Address
    token: Address
    amount: Amount
    inbox_index: int
    proof: list[HexBytes]


class Withdrawals(Wire):
    withdrawals: list[WithdrawalClaim]


class EscapeProof(Wire):
    state_root: HexBytes
    inbox_index: int
    token: Address
    available: Amount
    locked: Amount
    proof: list[HexBytes]


class Status(Wire):
    chain_id: int
    contracts: dict[str, Any]
    l1_block: int | None
    l1_head: int | None = Field(default=None, description="the confirmed L1 head the last pass saw")
    inbox_count: int | None = Field(default=None, description="Inbox.count() after the last derived block")
    inbox_next_index: int
    inbox_acc: HexBytes
    state_root: HexBytes
    last_verified_batch: L1Batch | None
    prover: dict[str, Any]
    proposer: bool
    health: NodeHealth | None = None


class NodeHealth(Wire):
    live: bool = Field(description="the node's loop runs")
    ready: bool = Field(description="the node follows L1: its last pass over L1 succeeded")
    failures: int = Field(description="consecutive failing passes")
    last_error: str | None


Submission.model_rebuild()
Status.model_rebuild()
