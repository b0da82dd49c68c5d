//! Applying inbox entries to the state (PROTOCOL.md section 5). An invalid input is a
//! recorded `Rejected` event, never an error: the only error is a blob the caller did not
//! provide, which no valid execution can do without.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::blob_batch::decode_blobs;
use crate::book::RestingOrder;
use crate::eip712::is_signed_by_trader;
use crate::events::{Event, EventKind, RejectReason};
use crate::inbox::{next_acc, InboxEntry, KIND_BLOB_BATCH, KIND_DEPOSIT, KIND_DIRECT, KIND_SIGNED};
use crate::message::{Cancel, Envelope, Message, Order, Side};
use crate::state::{Balances, Market, State};
use crate::{Address, Hash};

/// Blob bytes keyed by versioned hash.
pub type BlobMap = BTreeMap<Hash, Vec<u8>>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransitionError {
    MissingBlob(Hash),
}

const DEPOSIT_LEN: usize = 72;

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

/// The versioned hashes a well-formed blob batch entry names; `None` for other entries.
pub fn blob_batch_hashes(entry: &InboxEntry) -> Option<Vec<Hash>> {
    if entry.kind != KIND_BLOB_BATCH || entry.payload.is_empty() || !entry.payload.len().is_multiple_of(32) {
        return None;
    }
    Some(entry.payload.chunks(32).map(|chunk| chunk.try_into().expect("32-byte chunk")).collect())
}

/// Where events of the input being applied go.
struct Emitter<'a> {
    index: u64,
    position: Option<u32>,
    events: &'a mut Vec<Event>,
}

impl Emitter<'_> {
    fn emit(&mut self, kind: EventKind) {
        self.events.push(Event { index: self.index, position: self.position, kind });
    }

    fn reject(&mut self, reason: RejectReason) {
        self.emit(EventKind::Rejected { reason });
    }
}

/// Applies one entry whose blobs (if any) are all in `blobs`, and advances the inbox.
fn apply_entry(state: &mut State, entry: &InboxEntry, blobs: &BlobMap, events: &mut Vec<Event>) {
    let mut out = Emitter { index: state.inbox.next_index, position: None, events };
    match entry.kind {
        KIND_DIRECT => match Message::decode(&entry.payload) {
            Some(message) => apply_message(state, &entry.sender, &message, entry.l1_timestamp, &mut out),
            None => out.reject(RejectReason::Malformed),
        },
        KIND_SIGNED => apply_envelope(state, &entry.payload, entry.l1_timestamp, &mut out),
        KIND_DEPOSIT => apply_deposit(state, entry, &mut out),
        KIND_BLOB_BATCH => apply_blob_batch(state, entry, blobs, &mut out),
        _ => out.reject(RejectReason::UnknownKind),
    }
    state.inbox.acc = next_acc(&state.inbox.acc, &entry.hash());
    state.inbox.next_index += 1;
}

fn apply_deposit(state: &mut State, entry: &InboxEntry, out: &mut Emitter) {
    if entry.sender != state.genesis.vault {
        return out.reject(RejectReason::NotVault);
    }
    if entry.payload.len() != DEPOSIT_LEN {
        return out.reject(RejectReason::Malformed);
    }
    let trader: Address = entry.payload[..20].try_into().expect("20 bytes");
    let token: Address = entry.payload[20..40].try_into().expect("20 bytes");
    let (high, low) = entry.payload[40..].split_at(16);
    if high.iter().any(|byte| *byte != 0) {
        return out.reject(RejectReason::AmountOverflow);
    }
    let amount = u128::from_be_bytes(low.try_into().expect("16 bytes"));
    if !state.deposit(&trader, &token, amount) {
        return out.reject(RejectReason::AmountOverflow);
    }
    out.emit(EventKind::Deposit { trader, token, amount });
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
        let mut inner = Emitter { index: out.index, position: Some(position), events: out.events };
        apply_envelope(state, envelope, entry.l1_timestamp, &mut inner);
    }
}

fn apply_envelope(state: &mut State, bytes: &[u8], l1_timestamp: u64, out: &mut Emitter) {
    let Some(envelope) = Envelope::decode(bytes) else {
        return out.reject(RejectReason::Malformed);
    };
    if !is_signed_by_trader(state.genesis.chain_id, &state.genesis.inbox, &envelope) {
        return out.reject(RejectReason::BadSignature);
    }
    apply_message(state, &envelope.trader, &envelope.message, l1_timestamp, out);
}

fn apply_message(state: &mut State, trader: &Address, message: &Message, l1_timestamp: u64, out: &mut Emitter) {
    match message {
        Message::Order(order) => place_order(state, trader, order, l1_timestamp, out),
        Message::Cancel(cancel) => cancel_order(state, trader, cancel, out),
    }
}

/// Quote atoms for `lots` at `price` ticks.
fn quote_amount(market: &Market, price: u64, lots: u64) -> Option<u128> {
    (u128::from(price) * u128::from(lots)).checked_mul(market.quote_tick)
}

/// Base atoms for `lots`.
fn base_amount(market: &Market, lots: u64) -> Option<u128> {
    u128::from(lots).checked_mul(market.base_lot)
}

/// What a resting or incoming order locks: quote for a buy, base for a sell.
fn lock_of(market: &Market, side: Side, price: u64, lots: u64) -> Option<(Address, u128)> {
    match side {
        Side::Buy => Some((market.quote, quote_amount(market, price, lots)?)),
        Side::Sell => Some((market.base, base_amount(market, lots)?)),
    }
}

fn place_order(state: &mut State, trader: &Address, order: &Order, l1_timestamp: u64, out: &mut Emitter) {
    let Some(market) = state.markets.get(&order.market).cloned() else {
        return out.reject(RejectReason::UnknownMarket);
    };
    if order.price == 0 || order.quantity == 0 {
        return out.reject(RejectReason::InvalidAmount);
    }
    if order.nonce <= state.last_nonce(trader) {
        return out.reject(RejectReason::StaleNonce);
    }
    if order.expiry != 0 && order.expiry < l1_timestamp {
        return out.reject(RejectReason::Expired);
    }
    let Some((token, amount)) = lock_of(&market, order.side, order.price, order.quantity) else {
        return out.reject(RejectReason::AmountOverflow);
    };
    if !state.balances.lock(trader, &token, amount) {
        return out.reject(RejectReason::InsufficientBalance);
    }
    state.nonces.insert(*trader, order.nonce);
    out.emit(EventKind::Accepted {
        trader: *trader,
        market: order.market,
        side: order.side,
        price: order.price,
        quantity: order.quantity,
        nonce: order.nonce,
    });
    let remaining = match_order(state, &market, trader, order, out);
    if remaining > 0 {
        let resting = RestingOrder { trader: *trader, nonce: order.nonce, quantity: remaining };
        state.books.entry(market.id).or_default().rest(order.side, order.price, resting);
    }
}

/// Fills `order` against the opposite side at the makers' prices, best first; returns the
/// quantity left to rest.
fn match_order(state: &mut State, market: &Market, taker: &Address, order: &Order, out: &mut Emitter) -> u64 {
    let book = state.books.entry(market.id).or_default();
    let mut remaining = order.quantity;
    while remaining > 0 {
        let Some((price, maker)) = book.best_crossing(order.side, order.price) else { break };
        let (maker_trader, maker_nonce) = (maker.trader, maker.nonce);
        let quantity = remaining.min(maker.quantity);
        book.fill_best(order.side, price, quantity);
        settle_fill(&mut state.balances, market, order, taker, &maker_trader, price, quantity);
        remaining -= quantity;
        out.emit(EventKind::Fill {
            market: market.id,
            maker: maker_trader,
            maker_nonce,
            taker: *taker,
            taker_nonce: order.nonce,
            price,
            quantity,
            taker_side: order.side,
        });
    }
    remaining
}

/// The buyer pays quote at the maker's `price` from its lock, the seller pays base from its
/// lock; a buying taker gets back the part of its lock above the maker's price. Every amount
/// is at most what an accepted order locked, so none overflows.
fn settle_fill(
    balances: &mut Balances,
    market: &Market,
    order: &Order,
    taker: &Address,
    maker: &Address,
    price: u64,
    quantity: u64,
) {
    let quote = quote_amount(market, price, quantity).expect("bounded by an accepted buy lock");
    let base = base_amount(market, quantity).expect("bounded by an accepted sell lock");
    let (buyer, seller) = match order.side {
        Side::Buy => (taker, maker),
        Side::Sell => (maker, taker),
    };
    balances.pay_locked(buyer, seller, &market.quote, quote);
    balances.pay_locked(seller, buyer, &market.base, base);
    if order.side == Side::Buy {
        let refund = quote_amount(market, order.price - price, quantity).expect("bounded by the taker's lock");
        balances.unlock(taker, &market.quote, refund);
    }
}

fn cancel_order(state: &mut State, trader: &Address, cancel: &Cancel, out: &mut Emitter) {
    let Some(market) = state.markets.get(&cancel.market).cloned() else {
        return out.reject(RejectReason::UnknownMarket);
    };
    let removed = state.books.get_mut(&cancel.market).and_then(|book| book.remove(trader, cancel.order_nonce));
    let Some((side, price, remaining)) = removed else {
        return out.reject(RejectReason::UnknownOrder);
    };
    let (token, amount) = lock_of(&market, side, price, remaining).expect("bounded by the order's accepted lock");
    state.balances.unlock(trader, &token, amount);
    out.emit(EventKind::Cancelled { trader: *trader, market: cancel.market, nonce: cancel.order_nonce, remaining });
}
