//! One market's order book: price levels in price-time priority.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::message::Side;
use crate::Address;

/// A resting limit order; `quantity` is what remains, in lots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestingOrder {
    pub trader: Address,
    pub nonce: u64,
    pub quantity: u64,
}

/// Bids and asks by price (ticks), each level first-in first-out, plus where each
/// `(trader, nonce)` rests so a cancel finds it without scanning.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    bids: BTreeMap<u64, VecDeque<RestingOrder>>,
    asks: BTreeMap<u64, VecDeque<RestingOrder>>,
    locations: BTreeMap<(Address, u64), (Side, u64)>,
}

/// A resting order as listed for a trader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOrder {
    pub side: Side,
    pub price: u64,
    pub nonce: u64,
    pub quantity: u64,
}

/// A price level: total lots and number of orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub price: u64,
    pub quantity: u64,
    pub orders: usize,
}

impl Book {
    fn levels_mut(&mut self, side: Side) -> &mut BTreeMap<u64, VecDeque<RestingOrder>> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Appends an order at the back of its price level.
    pub fn rest(&mut self, side: Side, price: u64, order: RestingOrder) {
        self.locations.insert((order.trader, order.nonce), (side, price));
        self.levels_mut(side).entry(price).or_default().push_back(order);
    }

    /// The best order on the side opposite to a `taker_side` taker, if it crosses `limit`.
    pub fn best_crossing(&self, taker_side: Side, limit: u64) -> Option<(u64, &RestingOrder)> {
        let (price, level) = match taker_side {
            Side::Buy => self.asks.first_key_value().filter(|(price, _)| **price <= limit)?,
            Side::Sell => self.bids.last_key_value().filter(|(price, _)| **price >= limit)?,
        };
        Some((*price, level.front()?))
    }

    /// Takes `quantity` lots off the best order opposite to `taker_side` at `price`, removing
    /// it when filled. The caller obtained `price` and a quantity within bounds from
    /// [`Book::best_crossing`].
    pub fn fill_best(&mut self, taker_side: Side, price: u64, quantity: u64) {
        let maker_side = opposite(taker_side);
        let levels = self.levels_mut(maker_side);
        let Some(level) = levels.get_mut(&price) else { return };
        let Some(front) = level.front_mut() else { return };
        front.quantity -= quantity.min(front.quantity);
        if front.quantity == 0 {
            let filled = level.pop_front().map(|order| (order.trader, order.nonce));
            if level.is_empty() {
                levels.remove(&price);
            }
            if let Some(key) = filled {
                self.locations.remove(&key);
            }
        }
    }

    /// Removes `(trader, nonce)`; returns its side, price and remaining quantity.
    pub fn remove(&mut self, trader: &Address, nonce: u64) -> Option<(Side, u64, u64)> {
        let (side, price) = self.locations.remove(&(*trader, nonce))?;
        let levels = self.levels_mut(side);
        let level = levels.get_mut(&price)?;
        let at = level.iter().position(|order| order.trader == *trader && order.nonce == nonce)?;
        let order = level.remove(at)?;
        if level.is_empty() {
            levels.remove(&price);
        }
        Some((side, price, order.quantity))
    }

    /// Up to `depth` levels of `side`, best first.
    pub fn levels(&self, side: Side, depth: usize) -> Vec<Level> {
        let summarize = |(price, level): (&u64, &VecDeque<RestingOrder>)| Level {
            price: *price,
            quantity: level.iter().map(|order| order.quantity).sum(),
            orders: level.len(),
        };
        match side {
            Side::Buy => self.bids.iter().rev().take(depth).map(summarize).collect(),
            Side::Sell => self.asks.iter().take(depth).map(summarize).collect(),
        }
    }

    /// The trader's resting orders, by nonce.
    pub fn open_orders(&self, trader: &Address) -> Vec<OpenOrder> {
        self.locations
            .range((*trader, 0)..=(*trader, u64::MAX))
            .filter_map(|(&(_, nonce), &(side, price))| {
                let level = match side {
                    Side::Buy => self.bids.get(&price)?,
                    Side::Sell => self.asks.get(&price)?,
                };
                let order = level.iter().find(|order| order.trader == *trader && order.nonce == nonce)?;
                Some(OpenOrder { side, price, nonce, quantity: order.quantity })
            })
            .collect()
    }
}

pub fn opposite(side: Side) -> Side {
    match side {
        Side::Buy => Side::Sell,
        Side::Sell => Side::Buy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(trader: u8, nonce: u64, quantity: u64) -> RestingOrder {
        RestingOrder { trader: [trader; 20], nonce, quantity }
    }

    #[test]
    fn best_ask_is_lowest_price_then_earliest() {
        let mut book = Book::default();
        book.rest(Side::Sell, 101, order(1, 1, 5));
        book.rest(Side::Sell, 100, order(2, 1, 5));
        book.rest(Side::Sell, 100, order(3, 1, 5));
        let (price, best) = book.best_crossing(Side::Buy, 100).unwrap();
        assert_eq!((price, best.trader), (100, [2; 20]));
        assert!(book.best_crossing(Side::Buy, 99).is_none());
    }

    #[test]
    fn best_bid_is_highest_price() {
        let mut book = Book::default();
        book.rest(Side::Buy, 99, order(1, 1, 5));
        book.rest(Side::Buy, 98, order(2, 1, 5));
        assert_eq!(book.best_crossing(Side::Sell, 90).unwrap().0, 99);
        assert_eq!(book.levels(Side::Buy, 10).iter().map(|l| l.price).collect::<Vec<_>>(), [99, 98]);
    }

    #[test]
    fn full_fill_removes_the_order_and_empty_level() {
        let mut book = Book::default();
        book.rest(Side::Sell, 100, order(1, 7, 5));
        book.fill_best(Side::Buy, 100, 2);
        assert_eq!(book.open_orders(&[1; 20])[0].quantity, 3);
        book.fill_best(Side::Buy, 100, 3);
        assert_eq!(book, Book::default());
    }

    #[test]
    fn remove_returns_remaining_and_forgets_the_order() {
        let mut book = Book::default();
        book.rest(Side::Buy, 50, order(1, 3, 4));
        assert_eq!(book.remove(&[1; 20], 3), Some((Side::Buy, 50, 4)));
        assert_eq!(book.remove(&[1; 20], 3), None);
        assert_eq!(book, Book::default());
    }
}
