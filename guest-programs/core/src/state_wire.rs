//! The canonical (postcard) encoding of the state: the field layout of the earlier address-keyed
//! maps, written from and read into the accounts. `nonces` holds the `lastNonce` of every
//! trader that has had a nonce-carrying message accepted, `balances` every non-zero
//! `(trader, token)` balance, and each market's `open_orders` the non-zero count of resting
//! plus stop orders per trader, all sorted by key.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use serde::de::Error;
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::accounts::{Accounts, Balance, BalancesMap, NoncesMap};
use crate::book::{Book, BookWire, Breaker, RankedBook, Candle, MarketState, Stops, Trade};
use crate::inbox::InboxPosition;
use crate::state::{GenesisConfig, Market, State};
use crate::Address;

#[derive(Deserialize)]
#[serde(rename = "State")]
struct StateWire {
    genesis: GenesisConfig,
    markets: BTreeMap<u32, Market>,
    market_states: BTreeMap<u32, MarketStateWire>,
    nonces: BTreeMap<Address, u64>,
    supply: BTreeMap<Address, u128>,
    balances: BTreeMap<(Address, Address), Balance>,
    inbox: InboxPosition,
    l1_timestamp: u64,
}

#[derive(Deserialize)]
#[serde(rename = "MarketState")]
struct MarketStateWire {
    book: BookWire,
    stops: Stops,
    open_orders: BTreeMap<Address, u32>,
    last_trade: Option<Trade>,
    breaker: Breaker,
    candles: Vec<Candle>,
}

/// Serializes as the canonical `market_states` map (market id -> market state).
pub(crate) struct MarketStatesMap<'a>(pub &'a BTreeMap<u32, MarketState>, pub &'a Accounts);

struct MarketStateView<'a> {
    market: u32,
    state: &'a MarketState,
    accounts: &'a Accounts,
    ranks: &'a [u32],
}

impl Serialize for MarketStatesMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ranks = self.1.ranks();
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (market, state) in self.0 {
            map.serialize_entry(market, &MarketStateView { market: *market, state, accounts: self.1, ranks: &ranks })?;
        }
        map.end()
    }
}

impl Serialize for MarketStateView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("MarketState", 6)?;
        out.serialize_field("book", &RankedBook { book: &self.state.book, ranks: self.ranks })?;
        out.serialize_field("stops", &self.state.stops)?;
        out.serialize_field("open_orders", &OpenOrdersMap(self.accounts.open_orders_in(self.market)))?;
        out.serialize_field("last_trade", &self.state.last_trade)?;
        out.serialize_field("breaker", &self.state.breaker)?;
        out.serialize_field("candles", &self.state.candles)?;
        out.end()
    }
}

struct OpenOrdersMap<'a>(Vec<(&'a Address, u32)>);

impl Serialize for OpenOrdersMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(trader, count)| (*trader, count)))
    }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("State", 8)?;
        out.serialize_field("genesis", &self.genesis)?;
        out.serialize_field("markets", &self.markets)?;
        out.serialize_field("market_states", &MarketStatesMap(&self.market_states, &self.accounts))?;
        out.serialize_field("nonces", &NoncesMap(&self.accounts))?;
        out.serialize_field("supply", &self.supply)?;
        out.serialize_field("balances", &BalancesMap(&self.accounts))?;
        out.serialize_field("inbox", &self.inbox)?;
        out.serialize_field("l1_timestamp", &self.l1_timestamp)?;
        out.end()
    }
}

impl<'de> Deserialize<'de> for State {
    /// A snapshot with a zero nonce, balance or open-order count is refused (none is ever
    /// encoded, so it could not re-encode to the same bytes).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<State, D::Error> {
        let wire = StateWire::deserialize(deserializer)?;
        let mut accounts = Accounts::from_canonical(wire.nonces, wire.balances)
            .ok_or_else(|| D::Error::custom("zero nonce or balance"))?;
        let mut market_states = BTreeMap::new();
        for (market, state) in wire.market_states {
            for (trader, count) in state.open_orders {
                if !accounts.restore_open_count(&trader, market, count) {
                    return Err(D::Error::custom("zero open-order count"));
                }
            }
            let MarketStateWire { book, stops, last_trade, breaker, candles, .. } = state;
            let book = Book::from_wire(book, |trader| accounts.open(trader))
                .ok_or_else(|| D::Error::custom("inconsistent book"))?;
            market_states.insert(market, MarketState { book, stops, last_trade, breaker, candles });
        }
        Ok(State {
            genesis: wire.genesis,
            markets: wire.markets,
            market_states,
            accounts,
            supply: wire.supply,
            inbox: wire.inbox,
            l1_timestamp: wire.l1_timestamp,
        })
    }
}
