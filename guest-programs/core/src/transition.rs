//! Applying inbox entries to the state (PROTOCOL.md section 5). An invalid input is a
//! recorded `Rejected` event, never an error: the only error is a blob the caller did not
//! provide, which no valid execution can do without.
//!
//! Work per input is bounded whatever its sender chooses: an incoming order reaches at most
//! `max_fills` resting orders, at most [`MAX_TRIGGERS`] stop orders fire after one input, a
//! cancel-all walks only its sender's own orders, and every record is reached by key or by
//! link (no scan of a market or of the state).

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::blob_batch::decode_blobs;
use crate::eip712::is_signed_by_trader;
use crate::events::{CancelReason, Event, EventKind, RejectReason, Subject};
use crate::inbox::{next_acc, InboxEntry, KIND_BLOB_BATCH, KIND_DEPOSIT, KIND_DIRECT, KIND_SIGNED, KIND_WITHDRAWAL};
use crate::message::{
    Cancel, CancelAll, Envelope, Message, Order, OrderType, Replace, SelfTradePrevention, Side, TimeInForce,
    ALL_MARKETS,
};
use crate::state::{AddressKey, Hint, Ladder, Market, OrderId, OrderKind, OrderRecord, State};
use crate::{Address, Hash};

/// Blob bytes keyed by versioned hash.
pub type BlobMap = BTreeMap<Hash, Vec<u8>>;

/// Stop orders that may fire after one input (the rest fire after later inputs).
pub const MAX_TRIGGERS: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransitionError {
    MissingBlob(Hash),
}

const DEPOSIT_LEN: usize = 72;
const WITHDRAWAL_LEN: usize = 52;

/// Applies `entries` in order, as the next entries of the inbox. All or nothing: if a blob
/// is missing, the state is left unchanged.
pub fn apply_entries(
    state: &mut State,
    entries: &[InboxEntry],
    blobs: &BlobMap,
) -> Result<Vec<Event>, TransitionError> {
    for entry in entries {
        if let Some(hashes) = blob_batch_hashes(entry) {
            if let Some(missing) = hashes.into_iter().find(|hash| !blobs.contains_key(hash)) {
                return Err(TransitionError::MissingBlob(missing));
            }
        }
    }
    let mut events = Vec::new();
    for entry in entries {
        apply_entry(state, entry, blobs, &mut events);
    }
    Ok(events)
}

/// Applies one message of `trader` at `l1_timestamp` WITHOUT inbox accounting (no entry hash,
/// no accumulator, no signature): the matching engine alone, for benchmarks and simulations.
/// A state advanced this way no longer corresponds to any inbox; the node never does this.
pub fn apply_direct(
    state: &mut State,
    trader: &Address,
    message: &Message,
    l1_timestamp: u64,
    events: &mut Vec<Event>,
) {
    let header = state.header_mut();
    header.l1_timestamp = l1_timestamp;
    let mut out = Emitter::new(header.next_index, None, l1_timestamp, events);
    apply_message(state, trader, message, &mut out);
}

/// The versioned hashes a well-formed blob batch entry names; `None` for other entries.
pub fn blob_batch_hashes(entry: &InboxEntry) -> Option<Vec<Hash>> {
    if entry.kind != KIND_BLOB_BATCH || entry.payload.is_empty() || !entry.payload.len().is_multiple_of(32) {
        return None;
    }
    Some(entry.payload.chunks(32).map(|chunk| chunk.try_into().expect("32-byte chunk")).collect())
}

/// Where events of the input being applied go, and its clock (the entry's L1 timestamp).
struct Emitter<'a> {
    index: u64,
    position: Option<u32>,
    now: u64,
    events: &'a mut Vec<Event>,
    /// The message being applied, named by its rejection.
    subject: Option<Subject>,
    rejected: bool,
}

impl<'a> Emitter<'a> {
    fn new(index: u64, position: Option<u32>, now: u64, events: &'a mut Vec<Event>) -> Self {
        Emitter { index, position, now, events, subject: None, rejected: false }
    }

    fn emit(&mut self, kind: EventKind) {
        self.events.push(Event { index: self.index, position: self.position, kind });
    }

    fn reject(&mut self, reason: RejectReason) {
        self.rejected = true;
        self.emit(EventKind::Rejected { reason, subject: self.subject });
    }
}

/// Applies one entry whose blobs (if any) are all in `blobs`, and advances the inbox.
fn apply_entry(state: &mut State, entry: &InboxEntry, blobs: &BlobMap, events: &mut Vec<Event>) {
    let header = state.header_mut();
    header.l1_timestamp = entry.l1_timestamp;
    let mut out = Emitter::new(header.next_index, None, entry.l1_timestamp, events);
    match entry.kind {
        KIND_DIRECT => match Message::decode(&entry.payload) {
            Some(message) => apply_message(state, &entry.sender, &message, &mut out),
            None => out.reject(RejectReason::Malformed),
        },
        KIND_SIGNED => apply_envelope(state, &entry.payload, &mut out),
        KIND_DEPOSIT => apply_deposit(state, entry, &mut out),
        KIND_BLOB_BATCH => apply_blob_batch(state, entry, blobs, &mut out),
        KIND_WITHDRAWAL => apply_withdrawal(state, entry, &mut out),
        _ => out.reject(RejectReason::UnknownKind),
    }
    let header = state.header_mut();
    header.acc = next_acc(&header.acc, &entry.hash());
    header.next_index += 1;
}

/// A big-endian uint256 that must fit in a u128: `Err` names the rejection.
fn uint256_amount(bytes: &[u8]) -> Result<u128, RejectReason> {
    let (high, low) = bytes.split_at(16);
    if high.iter().any(|byte| *byte != 0) {
        return Err(RejectReason::AmountOverflow);
    }
    Ok(u128::from_be_bytes(low.try_into().expect("16 bytes")))
}

fn apply_deposit(state: &mut State, entry: &InboxEntry, out: &mut Emitter) {
    if entry.sender != state.header().genesis.vault {
        return out.reject(RejectReason::NotVault);
    }
    if entry.payload.len() != DEPOSIT_LEN {
        return out.reject(RejectReason::Malformed);
    }
    let trader: Address = entry.payload[..20].try_into().expect("20 bytes");
    let token: Address = entry.payload[20..40].try_into().expect("20 bytes");
    let amount = match uint256_amount(&entry.payload[40..]) {
        Ok(amount) => amount,
        Err(reason) => return out.reject(reason),
    };
    if !state.deposit(&trader, &token, amount) {
        return out.reject(RejectReason::AmountOverflow);
    }
    out.emit(EventKind::Deposit { trader, token, amount });
}

/// PROTOCOL.md section 11: `token ‖ amount(uint256)` from the trader (the entry's sender).
fn apply_withdrawal(state: &mut State, entry: &InboxEntry, out: &mut Emitter) {
    if entry.payload.len() != WITHDRAWAL_LEN {
        return out.reject(RejectReason::Malformed);
    }
    let token: Address = entry.payload[..20].try_into().expect("20 bytes");
    let amount = match uint256_amount(&entry.payload[20..]) {
        Ok(0) => return out.reject(RejectReason::InvalidAmount),
        Ok(amount) => amount,
        Err(reason) => return out.reject(reason),
    };
    if !state.withdraw(&entry.sender, &token, amount) {
        return out.reject(RejectReason::InsufficientBalance);
    }
    out.emit(EventKind::Withdrawal { trader: entry.sender, token, amount });
}

fn apply_blob_batch(state: &mut State, entry: &InboxEntry, blobs: &BlobMap, out: &mut Emitter) {
    let Some(hashes) = blob_batch_hashes(entry) else {
        return out.reject(RejectReason::MalformedBatch);
    };
    // Every named blob is present: `apply_entries` checked before applying anything.
    let batch: Vec<&Vec<u8>> = hashes.iter().filter_map(|hash| blobs.get(hash)).collect();
    let Some(envelopes) = decode_blobs(&batch) else {
        return out.reject(RejectReason::MalformedBatch);
    };
    let count = u32::try_from(envelopes.len()).expect("a batch declares a u32 count");
    out.emit(EventKind::Batch { messages: count });
    for (position, envelope) in (0..count).zip(envelopes.iter()) {
        let mut inner = Emitter::new(out.index, Some(position), out.now, out.events);
        apply_envelope(state, envelope, &mut inner);
    }
}

fn apply_envelope(state: &mut State, bytes: &[u8], out: &mut Emitter) {
    let Some(envelope) = Envelope::decode(bytes) else {
        return out.reject(RejectReason::Malformed);
    };
    let genesis = &state.header().genesis;
    if !is_signed_by_trader(genesis.chain_id, &genesis.inbox, &envelope) {
        return out.reject(RejectReason::BadSignature);
    }
    apply_message(state, &envelope.trader, &envelope.message, out);
}

/// Applies a message of an authenticated `trader`. A rejected message still uses up its fresh
/// nonce, so that no copy of it can execute later (PROTOCOL.md section 5).
fn apply_message(state: &mut State, trader: &Address, message: &Message, out: &mut Emitter) {
    out.subject = Some(Subject::of(trader, message));
    out.rejected = false;
    match message {
        Message::Order(order) => place_order(state, trader, order, out),
        Message::Cancel(cancel) => cancel_order(state, trader, cancel, out),
        Message::CancelAll(all) => cancel_all(state, trader, all, out),
        Message::Replace(replace) => replace_order(state, trader, replace, out),
    }
    if out.rejected {
        if let Some(nonce) = message.own_nonce() {
            if nonce > state.nonce(trader) {
                state.set_nonce(trader, nonce);
            }
        }
    }
}

// ---- amounts ------------------------------------------------------------------------------

/// Quote atoms for `lots` at `price` ticks.
fn notional(market: &Market, price: u64, lots: u64) -> Option<u128> {
    (u128::from(price) * u128::from(lots)).checked_mul(market.quote_tick)
}

/// `floor(amount × bps / 10_000)` without overflow. Floors add up to at most the floor of the
/// sum, so a lock computed on a whole order covers the fees of all its fills.
pub fn fee(amount: u128, bps: u16) -> u128 {
    // Most amounts fit in 64 bits, where dividing by a constant is a multiply (a u128 division
    // is a library call); the result is the same.
    if let Ok(small) = u64::try_from(amount) {
        let bps = u64::from(bps);
        return u128::from(small / 10_000) * u128::from(bps) + u128::from(small % 10_000 * bps / 10_000);
    }
    let bps = u128::from(bps);
    amount / 10_000 * bps + amount % 10_000 * bps / 10_000
}

/// The token an order of `side` locks.
fn lock_token(market: &Market, side: Side) -> Address {
    match side {
        Side::Buy => market.quote,
        Side::Sell => market.base,
    }
}

/// What an order of `lots` at `price` holds: for a buy, quote plus the market's highest fee on
/// it; for a sell, base.
fn required_lock(market: &Market, side: Side, price: u64, lots: u64) -> Option<u128> {
    match side {
        Side::Buy => {
            let quote = notional(market, price, lots)?;
            quote.checked_add(fee(quote, market.max_fee_bps()))
        }
        Side::Sell => u128::from(lots).checked_mul(market.base_lot),
    }
}

/// Whether a `taker_side` order with limit `limit` trades with a maker at `price`.
fn crosses(taker_side: Side, limit: u64, price: u64) -> bool {
    match taker_side {
        Side::Buy => price <= limit,
        Side::Sell => price >= limit,
    }
}

fn is_expired(expiry: u64, now: u64) -> bool {
    expiry != 0 && expiry < now
}

/// Whether `price` is more than `bps` basis points away from `reference`.
fn outside_band(reference: u64, price: u64, bps: u16) -> bool {
    u128::from(reference.abs_diff(price)) * 10_000 > u128::from(bps) * u128::from(reference)
}

// ---- orders -------------------------------------------------------------------------------

/// What an order works on, looked up once per input: its market, the clock, and whether the
/// market may hold stops or be halted (read off its market state once).
struct Venue {
    market: Arc<Market>,
    now: u64,
    halted: bool,
    has_stops: bool,
}

fn venue(state: &State, market: u32, now: u64) -> Option<Venue> {
    let market = state.markets.get(&market)?.clone();
    let (halted, has_stops) = match state.market_states.get(&market.id) {
        Some(data) => (
            data.breaker.halted_until > now,
            data.best[Ladder::BuyStops as usize] != 0 || data.best[Ladder::SellStops as usize] != 0,
        ),
        None => (false, false),
    };
    Some(Venue { market, now, halted, has_stops })
}

/// The checks of an order, in PROTOCOL.md's order, without changing anything. `freed` is what
/// a replaced order gives back and `replacing` whether one of the trader's orders makes room.
/// Returns the amount to lock.
fn check_order(
    state: &State,
    venue: &Venue,
    trader: &Address,
    order: &Order,
    freed: u128,
    replacing: bool,
) -> Result<u128, RejectReason> {
    let amount = check_order_terms(state, venue, trader, order, replacing)?;
    let available = state.balance(trader, &lock_token(&venue.market, order.side)).available;
    if available.saturating_add(freed) < amount {
        return Err(RejectReason::InsufficientBalance);
    }
    Ok(amount)
}

/// Every check of [`check_order`] but the last (the balance): the amount to lock.
fn check_order_terms(
    state: &State,
    venue: &Venue,
    trader: &Address,
    order: &Order,
    replacing: bool,
) -> Result<u128, RejectReason> {
    let (market, now) = (&*venue.market, venue.now);
    let (tif, is_stop) = (order.time_in_force, order.trigger_price != 0);
    let can_rest = matches!(tif, TimeInForce::Gtc | TimeInForce::PostOnly);
    let invalid = (order.order_type == OrderType::Market && can_rest)
        || (tif == TimeInForce::PostOnly && is_stop)
        || (order.display_quantity != 0 && (!can_rest || order.display_quantity > order.quantity));
    if invalid {
        return Err(RejectReason::InvalidOrder);
    }
    if order.price == 0 || order.quantity == 0 {
        return Err(RejectReason::InvalidAmount);
    }
    if order.quantity < market.min_size {
        return Err(RejectReason::BelowMinSize);
    }
    if market.max_size != 0 && order.quantity > market.max_size {
        return Err(RejectReason::AboveMaxSize);
    }
    // The trader's account is read once for its nonce and its open orders.
    let account = state.accounts.get(&AddressKey(*trader));
    if order.nonce <= account.map_or(0, |account| account.nonce) {
        return Err(RejectReason::StaleNonce);
    }
    if is_expired(order.expiry, now) {
        return Err(RejectReason::Expired);
    }
    // Only orders that may rest or park count against the cap (an IOC never looks it up).
    if can_rest || is_stop {
        let open = account.map_or(0, |account| account.open_in(market.id).count);
        if open.saturating_sub(u32::from(replacing)) >= market.max_open_orders {
            return Err(RejectReason::TooManyOpenOrders);
        }
    }
    // Crossing matters only to a halted market or a post-only order (most orders skip the look).
    if !is_stop {
        let halted = venue.halted;
        if halted || tif == TimeInForce::PostOnly {
            let best = state.best_price_of(market.id, order.side.opposite());
            if best.is_some_and(|price| crosses(order.side, order.price, price)) {
                return Err(if halted { RejectReason::MarketHalted } else { RejectReason::WouldCross });
            }
        }
    }
    required_lock(market, order.side, order.price, order.quantity).ok_or(RejectReason::AmountOverflow)
}

fn place_order(state: &mut State, trader: &Address, order: &Order, out: &mut Emitter) {
    let Some(mut venue) = venue(state, order.market, out.now) else {
        return out.reject(RejectReason::UnknownMarket);
    };
    let amount = match check_order_terms(state, &venue, trader, order, false) {
        Ok(amount) => amount,
        Err(reason) => return out.reject(reason),
    };
    // The balance is the last check: the lock itself makes it.
    if !state.lock(trader, &lock_token(&venue.market, order.side), amount) {
        return out.reject(RejectReason::InsufficientBalance);
    }
    commit_order(state, &mut venue, trader, order, amount, out);
    run_triggers(state, &venue, out);
}

/// With its `amount` locked: uses up the nonce, emits `accepted`, then parks a stop or executes
/// the order.
fn commit_order(
    state: &mut State,
    venue: &mut Venue,
    trader: &Address,
    order: &Order,
    amount: u128,
    out: &mut Emitter,
) {
    state.set_nonce(trader, order.nonce);
    out.emit(EventKind::Accepted { trader: *trader, order: *order });
    if order.trigger_price != 0 {
        let id = OrderId { market: venue.market.id, trader: *trader, nonce: order.nonce };
        state.add_order(id, stop_record(order, amount));
        venue.has_stops = true;
    } else {
        execute(state, venue, trader, order, amount, out);
    }
}

/// A stop order parked with its lock: it keeps the order as submitted.
fn stop_record(order: &Order, locked: u128) -> OrderRecord {
    OrderRecord {
        kind: OrderKind::Stop,
        side: order.side,
        order_type: order.order_type,
        time_in_force: order.time_in_force,
        stp: order.stp,
        price: order.price,
        trigger_price: order.trigger_price,
        visible: order.quantity,
        hidden: 0,
        display: order.display_quantity,
        locked,
        expiry: order.expiry,
        client_order_id: order.client_order_id,
        next: None,
        older: 0,
        prev: Hint::Unknown,
        newer: Hint::Unknown,
    }
}

/// Fires stop orders whose trigger the last trade price has reached, at most [`MAX_TRIGGERS`].
#[inline]
fn run_triggers(state: &mut State, venue: &Venue, out: &mut Emitter) {
    // Most markets hold no stop order: then there is nothing to look at.
    if venue.has_stops {
        fire_stops(state, venue, out);
    }
}

#[inline(never)]
fn fire_stops(state: &mut State, venue: &Venue, out: &mut Emitter) {
    let (market, now) = (&*venue.market, venue.now);
    for _ in 0..MAX_TRIGGERS {
        let market_state = state.market_state_of(market.id);
        let Some(last) = market_state.last_trade else { return };
        if market_state.breaker.halted_until > now {
            return;
        }
        let Some(id) = state.next_triggered(market.id, last.price) else { return };
        let stop = state.remove_order(&id);
        out.emit(EventKind::Triggered {
            trader: id.trader,
            market: market.id,
            nonce: id.nonce,
            client_order_id: stop.client_order_id,
            last_price: last.price,
        });
        let order = stop.as_order(market.id, id.nonce);
        if is_expired(order.expiry, now) {
            state.unlock(&id.trader, &lock_token(market, order.side), stop.locked);
            out.emit(cancelled(
                &id.trader,
                market.id,
                id.nonce,
                order.client_order_id,
                order.quantity,
                CancelReason::Expired,
            ));
            continue;
        }
        execute(state, venue, &id.trader, &order, stop.locked, out);
    }
}

fn cancelled(
    trader: &Address,
    market: u32,
    nonce: u64,
    client_order_id: u64,
    remaining: u64,
    reason: CancelReason,
) -> EventKind {
    EventKind::Cancelled { trader: *trader, market, nonce, client_order_id, remaining, reason }
}

/// Takes an open order out of the state, gives back its lock and emits `cancelled`.
fn drop_order(state: &mut State, market: &Market, id: &OrderId, reason: CancelReason, out: &mut Emitter) {
    let order = state.remove_order(id);
    release(state, market, id, &order, reason, out);
}

/// Gives back the lock of an order already out of the state and emits `cancelled`.
fn release(
    state: &mut State,
    market: &Market,
    id: &OrderId,
    order: &OrderRecord,
    reason: CancelReason,
    out: &mut Emitter,
) {
    state.unlock(&id.trader, &lock_token(market, order.side), order.locked);
    out.emit(cancelled(&id.trader, market.id, id.nonce, order.client_order_id, order.remaining(), reason));
}

/// Whether a fill-or-kill order can fill completely, walking the book as matching would
/// (the same fill cap, expired and self-trade orders, and circuit breaker). Hidden iceberg
/// quantity is not counted, so the check is conservative.
fn fill_or_kill_fills(state: &State, venue: &Venue, trader: &Address, order: &Order) -> bool {
    let (market, now) = (&*venue.market, venue.now);
    let breaker = state.market_state_of(market.id).breaker;
    let mut reference = (breaker.reference_price != 0 && now < breaker.window_start.saturating_add(market.band_window))
        .then_some(breaker.reference_price);
    let (mut need, mut visits, mut fills) = (order.quantity, 0u32, false);
    state.walk(market.id, Ladder::book(order.side.opposite()), |id, maker| {
        if !crosses(order.side, order.price, maker.price) || visits == market.max_fills {
            return false;
        }
        visits += 1;
        if is_expired(maker.expiry, now) {
            return true;
        }
        if id.trader == *trader {
            return order.stp == SelfTradePrevention::CancelMaker;
        }
        if market.band_bps != 0 && outside_band(*reference.get_or_insert(maker.price), maker.price, market.band_bps) {
            return false;
        }
        need = need.saturating_sub(maker.visible);
        fills = need == 0;
        !fills
    });
    fills
}

/// Matches `order` (its funds, `locked`, already held) against the book at the makers' prices,
/// best first, then rests or cancels the remainder.
fn execute(state: &mut State, venue: &Venue, trader: &Address, order: &Order, mut locked: u128, out: &mut Emitter) {
    let (market, now) = (&*venue.market, venue.now);
    let token = lock_token(market, order.side);
    if order.time_in_force == TimeInForce::Fok && !fill_or_kill_fills(state, venue, trader, order) {
        state.unlock(trader, &token, locked);
        return out.emit(cancelled(
            trader,
            market.id,
            order.nonce,
            order.client_order_id,
            order.quantity,
            CancelReason::FillOrKill,
        ));
    }
    let maker_side = order.side.opposite();
    let maker_ladder = Ladder::book(maker_side);
    let mut remaining = order.quantity;
    let mut visits = 0u32;
    let mut stopped = None;
    while remaining > 0 {
        // The best level's price decides whether to go on: an order that rests without crossing
        // never reads the level or its orders.
        let best = state.best_level_of(market.id, maker_ladder);
        if best == 0 || !crosses(order.side, order.price, best) {
            break;
        }
        if visits == market.max_fills {
            stopped = Some(CancelReason::FillCap);
            break;
        }
        visits += 1;
        let (id, maker) = state.first_at(market.id, maker_ladder, best);
        let (price, visible, maker_expiry, maker_client) =
            (maker.price, maker.visible, maker.expiry, maker.client_order_id);
        if is_expired(maker_expiry, now) {
            drop_order(state, market, &id, CancelReason::Expired, out);
            continue;
        }
        if id.trader == *trader {
            match order.stp {
                SelfTradePrevention::CancelTaker => {
                    stopped = Some(CancelReason::SelfTrade);
                    break;
                }
                SelfTradePrevention::CancelMaker => drop_order(state, market, &id, CancelReason::SelfTrade, out),
                SelfTradePrevention::DecrementBoth => {
                    let quantity = remaining.min(maker.remaining());
                    let left = maker.remaining() - quantity;
                    remaining -= quantity;
                    out.emit(EventKind::SelfTrade {
                        market: market.id,
                        trader: *trader,
                        maker_nonce: id.nonce,
                        maker_client_order_id: maker_client,
                        taker_nonce: order.nonce,
                        taker_client_order_id: order.client_order_id,
                        quantity,
                    });
                    shrink_resting(state, market, &id, left);
                }
            }
            continue;
        }
        if market.band_bps != 0 {
            let breaker = &mut state.market_state_mut(market.id).breaker;
            if breaker.reference_price == 0 || now >= breaker.window_start.saturating_add(market.band_window) {
                breaker.window_start = now;
                breaker.reference_price = price;
            }
            if outside_band(breaker.reference_price, price, market.band_bps) {
                breaker.halted_until = now.saturating_add(market.halt_seconds);
                out.emit(EventKind::Halted {
                    market: market.id,
                    price,
                    reference_price: breaker.reference_price,
                    until: breaker.halted_until,
                });
                breaker.reference_price = 0;
                stopped = Some(CancelReason::Halted);
                break;
            }
        }
        let quantity = remaining.min(visible);
        let quote = notional(market, price, quantity).expect("bounded by an accepted lock");
        let base = u128::from(quantity) * market.base_lot;
        let (maker_fee, taker_fee) = (fee(quote, market.maker_fee_bps), fee(quote, market.taker_fee_bps));
        let (buyer, seller, buyer_fee, seller_fee) = match order.side {
            Side::Buy => (trader, &id.trader, taker_fee, maker_fee),
            Side::Sell => (&id.trader, trader, maker_fee, taker_fee),
        };
        state.spend_locked(buyer, &market.quote, quote + buyer_fee);
        state.credit(seller, &market.quote, quote - seller_fee);
        state.spend_locked(seller, &market.base, base);
        state.credit(buyer, &market.base, base);
        state.credit(&market.fee_recipient, &market.quote, maker_fee + taker_fee);
        let (taker_spent, maker_spent) = match order.side {
            Side::Buy => (quote + taker_fee, base),
            Side::Sell => (base, quote + maker_fee),
        };
        locked -= taker_spent;
        let maker = state.order_mut(&id);
        maker.locked -= maker_spent;
        maker.visible -= quantity;
        if maker.visible == 0 {
            if maker.hidden > 0 {
                let shown = maker.hidden.min(maker.display);
                maker.visible = shown;
                maker.hidden -= shown;
                state.requeue(&id);
            } else {
                let done = state.remove_order(&id);
                state.unlock(&id.trader, &lock_token(market, maker_side), done.locked);
            }
        }
        remaining -= quantity;
        state.record_trade(market.id, price, quantity, now);
        out.emit(EventKind::Fill {
            market: market.id,
            maker: id.trader,
            maker_nonce: id.nonce,
            maker_client_order_id: maker_client,
            taker: *trader,
            taker_nonce: order.nonce,
            taker_client_order_id: order.client_order_id,
            price,
            quantity,
            taker_side: order.side,
            maker_fee,
            taker_fee,
        });
    }
    if remaining == 0 {
        return state.unlock(trader, &token, locked);
    }
    let rests = matches!(order.time_in_force, TimeInForce::Gtc | TimeInForce::PostOnly);
    if let (true, None) = (rests, stopped) {
        // Untouched by matching, the order still needs exactly its lock.
        let need = if remaining == order.quantity {
            locked
        } else {
            required_lock(market, order.side, order.price, remaining).expect("below the accepted lock")
        };
        state.unlock(trader, &token, locked - need);
        let visible = if order.display_quantity == 0 { remaining } else { remaining.min(order.display_quantity) };
        let resting = OrderRecord {
            kind: OrderKind::Resting,
            side: order.side,
            order_type: OrderType::Limit,
            time_in_force: if order.time_in_force == TimeInForce::PostOnly {
                TimeInForce::PostOnly
            } else {
                TimeInForce::Gtc
            },
            stp: order.stp,
            price: order.price,
            trigger_price: 0,
            visible,
            hidden: remaining - visible,
            display: order.display_quantity,
            locked: need,
            expiry: order.expiry,
            client_order_id: order.client_order_id,
            next: None,
            older: 0,
            prev: Hint::Unknown,
            newer: Hint::Unknown,
        };
        state.add_order(OrderId { market: market.id, trader: *trader, nonce: order.nonce }, resting);
        return;
    }
    state.unlock(trader, &token, locked);
    let reason = stopped.unwrap_or(match order.time_in_force {
        TimeInForce::Fok => CancelReason::FillOrKill,
        _ => CancelReason::ImmediateOrCancel,
    });
    out.emit(cancelled(trader, market.id, order.nonce, order.client_order_id, remaining, reason));
}

/// Shrinks a resting order to `left` lots in place (keeping its priority unless its visible
/// part is used up), giving back the lock it no longer needs; removes it at zero.
fn shrink_resting(state: &mut State, market: &Market, id: &OrderId, left: u64) {
    let order = state.order_mut(id);
    let side = order.side;
    let need = required_lock(market, side, order.price, left).expect("below the accepted lock");
    let freed = order.locked - need;
    order.locked = need;
    order.visible = order.visible.min(left);
    order.hidden = left - order.visible;
    let requeue = left != 0 && order.visible == 0;
    if requeue {
        order.visible = order.hidden.min(order.display);
        order.hidden -= order.visible;
    }
    state.unlock(&id.trader, &lock_token(market, side), freed);
    if left == 0 {
        state.remove_order(id);
    } else if requeue {
        state.requeue(id);
    }
}

// ---- cancels and replaces -----------------------------------------------------------------

fn cancel_order(state: &mut State, trader: &Address, cancel: &Cancel, out: &mut Emitter) {
    let Some(market) = state.markets.get(&cancel.market).cloned() else {
        return out.reject(RejectReason::UnknownMarket);
    };
    if state.find_order(market.id, trader, cancel.order_nonce).is_none() {
        return out.reject(RejectReason::UnknownOrder);
    }
    // A stop reports its whole quantity, a resting order what is left of it.
    let id = OrderId { market: market.id, trader: *trader, nonce: cancel.order_nonce };
    drop_order(state, &market, &id, CancelReason::User, out);
}

fn cancel_all(state: &mut State, trader: &Address, all: &CancelAll, out: &mut Emitter) {
    if all.market != ALL_MARKETS && state.markets.get(&all.market).is_none() {
        return out.reject(RejectReason::UnknownMarket);
    }
    if all.nonce <= state.nonce(trader) {
        return out.reject(RejectReason::StaleNonce);
    }
    state.set_nonce(trader, all.nonce);
    // Only the markets where the trader has open orders (its account lists them).
    let markets: Vec<u32> = match all.market {
        ALL_MARKETS => state
            .accounts
            .get(&AddressKey(*trader))
            .map(|account| account.markets.iter().map(|open| open.market).collect())
            .unwrap_or_default(),
        market => alloc::vec![market],
    };
    let mut count = 0u32;
    for id in markets {
        let market = state.markets.get(&id).cloned().expect("an account lists listed markets");
        for (order_id, order) in state.take_all_of(trader, id) {
            release(state, &market, &order_id, &order, CancelReason::CancelAll, out);
            count += 1;
        }
    }
    out.emit(EventKind::CancelledAll { trader: *trader, market: all.market, count });
}

fn replace_order(state: &mut State, trader: &Address, replace: &Replace, out: &mut Emitter) {
    let Some(mut venue) = venue(state, replace.market, out.now) else {
        return out.reject(RejectReason::UnknownMarket);
    };
    let market = &venue.market.clone();
    let id = OrderId { market: market.id, trader: *trader, nonce: replace.order_nonce };
    let old = match state.find_order(market.id, trader, replace.order_nonce) {
        Some(order) if order.kind == OrderKind::Resting => order.clone(),
        _ => return out.reject(RejectReason::UnknownOrder),
    };
    if replace.price == 0 || replace.quantity == 0 {
        return out.reject(RejectReason::InvalidAmount);
    }
    if replace.nonce <= state.nonce(trader) {
        return out.reject(RejectReason::StaleNonce);
    }
    if replace.price == old.price && replace.quantity <= old.remaining() {
        if replace.quantity < market.min_size {
            return out.reject(RejectReason::BelowMinSize);
        }
        state.set_nonce(trader, replace.nonce);
        shrink_resting(state, market, &id, replace.quantity);
        return out.emit(EventKind::Reduced {
            trader: *trader,
            market: market.id,
            nonce: replace.order_nonce,
            client_order_id: old.client_order_id,
            quantity: replace.quantity,
        });
    }
    let order = replacement(market.id, &old, replace);
    let amount = match check_order(state, &venue, trader, &order, old.locked, true) {
        Ok(amount) => amount,
        Err(reason) => return out.reject(reason),
    };
    drop_order(state, market, &id, CancelReason::Replaced, out);
    let locked = state.lock(trader, &lock_token(market, order.side), amount);
    debug_assert!(locked, "check_order counted the replaced order's lock as available");
    commit_order(state, &mut venue, trader, &order, amount, out);
    run_triggers(state, &venue, out);
}

#[cfg(test)]
mod tests {
    use super::fee;

    #[test]
    fn fee_is_the_same_below_and_above_64_bits() {
        let wide =
            |amount: u128, bps: u16| amount / 10_000 * u128::from(bps) + amount % 10_000 * u128::from(bps) / 10_000;
        for amount in
            [0, 1, 9_999, 10_000, 123_456_789, u128::from(u64::MAX) - 1, u128::from(u64::MAX), 1 << 64, 1 << 100]
        {
            for bps in [0, 1, 7, 1_000, u16::MAX] {
                assert_eq!(fee(amount, bps), wide(amount, bps), "{amount} {bps}");
            }
        }
    }
}

/// The new order a Replace places: the new price and quantity, the old order's other fields.
fn replacement(market: u32, old: &OrderRecord, replace: &Replace) -> Order {
    Order {
        market,
        side: old.side,
        order_type: OrderType::Limit,
        time_in_force: if old.post_only() { TimeInForce::PostOnly } else { TimeInForce::Gtc },
        stp: old.stp,
        price: replace.price,
        quantity: replace.quantity,
        trigger_price: 0,
        display_quantity: old.display.min(replace.quantity),
        nonce: replace.nonce,
        expiry: old.expiry,
        client_order_id: old.client_order_id,
    }
}

/// Funds a message would lock on top of what it frees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lock {
    pub token: Address,
    pub amount: u128,
}

/// Whether `trader`'s `message` would pass the engine's checks on `state` at L1 time `now`,
/// changing nothing: the rejection it would get, or the funds it needs (`None`: none). The
/// balance itself is left to the caller, who may hold other not-yet-included orders of the
/// trader (a node's admission control); so is matching, which no check can foresee.
pub fn preview(state: &State, trader: &Address, message: &Message, now: u64) -> Result<Option<Lock>, RejectReason> {
    match message {
        Message::Order(order) => {
            let venue = venue(state, order.market, now).ok_or(RejectReason::UnknownMarket)?;
            let amount = check_order_terms(state, &venue, trader, order, false)?;
            Ok(Some(Lock { token: lock_token(&venue.market, order.side), amount }))
        }
        Message::Cancel(cancel) => {
            state.markets.get(&cancel.market).ok_or(RejectReason::UnknownMarket)?;
            state.find_order(cancel.market, trader, cancel.order_nonce).ok_or(RejectReason::UnknownOrder)?;
            Ok(None)
        }
        Message::CancelAll(all) => {
            if all.market != ALL_MARKETS && state.markets.get(&all.market).is_none() {
                return Err(RejectReason::UnknownMarket);
            }
            if all.nonce <= state.nonce(trader) {
                return Err(RejectReason::StaleNonce);
            }
            Ok(None)
        }
        Message::Replace(replace) => {
            let venue = venue(state, replace.market, now).ok_or(RejectReason::UnknownMarket)?;
            let old = match state.find_order(replace.market, trader, replace.order_nonce) {
                Some(order) if order.kind == OrderKind::Resting => order.clone(),
                _ => return Err(RejectReason::UnknownOrder),
            };
            if replace.price == 0 || replace.quantity == 0 {
                return Err(RejectReason::InvalidAmount);
            }
            if replace.nonce <= state.nonce(trader) {
                return Err(RejectReason::StaleNonce);
            }
            if replace.price == old.price && replace.quantity <= old.remaining() {
                return if replace.quantity < venue.market.min_size {
                    Err(RejectReason::BelowMinSize)
                } else {
                    Ok(None)
                };
            }
            let order = replacement(replace.market, &old, replace);
            let amount = check_order_terms(state, &venue, trader, &order, true)?;
            Ok(Some(Lock { token: lock_token(&venue.market, order.side), amount: amount.saturating_sub(old.locked) }))
        }
    }
}
