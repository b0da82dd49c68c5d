//! What applying an inbox entry did (PROTOCOL.md section 6).

use crate::message::Side;
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
    Accepted {
        trader: Address,
        market: u32,
        side: Side,
        price: u64,
        quantity: u64,
        nonce: u64,
    },
    Fill {
        market: u32,
        maker: Address,
        maker_nonce: u64,
        taker: Address,
        taker_nonce: u64,
        price: u64,
        quantity: u64,
        taker_side: Side,
    },
    Cancelled {
        trader: Address,
        market: u32,
        nonce: u64,
        remaining: u64,
    },
    Rejected {
        reason: RejectReason,
    },
    Batch {
        messages: u32,
    },
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
