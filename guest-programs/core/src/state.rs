//! The exchange state: genesis config, markets, per-market books, nonces, balances, inbox
//! position.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

pub use crate::accounts::Balance;
use crate::accounts::Accounts;
use crate::book::MarketState;
use crate::inbox::InboxPosition;
use crate::Address;

/// What a deployment fixes at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisConfig {
    pub chain_id: u64,
    pub inbox: Address,
    pub vault: Address,
}

/// Fees above this many basis points are refused at genesis.
pub const MAX_FEE_BPS: u16 = 1_000;
/// The highest per-order fill cap a market may configure.
pub const MAX_FILLS_LIMIT: u32 = 1_000;

/// A market trades `base_lot` base atoms per lot at `quote_tick` quote atoms per lot per tick
/// (the tick size); prices are in ticks, quantities in lots. Markets are listed at genesis
/// only (PROTOCOL.md section 5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Market {
    pub id: u32,
    pub base: Address,
    pub quote: Address,
    pub base_lot: u128,
    pub quote_tick: u128,
    /// Smallest order, in lots (at least 1).
    pub min_size: u64,
    /// Largest order, in lots (0: no limit).
    pub max_size: u64,
    /// Fees in basis points of the quote amount of a fill, paid in quote to `fee_recipient`.
    pub maker_fee_bps: u16,
    pub taker_fee_bps: u16,
    pub fee_recipient: Address,
    /// Circuit breaker: a trade more than `band_bps` away from the window's reference price
    /// halts matching for `halt_seconds` (0: no breaker). Windows last `band_window` seconds.
    pub band_bps: u16,
    pub band_window: u64,
    pub halt_seconds: u64,
    /// Resting plus stop orders a trader may have in this market.
    pub max_open_orders: u32,
    /// Maker orders one incoming order may reach (fills, expired and self-trade removals).
    pub max_fills: u32,
}

impl Market {
    /// A market with no fees, no breaker, min size 1, no max size, 1000 open orders per
    /// trader and 100 fills per order.
    pub fn simple(id: u32, base: Address, quote: Address, base_lot: u128, quote_tick: u128) -> Market {
        Market {
            id,
            base,
            quote,
            base_lot,
            quote_tick,
            min_size: 1,
            max_size: 0,
            maker_fee_bps: 0,
            taker_fee_bps: 0,
            fee_recipient: [0; 20],
            band_bps: 0,
            band_window: 0,
            halt_seconds: 0,
            max_open_orders: 1_000,
            max_fills: 100,
        }
    }

    pub fn max_fee_bps(&self) -> u16 {
        self.maker_fee_bps.max(self.taker_fee_bps)
    }

    fn is_valid(&self) -> bool {
        self.base_lot != 0
            && self.quote_tick != 0
            && self.base != self.quote
            && self.min_size >= 1
            && (self.max_size == 0 || self.max_size >= self.min_size)
            && self.max_fee_bps() <= MAX_FEE_BPS
            && (1..=MAX_FILLS_LIMIT).contains(&self.max_fills)
            && self.max_open_orders >= 1
    }
}

/// The whole state. Its canonical (postcard) encoding is written field by field in
/// `state_wire.rs` (nonces, balances and open-order counts from the accounts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub genesis: GenesisConfig,
    pub markets: BTreeMap<u32, Market>,
    pub market_states: BTreeMap<u32, MarketState>,
    /// `lastNonce` and balances of every trader.
    pub accounts: Accounts,
    /// Total deposited minus withdrawn per token, at most 2^128-1 so no balance can overflow.
    pub supply: BTreeMap<Address, u128>,
    pub inbox: InboxPosition,
    /// The L1 timestamp of the last applied entry (the clock of expiry and market data).
    pub l1_timestamp: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenesisError {
    DuplicateMarket(u32),
    /// A zero lot or tick, base == quote, min size 0 or above max size, a fee above
    /// [`MAX_FEE_BPS`], a fill cap outside 1..=[`MAX_FILLS_LIMIT`], or max open orders 0.
    InvalidMarket(u32),
}

impl State {
    pub fn genesis(genesis: GenesisConfig, markets: Vec<Market>) -> Result<State, GenesisError> {
        let mut by_id = BTreeMap::new();
        for market in markets {
            if !market.is_valid() {
                return Err(GenesisError::InvalidMarket(market.id));
            }
            let id = market.id;
            if by_id.insert(id, market).is_some() {
                return Err(GenesisError::DuplicateMarket(id));
            }
        }
        Ok(State {
            genesis,
            market_states: by_id.keys().map(|id| (*id, MarketState::default())).collect(),
            markets: by_id,
            accounts: Accounts::default(),
            supply: BTreeMap::new(),
            inbox: InboxPosition::default(),
            l1_timestamp: 0,
        })
    }

    pub fn last_nonce(&self, trader: &Address) -> u64 {
        self.accounts.last_nonce(trader)
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
        let id = self.accounts.open(trader);
        self.accounts.credit(id, token, amount);
        true
    }

    /// Debits a withdrawal from available funds; `false` (no change) if not available.
    pub fn withdraw(&mut self, trader: &Address, token: &Address, amount: u128) -> bool {
        let Some(id) = self.accounts.find(trader) else { return amount == 0 };
        if !self.accounts.debit(id, token, amount) {
            return false;
        }
        let supply = self.supply.entry(*token).or_default();
        *supply -= amount;
        if *supply == 0 {
            self.supply.remove(token);
        }
        true
    }
}
