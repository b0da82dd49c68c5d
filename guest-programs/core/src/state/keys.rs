//! The keys of the state tree (PROTOCOL.md section 7): every record of the exchange lives at
//! `path = keccak(key bytes)` in one sparse Merkle tree.

use alloc::vec::Vec;

use super::codec::{Reader, Writer};
use crate::keccak::keccak;
use crate::message::Side;
use crate::{Address, Hash};

/// One of a market's four price ladders: resting bids and asks, and stop orders waiting for
/// their trigger. Each is a list of price levels in priority order (best first), each level a
/// FIFO queue of orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ladder {
    /// Resting buy orders, highest price first.
    Bids = 0,
    /// Resting sell orders, lowest price first.
    Asks = 1,
    /// Buy stops, lowest trigger first (they fire when the last trade rises to the trigger).
    BuyStops = 2,
    /// Sell stops, highest trigger first (they fire when the last trade falls to the trigger).
    SellStops = 3,
}

impl Ladder {
    pub const ALL: [Ladder; 4] = [Ladder::Bids, Ladder::Asks, Ladder::BuyStops, Ladder::SellStops];

    /// The ladder of resting orders of `side`.
    pub fn book(side: Side) -> Ladder {
        match side {
            Side::Buy => Ladder::Bids,
            Side::Sell => Ladder::Asks,
        }
    }

    /// The ladder of stop orders of `side`.
    pub fn stops(side: Side) -> Ladder {
        match side {
            Side::Buy => Ladder::BuyStops,
            Side::Sell => Ladder::SellStops,
        }
    }

    pub fn from_byte(byte: u8) -> Option<Ladder> {
        Ladder::ALL.get(usize::from(byte)).copied()
    }

    /// A key that sorts this ladder's prices best first.
    #[inline]
    pub fn priority(self, price: u64) -> u64 {
        match self {
            Ladder::Asks | Ladder::BuyStops => price,
            Ladder::Bids | Ladder::SellStops => u64::MAX - price,
        }
    }

    /// Whether a level at `a` comes before (is better than) a level at `b`.
    #[inline]
    pub fn before(self, a: u64, b: u64) -> bool {
        self.priority(a) < self.priority(b)
    }
}

/// An order (resting or stop): the trader's nonce names it within a market.
#[derive(Clone, Copy, Debug, Eq, PartialOrd, Ord)]
pub struct OrderId {
    pub market: u32,
    pub trader: Address,
    pub nonce: u64,
}

impl PartialEq for OrderId {
    /// Field by field, the address as words (a `memcmp` call costs more inside a zkVM).
    #[inline]
    fn eq(&self, other: &OrderId) -> bool {
        let words = |a: &Address| {
            (
                u64::from_ne_bytes(a[..8].try_into().expect("8 bytes")),
                u64::from_ne_bytes(a[8..16].try_into().expect("8 bytes")),
                u32::from_ne_bytes(a[16..].try_into().expect("4 bytes")),
            )
        };
        self.nonce == other.nonce && self.market == other.market && words(&self.trader) == words(&other.trader)
    }
}

impl core::hash::Hash for OrderId {
    /// Four words: the address's three with the market folded into the last, and the nonce.
    #[inline]
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        let t = &self.trader;
        state.write_u64(u64::from_ne_bytes(t[..8].try_into().expect("8 bytes")));
        state.write_u64(u64::from_ne_bytes(t[8..16].try_into().expect("8 bytes")));
        state.write_u64(
            u64::from(u32::from_ne_bytes(t[16..].try_into().expect("4 bytes"))) << 32 | u64::from(self.market),
        );
        state.write_u64(self.nonce);
    }
}

/// An address as a table key (a trader's account, a token's supply): 4-byte aligned, so that
/// comparing and hashing it reads five words. Inside a zkVM an unaligned word is loaded a byte
/// at a time and comparing byte arrays is a `memcmp` call, a byte loop.
#[derive(Clone, Copy, Debug, PartialOrd, Ord)]
#[repr(C, align(4))]
pub struct AddressKey(pub Address);

/// A trader's balance of a token, as a table key (aligned as [`AddressKey`]).
#[derive(Clone, Copy, Debug, PartialOrd, Ord)]
#[repr(C, align(4))]
pub struct BalanceKey {
    pub trader: Address,
    pub token: Address,
}

/// The five words of a 4-byte aligned address.
#[inline(always)]
fn address_words(address: &Address) -> [u32; 5] {
    core::array::from_fn(|i| u32::from_ne_bytes(address[4 * i..4 * i + 4].try_into().expect("4 bytes")))
}

/// Whether two addresses' words are equal, without a `memcmp` call.
#[inline(always)]
fn same_words(a: &[u32; 5], b: &[u32; 5]) -> bool {
    (a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4]) == 0
}

#[inline(always)]
fn hash_words<H: core::hash::Hasher>(words: &[u32; 5], state: &mut H) {
    state.write_u64(u64::from(words[0]) | u64::from(words[1]) << 32);
    state.write_u64(u64::from(words[2]) | u64::from(words[3]) << 32);
    state.write_u32(words[4]);
}

impl PartialEq for AddressKey {
    #[inline]
    fn eq(&self, other: &AddressKey) -> bool {
        same_words(&address_words(&self.0), &address_words(&other.0))
    }
}

impl Eq for AddressKey {}

impl core::hash::Hash for AddressKey {
    #[inline]
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        hash_words(&address_words(&self.0), state);
    }
}

impl PartialEq for BalanceKey {
    #[inline]
    fn eq(&self, other: &BalanceKey) -> bool {
        same_words(&address_words(&self.trader), &address_words(&other.trader))
            && same_words(&address_words(&self.token), &address_words(&other.token))
    }
}

impl Eq for BalanceKey {}

impl core::hash::Hash for BalanceKey {
    #[inline]
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        hash_words(&address_words(&self.trader), state);
        hash_words(&address_words(&self.token), state);
    }
}

/// A price level of one ladder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LevelId {
    pub market: u32,
    pub ladder: Ladder,
    pub price: u64,
}

impl core::hash::Hash for LevelId {
    /// Two words.
    #[inline]
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from(self.market) << 8 | self.ladder as u64);
        state.write_u64(self.price);
    }
}

/// The key of one record of the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StateKey {
    /// Genesis parameters, market ids, inbox position and clock.
    Header,
    /// A market's parameters (fixed at genesis).
    Market(u32),
    /// A market's ladder tops, last trade and circuit breaker.
    MarketState(u32),
    /// A market's hourly candle in ring slot `hour % 24`.
    Candle(u32, u8),
    /// A token's total deposited minus withdrawn.
    Supply(Address),
    /// A trader's last nonce and its open orders (resting and stop) in each market: how many,
    /// and the newest.
    Account(Address),
    /// A trader's available and locked amount of a token.
    Balance(Address, Address),
    Order(OrderId),
    Level(LevelId),
}

const HEADER: u8 = 0x00;
const MARKET: u8 = 0x01;
const MARKET_STATE: u8 = 0x02;
const CANDLE: u8 = 0x03;
const SUPPLY: u8 = 0x04;
const ACCOUNT: u8 = 0x05;
const BALANCE: u8 = 0x06;
const ORDER: u8 = 0x07;
const LEVEL: u8 = 0x08;

impl StateKey {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Writer::with_capacity(45);
        match self {
            StateKey::Header => out.u8(HEADER),
            StateKey::Market(id) => out.u8(MARKET).u32(*id),
            StateKey::MarketState(id) => out.u8(MARKET_STATE).u32(*id),
            StateKey::Candle(id, slot) => out.u8(CANDLE).u32(*id).u8(*slot),
            StateKey::Supply(token) => out.u8(SUPPLY).bytes(token),
            StateKey::Account(trader) => out.u8(ACCOUNT).bytes(trader),
            StateKey::Balance(trader, token) => out.u8(BALANCE).bytes(trader).bytes(token),
            StateKey::Order(id) => out.u8(ORDER).u32(id.market).bytes(&id.trader).u64(id.nonce),
            StateKey::Level(id) => out.u8(LEVEL).u32(id.market).u8(id.ladder as u8).u64(id.price),
        };
        out.0
    }

    pub fn decode(bytes: &[u8]) -> Option<StateKey> {
        let mut at = Reader(bytes);
        let key = match at.u8()? {
            HEADER => StateKey::Header,
            MARKET => StateKey::Market(at.u32()?),
            MARKET_STATE => StateKey::MarketState(at.u32()?),
            CANDLE => StateKey::Candle(at.u32()?, at.u8()?),
            SUPPLY => StateKey::Supply(at.address()?),
            ACCOUNT => StateKey::Account(at.address()?),
            BALANCE => StateKey::Balance(at.address()?, at.address()?),
            ORDER => StateKey::Order(OrderId { market: at.u32()?, trader: at.address()?, nonce: at.u64()? }),
            LEVEL => {
                StateKey::Level(LevelId { market: at.u32()?, ladder: Ladder::from_byte(at.u8()?)?, price: at.u64()? })
            }
            _ => return None,
        };
        at.end(key)
    }

    /// Where the record sits in the state tree: `keccak(key bytes)`.
    pub fn path(&self) -> Hash {
        keccak(&[&self.encode()])
    }
}
