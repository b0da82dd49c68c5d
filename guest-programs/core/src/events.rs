//! What applying an inbox entry did (PROTOCOL.md section 6).

use crate::message::{Message, Order, Side, CANCEL_ALL_TYPE, CANCEL_TYPE, ORDER_TYPE, REPLACE_TYPE};
use crate::Address;

/// One event of inbox entry `index`; events of messages inside a blob batch also carry the
/// message's `position` in the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub index: u64,
    pub position: Option<u32>,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    Deposit {
        trader: Address,
        token: Address,
        amount: u128,
    },
    Withdrawal {
        trader: Address,
        token: Address,
        amount: u128,
    },
    /// The order as signed; a stop order waits for its trigger (see `Triggered`).
    Accepted {
        trader: Address,
        order: Order,
    },
    /// A stop order's trigger was reached: it now executes as a taker.
    Triggered {
        trader: Address,
        market: u32,
        nonce: u64,
        client_order_id: u64,
        last_price: u64,
    },
    Fill {
        market: u32,
        maker: Address,
        maker_nonce: u64,
        maker_client_order_id: u64,
        taker: Address,
        taker_nonce: u64,
        taker_client_order_id: u64,
        price: u64,
        quantity: u64,
        taker_side: Side,
        /// Quote atoms paid by each side to the market's fee recipient.
        maker_fee: u128,
        taker_fee: u128,
    },
    /// An order left the book (or the stop list, or never rested) with `remaining` lots.
    Cancelled {
        trader: Address,
        market: u32,
        nonce: u64,
        client_order_id: u64,
        remaining: u64,
        reason: CancelReason,
    },
    /// A resting order reduced in place (keeping priority) to `quantity` lots.
    Reduced {
        trader: Address,
        market: u32,
        nonce: u64,
        client_order_id: u64,
        quantity: u64,
    },
    /// Self-trade prevention "decrement both": both orders lost `quantity` lots, no trade.
    SelfTrade {
        market: u32,
        trader: Address,
        maker_nonce: u64,
        maker_client_order_id: u64,
        taker_nonce: u64,
        taker_client_order_id: u64,
        quantity: u64,
    },
    /// A cancel-all finished; `count` orders were cancelled.
    CancelledAll {
        trader: Address,
        market: u32,
        count: u32,
    },
    /// The circuit breaker tripped: a trade at `price` would have moved the market beyond its
    /// band; matching in `market` stops until L1 timestamp `until`.
    Halted {
        market: u32,
        price: u64,
        reference_price: u64,
        until: u64,
    },
    /// The input was a no-op. A rejected message of a known sender names its `subject`; its
    /// nonce is used up all the same (PROTOCOL.md section 5).
    Rejected {
        reason: RejectReason,
        subject: Option<Subject>,
    },
    Batch {
        messages: u32,
    },
}

/// Whose message a rejection was, and which order it concerned: `nonce` is the message's own
/// nonce (an order, a replace, a cancel-all) or, for a cancel, the nonce of the order it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub trader: Address,
    /// The message's type byte (PROTOCOL.md section 2): 1 order, 2 cancel, 3 cancel-all, 4 replace.
    pub message: u8,
    pub market: u32,
    pub nonce: u64,
    pub client_order_id: u64,
}

impl Subject {
    /// The message type's name in the node's records and the API.
    pub fn message_name(&self) -> &'static str {
        match self.message {
            ORDER_TYPE => "order",
            CANCEL_TYPE => "cancel",
            CANCEL_ALL_TYPE => "cancel_all",
            _ => "replace",
        }
    }

    /// The subject of `message` sent by `trader`.
    pub fn of(trader: &Address, message: &Message) -> Subject {
        let (message, market, nonce, client_order_id) = match message {
            Message::Order(order) => (ORDER_TYPE, order.market, order.nonce, order.client_order_id),
            Message::Cancel(cancel) => (CANCEL_TYPE, cancel.market, cancel.order_nonce, 0),
            Message::CancelAll(all) => (CANCEL_ALL_TYPE, all.market, all.nonce, 0),
            Message::Replace(replace) => (REPLACE_TYPE, replace.market, replace.nonce, 0),
        };
        Subject { trader: *trader, message, market, nonce, client_order_id }
    }
}

/// Why an input was a recorded no-op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectReason {
    Malformed = 1,
    BadSignature = 2,
    StaleNonce = 3,
    Expired = 4,
    UnknownMarket = 5,
    InsufficientBalance = 6,
    InvalidAmount = 7,
    UnknownOrder = 8,
    NotVault = 9,
    AmountOverflow = 10,
    MalformedBatch = 11,
    UnknownKind = 12,
    InvalidOrder = 13,
    WouldCross = 14,
    BelowMinSize = 15,
    AboveMaxSize = 16,
    TooManyOpenOrders = 17,
    MarketHalted = 18,
}

/// Why an order (or its remainder) was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelReason {
    User = 1,
    /// Unfilled remainder of an IOC or market order.
    ImmediateOrCancel = 2,
    FillOrKill = 3,
    SelfTrade = 4,
    Expired = 5,
    CancelAll = 6,
    Replaced = 7,
    FillCap = 8,
    Halted = 9,
}

impl EventKind {
    /// The event's name in the node's records and the API (`"fill"`, `"cancelled"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Deposit { .. } => "deposit",
            EventKind::Withdrawal { .. } => "withdrawal",
            EventKind::Accepted { .. } => "accepted",
            EventKind::Triggered { .. } => "triggered",
            EventKind::Fill { .. } => "fill",
            EventKind::Cancelled { .. } => "cancelled",
            EventKind::Reduced { .. } => "reduced",
            EventKind::SelfTrade { .. } => "self_trade",
            EventKind::CancelledAll { .. } => "cancelled_all",
            EventKind::Halted { .. } => "halted",
            EventKind::Rejected { .. } => "rejected",
            EventKind::Batch { .. } => "batch",
        }
    }
}

impl RejectReason {
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        match self {
            RejectReason::Malformed => "MALFORMED",
            RejectReason::BadSignature => "BAD_SIGNATURE",
            RejectReason::StaleNonce => "STALE_NONCE",
            RejectReason::Expired => "EXPIRED",
            RejectReason::UnknownMarket => "UNKNOWN_MARKET",
            RejectReason::InsufficientBalance => "INSUFFICIENT_BALANCE",
            RejectReason::InvalidAmount => "INVALID_AMOUNT",
            RejectReason::UnknownOrder => "UNKNOWN_ORDER",
            RejectReason::NotVault => "NOT_VAULT",
            RejectReason::AmountOverflow => "AMOUNT_OVERFLOW",
            RejectReason::MalformedBatch => "MALFORMED_BATCH",
            RejectReason::UnknownKind => "UNKNOWN_KIND",
            RejectReason::InvalidOrder => "INVALID_ORDER",
            RejectReason::WouldCross => "WOULD_CROSS",
            RejectReason::BelowMinSize => "BELOW_MIN_SIZE",
            RejectReason::AboveMaxSize => "ABOVE_MAX_SIZE",
            RejectReason::TooManyOpenOrders => "TOO_MANY_OPEN_ORDERS",
            RejectReason::MarketHalted => "MARKET_HALTED",
        }
    }
}

impl CancelReason {
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        match self {
            CancelReason::User => "USER",
            CancelReason::ImmediateOrCancel => "IMMEDIATE_OR_CANCEL",
            CancelReason::FillOrKill => "FILL_OR_KILL",
            CancelReason::SelfTrade => "SELF_TRADE",
            CancelReason::Expired => "EXPIRED",
            CancelReason::CancelAll => "CANCEL_ALL",
            CancelReason::Replaced => "REPLACED",
            CancelReason::FillCap => "FILL_CAP",
            CancelReason::Halted => "HALTED",
        }
    }
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl crate::message::OrderType {
    pub fn name(self) -> &'static str {
        match self {
            crate::message::OrderType::Limit => "limit",
            crate::message::OrderType::Market => "market",
        }
    }
}

impl crate::message::TimeInForce {
    pub fn name(self) -> &'static str {
        match self {
            crate::message::TimeInForce::Gtc => "gtc",
            crate::message::TimeInForce::Ioc => "ioc",
            crate::message::TimeInForce::Fok => "fok",
            crate::message::TimeInForce::PostOnly => "post_only",
        }
    }
}

impl crate::message::SelfTradePrevention {
    pub fn name(self) -> &'static str {
        match self {
            crate::message::SelfTradePrevention::CancelTaker => "cancel_taker",
            crate::message::SelfTradePrevention::CancelMaker => "cancel_maker",
            crate::message::SelfTradePrevention::DecrementBoth => "decrement_both",
        }
    }
}
