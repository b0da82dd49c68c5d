//! The state transition rules of PROTOCOL.md section 5, one behaviour per test.

mod common;

use clob_core::blob_batch::encode_blobs;
use clob_core::events::{CancelReason, EventKind, RejectReason, Subject};
use clob_core::inbox::{InboxEntry, KIND_BLOB_BATCH};
use clob_core::ledger::Ledger;
use clob_core::message::Side;
use clob_core::state::{Balance, OrderKind, State};
use clob_core::transition::{apply_entries, preview, BlobMap, TransitionError};
use common::*;

const LOT: u128 = 1_000_000_000_000_000;
const TICK: u128 = 1_000_000_000_000;

fn apply_named(state: &mut State, entry: InboxEntry) -> Vec<EventKind> {
    apply_entries(state, &[entry], &BlobMap::new()).unwrap().into_iter().map(|event| event.kind).collect()
}

/// The events of `entry`, rejections without their subject (the tests of subjects use `apply_named`).
fn apply(state: &mut State, entry: InboxEntry) -> Vec<EventKind> {
    let unnamed = |kind| match kind {
        EventKind::Rejected { reason, .. } => EventKind::Rejected { reason, subject: None },
        other => other,
    };
    apply_named(state, entry).into_iter().map(unnamed).collect()
}

fn rejected(reason: RejectReason) -> Vec<EventKind> {
    vec![EventKind::Rejected { reason, subject: None }]
}

fn alice() -> [u8; 20] {
    address_of(&key(ALICE_KEY))
}

fn bob() -> [u8; 20] {
    address_of(&key(BOB_KEY))
}

/// Alice holds quote, Bob holds base, 1000 units each.
fn funded() -> State {
    let mut state = genesis();
    apply(&mut state, deposit(alice(), quote_token(), 1_000 * LOT * TICK));
    apply(&mut state, deposit(bob(), base_token(), 1_000 * LOT));
    state
}

#[test]
fn deposit_from_vault_credits_available() {
    let mut state = genesis();
    let events = apply(&mut state, deposit(alice(), quote_token(), 5));
    assert_eq!(events, vec![EventKind::Deposit { trader: alice(), token: quote_token(), amount: 5 }]);
    assert_eq!(state.balance_of(&alice(), &quote_token()), Balance { available: 5, locked: 0 });
}

#[test]
fn deposit_from_anyone_but_the_vault_is_rejected() {
    let mut state = genesis();
    let mut entry = deposit(alice(), quote_token(), 5);
    entry.sender = alice();
    assert_eq!(apply(&mut state, entry), rejected(RejectReason::NotVault));
}

#[test]
fn deposit_above_u128_or_beyond_token_supply_is_rejected() {
    let mut state = genesis();
    let mut entry = deposit(alice(), quote_token(), 1);
    entry.payload[55] = 1;
    assert_eq!(apply(&mut state, entry), rejected(RejectReason::AmountOverflow));
    apply(&mut state, deposit(alice(), quote_token(), u128::MAX));
    assert_eq!(apply(&mut state, deposit(bob(), quote_token(), 1)), rejected(RejectReason::AmountOverflow));
}

#[test]
fn resting_buy_locks_price_times_quantity_times_tick() {
    let mut state = funded();
    let events = apply(&mut state, relay(signed(&key(ALICE_KEY), order(Side::Buy, 2_000, 5, 1))));
    assert_eq!(events.len(), 1);
    assert_eq!(state.balance_of(&alice(), &quote_token()).locked, 2_000 * 5 * TICK);
    assert_eq!(state.last_nonce(&alice()), 1);
}

#[test]
fn crossing_sell_fills_resting_buy_at_maker_price() {
    let mut state = funded();
    apply(&mut state, relay(signed(&key(ALICE_KEY), order(Side::Buy, 2_000, 5, 1))));
    let events = apply(&mut state, direct(bob(), order(Side::Sell, 1_990, 3, 1)));
    assert_eq!(
        events[1],
        EventKind::Fill {
            market: 1,
            maker: alice(),
            maker_nonce: 1,
            maker_client_order_id: 0,
            taker: bob(),
            taker_nonce: 1,
            taker_client_order_id: 0,
            price: 2_000,
            quantity: 3,
            taker_side: Side::Sell,
            maker_fee: 0,
            taker_fee: 0,
        }
    );
    assert_eq!(state.balance_of(&bob(), &quote_token()).available, 2_000 * 3 * TICK);
    assert_eq!(state.balance_of(&alice(), &base_token()).available, 3 * LOT);
    assert_eq!(state.balance_of(&alice(), &quote_token()).locked, 2_000 * 2 * TICK);
}

#[test]
fn crossing_buy_taker_gets_back_lock_above_maker_price() {
    let mut state = funded();
    apply(&mut state, direct(bob(), order(Side::Sell, 1_990, 3, 1)));
    apply(&mut state, direct(alice(), order(Side::Buy, 2_000, 3, 1)));
    let quote = state.balance_of(&alice(), &quote_token());
    assert_eq!(quote, Balance { available: 1_000 * LOT * TICK - 1_990 * 3 * TICK, locked: 0 });
    assert!(state.best_price(1, Side::Sell).is_none());
}

#[test]
fn fills_follow_price_then_time_priority_and_remainder_rests() {
    let mut state = funded();
    let carol = [0xc3; 20];
    apply(&mut state, deposit(carol, base_token(), 10 * LOT));
    apply(&mut state, direct(bob(), order(Side::Sell, 2_010, 2, 1)));
    apply(&mut state, direct(bob(), order(Side::Sell, 2_000, 2, 2)));
    apply(&mut state, direct(carol, order(Side::Sell, 2_000, 2, 1)));
    let events = apply(&mut state, direct(alice(), order(Side::Buy, 2_010, 7, 2)));
    let fills: Vec<(u64, u64)> = events
        .iter()
        .filter_map(|event| match event {
            EventKind::Fill { price, maker_nonce, .. } => Some((*price, *maker_nonce)),
            _ => None,
        })
        .collect();
    assert_eq!(fills, [(2_000, 2), (2_000, 1), (2_010, 1)]);
    let open = state.orders_of(&alice(), 1);
    assert_eq!(
        (open[0].1.kind, open[0].1.side, open[0].1.price, open[0].1.visible),
        (OrderKind::Resting, Side::Buy, 2_010, 1)
    );
}

#[test]
fn cancel_unlocks_what_remains() {
    let mut state = funded();
    apply(&mut state, relay(signed(&key(ALICE_KEY), order(Side::Buy, 2_000, 5, 1))));
    apply(&mut state, direct(bob(), order(Side::Sell, 2_000, 2, 1)));
    let events = apply(&mut state, relay(signed(&key(ALICE_KEY), cancel(1))));
    assert_eq!(
        events,
        vec![EventKind::Cancelled {
            trader: alice(),
            market: 1,
            nonce: 1,
            client_order_id: 0,
            remaining: 3,
            reason: CancelReason::User
        }]
    );
    assert_eq!(state.balance_of(&alice(), &quote_token()).locked, 0);
    assert_eq!(apply(&mut state, relay(signed(&key(ALICE_KEY), cancel(1)))), rejected(RejectReason::UnknownOrder));
}

#[test]
fn nonce_must_strictly_increase_gaps_allowed() {
    let mut state = funded();
    apply(&mut state, direct(alice(), order(Side::Buy, 1, 1, 5)));
    assert_eq!(apply(&mut state, direct(alice(), order(Side::Buy, 1, 1, 5))), rejected(RejectReason::StaleNonce));
    assert_eq!(apply(&mut state, direct(alice(), order(Side::Buy, 1, 1, 4))), rejected(RejectReason::StaleNonce));
    assert_eq!(apply(&mut state, direct(alice(), order(Side::Buy, 1, 1, 9))).len(), 1);
}

#[test]
fn rejected_order_uses_up_its_nonce_so_a_relayed_copy_never_executes() {
    let mut state = funded();
    // Bob holds nothing: his signed order is rejected, and names him, its market and nonce.
    let envelope = signed(&key(BOB_KEY), order_with(1, Side::Buy, 2_000, 1, 3, |o| o.client_order_id = 77));
    let subject = Subject { trader: bob(), message: 1, market: 1, nonce: 3, client_order_id: 77 };
    assert_eq!(
        apply_named(&mut state, relay(envelope.clone())),
        vec![EventKind::Rejected { reason: RejectReason::InsufficientBalance, subject: Some(subject) }]
    );
    assert_eq!(state.last_nonce(&bob()), 3);
    // Funded later, Bob is still safe from anyone who kept the envelope.
    apply(&mut state, deposit(bob(), quote_token(), 10_000 * TICK));
    assert_eq!(apply(&mut state, relay(envelope)), rejected(RejectReason::StaleNonce));
    assert_eq!(state.balance_of(&bob(), &quote_token()).locked, 0);
}

#[test]
fn stale_or_unsigned_messages_use_up_no_nonce() {
    let mut state = funded();
    apply(&mut state, direct(alice(), order(Side::Buy, 1, 1, 5)));
    apply(&mut state, direct(alice(), order(Side::Buy, 1, 1, 2)));
    assert_eq!(state.last_nonce(&alice()), 5);
    let forged = envelope(&key(BOB_KEY), alice(), order(Side::Buy, 1, 1, 9)).encode();
    assert_eq!(
        apply_named(&mut state, relay(forged)),
        vec![EventKind::Rejected { reason: RejectReason::BadSignature, subject: None }]
    );
    assert_eq!(state.last_nonce(&alice()), 5);
}

#[test]
fn order_expired_before_its_entry_timestamp_is_rejected() {
    let mut state = funded();
    let expiring = |expiry| order_with(1, Side::Buy, 1, 1, expiry, |o| o.expiry = expiry);
    assert_eq!(apply(&mut state, direct(alice(), expiring(T0 - 1))), rejected(RejectReason::Expired));
    assert_eq!(apply(&mut state, direct(alice(), expiring(T0))).len(), 1);
}

#[test]
fn unknown_market_zero_amount_and_insufficient_balance_are_rejected() {
    let mut state = funded();
    let unknown = order_with(2, Side::Buy, 1, 1, 1, |_| {});
    assert_eq!(apply(&mut state, direct(alice(), unknown)), rejected(RejectReason::UnknownMarket));
    assert_eq!(apply(&mut state, direct(alice(), order(Side::Buy, 0, 1, 2))), rejected(RejectReason::InvalidAmount));
    assert_eq!(apply(&mut state, direct(alice(), order(Side::Buy, 1, 0, 3))), rejected(RejectReason::InvalidAmount));
    assert_eq!(
        apply(&mut state, direct(bob(), order(Side::Buy, 1, 1, 1))),
        rejected(RejectReason::InsufficientBalance)
    );
}

#[test]
fn lock_overflowing_u128_is_rejected() {
    let mut state = funded();
    let events = apply(&mut state, direct(alice(), order(Side::Buy, u64::MAX, u64::MAX, 1)));
    assert_eq!(events, rejected(RejectReason::AmountOverflow));
}

#[test]
fn envelope_signed_by_another_key_is_a_bad_signature() {
    let mut state = funded();
    let forged = envelope(&key(BOB_KEY), alice(), order(Side::Buy, 1, 1, 1)).encode();
    assert_eq!(apply(&mut state, relay(forged)), rejected(RejectReason::BadSignature));
}

#[test]
fn high_s_signature_is_rejected() {
    let mut state = funded();
    let mut high_s = envelope(&key(ALICE_KEY), alice(), order(Side::Buy, 1, 1, 1));
    use k256::elliptic_curve::PrimeField;
    let s = k256::Scalar::from_repr(<[u8; 32]>::try_from(&high_s.signature[32..64]).unwrap().into()).unwrap();
    high_s.signature[32..64].copy_from_slice(&(-s).to_bytes());
    high_s.signature[64] ^= 1;
    assert_eq!(apply(&mut state, relay(high_s.encode())), rejected(RejectReason::BadSignature));
}

#[test]
fn malformed_payloads_and_unknown_kinds_are_recorded_no_ops() {
    let mut state = funded();
    let before = state.clone();
    assert_eq!(apply(&mut state, entry(1, alice(), vec![1, 2])), rejected(RejectReason::Malformed));
    assert_eq!(apply(&mut state, relay(vec![0; 10])), rejected(RejectReason::Malformed));
    assert_eq!(apply(&mut state, entry(9, alice(), vec![])), rejected(RejectReason::UnknownKind));
    assert_eq!(apply(&mut state, entry(KIND_BLOB_BATCH, alice(), vec![0; 31])), rejected(RejectReason::MalformedBatch));
    assert_eq!(state.inbox_position().0, before.inbox_position().0 + 4);
    let without_header = |s: &State| {
        s.records().into_iter().filter(|(key, _)| *key != clob_core::state::StateKey::Header).collect::<Vec<_>>()
    };
    assert_eq!(without_header(&state), without_header(&before));
}

#[test]
fn blob_batch_applies_each_envelope_on_its_own() {
    let mut state = funded();
    let good = signed(&key(ALICE_KEY), order(Side::Buy, 7, 1, 1));
    let forged = envelope(&key(BOB_KEY), alice(), order(Side::Buy, 7, 1, 2)).encode();
    let blobs = encode_blobs(&[good, forged]).unwrap();
    let hash = [0x01; 32];
    let blob_map: BlobMap = [(hash, blobs[0].clone())].into_iter().collect();
    let events = apply_entries(&mut state, &[entry(KIND_BLOB_BATCH, bob(), hash.to_vec())], &blob_map).unwrap();
    let shape: Vec<_> = events.iter().map(|event| (event.position, event.kind.clone())).collect();
    assert_eq!(shape[0], (None, EventKind::Batch { messages: 2 }));
    assert!(matches!(shape[1], (Some(0), EventKind::Accepted { order, .. }) if order.nonce == 1));
    assert_eq!(shape[2], (Some(1), EventKind::Rejected { reason: RejectReason::BadSignature, subject: None }));
}

#[test]
fn missing_blob_is_an_error_and_leaves_the_state_unchanged() {
    let mut state = funded();
    let before = state.clone();
    let entries = [deposit(alice(), base_token(), 1), entry(KIND_BLOB_BATCH, bob(), vec![7; 32])];
    assert_eq!(apply_entries(&mut state, &entries, &BlobMap::new()), Err(TransitionError::MissingBlob([7; 32])));
    assert_eq!(state, before);
}

#[test]
fn every_entry_advances_the_inbox_accumulator() {
    let mut state = genesis();
    let first = deposit(alice(), base_token(), 1);
    apply(&mut state, first.clone());
    assert_eq!(state.inbox_position(), (1, clob_core::inbox::next_acc(&[0; 32], &first.hash())));
}

#[test]
fn stored_records_restore_the_same_state_and_root() {
    let mut state = funded();
    apply(&mut state, direct(alice(), order(Side::Buy, 2_000, 5, 1)));
    let mut ledger = Ledger::over(state.clone());
    let root = ledger.commit().root;
    let restored = Ledger::restore(state.records(), 7).unwrap();
    assert_eq!(restored.root(), root);
    assert_eq!(restored.state, state);
}

#[test]
fn preview_names_the_rejection_or_the_lock_and_changes_nothing() {
    let mut state = funded();
    apply(&mut state, direct(alice(), order(Side::Buy, 2_000, 5, 4)));
    let before = state.clone();
    let lock = preview(&state, &alice(), &order(Side::Buy, 2_000, 3, 5), T0).unwrap().unwrap();
    assert_eq!((lock.token, lock.amount), (quote_token(), 2_000 * 3 * TICK));
    assert_eq!(preview(&state, &alice(), &order(Side::Buy, 2_000, 3, 4), T0), Err(RejectReason::StaleNonce));
    assert_eq!(
        preview(&state, &alice(), &order_with(2, Side::Buy, 1, 1, 9, |_| {}), T0),
        Err(RejectReason::UnknownMarket)
    );
    assert_eq!(preview(&state, &alice(), &cancel(4), T0), Ok(None));
    assert_eq!(preview(&state, &alice(), &cancel(3), T0), Err(RejectReason::UnknownOrder));
    // The balance is the caller's to compare: an unfunded trader still learns the lock it needs.
    let lock = preview(&state, &bob(), &order(Side::Buy, 2_000, 1, 1), T0).unwrap().unwrap();
    assert_eq!(lock.amount, 2_000 * TICK);
    assert_eq!(state, before);
}
