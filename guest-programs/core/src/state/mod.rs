//! The exchange state as records (PROTOCOL.md section 7): a header, markets, market states and
//! candles, supplies, accounts, balances, each trader's open orders per market, orders and
//! price levels, each kind in its own [`Table`]. The same records are the leaves of the state
//! tree (`smt.rs`), so the node holds them all while a proof holds only those its range
//! reaches, checked against the previous state root.

pub mod codec;
pub mod keys;
pub mod records;
pub mod table;

use alloc::collections::BTreeSet;
use alloc::sync::Arc;
use alloc::vec::Vec;

pub use keys::{AddressKey, BalanceKey, Ladder, LevelId, OrderId, StateKey};
pub use records::{
    Account, Balance, Breaker, Candle, GenesisConfig, Header, Hint, Level, Market, MarketState, OpenOrders, OrderKind,
    OrderRecord, OrderRef, Record, Trade, CANDLES, MAX_FEE_BPS, MAX_FILLS_LIMIT,
};
use table::{Map, Mode, Seeded, Table};

use crate::Address;

/// Every record of the exchange (or, in a proof, of its witness).
#[derive(Clone, Debug)]
pub struct State {
    pub(crate) header: Table<(), Header>,
    /// Shared: every order of an input reads its market's parameters, which never change.
    pub(crate) markets: Table<u32, Arc<Market>>,
    pub(crate) market_states: Table<u32, MarketState>,
    pub(crate) candles: Table<(u32, u8), Candle>,
    pub(crate) supply: Table<AddressKey, u128>,
    pub(crate) accounts: Table<AddressKey, Account>,
    pub(crate) balances: Table<BalanceKey, Balance>,
    pub(crate) orders: Table<OrderId, OrderRecord>,
    pub(crate) levels: Table<LevelId, Level>,
    /// Every known level by `(market, ladder, priority)`: where a new level goes in its ladder,
    /// and the level before one that empties (each then checked against the levels' links).
    pub(crate) ladders: BTreeSet<(u32, Ladder, u64)>,
    /// The tokens each trader has a balance record of (complete states only: for views).
    holdings: Map<Address, Vec<Address>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenesisError {
    DuplicateMarket(u32),
    /// A zero lot or tick, base == quote, min size 0 or above max size, a fee above
    /// [`MAX_FEE_BPS`], a fill cap outside 1..=[`MAX_FILLS_LIMIT`], or max open orders 0.
    InvalidMarket(u32),
}

/// A record that stands for no record: a zero balance or supply, an account with no nonce and
/// no open orders, a market that never traded. The state tree has no leaf for it.
pub trait Vacancy {
    fn is_vacant(&self) -> bool;
}

macro_rules! never_vacant {
    ($($ty:ty),*) => { $(impl Vacancy for $ty { fn is_vacant(&self) -> bool { false } })* };
}
never_vacant!(Header, Market, OrderRecord, Level);

impl Vacancy for Arc<Market> {
    fn is_vacant(&self) -> bool {
        false
    }
}

impl Vacancy for MarketState {
    fn is_vacant(&self) -> bool {
        *self == MarketState::default()
    }
}

impl Vacancy for Candle {
    fn is_vacant(&self) -> bool {
        *self == Candle::default()
    }
}

impl Vacancy for u128 {
    fn is_vacant(&self) -> bool {
        *self == 0
    }
}

impl Vacancy for Account {
    fn is_vacant(&self) -> bool {
        self.nonce == 0 && self.markets.is_empty()
    }
}

impl Vacancy for Balance {
    fn is_vacant(&self) -> bool {
        *self == Balance::default()
    }
}

/// Runs `$body` with `$table` bound to the table of `$key`'s kind and `$k` to its table key.
macro_rules! with_table {
    ($state:expr, $key:expr, |$table:ident, $k:ident| $body:expr) => {
        match $key {
            StateKey::Header => {
                let $k = ();
                let $table = &$state.header;
                $body
            }
            StateKey::Market(id) => {
                let $k = *id;
                let $table = &$state.markets;
                $body
            }
            StateKey::MarketState(id) => {
                let $k = *id;
                let $table = &$state.market_states;
                $body
            }
            StateKey::Candle(id, slot) => {
                let $k = (*id, *slot);
                let $table = &$state.candles;
                $body
            }
            StateKey::Supply(token) => {
                let $k = AddressKey(*token);
                let $table = &$state.supply;
                $body
            }
            StateKey::Account(trader) => {
                let $k = AddressKey(*trader);
                let $table = &$state.accounts;
                $body
            }
            StateKey::Balance(trader, token) => {
                let $k = BalanceKey { trader: *trader, token: *token };
                let $table = &$state.balances;
                $body
            }
            StateKey::Order(id) => {
                let $k = *id;
                let $table = &$state.orders;
                $body
            }
            StateKey::Level(id) => {
                let $k = *id;
                let $table = &$state.levels;
                $body
            }
        }
    };
}

/// [`with_table!`] over mutable tables.
macro_rules! with_table_mut {
    ($state:expr, $key:expr, |$table:ident, $k:ident| $body:expr) => {
        match $key {
            StateKey::Header => {
                let $k = ();
                let $table = &mut $state.header;
                $body
            }
            StateKey::Market(id) => {
                let $k = *id;
                let $table = &mut $state.markets;
                $body
            }
            StateKey::MarketState(id) => {
                let $k = *id;
                let $table = &mut $state.market_states;
                $body
            }
            StateKey::Candle(id, slot) => {
                let $k = (*id, *slot);
                let $table = &mut $state.candles;
                $body
            }
            StateKey::Supply(token) => {
                let $k = AddressKey(*token);
                let $table = &mut $state.supply;
                $body
            }
            StateKey::Account(trader) => {
                let $k = AddressKey(*trader);
                let $table = &mut $state.accounts;
                $body
            }
            StateKey::Balance(trader, token) => {
                let $k = BalanceKey { trader: *trader, token: *token };
                let $table = &mut $state.balances;
                $body
            }
            StateKey::Order(id) => {
                let $k = *id;
                let $table = &mut $state.orders;
                $body
            }
            StateKey::Level(id) => {
                let $k = *id;
                let $table = &mut $state.levels;
                $body
            }
        }
    };
}

/// Why stored bytes cannot be a record of the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The bytes are not the record layout of the key's kind.
    MalformedRecord(StateKey),
    /// A vacant record (it has no leaf, so no stored state holds it).
    VacantRecord(StateKey),
}

impl State {
    fn empty(mode: Mode, seed: u64) -> State {
        let hasher = Seeded::new(seed);
        State {
            header: Table::new(mode, hasher.clone()),
            markets: Table::new(mode, hasher.clone()),
            market_states: Table::new(mode, hasher.clone()),
            candles: Table::new(mode, hasher.clone()),
            supply: Table::new(mode, hasher.clone()),
            accounts: Table::new(mode, hasher.clone()),
            balances: Table::new(mode, hasher.clone()),
            orders: Table::new(mode, hasher.clone()),
            levels: Table::new(mode, hasher.clone()),
            ladders: BTreeSet::new(),
            holdings: Map::with_hasher(hasher),
        }
    }

    /// A complete state with no record yet (the node restoring stored records), hashing its
    /// tables' keys with `seed`.
    pub fn complete(seed: u64) -> State {
        State::empty(Mode::Complete, seed)
    }

    /// A partial state with no record yet (a proof loading its witness).
    pub fn partial(seed: u64) -> State {
        State::empty(Mode::Partial, seed)
    }

    /// The state before the first inbox entry. `seed` seeds the tables' hasher (the node draws
    /// it at random; it changes nothing observable).
    pub fn genesis_seeded(genesis: GenesisConfig, markets: Vec<Market>, seed: u64) -> Result<State, GenesisError> {
        let mut ids = Vec::with_capacity(markets.len());
        let mut state = State::complete(seed);
        for market in markets {
            if !market.is_valid() {
                return Err(GenesisError::InvalidMarket(market.id));
            }
            if state.markets.peek(&market.id).is_some() {
                return Err(GenesisError::DuplicateMarket(market.id));
            }
            ids.push(market.id);
            state.markets.load(market.id, Some(Arc::new(market)));
        }
        ids.sort_unstable();
        let header = Header { genesis, markets: ids, next_index: 0, acc: [0; 32], l1_timestamp: 0 };
        state.header.load((), Some(header));
        Ok(state)
    }

    /// [`State::genesis_seeded`] with a fixed seed (tests, tools).
    pub fn genesis(genesis: GenesisConfig, markets: Vec<Market>) -> Result<State, GenesisError> {
        State::genesis_seeded(genesis, markets, 0x5eed)
    }

    pub fn mode(&self) -> Mode {
        self.header.mode()
    }

    // ---- header -----------------------------------------------------------------------------

    #[inline]
    pub(crate) fn header(&self) -> &Header {
        match self.header.get(&()) {
            Some(header) => header,
            None => panic!("incomplete witness: no header"),
        }
    }

    #[inline]
    pub(crate) fn header_mut(&mut self) -> &mut Header {
        match self.header.get_mut(&()) {
            Some(header) => header,
            None => panic!("incomplete witness: no header"),
        }
    }

    /// The header, for views (not logged).
    pub fn view_header(&self) -> &Header {
        self.header.peek(&()).expect("a state has a header")
    }

    /// The L1 timestamp of the last applied entry.
    pub fn l1_timestamp(&self) -> u64 {
        self.view_header().l1_timestamp
    }

    /// `(next inbox index, acc of the last applied entry)`.
    pub fn inbox_position(&self) -> (u64, crate::Hash) {
        let header = self.view_header();
        (header.next_index, header.acc)
    }

    // ---- accounts and balances (logged: the transition's) ------------------------------------

    #[inline]
    pub(crate) fn nonce(&self, trader: &Address) -> u64 {
        self.accounts.get(&AddressKey(*trader)).map_or(0, |account| account.nonce)
    }

    #[inline]
    pub(crate) fn set_nonce(&mut self, trader: &Address, nonce: u64) {
        self.accounts.get_or_insert_with(&AddressKey(*trader), Account::default).nonce = nonce;
    }

    #[inline]
    pub(crate) fn balance(&self, trader: &Address, token: &Address) -> Balance {
        self.balances.get(&BalanceKey { trader: *trader, token: *token }).copied().unwrap_or_default()
    }

    #[inline]
    fn balance_mut(&mut self, trader: &Address, token: &Address) -> &mut Balance {
        let complete = self.mode() == Mode::Complete;
        let (balance, created) =
            self.balances.get_or_create(&BalanceKey { trader: *trader, token: *token }, Balance::default);
        if created && complete {
            let held = self.holdings.entry(*trader).or_default();
            if !held.contains(token) {
                held.push(*token);
            }
        }
        balance
    }

    /// Moves `amount` from available to locked; `false` (and no change) if not available.
    #[inline]
    pub(crate) fn lock(&mut self, trader: &Address, token: &Address, amount: u128) -> bool {
        let balance = self.balance_mut(trader, token);
        if balance.available < amount {
            return false;
        }
        balance.available -= amount;
        balance.locked += amount;
        true
    }

    /// Moves `amount` of locked funds back to available. The caller unlocks only what an
    /// accepted order locked, and no balance exceeds the token's supply (< 2^128).
    #[inline]
    pub(crate) fn unlock(&mut self, trader: &Address, token: &Address, amount: u128) {
        if amount > 0 {
            let balance = self.balance_mut(trader, token);
            balance.locked -= amount;
            balance.available += amount;
        }
    }

    /// Takes `amount` out of locked funds (the caller credits it elsewhere).
    #[inline]
    pub(crate) fn spend_locked(&mut self, trader: &Address, token: &Address, amount: u128) {
        if amount > 0 {
            self.balance_mut(trader, token).locked -= amount;
        }
    }

    /// Credits `amount` to available funds (paid out of someone's locked funds or a deposit).
    #[inline]
    pub(crate) fn credit(&mut self, trader: &Address, token: &Address, amount: u128) {
        if amount > 0 {
            self.balance_mut(trader, token).available += amount;
        }
    }

    /// Credits a deposit unless the token's total supply would exceed 2^128-1.
    pub fn deposit(&mut self, trader: &Address, token: &Address, amount: u128) -> bool {
        let supply = self.supply.get(&AddressKey(*token)).copied().unwrap_or(0);
        let Some(total) = supply.checked_add(amount) else { return false };
        *self.supply.get_or_insert_with(&AddressKey(*token), || 0) = total;
        self.credit(trader, token, amount);
        true
    }

    /// Debits a withdrawal from available funds; `false` (no change) if not available.
    pub fn withdraw(&mut self, trader: &Address, token: &Address, amount: u128) -> bool {
        if self.balance(trader, token).available < amount {
            return false;
        }
        if amount > 0 {
            self.balance_mut(trader, token).available -= amount;
            *self.supply.get_or_insert_with(&AddressKey(*token), || 0) -= amount;
        }
        true
    }

    // ---- views (not logged) -----------------------------------------------------------------

    pub fn genesis_config(&self) -> &GenesisConfig {
        &self.view_header().genesis
    }

    /// Listed markets, by id.
    pub fn markets(&self) -> Vec<&Market> {
        self.view_header().markets.iter().filter_map(|id| self.markets.peek(id).map(|m| &**m)).collect()
    }

    pub fn market(&self, id: u32) -> Option<&Market> {
        self.markets.peek(&id).map(|m| &**m)
    }

    pub fn market_state(&self, id: u32) -> MarketState {
        self.market_states.peek(&id).copied().unwrap_or_default()
    }

    /// A market's candle in ring slot `slot`, if it ever traded in that slot.
    pub fn candle(&self, id: u32, slot: u8) -> Option<Candle> {
        self.candles.peek(&(id, slot)).copied().filter(|candle| !candle.is_vacant())
    }

    /// The trader's last accepted nonce (0: none).
    pub fn last_nonce(&self, trader: &Address) -> u64 {
        self.accounts.peek(&AddressKey(*trader)).map_or(0, |account| account.nonce)
    }

    pub fn account(&self, trader: &Address) -> Account {
        self.accounts.peek(&AddressKey(*trader)).cloned().unwrap_or_default()
    }

    pub fn balance_of(&self, trader: &Address, token: &Address) -> Balance {
        self.balances.peek(&BalanceKey { trader: *trader, token: *token }).copied().unwrap_or_default()
    }

    /// The trader's non-zero balances, by token (complete states).
    pub fn balances_of(&self, trader: &Address) -> Vec<(Address, Balance)> {
        let mut out: Vec<(Address, Balance)> = self
            .holdings
            .get(trader)
            .map(|tokens| tokens.iter().map(|token| (*token, self.balance_of(trader, token))).collect())
            .unwrap_or_default();
        out.retain(|(_, balance)| !balance.is_vacant());
        out.sort_unstable_by_key(|a| a.0);
        out
    }

    /// Every non-zero `(trader, token, balance)`, sorted (tests and tools: a full scan).
    pub fn all_balances(&self) -> Vec<(Address, Address, Balance)> {
        let mut out: Vec<(Address, Address, Balance)> = self
            .balances
            .iter()
            .filter(|(_, balance)| !balance.is_vacant())
            .map(|(key, balance)| (key.trader, key.token, *balance))
            .collect();
        out.sort_unstable_by_key(|a| (a.0, a.1));
        out
    }

    /// A token's supply (deposits minus withdrawals).
    pub fn supply_of(&self, token: &Address) -> u128 {
        self.supply.peek(&AddressKey(*token)).copied().unwrap_or(0)
    }

    pub fn open_orders_in(&self, trader: &Address, market: u32) -> OpenOrders {
        self.accounts
            .peek(&AddressKey(*trader))
            .map_or(OpenOrders { market, ..OpenOrders::default() }, |account| account.open_in(market))
    }

    pub fn order(&self, id: &OrderId) -> Option<&OrderRecord> {
        self.orders.peek(id)
    }

    /// Every order (resting and stop), in no particular order (tests and tools: a full scan).
    pub fn all_orders(&self) -> impl Iterator<Item = (&OrderId, &OrderRecord)> {
        self.orders.iter()
    }

    pub fn level(&self, id: &LevelId) -> Option<&Level> {
        self.levels.peek(id)
    }

    // ---- records by key ----------------------------------------------------------------------

    /// Whether the transition wrote `key` since the log was last emptied.
    pub fn was_written(&self, key: &StateKey) -> bool {
        with_table!(self, key, |table, k| table.was_written(&k))
    }

    /// Writes the leaf bytes of `key` into `out` (emptied first); `false` when it has no record
    /// (or a vacant one).
    pub fn write_record(&self, key: &StateKey, out: &mut Vec<u8>) -> bool {
        out.clear();
        with_table!(self, key, |table, k| match table.peek(&k).filter(|record| !record.is_vacant()) {
            Some(record) => {
                let mut writer = codec::Writer(core::mem::take(out));
                record.write(&mut writer);
                *out = writer.0;
                true
            }
            None => false,
        })
    }

    /// Makes room in each table for the records of `keys` (a witness's), so that loading them
    /// does not grow the tables step by step.
    pub fn reserve_for<'a>(&mut self, keys: impl Iterator<Item = &'a StateKey>) {
        let mut counts = [0usize; 9];
        for key in keys {
            let kind = match key {
                StateKey::Header => 0,
                StateKey::Market(_) => 1,
                StateKey::MarketState(_) => 2,
                StateKey::Candle(..) => 3,
                StateKey::Supply(_) => 4,
                StateKey::Account(_) => 5,
                StateKey::Balance(..) => 6,
                StateKey::Order(_) => 7,
                StateKey::Level(_) => 8,
            };
            counts[kind] += 1;
        }
        self.markets.reserve(counts[1]);
        self.market_states.reserve(counts[2]);
        self.candles.reserve(counts[3]);
        self.supply.reserve(counts[4]);
        self.accounts.reserve(counts[5]);
        self.balances.reserve(counts[6]);
        self.orders.reserve(counts[7]);
        self.levels.reserve(counts[8]);
    }

    /// The leaf bytes of `key`: `None` when it has no record (or a vacant one).
    pub fn record_bytes(&self, key: &StateKey) -> Option<Vec<u8>> {
        with_table!(self, key, |table, k| table.peek(&k).filter(|record| !record.is_vacant()).map(Record::encode))
    }

    /// Sets `key`'s record from its leaf bytes (`None`: no record), without logging: a stored
    /// state being restored, a witness being loaded, a reorg being rolled back. Call
    /// [`State::derive_hints`] once every record is set.
    pub fn set_record(&mut self, key: &StateKey, bytes: Option<&[u8]>) -> Result<(), LoadError> {
        fn decoded<R: Record + Vacancy>(key: &StateKey, bytes: Option<&[u8]>) -> Result<Option<R>, LoadError> {
            let Some(bytes) = bytes else { return Ok(None) };
            let record = R::decode(bytes).ok_or(LoadError::MalformedRecord(*key))?;
            if record.is_vacant() {
                return Err(LoadError::VacantRecord(*key));
            }
            Ok(Some(record))
        }
        if let StateKey::Level(id) = key {
            self.ladders.remove(&(id.market, id.ladder, id.ladder.priority(id.price)));
            if bytes.is_some() {
                self.ladders.insert((id.market, id.ladder, id.ladder.priority(id.price)));
            }
        }
        if let (StateKey::Balance(trader, token), Some(_), Mode::Complete) = (key, bytes, self.mode()) {
            let held = self.holdings.entry(*trader).or_default();
            if !held.contains(token) {
                held.push(*token);
            }
        }
        with_table_mut!(self, key, |table, k| {
            let record = decoded(key, bytes)?;
            match (record, table.mode()) {
                (None, Mode::Complete) => table.forget(&k),
                (record, _) => table.load(k, record),
            }
            Ok(())
        })
    }

    /// Rebuilds what the engine keeps beside the records: each order's predecessor in its
    /// queue and its newer neighbour among its trader's orders, wherever both are known.
    pub fn derive_hints(&mut self) {
        let mut prev: Vec<(OrderId, OrderRef)> = Vec::new();
        let mut newer: Vec<(OrderId, u64)> = Vec::new();
        for (id, order) in self.orders.iter() {
            if let Some((trader, nonce)) = order.next {
                prev.push((OrderId { market: id.market, trader, nonce }, Some((id.trader, id.nonce))));
            }
            if order.older != 0 {
                newer.push((OrderId { market: id.market, trader: id.trader, nonce: order.older }, id.nonce));
            }
        }
        for (id, level) in self.levels.iter() {
            prev.push((OrderId { market: id.market, trader: level.head.0, nonce: level.head.1 }, None));
        }
        for (trader, account) in self.accounts.iter() {
            for open in &account.markets {
                newer.push((OrderId { market: open.market, trader: trader.0, nonce: open.newest }, 0));
            }
        }
        for (id, link) in prev {
            if let Some(order) = self.orders.peek_mut(&id) {
                order.prev = Hint::Known(link);
            }
        }
        for (id, link) in newer {
            if let Some(order) = self.orders.peek_mut(&id) {
                order.newer = Hint::Known(link);
            }
        }
    }

    /// The keys reached since the last call, each once, with whether it was written, sorted.
    pub fn take_accessed(&mut self) -> Vec<(StateKey, bool)> {
        let mut all: Vec<(StateKey, bool)> = Vec::new();
        macro_rules! drain {
            ($table:ident, |$k:ident| $key:expr) => {
                all.extend(self.$table.take_log().into_iter().map(|($k, written)| ($key, written)));
            };
        }
        drain!(header, |k| {
            let () = k;
            StateKey::Header
        });
        drain!(markets, |k| StateKey::Market(k));
        drain!(market_states, |k| StateKey::MarketState(k));
        drain!(candles, |k| StateKey::Candle(k.0, k.1));
        drain!(supply, |k| StateKey::Supply(k.0));
        drain!(accounts, |k| StateKey::Account(k.0));
        drain!(balances, |k| StateKey::Balance(k.trader, k.token));
        drain!(orders, |k| StateKey::Order(k));
        drain!(levels, |k| StateKey::Level(k));
        all.sort_unstable();
        all.dedup_by(|later, first| {
            if later.0 == first.0 {
                first.1 |= later.1;
                true
            } else {
                false
            }
        });
        all
    }

    /// Forgets the log without reading it (benchmarks of the engine alone).
    pub fn clear_accessed(&mut self) {
        self.header.clear_log();
        self.markets.clear_log();
        self.market_states.clear_log();
        self.candles.clear_log();
        self.supply.clear_log();
        self.accounts.clear_log();
        self.balances.clear_log();
        self.orders.clear_log();
        self.levels.clear_log();
    }

    /// Drops a vacant record at `key` (a complete state's commit: it has no leaf).
    pub fn forget_if_vacant(&mut self, key: &StateKey) {
        with_table_mut!(self, key, |table, k| {
            if table.peek(&k).is_some_and(|record| record.is_vacant()) {
                table.forget(&k);
            }
        });
        if let StateKey::Balance(trader, token) = key {
            if self.balances.peek(&BalanceKey { trader: *trader, token: *token }).is_none() {
                if let Some(held) = self.holdings.get_mut(trader) {
                    held.retain(|held| held != token);
                    if held.is_empty() {
                        self.holdings.remove(trader);
                    }
                }
            }
        }
    }

    /// Every key this state knows (a partial state's witness keys, a complete state's records).
    pub fn known_keys(&self) -> Vec<StateKey> {
        let mut keys: Vec<StateKey> = Vec::new();
        keys.extend(self.header.keys().map(|_| StateKey::Header));
        keys.extend(self.markets.keys().map(|k| StateKey::Market(*k)));
        keys.extend(self.market_states.keys().map(|k| StateKey::MarketState(*k)));
        keys.extend(self.candles.keys().map(|k| StateKey::Candle(k.0, k.1)));
        keys.extend(self.supply.keys().map(|k| StateKey::Supply(k.0)));
        keys.extend(self.accounts.keys().map(|k| StateKey::Account(k.0)));
        keys.extend(self.balances.keys().map(|k| StateKey::Balance(k.trader, k.token)));
        keys.extend(self.orders.keys().map(|k| StateKey::Order(*k)));
        keys.extend(self.levels.keys().map(|k| StateKey::Level(*k)));
        keys
    }

    /// Every record as `(key, leaf bytes)`, sorted by key (a complete state's leaves).
    pub fn records(&self) -> Vec<(StateKey, Vec<u8>)> {
        let mut keys = self.known_keys();
        keys.sort_unstable();
        keys.into_iter().filter_map(|key| Some((key, self.record_bytes(&key)?))).collect()
    }
}

impl PartialEq for State {
    /// Equal when they hold the same records (vacant ones being none).
    fn eq(&self, other: &State) -> bool {
        self.records() == other.records()
    }
}

impl Eq for State {}
