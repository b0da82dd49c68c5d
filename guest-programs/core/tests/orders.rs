//! Order types, self-trade prevention, risk controls, fees, withdrawals and account proofs
//! (PROTOCOL.md sections 5, 6, 11, 12), one behaviour per test.

mod common;

use clob_core::events::{CancelReason, EventKind, RejectReason};
use clob_core::inbox::InboxEntry;
use clob_core::ledger::Ledger;
use clob_core::message::{
    CancelAll, Message, OrderType, Replace, SelfTradePrevention as Stp, Side, TimeInForce, ALL_MARKETS,
};
use clob_core::smt;
use clob_core::state::{Balance, OrderId, OrderKind, State, StateKey};
use clob_core::transition::{apply_entries, BlobMap};
use clob_core::Address;
use common::*;
use sha3::{Digest, Keccak256};

const A: Address = [0xa1; 20];
const B: Address = [0xb2; 20];
const C: Address = [0xc3; 20];

fn state() -> State {
    let mut state = State::genesis(genesis_config(), vec![market(), risk_market()]).unwrap();
    for trader in [A, B, C] {
        apply(&mut state, deposit(trader, base_token(), 1_000_000 * market().base_lot));
        apply(&mut state, deposit(trader, quote_token(), 1_000_000_000 * market().quote_tick));
    }
    state
}

fn apply(state: &mut State, entry: InboxEntry) -> Vec<EventKind> {
    apply_entries(state, &[entry], &BlobMap::new()).unwrap().into_iter().map(|event| event.kind).collect()
}

fn at(timestamp: u64, mut entry: InboxEntry) -> InboxEntry {
    entry.l1_timestamp = timestamp;
    entry
}

fn send(state: &mut State, trader: Address, message: Message) -> Vec<EventKind> {
    apply(state, direct(trader, message))
}

fn limit(market: u32, side: Side, price: u64, quantity: u64, nonce: u64) -> Message {
    order_with(market, side, price, quantity, nonce, |_| {})
}

fn fills(events: &[EventKind]) -> Vec<(Address, u64, u64, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            EventKind::Fill { maker, maker_nonce, price, quantity, .. } => {
                Some((*maker, *maker_nonce, *price, *quantity))
            }
            _ => None,
        })
        .collect()
}

fn cancel_reasons(events: &[EventKind]) -> Vec<(u64, u64, CancelReason)> {
    events
        .iter()
        .filter_map(|e| match e {
            EventKind::Cancelled { nonce, remaining, reason, .. } => Some((*nonce, *remaining, *reason)),
            _ => None,
        })
        .collect()
}

fn rejected(events: &[EventKind]) -> Option<RejectReason> {
    match events {
        [EventKind::Rejected { reason, .. }] => Some(*reason),
        _ => None,
    }
}

/// Stop orders waiting in `market`.
fn stop_count(state: &State, market: u32) -> usize {
    state.all_orders().filter(|(id, order)| id.market == market && order.kind == OrderKind::Stop).count()
}

/// Every token's balances add up to its supply, and every lock is held by an order.
fn assert_conserved(state: &State) {
    for token in [base_token(), quote_token()] {
        let balances = state.all_balances();
        let held: u128 = balances.iter().filter(|(_, t, _)| *t == token).map(|(_, _, b)| b.available + b.locked).sum();
        assert_eq!(held, state.supply_of(&token));
        let by_orders: u128 = state
            .all_orders()
            .filter(|(id, order)| {
                let m = state.market(id.market).unwrap();
                (if order.side == Side::Buy { m.quote } else { m.base }) == token
            })
            .map(|(_, order)| order.locked)
            .sum();
        let locked: u128 = balances.iter().filter(|(_, t, _)| *t == token).map(|(_, _, b)| b.locked).sum();
        assert_eq!(locked, by_orders);
    }
}

#[test]
fn ioc_remainder_is_cancelled_and_its_lock_returned() {
    let mut s = state();
    send(&mut s, B, limit(1, Side::Sell, 100, 2, 1));
    let events = send(&mut s, A, order_with(1, Side::Buy, 100, 5, 1, |o| o.time_in_force = TimeInForce::Ioc));
    assert_eq!(fills(&events), [(B, 1, 100, 2)]);
    assert_eq!(cancel_reasons(&events), [(1, 3, CancelReason::ImmediateOrCancel)]);
    assert_eq!(s.balance_of(&A, &quote_token()).locked, 0);
    assert_conserved(&s);
}

#[test]
fn fill_or_kill_fills_completely_or_not_at_all() {
    let mut s = state();
    send(&mut s, B, limit(1, Side::Sell, 100, 2, 1));
    send(&mut s, C, limit(1, Side::Sell, 101, 2, 1));
    let fok = |q, n| order_with(1, Side::Buy, 101, q, n, |o| o.time_in_force = TimeInForce::Fok);
    let killed = send(&mut s, A, fok(5, 1));
    assert_eq!(fills(&killed), []);
    assert_eq!(cancel_reasons(&killed), [(1, 5, CancelReason::FillOrKill)]);
    let filled = send(&mut s, A, fok(4, 2));
    assert_eq!(fills(&filled), [(B, 1, 100, 2), (C, 1, 101, 2)]);
    assert_conserved(&s);
}

#[test]
fn post_only_that_would_take_is_rejected_and_otherwise_rests() {
    let mut s = state();
    send(&mut s, B, limit(1, Side::Sell, 100, 2, 1));
    let post = |price, nonce| order_with(1, Side::Buy, price, 1, nonce, |o| o.time_in_force = TimeInForce::PostOnly);
    assert_eq!(rejected(&send(&mut s, A, post(100, 1))), Some(RejectReason::WouldCross));
    assert_eq!(s.last_nonce(&A), 1, "a rejected order uses up its nonce");
    assert_eq!(send(&mut s, A, post(99, 2)).len(), 1);
    assert_eq!(s.best_price(1, Side::Buy), Some(99));
}

#[test]
fn market_order_trades_down_to_its_protective_limit_and_never_rests() {
    let mut s = state();
    send(&mut s, B, limit(1, Side::Buy, 100, 1, 1));
    send(&mut s, B, limit(1, Side::Buy, 95, 1, 2));
    send(&mut s, B, limit(1, Side::Buy, 90, 1, 3));
    let market_sell = |time_in_force, nonce| {
        order_with(1, Side::Sell, 94, 5, nonce, |o| {
            o.order_type = OrderType::Market;
            o.time_in_force = time_in_force;
        })
    };
    assert_eq!(rejected(&send(&mut s, A, market_sell(TimeInForce::Gtc, 1))), Some(RejectReason::InvalidOrder));
    let events = send(&mut s, A, market_sell(TimeInForce::Ioc, 2));
    assert_eq!(fills(&events), [(B, 1, 100, 1), (B, 2, 95, 1)]);
    assert_eq!(cancel_reasons(&events), [(2, 3, CancelReason::ImmediateOrCancel)]);
    assert_eq!(s.best_price(1, Side::Buy), Some(90));
}

#[test]
fn reduce_keeps_priority_and_replace_loses_it() {
    let mut s = state();
    send(&mut s, A, limit(1, Side::Sell, 100, 5, 1));
    send(&mut s, B, limit(1, Side::Sell, 100, 5, 1));
    let reduce = Message::Replace(Replace { market: 1, order_nonce: 1, nonce: 2, price: 100, quantity: 3 });
    let events = send(&mut s, A, reduce);
    assert_eq!(events, [EventKind::Reduced { trader: A, market: 1, nonce: 1, client_order_id: 0, quantity: 3 }]);
    assert_eq!(s.balance_of(&A, &base_token()).locked, 3 * market().base_lot);
    assert_eq!(fills(&send(&mut s, C, limit(1, Side::Buy, 100, 1, 1))), [(A, 1, 100, 1)]);
    // A new price: cancelled and placed again under the new nonce, behind B.
    let replace = Message::Replace(Replace { market: 1, order_nonce: 1, nonce: 3, price: 100, quantity: 9 });
    let events = send(&mut s, A, replace);
    assert_eq!(cancel_reasons(&events), [(1, 2, CancelReason::Replaced)]);
    assert!(matches!(events[1], EventKind::Accepted { order, .. } if order.nonce == 3 && order.quantity == 9));
    assert_eq!(fills(&send(&mut s, C, limit(1, Side::Buy, 100, 6, 2))), [(B, 1, 100, 5), (A, 3, 100, 1)]);
    // Replaying the same replace uses a spent nonce.
    assert_eq!(rejected(&send(&mut s, A, replace)), Some(RejectReason::UnknownOrder));
    let stale = Message::Replace(Replace { market: 1, order_nonce: 3, nonce: 3, price: 100, quantity: 1 });
    assert_eq!(rejected(&send(&mut s, A, stale)), Some(RejectReason::StaleNonce));
    assert_conserved(&s);
}

#[test]
fn expired_resting_order_is_removed_when_a_taker_reaches_it() {
    let mut s = state();
    send(&mut s, B, order_with(1, Side::Sell, 100, 2, 1, |o| o.expiry = T0 + 10));
    send(&mut s, C, limit(1, Side::Sell, 101, 2, 1));
    let events = apply(&mut s, at(T0 + 11, direct(A, limit(1, Side::Buy, 101, 2, 1))));
    assert_eq!(cancel_reasons(&events), [(1, 2, CancelReason::Expired)]);
    assert_eq!(fills(&events), [(C, 1, 101, 2)]);
    assert_eq!(s.balance_of(&B, &base_token()).locked, 0);
    assert_conserved(&s);
}

#[test]
fn accepted_event_carries_the_client_order_id() {
    let mut s = state();
    let events = send(&mut s, A, order_with(1, Side::Buy, 1, 1, 1, |o| o.client_order_id = 77));
    assert!(matches!(events[0], EventKind::Accepted { order, .. } if order.client_order_id == 77));
}

#[test]
fn stop_limit_waits_for_the_last_trade_then_executes() {
    let mut s = state();
    let stop = order_with(1, Side::Buy, 110, 2, 1, |o| o.trigger_price = 105);
    assert_eq!(send(&mut s, A, stop).len(), 1);
    assert_eq!(stop_count(&s, 1), 1);
    send(&mut s, B, limit(1, Side::Sell, 108, 5, 1));
    send(&mut s, B, limit(1, Side::Sell, 104, 1, 2));
    let events = send(&mut s, C, limit(1, Side::Buy, 104, 1, 1));
    assert_eq!(fills(&events), [(B, 2, 104, 1)]);
    assert!(!events.iter().any(|e| matches!(e, EventKind::Triggered { .. })));
    let events = send(&mut s, C, limit(1, Side::Buy, 108, 1, 2));
    let triggered = events.iter().position(|e| matches!(e, EventKind::Triggered { nonce: 1, last_price: 108, .. }));
    assert!(triggered.is_some());
    assert_eq!(fills(&events[triggered.unwrap()..]), [(B, 1, 108, 2)]);
    assert_eq!(stop_count(&s, 1), 0);
    assert_conserved(&s);
}

#[test]
fn iceberg_shows_its_display_quantity_and_replenishes_at_the_back() {
    let mut s = state();
    send(&mut s, A, order_with(1, Side::Sell, 100, 10, 1, |o| o.display_quantity = 3));
    send(&mut s, B, limit(1, Side::Sell, 100, 2, 1));
    let level = s.depth(1, Side::Sell, 1)[0];
    assert_eq!((level.quantity, level.orders), (5, 2));
    let events = send(&mut s, C, limit(1, Side::Buy, 100, 6, 1));
    assert_eq!(fills(&events), [(A, 1, 100, 3), (B, 1, 100, 2), (A, 1, 100, 1)]);
    let iceberg = s.order(&OrderId { market: 1, trader: A, nonce: 1 }).unwrap();
    assert_eq!((iceberg.visible, iceberg.hidden), (2, 4));
    assert_conserved(&s);
}

#[test]
fn self_trade_prevention_modes() {
    let mut s = state();
    send(&mut s, A, limit(1, Side::Sell, 100, 5, 1));
    let taker = |stp, nonce| order_with(1, Side::Buy, 100, 3, nonce, |o| o.stp = stp);
    let events = send(&mut s, A, taker(Stp::CancelTaker, 2));
    assert_eq!(cancel_reasons(&events), [(2, 3, CancelReason::SelfTrade)]);
    let events = send(&mut s, A, taker(Stp::DecrementBoth, 3));
    assert_eq!(
        events[1],
        EventKind::SelfTrade {
            market: 1,
            trader: A,
            maker_nonce: 1,
            maker_client_order_id: 0,
            taker_nonce: 3,
            taker_client_order_id: 0,
            quantity: 3
        }
    );
    assert_eq!(s.order(&OrderId { market: 1, trader: A, nonce: 1 }).unwrap().visible, 2);
    let events = send(&mut s, A, taker(Stp::CancelMaker, 4));
    assert_eq!(cancel_reasons(&events), [(1, 2, CancelReason::SelfTrade)]);
    assert_eq!(s.best_price(1, Side::Buy), Some(100));
    assert_eq!(fills(&events), []);
    assert_conserved(&s);
}

#[test]
fn fill_cap_cancels_a_remainder_that_still_crosses() {
    let mut s = state();
    for nonce in 1..=4 {
        send(&mut s, B, limit(2, Side::Sell, 100, 2, nonce));
    }
    let events = send(&mut s, A, limit(2, Side::Buy, 100, 10, 1));
    assert_eq!(fills(&events).len(), 3);
    assert_eq!(cancel_reasons(&events), [(1, 4, CancelReason::FillCap)]);
    assert_conserved(&s);
}

#[test]
fn cancel_all_per_market_and_everywhere_uses_a_nonce() {
    let mut s = state();
    send(&mut s, A, limit(1, Side::Buy, 10, 1, 1));
    send(&mut s, A, limit(1, Side::Buy, 11, 1, 2));
    send(&mut s, A, limit(2, Side::Buy, 10, 2, 3));
    send(&mut s, A, order_with(1, Side::Sell, 5, 1, 4, |o| o.trigger_price = 5));
    let one = Message::CancelAll(CancelAll { market: 2, nonce: 5 });
    let events = send(&mut s, A, one);
    assert_eq!(events.last(), Some(&EventKind::CancelledAll { trader: A, market: 2, count: 1 }));
    assert_eq!(rejected(&send(&mut s, A, one)), Some(RejectReason::StaleNonce));
    let events = send(&mut s, A, Message::CancelAll(CancelAll { market: ALL_MARKETS, nonce: 6 }));
    assert_eq!(events.last(), Some(&EventKind::CancelledAll { trader: A, market: ALL_MARKETS, count: 3 }));
    assert_eq!(s.balance_of(&A, &quote_token()).locked + s.balance_of(&A, &base_token()).locked, 0);
    assert_conserved(&s);
}

#[test]
fn circuit_breaker_halts_on_a_move_beyond_the_band_then_resumes() {
    let mut s = state();
    send(&mut s, B, limit(2, Side::Sell, 100, 2, 1));
    send(&mut s, B, limit(2, Side::Sell, 111, 2, 2));
    let events = send(&mut s, A, limit(2, Side::Buy, 120, 4, 1));
    assert_eq!(fills(&events), [(B, 1, 100, 2)]);
    assert!(events.contains(&EventKind::Halted { market: 2, price: 111, reference_price: 100, until: T0 + 600 }));
    assert_eq!(cancel_reasons(&events), [(1, 2, CancelReason::Halted)]);
    assert_eq!(rejected(&send(&mut s, C, limit(2, Side::Buy, 111, 2, 1))), Some(RejectReason::MarketHalted));
    assert_eq!(send(&mut s, C, limit(2, Side::Buy, 50, 2, 2)).len(), 1);
    let events = apply(&mut s, at(T0 + 600, direct(C, limit(2, Side::Buy, 111, 2, 3))));
    assert_eq!(fills(&events), [(B, 2, 111, 2)]);
    assert_conserved(&s);
}

#[test]
fn size_limits_and_open_order_cap_are_enforced() {
    let mut s = state();
    assert_eq!(rejected(&send(&mut s, A, limit(2, Side::Buy, 10, 1, 1))), Some(RejectReason::BelowMinSize));
    assert_eq!(rejected(&send(&mut s, A, limit(2, Side::Buy, 10, 1_001, 2))), Some(RejectReason::AboveMaxSize));
    for nonce in 3..=6 {
        assert_eq!(send(&mut s, A, limit(2, Side::Buy, 10, 2, nonce)).len(), 1);
    }
    assert_eq!(rejected(&send(&mut s, A, limit(2, Side::Buy, 10, 2, 7))), Some(RejectReason::TooManyOpenOrders));
    let ioc = order_with(2, Side::Buy, 10, 2, 8, |o| o.time_in_force = TimeInForce::Ioc);
    assert_eq!(cancel_reasons(&send(&mut s, A, ioc)), [(8, 2, CancelReason::ImmediateOrCancel)]);
}

#[test]
fn fees_go_to_the_fee_recipient_and_value_is_conserved() {
    let mut s = state();
    send(&mut s, B, limit(2, Side::Sell, 1_000, 100, 1));
    let events = send(&mut s, A, limit(2, Side::Buy, 1_000, 100, 1));
    // Notional 1000 × 100 × tick 1 = 100_000 quote: maker 10 bps = 100, taker 25 bps = 250.
    assert!(matches!(events[1], EventKind::Fill { maker_fee: 100, taker_fee: 250, .. }));
    assert_eq!(s.balance_of(&fee_recipient(), &quote_token()), Balance { available: 350, locked: 0 });
    let start = 1_000_000_000 * market().quote_tick;
    assert_eq!(s.balance_of(&A, &quote_token()), Balance { available: start - 100_250, locked: 0 });
    assert_eq!(s.balance_of(&B, &quote_token()).available, start + 99_900);
    assert_conserved(&s);
}

#[test]
fn withdrawal_debits_available_and_rejects_what_it_cannot_pay() {
    let mut s = state();
    let events = apply(&mut s, withdrawal(A, base_token(), 5));
    assert_eq!(events, [EventKind::Withdrawal { trader: A, token: base_token(), amount: 5 }]);
    let all = s.balance_of(&A, &base_token()).available;
    assert_eq!(rejected(&apply(&mut s, withdrawal(A, base_token(), all + 1))), Some(RejectReason::InsufficientBalance));
    assert_eq!(rejected(&apply(&mut s, withdrawal(A, base_token(), 0))), Some(RejectReason::InvalidAmount));
    let mut too_big = withdrawal(A, base_token(), 1);
    too_big.payload[20] = 1;
    assert_eq!(rejected(&apply(&mut s, too_big)), Some(RejectReason::AmountOverflow));
    let mut short = withdrawal(A, base_token(), 1);
    short.payload.pop();
    assert_eq!(rejected(&apply(&mut s, short)), Some(RejectReason::Malformed));
    assert_conserved(&s);
}

/// An independent walk up a state-tree branch (what `Vault.escape` does): `keccak(path ‖ value
/// ‖ 0x01)` at the leaf, then `keccak(left ‖ right)` by the path's bits.
fn escape_root(path: [u8; 32], value: &[u8], siblings: &[[u8; 32]]) -> [u8; 32] {
    let mut node: [u8; 32] =
        Keccak256::new().chain_update(path).chain_update(value).chain_update([1]).finalize().into();
    for (up, sibling) in siblings.iter().enumerate() {
        let depth = siblings.len() - 1 - up;
        let right = (path[depth / 8] >> (7 - depth % 8)) & 1 == 1;
        let (left, right) = if right { (*sibling, node) } else { (node, *sibling) };
        node = Keccak256::new().chain_update(left).chain_update(right).finalize().into();
    }
    node
}

#[test]
fn every_balance_leaf_proves_against_the_state_root() {
    let mut s = state();
    send(&mut s, A, limit(1, Side::Buy, 100, 3, 1));
    let mut ledger = Ledger::over(s.clone());
    let root = ledger.commit().root;
    for (trader, token, balance) in s.all_balances() {
        let proof = ledger.balance_proof(&trader, &token, &[]).unwrap();
        assert_eq!(proof.balance, balance);
        let key: Vec<u8> = [&[0x06u8][..], &trader, &token].concat();
        assert_eq!(proof.path, <[u8; 32]>::from(Keccak256::digest(&key)));
        let value = [balance.available.to_be_bytes(), balance.locked.to_be_bytes()].concat();
        assert_eq!(escape_root(proof.path, &value, &proof.siblings), root);
        assert_eq!(smt::root_from_branch(&proof.path, &proof.leaf, &proof.siblings), root);
    }
    assert!(ledger.balance_proof(&[0x77; 20], &base_token(), &[]).is_none());
    // The balance as it was before the order, in the tree as it stood then.
    let key = StateKey::Balance(A, quote_token());
    let before = Balance { available: 1_000_000_000 * market().quote_tick, locked: 0 };
    let then = vec![(key, Some([before.available.to_be_bytes(), before.locked.to_be_bytes()].concat()))];
    let proof = ledger.balance_proof(&A, &quote_token(), &then).unwrap();
    assert_eq!(proof.balance, before);
    assert_ne!(proof.root, root);
}

#[test]
fn market_data_reports_best_prices_last_trade_and_24h_candles() {
    let mut s = state();
    send(&mut s, B, limit(1, Side::Sell, 100, 5, 1));
    send(&mut s, A, limit(1, Side::Buy, 90, 5, 1));
    apply(&mut s, at(T0 + 3_600, direct(C, limit(1, Side::Buy, 100, 2, 1))));
    assert_eq!((s.best_price(1, Side::Buy), s.best_price(1, Side::Sell)), (Some(90), Some(100)));
    let last = s.market_state(1).last_trade;
    assert_eq!(last.map(|t| (t.price, t.quantity, t.timestamp)), Some((100, 2, T0 + 3_600)));
    let day = s.ohlcv_24h(1, T0 + 3_600).unwrap();
    assert_eq!((day.open, day.close, day.volume), (100, 100, 2));
    assert!(s.ohlcv_24h(1, T0 + 30 * 3_600).is_none());
}
