//! The exchange state: genesis config, markets, books, nonces, balances, inbox position.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::book::Book;
use crate::inbox::InboxPosition;
use crate::Address;

/// What a deployment fixes at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisConfig {
    pub chain_id: u64,
    pub inbox: Address,
    pub vault: Address,
}

/// A market trades `base_lot` base atoms per lot at `quote_tick` quote atoms per lot per tick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Market {
    pub id: u32,
    pub base: Address,
    pub quote: Address,
    pub base_lot: u128,
    pub quote_tick: u128,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub available: u128,
    pub locked: u128,
}

/// Balances by `(trader, token)`. A balance that becomes zero is removed, so the set of
/// leaves (and so the state root) does not depend on history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances(BTreeMap<(Address, Address), Balance>);

/// The whole state. Field order is the canonical (postcard) encoding order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub genesis: GenesisConfig,
    pub markets: BTreeMap<u32, Market>,
    pub books: BTreeMap<u32, Book>,
    /// `lastNonce` of every trader that has had an order accepted.
    pub nonces: BTreeMap<Address, u64>,
    /// Total deposited per token, kept at most 2^128-1 so that no balance can overflow.
    pub supply: BTreeMap<Address, u128>,
    pub balances: Balances,
    pub inbox: InboxPosition,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenesisError {
    DuplicateMarket(u32),
    /// A zero lot or tick, or a base token equal to the quote token.
    InvalidMarket(u32),
}

impl State {
    pub fn genesis(genesis: GenesisConfig, markets: Vec<Market>) -> Result<State, GenesisError> {
        let mut by_id = BTreeMap::new();
        for market in markets {
            if market.base_lot == 0 || market.quote_tick == 0 || market.base == market.quote {
                return Err(GenesisError::InvalidMarket(market.id));
            }
            let id = market.id;
            if by_id.insert(id, market).is_some() {
                return Err(GenesisError::DuplicateMarket(id));
            }
        }
        Ok(State {
            genesis,
            books: by_id.keys().map(|id| (*id, Book::default())).collect(),
            markets: by_id,
            nonces: BTreeMap::new(),
            supply: BTreeMap::new(),
            balances: Balances::default(),
            inbox: InboxPosition::default(),
        })
    }

    pub fn last_nonce(&self, trader: &Address) -> u64 {
        self.nonces.get(trader).copied().unwrap_or(0)
    }

    /// The canonical encoding (a snapshot).
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("serializing to a Vec cannot fail")
    }

    /// Decodes a snapshot; trailing bytes are refused so that the encoding stays canonical.
    pub fn decode(bytes: &[u8]) -> Option<State> {
        match postcard::take_from_bytes(bytes) {
            Ok((state, [])) => Some(state),
            _ => None,
        }
    }

    /// Credits a deposit unless the token's total supply would exceed 2^128-1.
    pub fn deposit(&mut self, trader: &Address, token: &Address, amount: u128) -> bool {
        let supply = self.supply.entry(*token).or_default();
        let Some(total) = supply.checked_add(amount) else { return false };
        *supply = total;
        self.balances.update(trader, token, |balance| balance.available += amount);
        true
    }
}

impl Balances {
    pub fn get(&self, trader: &Address, token: &Address) -> Balance {
        self.0.get(&(*trader, *token)).copied().unwrap_or_default()
    }

    /// Every `(trader, token, balance)`, sorted by trader then token.
    pub fn iter(&self) -> impl Iterator<Item = (&Address, &Address, &Balance)> {
        self.0.iter().map(|((trader, token), balance)| (trader, token, balance))
    }

    /// The trader's balances, by token.
    pub fn of(&self, trader: &Address) -> impl Iterator<Item = (&Address, &Balance)> {
        self.0.range((*trader, [0; 20])..=(*trader, [0xff; 20])).map(|((_, token), balance)| (token, balance))
    }

    fn update(&mut self, trader: &Address, token: &Address, change: impl FnOnce(&mut Balance)) {
        let key = (*trader, *token);
        let balance = self.0.entry(key).or_default();
        change(balance);
        if *balance == Balance::default() {
            self.0.remove(&key);
        }
    }

    /// Moves `amount` from available to locked; `false` (and no change) if not available.
    pub fn lock(&mut self, trader: &Address, token: &Address, amount: u128) -> bool {
        if self.get(trader, token).available < amount {
            return false;
        }
        self.update(trader, token, |balance| {
            balance.available -= amount;
            balance.locked += amount;
        });
        true
    }

    /// Moves `amount` of the trader's locked funds back to available. The caller unlocks only
    /// what an accepted order locked, and no balance exceeds the token's supply (< 2^128).
    pub fn unlock(&mut self, trader: &Address, token: &Address, amount: u128) {
        self.update(trader, token, |balance| {
            balance.locked -= amount;
            balance.available += amount;
        });
    }

    /// Pays `amount` of `from`'s locked funds to `to`'s available funds (same bounds as
    /// [`Balances::unlock`]).
    pub fn pay_locked(&mut self, from: &Address, to: &Address, token: &Address, amount: u128) {
        self.update(from, token, |balance| balance.locked -= amount);
        self.update(to, token, |balance| balance.available += amount);
    }
}
