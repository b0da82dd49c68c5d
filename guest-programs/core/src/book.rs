//! One market's order book in price-time priority, its stop orders, and its market data.
//!
//! Orders live in an arena with one FIFO queue per price level linked through it; the levels of
//! a side are an ordered map whose first entry is the best level. A cancel is a hash lookup
//! plus an unlink (no scan of a price level); re-queueing an iceberg is an unlink plus a link at
//! the back with a new sequence number. The encoding is the canonical one of earlier versions.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::marker::PhantomData;
use serde::{Deserialize, Serialize};

use crate::accounts::AccountId;
use crate::fast_map::{FastMap, MapOf};
use crate::levels::{Levels, Queue};

use crate::message::{Order, SelfTradePrevention, Side};
use crate::Address;

/// A resting limit order. `visible` lots are shown and matched; an iceberg (`display != 0`)
/// keeps `hidden` lots in reserve and shows up to `display` lots at a time. `locked` is what
/// the order still holds of its trader's balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestingOrder {
    pub trader: Address,
    pub nonce: u64,
    pub side: Side,
    pub price: u64,
    pub visible: u64,
    pub hidden: u64,
    pub display: u64,
    pub locked: u128,
    pub post_only: bool,
    pub stp: SelfTradePrevention,
    pub expiry: u64,
    pub client_order_id: u64,
}

impl RestingOrder {
    pub fn remaining(&self) -> u64 {
        self.visible + self.hidden
    }
}

/// The map key of an order in the canonical encoding (and of a stop in its trigger queue):
/// `(price key, sequence)`, best first on both sides.
pub type Key = (u64, u64);

fn key(side: Side, price: u64, seq: u64) -> Key {
    (level_key(side, price), seq)
}

/// Orders the levels of a side best first: bids by falling price, asks by rising price.
fn level_key(side: Side, price: u64) -> u64 {
    match side {
        Side::Buy => u64::MAX - price,
        Side::Sell => price,
    }
}

/// Where a resting order is stored in its book (valid until the order leaves the book).
pub type OrderRef = u32;

const NIL: u32 = u32::MAX;

/// An order in the arena: the order, its time priority and its owner's account.
#[derive(Clone, Debug)]
struct Slot {
    order: RestingOrder,
    seq: u64,
    owner: AccountId,
}

/// An order's neighbours in its price level's FIFO queue. Kept apart from the slots (8 bytes
/// an order) so that unlinking a cancelled order touches its neighbours' links, not their
/// whole slots.
#[derive(Clone, Copy, Debug)]
struct Link {
    prev: u32,
    next: u32,
}

const UNLINKED: Link = Link { prev: NIL, next: NIL };

/// One market's resting orders: an arena of orders, a FIFO queue per price level (linked
/// through `links`), the levels of each side (the best cached), and an index from
/// `(owner's account, nonce)` to the order. Time priority is the order's sequence number,
/// which is also the position in its queue, so the canonical encoding (the per-side map keyed
/// by `(price key, sequence)` of earlier versions, and the id index keyed by address) is
/// rebuilt by walking levels and queues. Account ids never reach the encoding.
#[derive(Clone, Debug, Default)]
pub struct Book {
    slots: Vec<Slot>,
    links: Vec<Link>,
    free: Vec<u32>,
    bids: Levels,
    asks: Levels,
    counts: [usize; 2],
    ids: FastMap<(AccountId, u64), OrderRef>,
    next_seq: u64,
}

/// A price level: total visible lots and number of orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub price: u64,
    pub quantity: u64,
    pub orders: usize,
}

impl Book {
    fn levels_of(&self, side: Side) -> &Levels {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn levels_of_mut(&mut self, side: Side) -> &mut Levels {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Appends an order of the trader whose account is `owner` at the back of its price level.
    pub fn insert(&mut self, order: RestingOrder, owner: AccountId) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.push(order, seq, owner);
    }

    fn push(&mut self, order: RestingOrder, seq: u64, owner: AccountId) -> OrderRef {
        let (side, id) = (order.side, (owner, order.nonce));
        let level = level_key(side, order.price);
        let slot = Slot { order, seq, owner };
        let at = match self.free.pop() {
            Some(at) => {
                self.slots[at as usize] = slot;
                at
            }
            None => {
                self.slots.push(slot);
                self.links.push(UNLINKED);
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 resting orders")
            }
        };
        self.link_back(side, level, at);
        self.counts[side as usize] += 1;
        self.ids.insert(id, at);
        at
    }

    fn link_back(&mut self, side: Side, level: u64, at: u32) {
        let queue: &mut Queue = self.levels_of_mut(side).get_or_create(level, NIL);
        let tail = queue.tail;
        queue.tail = at;
        if tail == NIL {
            queue.head = at;
        } else {
            self.links[tail as usize].next = at;
        }
        self.links[at as usize] = Link { prev: tail, next: NIL };
    }

    fn unlink(&mut self, at: u32) {
        let Link { prev, next } = self.links[at as usize];
        let order = &self.slots[at as usize].order;
        let (side, level) = (order.side, level_key(order.side, order.price));
        if prev != NIL {
            self.links[prev as usize].next = next;
        }
        if next != NIL {
            self.links[next as usize].prev = prev;
        }
        let levels = self.levels_of_mut(side);
        if prev == NIL && next == NIL {
            levels.remove(level);
        } else {
            let queue = levels.get_mut(level).expect("a linked order's level exists");
            if prev == NIL {
                queue.head = next;
            }
            if next == NIL {
                queue.tail = prev;
            }
        }
    }

    /// The best order of `side`.
    #[inline]
    pub fn best(&self, side: Side) -> Option<(OrderRef, &RestingOrder)> {
        let queue = self.levels_of(side).best()?;
        Some((queue.head, &self.slots[queue.head as usize].order))
    }

    #[inline]
    pub fn best_price(&self, side: Side) -> Option<u64> {
        self.best(side).map(|(_, order)| order.price)
    }

    /// The order at `at`, which must rest in this book.
    #[inline]
    pub fn get_mut(&mut self, at: OrderRef) -> &mut RestingOrder {
        &mut self.slots[at as usize].order
    }

    /// The account of the order at `at`, which must rest in this book.
    #[inline]
    pub fn owner(&self, at: OrderRef) -> AccountId {
        self.slots[at as usize].owner
    }

    /// Takes the order at `at` (which must rest in this book) out of the book.
    pub fn remove_at(&mut self, at: OrderRef) -> RestingOrder {
        let id = (self.slots[at as usize].owner, self.slots[at as usize].order.nonce);
        self.ids.remove(&id);
        self.take(at)
    }

    /// Unlinks and frees the slot `at`, leaving the id index to the caller.
    fn take(&mut self, at: OrderRef) -> RestingOrder {
        self.unlink(at);
        self.free.push(at);
        let order = self.slots[at as usize].order.clone();
        self.counts[order.side as usize] -= 1;
        order
    }

    /// Moves an order to the back of its price level (an iceberg replenished).
    pub fn requeue(&mut self, at: OrderRef) {
        self.unlink(at);
        let order = &self.slots[at as usize].order;
        let (side, level) = (order.side, level_key(order.side, order.price));
        self.slots[at as usize].seq = self.next_seq;
        self.next_seq += 1;
        self.link_back(side, level, at);
    }

    /// The order `nonce` of the trader whose account is `owner`.
    #[inline]
    pub fn find(&self, owner: AccountId, nonce: u64) -> Option<OrderRef> {
        self.ids.get(&(owner, nonce)).copied()
    }

    pub fn get(&self, owner: AccountId, nonce: u64) -> Option<&RestingOrder> {
        self.find(owner, nonce).map(|at| &self.slots[at as usize].order)
    }

    pub fn remove(&mut self, owner: AccountId, nonce: u64) -> Option<RestingOrder> {
        // One index operation: the removal is the lookup.
        let at = self.ids.remove(&(owner, nonce))?;
        Some(self.take(at))
    }

    /// Slots of `side` in priority order.
    fn refs(&self, side: Side) -> impl Iterator<Item = u32> + '_ {
        self.levels_of(side).iter().flat_map(move |queue| {
            let mut at = queue.head;
            core::iter::from_fn(move || {
                let current = at;
                (current != NIL).then(|| {
                    at = self.links[current as usize].next;
                    current
                })
            })
        })
    }

    /// Orders of `side` in priority order.
    pub fn iter(&self, side: Side) -> impl Iterator<Item = &RestingOrder> {
        self.refs(side).map(move |at| &self.slots[at as usize].order)
    }

    /// The slots of every resting order, bids then asks, each in priority order.
    fn all_refs(&self) -> impl Iterator<Item = u32> + '_ {
        self.refs(Side::Buy).chain(self.refs(Side::Sell))
    }

    /// Every resting order, bids then asks, each in priority order.
    fn all(&self) -> impl Iterator<Item = &Slot> {
        self.all_refs().map(move |at| &self.slots[at as usize])
    }

    /// Up to `depth` levels of `side`, best first (visible quantities only).
    pub fn levels(&self, side: Side, depth: usize) -> Vec<Level> {
        let mut out: Vec<Level> = Vec::new();
        for order in self.iter(side) {
            if let Some(level) = out.last_mut().filter(|level| level.price == order.price) {
                level.quantity += order.visible;
                level.orders += 1;
            } else if out.len() == depth {
                break;
            } else {
                out.push(Level { price: order.price, quantity: order.visible, orders: 1 });
            }
        }
        out
    }

    /// The trader's resting orders, by nonce (a walk of the whole book: for queries).
    pub fn orders_of(&self, trader: &Address) -> Vec<&RestingOrder> {
        let mut orders: Vec<&RestingOrder> = self.all().map(|slot| &slot.order).filter(|o| o.trader == *trader).collect();
        orders.sort_unstable_by_key(|order| order.nonce);
        orders
    }

    /// The trader's resting order `nonce` (a walk of the whole book: for queries).
    pub fn order_of(&self, trader: &Address, nonce: u64) -> Option<&RestingOrder> {
        self.all().map(|slot| &slot.order).find(|order| order.trader == *trader && order.nonce == nonce)
    }

    /// The nonces of the resting orders of the account `owner`, ascending.
    pub fn nonces_of(&self, owner: AccountId) -> Vec<u64> {
        let mut nonces: Vec<u64> = self.ids.keys().filter(|(held, _)| *held == owner).map(|(_, nonce)| *nonce).collect();
        nonces.sort_unstable();
        nonces
    }

    /// Whether the best bid is below the best ask (or a side is empty).
    pub fn is_uncrossed(&self) -> bool {
        match (self.best_price(Side::Buy), self.best_price(Side::Sell)) {
            (Some(bid), Some(ask)) => bid < ask,
            _ => true,
        }
    }

    /// `(canonical key, order)` of `side` in priority order.
    fn keyed(&self, side: Side) -> impl Iterator<Item = (Key, &RestingOrder)> {
        self.refs(side).map(move |at| {
            let slot = &self.slots[at as usize];
            (key(side, slot.order.price, slot.seq), &slot.order)
        })
    }

    /// Rebuilds the arena from the canonical maps, `owner` giving each trader's account; `None`
    /// when keys, sides or the id index disagree with the orders (such a book could not
    /// re-encode to the same bytes).
    pub(crate) fn from_wire(wire: BookWire, mut owner: impl FnMut(&Address) -> AccountId) -> Option<Book> {
        let mut book = Book { next_seq: wire.next_seq, ..Book::default() };
        for (side, orders) in [(Side::Buy, wire.bids), (Side::Sell, wire.asks)] {
            for ((level, seq), order) in orders {
                let expected = wire.ids.get(&(order.trader, order.nonce)) == Some(&(side, (level, seq)));
                if order.side != side || level != level_key(side, order.price) || seq >= wire.next_seq || !expected {
                    return None;
                }
                let account = owner(&order.trader);
                book.push(order, seq, account);
            }
        }
        (book.ids.len() == wire.ids.len()).then_some(book)
    }
}

impl PartialEq for Book {
    /// Books are equal when they encode alike (the arena layout is not part of the state).
    fn eq(&self, other: &Book) -> bool {
        self.next_seq == other.next_seq
            && self.counts == other.counts
            && self.keyed(Side::Buy).eq(other.keyed(Side::Buy))
            && self.keyed(Side::Sell).eq(other.keyed(Side::Sell))
    }
}

impl Eq for Book {}

/// The canonical encoding of a book (unchanged from the ordered-map layout): bids and asks as
/// maps from `(price key, sequence)` to order, the id index by `(trader, nonce)`, the next
/// sequence number. Decoded as this, then made a [`Book`] once the accounts are known.
#[derive(Deserialize)]
#[serde(rename = "Book")]
pub(crate) struct BookWire {
    bids: BTreeMap<Key, RestingOrder>,
    asks: BTreeMap<Key, RestingOrder>,
    ids: BTreeMap<(Address, u64), (Side, Key)>,
    next_seq: u64,
}

/// A book with what its canonical encoding needs from the accounts: `ranks[id]` is the place
/// of account `id` in address order ([`crate::accounts::Accounts::ranks`]), so the id index is
/// sorted by `(trader, nonce)` with integer comparisons (comparing addresses byte by byte is a
/// `memcmp` call per comparison inside a zkVM).
pub(crate) struct RankedBook<'a> {
    pub book: &'a Book,
    pub ranks: &'a [u32],
}

impl Serialize for RankedBook<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let book = self.book;
        let side_map = |side| MapOf { len: book.counts[side as usize], entries: move || book.keyed(side), _item: PhantomData };
        let mut ids: Vec<(u32, u64, OrderRef)> = book
            .all_refs()
            .map(|at| {
                let slot = &book.slots[at as usize];
                (self.ranks[slot.owner as usize], slot.order.nonce, at)
            })
            .collect();
        ids.sort_unstable();
        let entries = || {
            ids.iter().map(|(_, _, at)| {
                let slot = &book.slots[*at as usize];
                let order = &slot.order;
                ((order.trader, order.nonce), (order.side, key(order.side, order.price, slot.seq)))
            })
        };
        let ids = MapOf { len: ids.len(), entries, _item: PhantomData };
        let mut out = serializer.serialize_struct("Book", 4)?;
        out.serialize_field("bids", &side_map(Side::Buy))?;
        out.serialize_field("asks", &side_map(Side::Sell))?;
        out.serialize_field("ids", &ids)?;
        out.serialize_field("next_seq", &book.next_seq)?;
        out.end()
    }
}

/// A stop order waiting for the last trade price to reach its trigger; its funds are locked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopOrder {
    pub trader: Address,
    pub order: Order,
    pub locked: u128,
    seq: u64,
}

/// Stop orders by id, and two trigger queues: buy stops by rising trigger, sell stops by
/// falling trigger, each first-come first-served at equal triggers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stops {
    orders: BTreeMap<(Address, u64), StopOrder>,
    buys: BTreeMap<Key, (Address, u64)>,
    sells: BTreeMap<Key, (Address, u64)>,
    next_seq: u64,
}

impl Stops {
    fn trigger_key(stop: &StopOrder) -> Key {
        // Buy stops fire lowest trigger first; sell stops highest trigger first.
        key(stop.order.side.opposite(), stop.order.trigger_price, stop.seq)
    }

    pub fn insert(&mut self, trader: Address, order: Order, locked: u128) {
        let stop = StopOrder { trader, order, locked, seq: self.next_seq };
        self.next_seq += 1;
        let at = Self::trigger_key(&stop);
        match order.side {
            Side::Buy => self.buys.insert(at, (trader, order.nonce)),
            Side::Sell => self.sells.insert(at, (trader, order.nonce)),
        };
        self.orders.insert((trader, order.nonce), stop);
    }

    pub fn remove(&mut self, trader: &Address, nonce: u64) -> Option<StopOrder> {
        let stop = self.orders.remove(&(*trader, nonce))?;
        let at = Self::trigger_key(&stop);
        match stop.order.side {
            Side::Buy => self.buys.remove(&at),
            Side::Sell => self.sells.remove(&at),
        };
        Some(stop)
    }

    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// The first stop that `last_price` triggers, if any (buy stops before sell stops).
    pub fn next_triggered(&self, last_price: u64) -> Option<(Address, u64)> {
        let buy = self.buys.first_key_value().filter(|((_, _), id)| {
            self.orders.get(id).is_some_and(|stop| stop.order.trigger_price <= last_price)
        });
        let sell = self.sells.first_key_value().filter(|((_, _), id)| {
            self.orders.get(id).is_some_and(|stop| stop.order.trigger_price >= last_price)
        });
        buy.or(sell).map(|(_, id)| *id)
    }

    pub fn of(&self, trader: &Address) -> impl Iterator<Item = &StopOrder> {
        self.orders.range((*trader, 0)..=(*trader, u64::MAX)).map(|(_, stop)| stop)
    }

    pub fn iter(&self) -> impl Iterator<Item = &StopOrder> {
        self.orders.values()
    }
}

/// The last trade of a market.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    pub price: u64,
    pub quantity: u64,
    pub timestamp: u64,
}

/// One hour of trading (hour = L1 timestamp / 3600); volume in lots and quote ticks × lots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    pub hour: u64,
    pub open: u64,
    pub high: u64,
    pub low: u64,
    pub close: u64,
    pub volume: u128,
    pub quote_volume: u128,
}

pub const CANDLES: usize = 24;

/// The circuit breaker: the reference price is the first trade of the current window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    pub window_start: u64,
    pub reference_price: u64,
    pub halted_until: u64,
}

/// Everything that changes in one market: book, stops, market data. (Its traders' open-order
/// counts are kept in their accounts; the encoding puts them here, see `state_wire.rs`.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MarketState {
    pub book: Book,
    pub stops: Stops,
    pub last_trade: Option<Trade>,
    pub breaker: Breaker,
    /// A ring of hourly candles, slot `hour % 24`.
    pub candles: Vec<Candle>,
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

impl MarketState {
    /// Records a trade for the last price and the hourly candles.
    pub fn record_trade(&mut self, price: u64, quantity: u64, timestamp: u64) {
        self.last_trade = Some(Trade { price, quantity, timestamp });
        if self.candles.is_empty() {
            self.candles.resize(CANDLES, Candle::default());
        }
        let hour = timestamp / 3600;
        let candle = &mut self.candles[(hour % CANDLES as u64) as usize];
        if candle.hour != hour || candle.volume == 0 {
            *candle = Candle { hour, open: price, high: price, low: price, close: price, volume: 0, quote_volume: 0 };
        }
        candle.high = candle.high.max(price);
        candle.low = candle.low.min(price);
        candle.close = price;
        candle.volume += u128::from(quantity);
        candle.quote_volume += u128::from(quantity) * u128::from(price);
    }

    /// The rolling 24 hours ending in the hour of `now` (hourly resolution).
    pub fn ohlcv_24h(&self, now: u64) -> Option<Ohlcv> {
        let hour = now / 3600;
        let mut candles: Vec<&Candle> =
            self.candles.iter().filter(|c| c.volume > 0 && c.hour <= hour && c.hour + (CANDLES as u64) > hour).collect();
        candles.sort_by_key(|c| c.hour);
        let (first, last) = (candles.first()?, candles.last()?);
        Some(Ohlcv {
            open: first.open,
            high: candles.iter().map(|c| c.high).max()?,
            low: candles.iter().map(|c| c.low).min()?,
            close: last.close,
            volume: candles.iter().map(|c| c.volume).sum(),
            quote_volume: candles.iter().map(|c| c.quote_volume).sum(),
            trades_hours: candles.len() as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(trader: u8, nonce: u64, side: Side, price: u64, visible: u64) -> RestingOrder {
        RestingOrder {
            trader: [trader; 20],
            nonce,
            side,
            price,
            visible,
            hidden: 0,
            display: 0,
            locked: 0,
            post_only: false,
            stp: SelfTradePrevention::CancelTaker,
            expiry: 0,
            client_order_id: 0,
        }
    }

    #[test]
    fn best_ask_is_lowest_price_then_earliest() {
        let mut book = Book::default();
        book.insert(order(1, 1, Side::Sell, 101, 5), 1);
        book.insert(order(2, 1, Side::Sell, 100, 5), 2);
        book.insert(order(3, 1, Side::Sell, 100, 5), 3);
        assert_eq!(book.best(Side::Sell).unwrap().1.trader, [2; 20]);
        let at = book.find(2, 1).unwrap();
        book.requeue(at);
        assert_eq!(book.best(Side::Sell).unwrap().1.trader, [3; 20]);
    }

    #[test]
    fn best_bid_is_highest_price_and_levels_aggregate() {
        let mut book = Book::default();
        book.insert(order(1, 1, Side::Buy, 99, 5), 1);
        book.insert(order(2, 1, Side::Buy, 98, 5), 2);
        book.insert(order(3, 1, Side::Buy, 99, 2), 3);
        assert_eq!(book.best_price(Side::Buy), Some(99));
        let levels = book.levels(Side::Buy, 10);
        assert_eq!(levels, [Level { price: 99, quantity: 7, orders: 2 }, Level { price: 98, quantity: 5, orders: 1 }]);
        assert_eq!(book.levels(Side::Buy, 1).len(), 1);
    }

    #[test]
    fn remove_returns_the_order_and_forgets_it() {
        let mut book = Book::default();
        book.insert(order(1, 3, Side::Buy, 50, 4), 1);
        assert_eq!(book.remove(1, 3).map(|o| o.visible), Some(4));
        assert_eq!(book.remove(1, 3), None);
        assert!(book.best(Side::Buy).is_none());
    }

    #[test]
    fn candles_roll_over_24_hours() {
        let mut market = MarketState::default();
        market.record_trade(100, 1, 0);
        market.record_trade(120, 2, 3_600);
        market.record_trade(90, 3, 7_200);
        let day = market.ohlcv_24h(7_200).unwrap();
        assert_eq!((day.open, day.high, day.low, day.close, day.volume), (100, 120, 90, 90, 6));
        let later = market.ohlcv_24h(24 * 3_600).unwrap();
        assert_eq!((later.open, later.volume), (120, 5));
        assert!(market.ohlcv_24h(100 * 3_600).is_none());
    }
}
