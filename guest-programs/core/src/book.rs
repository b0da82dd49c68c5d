//! A market's ladders (resting bids and asks, buy and sell stops) and each trader's open
//! orders, over the state's records.
//!
//! A ladder is a list of price levels linked best to worse from the market state's `best`
//! entry; each level is a FIFO queue of orders linked front to back. Reaching the best order,
//! the next order and the next level is one record each, so a proof touches only what its
//! range matches against. A new level goes behind the nearest better level, which the state's
//! ordered index finds and the links confirm ("no level lies between"): in a proof the index
//! holds only the witness's levels, so a witness without the true neighbour fails the check.
//!
//! A trader's open orders in a market are linked newest to oldest from its account record, so
//! a cancel-all walks only that trader's orders. Links run one way in the records;
//! each order's predecessor (in its queue and among its trader's orders) is a hint the engine
//! keeps beside the record, rebuilt from the records when they are loaded.

use alloc::vec::Vec;

use crate::message::Side;
use crate::state::{
    Account, AddressKey, Candle, Hint, Ladder, Level, LevelId, MarketState, OpenOrders, OrderId, OrderKind,
    OrderRecord, OrderRef, State, Trade, CANDLES,
};
use crate::Address;

/// A broken link: the state is inconsistent, or (in a proof) the witness lacks a record the
/// transition needs. Either way no root may come out of it.
#[cold]
#[inline(never)]
fn broken(what: &str, id: &dyn core::fmt::Debug) -> ! {
    panic!("incomplete witness or inconsistent state: {what} {id:?}")
}

/// A price level of the book: total visible lots and number of orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthLevel {
    pub price: u64,
    pub quantity: u64,
    pub orders: usize,
}

/// Open, high, low, close and volume of the 24 hours up to a timestamp.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ohlcv {
    pub open: u64,
    pub high: u64,
    pub low: u64,
    pub close: u64,
    pub volume: u128,
    pub quote_volume: u128,
    pub trades_hours: u32,
}

impl OrderRecord {
    /// The ladder and level price the order queues at.
    #[inline]
    pub fn place(&self) -> (Ladder, u64) {
        match self.kind {
            OrderKind::Resting => (Ladder::book(self.side), self.price),
            OrderKind::Stop => (Ladder::stops(self.side), self.trigger_price),
        }
    }
}

fn order_id(market: u32, (trader, nonce): (Address, u64)) -> OrderId {
    OrderId { market, trader, nonce }
}

impl State {
    // ---- market state -------------------------------------------------------------------------

    #[inline]
    pub(crate) fn market_state_of(&self, market: u32) -> MarketState {
        self.market_states.get(&market).copied().unwrap_or_default()
    }

    /// The best price of one ladder (0: empty), read off the market state without copying it.
    #[inline]
    pub(crate) fn best_level_of(&self, market: u32, ladder: Ladder) -> u64 {
        self.market_states.get(&market).map_or(0, |state| state.best[ladder as usize])
    }

    #[inline]
    pub(crate) fn market_state_mut(&mut self, market: u32) -> &mut MarketState {
        self.market_states.get_or_insert_with(&market, MarketState::default)
    }

    /// Records a trade for the last price and the hourly candles (sums saturate).
    pub(crate) fn record_trade(&mut self, market: u32, price: u64, quantity: u64, timestamp: u64) {
        self.market_state_mut(market).last_trade = Some(Trade { price, quantity, timestamp });
        let hour = timestamp / 3600;
        let slot = (hour % u64::from(CANDLES)) as u8;
        let candle = self.candles.get_or_insert_with(&(market, slot), Candle::default);
        if candle.hour != hour || candle.volume == 0 {
            *candle = Candle { hour, open: price, high: price, low: price, close: price, volume: 0, quote_volume: 0 };
        }
        candle.high = candle.high.max(price);
        candle.low = candle.low.min(price);
        candle.close = price;
        candle.volume = candle.volume.saturating_add(u128::from(quantity));
        candle.quote_volume = candle.quote_volume.saturating_add(u128::from(quantity) * u128::from(price));
    }

    // ---- orders -------------------------------------------------------------------------------

    #[inline]
    pub(crate) fn order_at(&self, id: &OrderId) -> &OrderRecord {
        match self.orders.get(id) {
            Some(order) => order,
            None => broken("order", id),
        }
    }

    #[inline]
    pub(crate) fn order_mut(&mut self, id: &OrderId) -> &mut OrderRecord {
        match self.orders.get_mut(id) {
            Some(order) => order,
            None => broken("order", id),
        }
    }

    /// The order `nonce` of `trader` in `market`, if it is open (resting or stop).
    #[inline]
    pub(crate) fn find_order(&self, market: u32, trader: &Address, nonce: u64) -> Option<&OrderRecord> {
        self.orders.get(&OrderId { market, trader: *trader, nonce })
    }

    /// Adds an order: at the back of its price level, and as its trader's newest.
    pub(crate) fn add_order(&mut self, id: OrderId, mut order: OrderRecord) {
        self.link_newest(&id, &mut order);
        self.push_back(id, order);
    }

    /// Takes an order out of its queue, its trader's list and the state.
    pub(crate) fn remove_order(&mut self, id: &OrderId) -> OrderRecord {
        let Some(order) = self.orders.remove(id) else { broken("order", id) };
        self.unlink(id, &order);
        self.unlink_from_trader(id, &order);
        order
    }

    /// Moves a resting order to the back of its price level (an iceberg showing more).
    pub(crate) fn requeue(&mut self, id: &OrderId) {
        let order = self.order_at(id).clone();
        let (ladder, price) = order.place();
        let level = self.level_at(&LevelId { market: id.market, ladder, price });
        if level.head == level.tail {
            return; // alone in its level: already at the back
        }
        self.unlink(id, &order);
        let order = self.orders.remove(id).expect("read just now");
        self.push_back(*id, order);
    }

    /// Every open order of `trader` in `market` taken out of its ladder and the state, resting
    /// orders by nonce then stops by nonce; the trader's list left empty. Work is the trader's
    /// own orders (at most the market's `max_open_orders`).
    pub(crate) fn take_all_of(&mut self, trader: &Address, market: u32) -> Vec<(OrderId, OrderRecord)> {
        let open =
            self.accounts.get(&AddressKey(*trader)).map_or(OpenOrders::default(), |account| account.open_in(market));
        let mut listed: Vec<(OrderKind, u64)> = Vec::with_capacity(open.count as usize);
        let mut at = open.newest;
        while at != 0 && listed.len() < open.count as usize {
            let order = self.order_at(&OrderId { market, trader: *trader, nonce: at });
            listed.push((order.kind, at));
            at = order.older;
        }
        listed.sort_unstable_by_key(|(kind, nonce)| (*kind as u8, *nonce));
        let mut taken = Vec::with_capacity(listed.len());
        for (_, nonce) in listed {
            let id = OrderId { market, trader: *trader, nonce };
            let Some(order) = self.orders.remove(&id) else { broken("order", &id) };
            self.unlink(&id, &order);
            taken.push((id, order));
        }
        if open.count != 0 {
            let account = self.accounts.get_or_insert_with(&AddressKey(*trader), Account::default);
            account.markets.retain(|open| open.market != market);
        }
        taken
    }

    // ---- a trader's open orders ---------------------------------------------------------------

    /// The account's open-orders entry of `market` (created empty).
    fn open_entry(account: &mut Account, market: u32) -> &mut OpenOrders {
        let at = match account.markets.binary_search_by_key(&market, |open| open.market) {
            Ok(at) => at,
            Err(at) => {
                account.markets.insert(at, OpenOrders { market, count: 0, newest: 0 });
                at
            }
        };
        &mut account.markets[at]
    }

    fn link_newest(&mut self, id: &OrderId, order: &mut OrderRecord) {
        let account = self.accounts.get_or_insert_with(&AddressKey(id.trader), Account::default);
        let open = Self::open_entry(account, id.market);
        let older = open.newest;
        open.newest = id.nonce;
        open.count += 1;
        order.older = older;
        order.newer = Hint::Known(0);
        if older != 0 {
            if let Some(previous) = self.orders.peek_mut(&OrderId { nonce: older, ..*id }) {
                previous.newer = Hint::Known(id.nonce);
            }
        }
    }

    fn unlink_from_trader(&mut self, id: &OrderId, order: &OrderRecord) {
        let Some(account) = self.accounts.get_mut(&AddressKey(id.trader)) else { broken("account of", id) };
        let Ok(at) = account.markets.binary_search_by_key(&id.market, |open| open.market) else {
            broken("open orders of", id)
        };
        let open = &mut account.markets[at];
        open.count -= 1;
        let head = open.newest == id.nonce;
        if head {
            open.newest = order.older;
        }
        if open.count == 0 {
            account.markets.remove(at);
        }
        let newer = if head {
            0
        } else {
            let Hint::Known(newer) = order.newer else { broken("newer order than", id) };
            if newer == 0 {
                broken("newer order than", id);
            }
            self.order_mut(&OrderId { nonce: newer, ..*id }).older = order.older;
            newer
        };
        if order.older != 0 {
            if let Some(older) = self.orders.peek_mut(&OrderId { nonce: order.older, ..*id }) {
                older.newer = Hint::Known(newer);
            }
        }
    }

    // ---- queues -------------------------------------------------------------------------------

    #[inline]
    fn level_at(&self, id: &LevelId) -> Level {
        match self.levels.get(id) {
            Some(level) => *level,
            None => broken("level", id),
        }
    }

    /// Appends `order` at the back of its level's queue (opening the level if new) and stores it.
    fn push_back(&mut self, id: OrderId, mut order: OrderRecord) {
        let (ladder, price) = order.place();
        let level_id = LevelId { market: id.market, ladder, price };
        let me = (id.trader, id.nonce);
        order.next = None;
        match self.levels.get_mut(&level_id) {
            Some(level) => {
                let tail = level.tail;
                level.tail = me;
                self.order_mut(&order_id(id.market, tail)).next = Some(me);
                order.prev = Hint::Known(Some(tail));
            }
            None => {
                self.open_level(level_id, me);
                order.prev = Hint::Known(None);
            }
        }
        self.orders.insert(id, order);
    }

    /// Takes `order` (already out of the orders table) out of its level's queue, closing the
    /// level if it empties.
    fn unlink(&mut self, id: &OrderId, order: &OrderRecord) {
        let (ladder, price) = order.place();
        let level_id = LevelId { market: id.market, ladder, price };
        let level = self.level_at(&level_id);
        let me = (id.trader, id.nonce);
        if level.head == me {
            match order.next {
                None => self.close_level(level_id, level.worse),
                Some(next) => {
                    self.levels.get_mut(&level_id).expect("read just now").head = next;
                    if let Some(after) = self.orders.peek_mut(&order_id(id.market, next)) {
                        after.prev = Hint::Known(None);
                    }
                }
            }
            return;
        }
        let Hint::Known(Some(prev)) = order.prev else { broken("order ahead of", id) };
        self.order_mut(&order_id(id.market, prev)).next = order.next;
        match order.next {
            Some(next) => {
                if let Some(after) = self.orders.peek_mut(&order_id(id.market, next)) {
                    after.prev = Hint::Known(Some(prev));
                }
            }
            None => self.levels.get_mut(&level_id).expect("read just now").tail = prev,
        }
    }

    // ---- levels -------------------------------------------------------------------------------

    /// The nearest level better than `price` in the ladder that the state knows of (not
    /// logged: the caller reads it, and its link proves it is the neighbour).
    fn level_before(&self, market: u32, ladder: Ladder, price: u64) -> Option<u64> {
        let bound = ladder.priority(price);
        let (_, _, priority) = *self.ladders.range((market, ladder, 0)..(market, ladder, bound)).next_back()?;
        // priority() is its own inverse on both kinds of ladder.
        Some(ladder.priority(priority))
    }

    fn open_level(&mut self, id: LevelId, order: (Address, u64)) {
        let ladder = id.ladder;
        let worse = match self.level_before(id.market, ladder, id.price) {
            Some(before) => {
                let Some(level) = self.levels.get_mut(&LevelId { price: before, ..id }) else { broken("level", &id) };
                if level.worse != 0 && !ladder.before(id.price, level.worse) {
                    broken("level between, before", &id);
                }
                core::mem::replace(&mut level.worse, id.price)
            }
            None => {
                let best = &mut self.market_state_mut(id.market).best[ladder as usize];
                if *best != 0 && !ladder.before(id.price, *best) {
                    broken("level better than", &id);
                }
                core::mem::replace(best, id.price)
            }
        };
        self.levels.insert(id, Level { head: order, tail: order, worse });
        self.ladders.insert((id.market, ladder, ladder.priority(id.price)));
    }

    fn close_level(&mut self, id: LevelId, worse: u64) {
        match self.level_before(id.market, id.ladder, id.price) {
            Some(before) => {
                let Some(level) = self.levels.get_mut(&LevelId { price: before, ..id }) else { broken("level", &id) };
                if level.worse != id.price {
                    broken("level between, before", &id);
                }
                level.worse = worse;
            }
            None => {
                let best = &mut self.market_state_mut(id.market).best[id.ladder as usize];
                if *best != id.price {
                    broken("level better than", &id);
                }
                *best = worse;
            }
        }
        self.levels.remove(&id);
        self.ladders.remove(&(id.market, id.ladder, id.ladder.priority(id.price)));
    }

    // ---- reading ladders (logged: the transition's) -------------------------------------------

    /// The first order of a ladder.
    #[inline]
    pub(crate) fn best_of(&self, market: u32, ladder: Ladder) -> Option<(OrderId, &OrderRecord)> {
        let price = self.best_level_of(market, ladder);
        (price != 0).then(|| self.first_at(market, ladder, price))
    }

    /// The first order of the level at `price` (which must exist).
    #[inline]
    pub(crate) fn first_at(&self, market: u32, ladder: Ladder, price: u64) -> (OrderId, &OrderRecord) {
        let head = self.level_at(&LevelId { market, ladder, price }).head;
        let id = order_id(market, head);
        (id, self.order_at(&id))
    }

    /// The best price of the book side `side` (the market state alone).
    #[inline]
    pub(crate) fn best_price_of(&self, market: u32, side: Side) -> Option<u64> {
        let price = self.best_level_of(market, Ladder::book(side));
        (price != 0).then_some(price)
    }

    /// Visits the orders of a ladder in priority order until `visit` returns false.
    pub(crate) fn walk(&self, market: u32, ladder: Ladder, mut visit: impl FnMut(&OrderId, &OrderRecord) -> bool) {
        let mut price = self.best_level_of(market, ladder);
        while price != 0 {
            let level = self.level_at(&LevelId { market, ladder, price });
            let mut at: OrderRef = Some(level.head);
            while let Some(link) = at {
                let id = order_id(market, link);
                let order = self.order_at(&id);
                if !visit(&id, order) {
                    return;
                }
                at = order.next;
            }
            price = level.worse;
        }
    }

    /// The first stop of `market` that `last_price` triggers (buy stops before sell stops).
    pub(crate) fn next_triggered(&self, market: u32, last_price: u64) -> Option<OrderId> {
        let best = self.market_state_of(market).best;
        let buy = best[Ladder::BuyStops as usize];
        if buy != 0 && buy <= last_price {
            return self.best_of(market, Ladder::BuyStops).map(|(id, _)| id);
        }
        let sell = best[Ladder::SellStops as usize];
        if sell != 0 && sell >= last_price {
            return self.best_of(market, Ladder::SellStops).map(|(id, _)| id);
        }
        None
    }

    // ---- views (not logged) -------------------------------------------------------------------

    /// Orders of a ladder in priority order (views and tests).
    pub fn ladder_orders(&self, market: u32, ladder: Ladder) -> Vec<(OrderId, &OrderRecord)> {
        let mut out = Vec::new();
        let mut price = self.market_state(market).best[ladder as usize];
        while price != 0 {
            let Some(level) = self.levels.peek(&LevelId { market, ladder, price }) else { break };
            let mut at: OrderRef = Some(level.head);
            while let Some(link) = at {
                let id = order_id(market, link);
                let Some(order) = self.orders.peek(&id) else { break };
                out.push((id, order));
                at = order.next;
            }
            price = level.worse;
        }
        out
    }

    /// The best price of a book side (views).
    pub fn best_price(&self, market: u32, side: Side) -> Option<u64> {
        let price = self.market_state(market).best[Ladder::book(side) as usize];
        (price != 0).then_some(price)
    }

    /// Up to `depth` levels of a book side, best first (visible quantities only).
    pub fn depth(&self, market: u32, side: Side, depth: usize) -> Vec<DepthLevel> {
        let ladder = Ladder::book(side);
        let mut out = Vec::new();
        let mut price = self.market_state(market).best[ladder as usize];
        while price != 0 && out.len() < depth {
            let Some(level) = self.levels.peek(&LevelId { market, ladder, price }) else { break };
            let mut row = DepthLevel { price, quantity: 0, orders: 0 };
            let mut at: OrderRef = Some(level.head);
            while let Some(link) = at {
                let Some(order) = self.orders.peek(&order_id(market, link)) else { break };
                row.quantity += order.visible;
                row.orders += 1;
                at = order.next;
            }
            out.push(row);
            price = level.worse;
        }
        out
    }

    /// The trader's open orders in `market` (resting and stop), by nonce.
    pub fn orders_of(&self, trader: &Address, market: u32) -> Vec<(u64, &OrderRecord)> {
        let open = self.open_orders_in(trader, market);
        let mut out = Vec::with_capacity(open.count as usize);
        let mut at = open.newest;
        while at != 0 && out.len() < open.count as usize {
            let Some(order) = self.orders.peek(&OrderId { market, trader: *trader, nonce: at }) else { break };
            out.push((at, order));
            at = order.older;
        }
        out.sort_unstable_by_key(|(nonce, _)| *nonce);
        out
    }

    /// Whether the best bid is below the best ask (or a side is empty).
    pub fn is_uncrossed(&self, market: u32) -> bool {
        match (self.best_price(market, Side::Buy), self.best_price(market, Side::Sell)) {
            (Some(bid), Some(ask)) => bid < ask,
            _ => true,
        }
    }

    /// The rolling 24 hours ending in the hour of `now` (hourly resolution).
    pub fn ohlcv_24h(&self, market: u32, now: u64) -> Option<Ohlcv> {
        let hour = now / 3600;
        let mut candles: Vec<Candle> = (0..CANDLES)
            .filter_map(|slot| self.candle(market, slot))
            .filter(|c| c.volume > 0 && c.hour <= hour && c.hour + u64::from(CANDLES) > hour)
            .collect();
        candles.sort_by_key(|c| c.hour);
        let (first, last) = (candles.first()?, candles.last()?);
        Some(Ohlcv {
            open: first.open,
            high: candles.iter().map(|c| c.high).max()?,
            low: candles.iter().map(|c| c.low).min()?,
            close: last.close,
            volume: candles.iter().fold(0u128, |sum, c| sum.saturating_add(c.volume)),
            quote_volume: candles.iter().fold(0u128, |sum, c| sum.saturating_add(c.quote_volume)),
            trades_hours: candles.len() as u32,
        })
    }
}
