//! Messages (PROTOCOL.md section 2) and signed envelopes (section 3): fixed-width, big-endian.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::Address;

pub const ORDER_TYPE: u8 = 0x01;
pub const CANCEL_TYPE: u8 = 0x02;
pub const CANCEL_ALL_TYPE: u8 = 0x03;
pub const REPLACE_TYPE: u8 = 0x04;
pub const ORDER_LEN: usize = 65;
pub const CANCEL_LEN: usize = 13;
pub const CANCEL_ALL_LEN: usize = 13;
pub const REPLACE_LEN: usize = 37;
pub const SIGNATURE_LEN: usize = 65;
/// `CancelAll.market` meaning every market.
pub const ALL_MARKETS: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn from_byte(byte: u8) -> Option<Side> {
        match byte {
            0 => Some(Side::Buy),
            1 => Some(Side::Sell),
            _ => None,
        }
    }

    pub fn to_byte(self) -> u8 {
        self as u8
    }

    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// Limit: `price` is the limit. Market: `price` is the protective limit (worst price accepted)
/// and the order never rests (IOC or FOK only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderType {
    Limit,
    Market,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeInForce {
    /// Good till cancelled (or till `expiry`): the remainder rests.
    Gtc,
    /// Immediate or cancel: the remainder is cancelled.
    Ioc,
    /// Fill or kill: filled completely at once, or cancelled without any fill.
    Fok,
    /// Rests only: an order that would take liquidity is rejected (`WOULD_CROSS`).
    PostOnly,
}

/// What happens when an incoming order would trade with a resting order of the same trader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SelfTradePrevention {
    /// The incoming order's remainder is cancelled; the resting order stays.
    CancelTaker,
    /// The resting order is cancelled; matching goes on.
    CancelMaker,
    /// Both are reduced by the overlapping quantity without a trade.
    DecrementBoth,
}

macro_rules! byte_enum {
    ($ty:ident { $($variant:ident = $value:literal),+ }) => {
        impl $ty {
            pub fn from_byte(byte: u8) -> Option<$ty> {
                match byte { $($value => Some($ty::$variant),)+ _ => None }
            }
            pub fn to_byte(self) -> u8 {
                match self { $($ty::$variant => $value,)+ }
            }
        }
    };
}
byte_enum!(OrderType { Limit = 0, Market = 1 });
byte_enum!(TimeInForce { Gtc = 0, Ioc = 1, Fok = 2, PostOnly = 3 });
byte_enum!(SelfTradePrevention { CancelTaker = 0, CancelMaker = 1, DecrementBoth = 2 });

/// An order; `price` in ticks, `quantity` in lots, `expiry` an L1 timestamp (0 = none).
/// `trigger_price != 0` makes it a stop (buy: fires when the last trade is at or above it;
/// sell: at or below). `display_quantity != 0` makes it an iceberg showing that many lots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub market: u32,
    pub side: Side,
    pub order_type: OrderType,
    pub time_in_force: TimeInForce,
    pub stp: SelfTradePrevention,
    pub price: u64,
    pub quantity: u64,
    pub trigger_price: u64,
    pub display_quantity: u64,
    pub nonce: u64,
    pub expiry: u64,
    pub client_order_id: u64,
}

impl Order {
    /// A plain limit GTC order.
    pub fn limit(market: u32, side: Side, price: u64, quantity: u64, nonce: u64) -> Order {
        Order {
            market,
            side,
            order_type: OrderType::Limit,
            time_in_force: TimeInForce::Gtc,
            stp: SelfTradePrevention::CancelTaker,
            price,
            quantity,
            trigger_price: 0,
            display_quantity: 0,
            nonce,
            expiry: 0,
            client_order_id: 0,
        }
    }
}

/// Cancels the sender's order `(trader, order_nonce)` in `market` (resting or stop).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancel {
    pub market: u32,
    pub order_nonce: u64,
}

/// Cancels every order of the sender in `market` ([`ALL_MARKETS`]: in every market). Uses up
/// `nonce` so that a relayed copy cannot cancel later orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CancelAll {
    pub market: u32,
    pub nonce: u64,
}

/// Changes a resting order. Same price and a quantity at most what remains: reduced in
/// place, keeping its id and time priority. Otherwise: cancelled, and a new order with id
/// `nonce`, the new price and quantity and the old order's other fields is placed (losing
/// priority). Uses up `nonce` either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replace {
    pub market: u32,
    pub order_nonce: u64,
    pub nonce: u64,
    pub price: u64,
    pub quantity: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    Order(Order),
    Cancel(Cancel),
    CancelAll(CancelAll),
    Replace(Replace),
}

/// `trader ‖ message ‖ signature(r ‖ s ‖ v)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub trader: Address,
    pub message: Message,
    pub signature: [u8; SIGNATURE_LEN],
}

impl Message {
    /// The nonce this message uses up (a cancel names another order's nonce and uses none).
    pub fn own_nonce(&self) -> Option<u64> {
        match self {
            Message::Order(order) => Some(order.nonce),
            Message::Cancel(_) => None,
            Message::CancelAll(all) => Some(all.nonce),
            Message::Replace(replace) => Some(replace.nonce),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ORDER_LEN);
        let mut put = |bytes: &[u8]| out.extend_from_slice(bytes);
        match self {
            Message::Order(o) => {
                put(&[ORDER_TYPE]);
                put(&o.market.to_be_bytes());
                put(&[o.side.to_byte(), o.order_type.to_byte(), o.time_in_force.to_byte(), o.stp.to_byte()]);
                for value in
                    [o.price, o.quantity, o.trigger_price, o.display_quantity, o.nonce, o.expiry, o.client_order_id]
                {
                    put(&value.to_be_bytes());
                }
            }
            Message::Cancel(c) => {
                put(&[CANCEL_TYPE]);
                put(&c.market.to_be_bytes());
                put(&c.order_nonce.to_be_bytes());
            }
            Message::CancelAll(c) => {
                put(&[CANCEL_ALL_TYPE]);
                put(&c.market.to_be_bytes());
                put(&c.nonce.to_be_bytes());
            }
            Message::Replace(r) => {
                put(&[REPLACE_TYPE]);
                put(&r.market.to_be_bytes());
                for value in [r.order_nonce, r.nonce, r.price, r.quantity] {
                    put(&value.to_be_bytes());
                }
            }
        }
        out
    }

    /// Strict decoding: unknown types, wrong lengths (trailing bytes) and out-of-range enum
    /// bytes are `None`.
    pub fn decode(bytes: &[u8]) -> Option<Message> {
        let u64_at = |offset: usize| u64::from_be_bytes(field(bytes, offset));
        match (bytes.first()?, bytes.len()) {
            (&ORDER_TYPE, ORDER_LEN) => Some(Message::Order(Order {
                market: u32::from_be_bytes(field(bytes, 1)),
                side: Side::from_byte(bytes[5])?,
                order_type: OrderType::from_byte(bytes[6])?,
                time_in_force: TimeInForce::from_byte(bytes[7])?,
                stp: SelfTradePrevention::from_byte(bytes[8])?,
                price: u64_at(9),
                quantity: u64_at(17),
                trigger_price: u64_at(25),
                display_quantity: u64_at(33),
                nonce: u64_at(41),
                expiry: u64_at(49),
                client_order_id: u64_at(57),
            })),
            (&CANCEL_TYPE, CANCEL_LEN) => {
                Some(Message::Cancel(Cancel { market: u32::from_be_bytes(field(bytes, 1)), order_nonce: u64_at(5) }))
            }
            (&CANCEL_ALL_TYPE, CANCEL_ALL_LEN) => {
                Some(Message::CancelAll(CancelAll { market: u32::from_be_bytes(field(bytes, 1)), nonce: u64_at(5) }))
            }
            (&REPLACE_TYPE, REPLACE_LEN) => Some(Message::Replace(Replace {
                market: u32::from_be_bytes(field(bytes, 1)),
                order_nonce: u64_at(5),
                nonce: u64_at(13),
                price: u64_at(21),
                quantity: u64_at(29),
            })),
            _ => None,
        }
    }
}

impl Envelope {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20 + ORDER_LEN + SIGNATURE_LEN);
        out.extend_from_slice(&self.trader);
        out.extend_from_slice(&self.message.encode());
        out.extend_from_slice(&self.signature);
        out
    }

    /// `None` when the bytes are not exactly one trader, one well-formed message and 65
    /// signature bytes. The signature itself is checked by [`crate::eip712`].
    pub fn decode(bytes: &[u8]) -> Option<Envelope> {
        let body_end = bytes.len().checked_sub(SIGNATURE_LEN)?;
        if body_end < 20 {
            return None;
        }
        Some(Envelope {
            trader: field(bytes, 0),
            message: Message::decode(&bytes[20..body_end])?,
            signature: field(bytes, body_end),
        })
    }
}

/// The `N` bytes at `offset`; callers have checked the length.
fn field<const N: usize>(bytes: &[u8], offset: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[offset..offset + N]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Message {
        let mut order = Order::limit(7, Side::Sell, 1_500, 3, 9);
        order.time_in_force = TimeInForce::PostOnly;
        order.display_quantity = 1;
        order.client_order_id = 0x0a0b;
        Message::Order(order)
    }

    #[test]
    fn order_encodes_to_65_bytes_and_round_trips() {
        let bytes = order().encode();
        assert_eq!(bytes.len(), ORDER_LEN);
        assert_eq!(&bytes[..9], &[1, 0, 0, 0, 7, 1, 0, 3, 0]);
        assert_eq!(&bytes[63..], &[0x0a, 0x0b]);
        assert_eq!(Message::decode(&bytes), Some(order()));
    }

    #[test]
    fn cancel_cancel_all_and_replace_round_trip() {
        let cancel = Message::Cancel(Cancel { market: 2, order_nonce: 0x0102 });
        assert_eq!(cancel.encode(), [2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 2]);
        let all = Message::CancelAll(CancelAll { market: ALL_MARKETS, nonce: 5 });
        assert_eq!(all.encode(), [3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 5]);
        let replace = Message::Replace(Replace { market: 1, order_nonce: 2, nonce: 3, price: 4, quantity: 5 });
        assert_eq!(replace.encode().len(), REPLACE_LEN);
        for message in [cancel, all, replace] {
            assert_eq!(Message::decode(&message.encode()), Some(message));
        }
    }

    #[test]
    fn trailing_bytes_unknown_type_and_bad_enum_bytes_are_malformed() {
        let mut long = order().encode();
        long.push(0);
        assert_eq!(Message::decode(&long), None);
        for offset in 5..9 {
            let mut bad = order().encode();
            bad[offset] = 4;
            assert_eq!(Message::decode(&bad), None, "byte {offset}");
        }
        assert_eq!(Message::decode(&[5; 13]), None);
        assert_eq!(Message::decode(&[]), None);
    }

    #[test]
    fn envelope_round_trips_and_rejects_short_input() {
        let envelope = Envelope { trader: [0xaa; 20], message: order(), signature: [0x11; 65] };
        let bytes = envelope.encode();
        assert_eq!(bytes.len(), 20 + ORDER_LEN + 65);
        assert_eq!(Envelope::decode(&bytes), Some(envelope));
        assert_eq!(Envelope::decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(Envelope::decode(&[0; 84]), None);
    }
}
