//! The records of the state tree and their byte layouts (PROTOCOL.md section 7). A record's leaf
//! commits to exactly these bytes; a field that only speeds up the engine (an order's
//! predecessor in its queue) is not part of them.

use alloc::vec::Vec;

use super::codec::{Reader, Writer};
use crate::message::{Order, OrderType, SelfTradePrevention, Side, TimeInForce};
use crate::{Address, Hash};

/// Fees above this many basis points are refused at genesis.
pub const MAX_FEE_BPS: u16 = 1_000;
/// The highest per-order fill cap a market may configure.
pub const MAX_FILLS_LIMIT: u32 = 1_000;
/// Hourly candles kept per market (a ring, slot `hour % 24`).
pub const CANDLES: u8 = 24;

/// What a deployment fixes at genesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisConfig {
    pub chain_id: u64,
    pub inbox: Address,
    pub vault: Address,
}

/// Genesis parameters, the listed markets' ids, where the state stands in the inbox and the
/// L1 timestamp of the last applied entry (the clock of expiry and market data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub genesis: GenesisConfig,
    /// Ascending.
    pub markets: Vec<u32>,
    pub next_index: u64,
    /// `acc[next_index - 1]` (zero before the first entry).
    pub acc: Hash,
    pub l1_timestamp: u64,
}

/// A market trades `base_lot` base atoms per lot at `quote_tick` quote atoms per lot per tick
/// (the tick size); prices are in ticks, quantities in lots. Markets are listed at genesis
/// only (PROTOCOL.md section 5).
#[derive(Clone, Debug, PartialEq, Eq)]
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

    pub(crate) fn is_valid(&self) -> bool {
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

/// The last trade of a market.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trade {
    pub price: u64,
    pub quantity: u64,
    pub timestamp: u64,
}

/// The circuit breaker: the reference price is the first trade of the current window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breaker {
    pub window_start: u64,
    pub reference_price: u64,
    pub halted_until: u64,
}

/// What changes in a market besides its orders: the best level of each ladder (0: empty),
/// the last trade and the circuit breaker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketState {
    /// By [`Ladder`](super::keys::Ladder) number.
    pub best: [u64; 4],
    pub last_trade: Option<Trade>,
    pub breaker: Breaker,
}

/// One hour of trading (hour = L1 timestamp / 3600); volume in lots and quote ticks × lots,
/// both saturating at 2^128 − 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Candle {
    pub hour: u64,
    pub open: u64,
    pub high: u64,
    pub low: u64,
    pub close: u64,
    pub volume: u128,
    pub quote_volume: u128,
}

/// A trader's last accepted nonce (0: none) and, for each market where it has open orders
/// (resting and stop), how many and the newest, from which each order's `older` link walks the
/// rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    pub nonce: u64,
    /// Ascending by market; no entry with a zero count.
    pub markets: Vec<OpenOrders>,
}

impl Account {
    /// The trader's open orders in `market` (none: zeros).
    pub fn open_in(&self, market: u32) -> OpenOrders {
        match self.markets.binary_search_by_key(&market, |open| open.market) {
            Ok(at) => self.markets[at],
            Err(_) => OpenOrders { market, ..OpenOrders::default() },
        }
    }
}

/// A trader's available and locked amounts of one token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    pub available: u128,
    pub locked: u128,
}

/// A trader's open orders (resting and stop) in one market: how many, and the newest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenOrders {
    pub market: u32,
    pub count: u32,
    pub newest: u64,
}

/// Another order of the same market, by trader and nonce (`None` is encoded as zeros: no
/// order has nonce 0).
pub type OrderRef = Option<(Address, u64)>;

/// Whether an order rests in the book or waits for its trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderKind {
    Resting = 0,
    Stop = 1,
}

/// A link that the engine keeps beside a record but that is not part of it: known (the order
/// before this one, or none) or not known (in a proof, the witness did not include it).
#[derive(Clone, Copy, Debug, Default)]
pub enum Hint<T> {
    #[default]
    Unknown,
    Known(T),
}

impl<T> PartialEq for Hint<T> {
    /// Hints are not state: records are equal whatever their hints.
    fn eq(&self, _: &Hint<T>) -> bool {
        true
    }
}

impl<T> Eq for Hint<T> {}

/// A resting order or a stop order. A resting order shows `visible` lots; an iceberg
/// (`display != 0`) keeps `hidden` lots in reserve and shows up to `display` at a time. A stop
/// keeps its whole quantity in `visible` and executes as the order it was submitted as
/// (`order_type`, `time_in_force`) once `trigger_price` is reached. `locked` is what the order
/// still holds of its trader's balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRecord {
    pub kind: OrderKind,
    pub side: Side,
    pub order_type: OrderType,
    pub time_in_force: TimeInForce,
    pub stp: SelfTradePrevention,
    pub price: u64,
    pub trigger_price: u64,
    pub visible: u64,
    pub hidden: u64,
    pub display: u64,
    pub locked: u128,
    pub expiry: u64,
    pub client_order_id: u64,
    /// The order behind this one in its price level's queue.
    pub next: OrderRef,
    /// The trader's next older open order in this market (0: none).
    pub older: u64,
    /// The order ahead of this one in its queue (the engine's, not the record's).
    pub(crate) prev: Hint<OrderRef>,
    /// The trader's next newer open order in this market, 0 for none (the engine's).
    pub(crate) newer: Hint<u64>,
}

impl OrderRecord {
    pub fn remaining(&self) -> u64 {
        self.visible + self.hidden
    }

    pub fn post_only(&self) -> bool {
        self.time_in_force == TimeInForce::PostOnly
    }

    /// The order a stop executes as once triggered (`nonce` being its own).
    pub fn as_order(&self, market: u32, nonce: u64) -> Order {
        Order {
            market,
            side: self.side,
            order_type: self.order_type,
            time_in_force: self.time_in_force,
            stp: self.stp,
            price: self.price,
            quantity: self.visible,
            trigger_price: self.trigger_price,
            display_quantity: self.display,
            nonce,
            expiry: self.expiry,
            client_order_id: self.client_order_id,
        }
    }
}

/// A price level: the first and last order of its FIFO queue, and the next worse level of its
/// ladder (0: none), so that "best", "next" and "none between" are each one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub head: (Address, u64),
    pub tail: (Address, u64),
    pub worse: u64,
}

// ---- byte layouts ---------------------------------------------------------------------------

/// A record that encodes to, and decodes from, its leaf bytes.
pub trait Record: Sized {
    fn write(&self, out: &mut Writer);
    fn read(at: &mut Reader) -> Option<Self>;

    fn encode(&self) -> Vec<u8> {
        let mut out = Writer::with_capacity(128);
        self.write(&mut out);
        out.0
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut at = Reader(bytes);
        let record = Self::read(&mut at)?;
        at.end(record)
    }
}

fn bool_byte(at: &mut Reader) -> Option<bool> {
    match at.u8()? {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

fn write_ref(out: &mut Writer, link: &OrderRef) {
    match link {
        Some((trader, nonce)) => out.bytes(trader).u64(*nonce),
        None => out.bytes(&[0; 20]).u64(0),
    };
}

/// An order reference: nonce 0 means none, and then the trader must be zero too.
fn read_ref(at: &mut Reader) -> Option<OrderRef> {
    let (trader, nonce) = (at.address()?, at.u64()?);
    match nonce {
        0 => (trader == [0; 20]).then_some(None),
        _ => Some(Some((trader, nonce))),
    }
}

/// A strictly ascending list of market ids.
fn write_ids(out: &mut Writer, ids: &[u32]) {
    out.u32(ids.len() as u32);
    for id in ids {
        out.u32(*id);
    }
}

fn read_ids(at: &mut Reader) -> Option<Vec<u32>> {
    let count = at.u32()? as usize;
    // Each id takes 4 bytes: a count past the remaining bytes is malformed before allocating.
    if count > at.0.len() / 4 {
        return None;
    }
    let ids = (0..count).map(|_| at.u32()).collect::<Option<Vec<u32>>>()?;
    ids.windows(2).all(|pair| pair[0] < pair[1]).then_some(ids)
}

impl Record for Header {
    fn write(&self, out: &mut Writer) {
        let g = &self.genesis;
        out.u64(g.chain_id)
            .bytes(&g.inbox)
            .bytes(&g.vault)
            .u64(self.next_index)
            .bytes(&self.acc)
            .u64(self.l1_timestamp);
        write_ids(out, &self.markets);
    }

    fn read(at: &mut Reader) -> Option<Header> {
        Some(Header {
            genesis: GenesisConfig { chain_id: at.u64()?, inbox: at.address()?, vault: at.address()? },
            next_index: at.u64()?,
            acc: at.take()?,
            l1_timestamp: at.u64()?,
            markets: read_ids(at)?,
        })
    }
}

impl Record for Market {
    fn write(&self, out: &mut Writer) {
        out.u32(self.id)
            .bytes(&self.base)
            .bytes(&self.quote)
            .u128(self.base_lot)
            .u128(self.quote_tick)
            .u64(self.min_size)
            .u64(self.max_size)
            .u16(self.maker_fee_bps)
            .u16(self.taker_fee_bps)
            .bytes(&self.fee_recipient)
            .u16(self.band_bps)
            .u64(self.band_window)
            .u64(self.halt_seconds)
            .u32(self.max_open_orders)
            .u32(self.max_fills);
    }

    fn read(at: &mut Reader) -> Option<Market> {
        Some(Market {
            id: at.u32()?,
            base: at.address()?,
            quote: at.address()?,
            base_lot: at.u128()?,
            quote_tick: at.u128()?,
            min_size: at.u64()?,
            max_size: at.u64()?,
            maker_fee_bps: at.u16()?,
            taker_fee_bps: at.u16()?,
            fee_recipient: at.address()?,
            band_bps: at.u16()?,
            band_window: at.u64()?,
            halt_seconds: at.u64()?,
            max_open_orders: at.u32()?,
            max_fills: at.u32()?,
        })
    }
}

impl Record for MarketState {
    fn write(&self, out: &mut Writer) {
        for best in self.best {
            out.u64(best);
        }
        match self.last_trade {
            Some(trade) => out.u8(1).u64(trade.price).u64(trade.quantity).u64(trade.timestamp),
            None => out.u8(0).u64(0).u64(0).u64(0),
        };
        let b = &self.breaker;
        out.u64(b.window_start).u64(b.reference_price).u64(b.halted_until);
    }

    fn read(at: &mut Reader) -> Option<MarketState> {
        let best = [at.u64()?, at.u64()?, at.u64()?, at.u64()?];
        let traded = bool_byte(at)?;
        let trade = Trade { price: at.u64()?, quantity: at.u64()?, timestamp: at.u64()? };
        if !traded && trade != Trade::default() {
            return None;
        }
        let breaker = Breaker { window_start: at.u64()?, reference_price: at.u64()?, halted_until: at.u64()? };
        Some(MarketState { best, last_trade: traded.then_some(trade), breaker })
    }
}

impl Record for Candle {
    fn write(&self, out: &mut Writer) {
        out.u64(self.hour)
            .u64(self.open)
            .u64(self.high)
            .u64(self.low)
            .u64(self.close)
            .u128(self.volume)
            .u128(self.quote_volume);
    }

    fn read(at: &mut Reader) -> Option<Candle> {
        Some(Candle {
            hour: at.u64()?,
            open: at.u64()?,
            high: at.u64()?,
            low: at.u64()?,
            close: at.u64()?,
            volume: at.u128()?,
            quote_volume: at.u128()?,
        })
    }
}

impl Record for Account {
    fn write(&self, out: &mut Writer) {
        out.u64(self.nonce).u32(self.markets.len() as u32);
        for open in &self.markets {
            out.u32(open.market).u32(open.count).u64(open.newest);
        }
    }

    fn read(at: &mut Reader) -> Option<Account> {
        let nonce = at.u64()?;
        let count = at.u32()? as usize;
        // 16 bytes an entry: a count past the remaining bytes is malformed before allocating.
        if count > at.0.len() / 16 {
            return None;
        }
        let mut markets = Vec::with_capacity(count);
        for _ in 0..count {
            let open = OpenOrders { market: at.u32()?, count: at.u32()?, newest: at.u64()? };
            // Ascending markets, a non-zero count with a newest order.
            if open.count == 0
                || open.newest == 0
                || markets.last().is_some_and(|last: &OpenOrders| last.market >= open.market)
            {
                return None;
            }
            markets.push(open);
        }
        Some(Account { nonce, markets })
    }
}

impl Record for Balance {
    fn write(&self, out: &mut Writer) {
        out.u128(self.available).u128(self.locked);
    }

    fn read(at: &mut Reader) -> Option<Balance> {
        Some(Balance { available: at.u128()?, locked: at.u128()? })
    }
}

/// A market's parameters, shared by every input that reads them.
impl Record for alloc::sync::Arc<Market> {
    fn write(&self, out: &mut Writer) {
        (**self).write(out);
    }

    fn read(at: &mut Reader) -> Option<alloc::sync::Arc<Market>> {
        Market::read(at).map(alloc::sync::Arc::new)
    }
}

/// A token's supply.
impl Record for u128 {
    fn write(&self, out: &mut Writer) {
        out.u128(*self);
    }

    fn read(at: &mut Reader) -> Option<u128> {
        at.u128()
    }
}

impl Record for OrderRecord {
    fn write(&self, out: &mut Writer) {
        out.u8(self.kind as u8)
            .u8(self.side.to_byte())
            .u8(self.order_type.to_byte())
            .u8(self.time_in_force.to_byte())
            .u8(self.stp.to_byte())
            .u64(self.price)
            .u64(self.trigger_price)
            .u64(self.visible)
            .u64(self.hidden)
            .u64(self.display)
            .u128(self.locked)
            .u64(self.expiry)
            .u64(self.client_order_id);
        write_ref(out, &self.next);
        out.u64(self.older);
    }

    fn read(at: &mut Reader) -> Option<OrderRecord> {
        let kind = match at.u8()? {
            0 => OrderKind::Resting,
            1 => OrderKind::Stop,
            _ => return None,
        };
        Some(OrderRecord {
            kind,
            side: Side::from_byte(at.u8()?)?,
            order_type: OrderType::from_byte(at.u8()?)?,
            time_in_force: TimeInForce::from_byte(at.u8()?)?,
            stp: SelfTradePrevention::from_byte(at.u8()?)?,
            price: at.u64()?,
            trigger_price: at.u64()?,
            visible: at.u64()?,
            hidden: at.u64()?,
            display: at.u64()?,
            locked: at.u128()?,
            expiry: at.u64()?,
            client_order_id: at.u64()?,
            next: read_ref(at)?,
            older: at.u64()?,
            prev: Hint::Unknown,
            newer: Hint::Unknown,
        })
    }
}

impl Record for Level {
    fn write(&self, out: &mut Writer) {
        out.bytes(&self.head.0).u64(self.head.1).bytes(&self.tail.0).u64(self.tail.1).u64(self.worse);
    }

    fn read(at: &mut Reader) -> Option<Level> {
        let head = (at.address()?, at.u64()?);
        let tail = (at.address()?, at.u64()?);
        // A level holds at least one order: no nonce is 0.
        if head.1 == 0 || tail.1 == 0 {
            return None;
        }
        Some(Level { head, tail, worse: at.u64()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn order() -> OrderRecord {
        OrderRecord {
            kind: OrderKind::Resting,
            side: Side::Buy,
            order_type: OrderType::Limit,
            time_in_force: TimeInForce::Gtc,
            stp: SelfTradePrevention::CancelTaker,
            price: 1,
            trigger_price: 0,
            visible: 1,
            hidden: 0,
            display: 0,
            locked: 1,
            expiry: 0,
            client_order_id: 0,
            next: Some(([7; 20], 3)),
            older: 2,
            prev: Hint::Unknown,
            newer: Hint::Unknown,
        }
    }

    /// A leaf hashes `path ‖ record ‖ 0x01` (PROTOCOL.md section 10): a 31-byte record would
    /// make that 64 bytes, an internal node's length. No kind of record can be 31 bytes.
    #[test]
    fn no_record_is_31_bytes_long() {
        let market = Market::simple(1, [1; 20], [2; 20], 1, 1);
        let header = |markets: u32| Header {
            genesis: GenesisConfig { chain_id: 1, inbox: [0; 20], vault: [0; 20] },
            markets: (0..markets).collect(),
            next_index: 0,
            acc: [0; 32],
            l1_timestamp: 0,
        };
        let account = |markets: u32| Account {
            nonce: 1,
            markets: (0..markets).map(|market| OpenOrders { market, count: 1, newest: 1 }).collect(),
        };
        let mut lengths = vec![
            market.encode().len(),
            MarketState::default().encode().len(),
            Candle::default().encode().len(),
            7u128.encode().len(),
            Balance::default().encode().len(),
            order().encode().len(),
            Level { head: ([1; 20], 1), tail: ([1; 20], 1), worse: 0 }.encode().len(),
        ];
        // The variable kinds grow by whole entries from a length that is not 31 mod the step.
        for n in 0..64 {
            lengths.push(header(n).encode().len());
            lengths.push(account(n).encode().len());
        }
        assert!(lengths.iter().all(|length| *length != 31), "{lengths:?}");
        assert_eq!(header(0).encode().len() % 4, 0);
        assert_eq!(account(0).encode().len() % 4, 0);
    }
}
