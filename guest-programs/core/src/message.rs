//! Messages (PROTOCOL.md section 2) and signed envelopes (section 3): fixed-width, big-endian.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::Address;

pub const ORDER_TYPE: u8 = 0x01;
pub const CANCEL_TYPE: u8 = 0x02;
pub const ORDER_LEN: usize = 38;
pub const CANCEL_LEN: usize = 13;
pub const SIGNATURE_LEN: usize = 65;

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
        match self {
            Side::Buy => 0,
            Side::Sell => 1,
        }
    }
}

/// A limit order; `price` in ticks, `quantity` in lots, `expiry` an L1 timestamp (0 = none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    pub market: u32,
    pub side: Side,
    pub price: u64,
    pub quantity: u64,
    pub nonce: u64,
    pub expiry: u64,
}

/// Cancels the sender's resting order `(trader, order_nonce)` in `market`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancel {
    pub market: u32,
    pub order_nonce: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    Order(Order),
    Cancel(Cancel),
}

/// `trader ‖ message ‖ signature(r ‖ s ‖ v)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub trader: Address,
    pub message: Message,
    pub signature: [u8; SIGNATURE_LEN],
}

impl Message {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ORDER_LEN);
        match self {
            Message::Order(order) => {
                out.push(ORDER_TYPE);
                out.extend_from_slice(&order.market.to_be_bytes());
                out.push(order.side.to_byte());
                out.extend_from_slice(&order.price.to_be_bytes());
                out.extend_from_slice(&order.quantity.to_be_bytes());
                out.extend_from_slice(&order.nonce.to_be_bytes());
                out.extend_from_slice(&order.expiry.to_be_bytes());
            }
            Message::Cancel(cancel) => {
                out.push(CANCEL_TYPE);
                out.extend_from_slice(&cancel.market.to_be_bytes());
                out.extend_from_slice(&cancel.order_nonce.to_be_bytes());
            }
        }
        out
    }

    /// Strict decoding: unknown types, wrong lengths (trailing bytes) and bad sides are `None`.
    pub fn decode(bytes: &[u8]) -> Option<Message> {
        match (bytes.first()?, bytes.len()) {
            (&ORDER_TYPE, ORDER_LEN) => Some(Message::Order(Order {
                market: u32::from_be_bytes(field(bytes, 1)),
                side: Side::from_byte(bytes[5])?,
                price: u64::from_be_bytes(field(bytes, 6)),
                quantity: u64::from_be_bytes(field(bytes, 14)),
                nonce: u64::from_be_bytes(field(bytes, 22)),
                expiry: u64::from_be_bytes(field(bytes, 30)),
            })),
            (&CANCEL_TYPE, CANCEL_LEN) => Some(Message::Cancel(Cancel {
                market: u32::from_be_bytes(field(bytes, 1)),
                order_nonce: u64::from_be_bytes(field(bytes, 5)),
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
        Message::Order(Order { market: 7, side: Side::Sell, price: 1_500, quantity: 3, nonce: 9, expiry: 0 })
    }

    #[test]
    fn order_encodes_to_38_bytes_and_round_trips() {
        let bytes = order().encode();
        assert_eq!(bytes.len(), ORDER_LEN);
        assert_eq!(&bytes[..6], &[1, 0, 0, 0, 7, 1]);
        assert_eq!(Message::decode(&bytes), Some(order()));
    }

    #[test]
    fn cancel_encodes_to_13_bytes_and_round_trips() {
        let cancel = Message::Cancel(Cancel { market: 2, order_nonce: 0x0102 });
        let bytes = cancel.encode();
        assert_eq!(bytes, [2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(Message::decode(&bytes), Some(cancel));
    }

    #[test]
    fn trailing_bytes_unknown_type_and_bad_side_are_malformed() {
        let mut long = order().encode();
        long.push(0);
        assert_eq!(Message::decode(&long), None);
        let mut bad_side = order().encode();
        bad_side[5] = 2;
        assert_eq!(Message::decode(&bad_side), None);
        assert_eq!(Message::decode(&[3; 13]), None);
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
