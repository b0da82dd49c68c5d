//! Properties over arbitrary inputs: decoders never panic, value is conserved (fees
//! included), books are never crossed at rest, fills follow price-time priority, and the
//! transition is deterministic.

mod common;

use clob_core::blob_batch::{decode_blobs, encode_blobs, BLOB_SIZE};
use std::collections::{BTreeMap, BTreeSet};

use clob_core::events::EventKind;
use clob_core::guest::{execute, run};
use clob_core::inbox::InboxEntry;
use clob_core::ledger::Ledger;
use clob_core::message::{
    Cancel, CancelAll, Envelope, Message, OrderType, Replace, SelfTradePrevention, Side, TimeInForce,
};
use clob_core::public_values::PublicValues;
use clob_core::state::State;
use clob_core::transition::{apply_entries, BlobMap};
use clob_core::Address;
use common::*;
use proptest::prelude::*;

proptest! {
    #[test]
    fn envelope_and_message_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Envelope::decode(&bytes);
        if let Some(message) = Message::decode(&bytes) {
            prop_assert_eq!(message.encode(), bytes);
        }
    }

    #[test]
    fn witness_public_values_and_guest_input_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = clob_core::witness::open(&bytes, 1);
        let _ = PublicValues::decode(&bytes);
        let _ = execute(&bytes);
    }

    #[test]
    fn blob_decoder_never_panics_on_corrupted_blobs(
        envelopes in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..130), 0..8),
        corruptions in proptest::collection::vec((0..BLOB_SIZE, any::<u8>()), 0..6),
    ) {
        let mut blobs = encode_blobs(&envelopes).unwrap();
        prop_assert_eq!(decode_blobs(&blobs), Some(envelopes));
        for (offset, byte) in corruptions {
            blobs[0][offset] = byte;
        }
        let _ = decode_blobs(&blobs);
    }
}

/// One input of a random trading session between three traders in two markets (market 2
/// has fees, a circuit breaker, a fill cap and an open-order cap).
#[derive(Clone, Debug)]
enum Action {
    Deposit {
        trader: usize,
        base: bool,
        amount: u128,
    },
    Withdraw {
        trader: usize,
        base: bool,
        amount: u128,
    },
    Order {
        trader: usize,
        market: u32,
        sell: bool,
        price: u64,
        quantity: u64,
        nonce: u64,
        kind: u8,
        stp: u8,
        extra: u64,
    },
    Cancel {
        trader: usize,
        market: u32,
        nonce: u64,
    },
    CancelAll {
        trader: usize,
        market: u32,
        nonce: u64,
    },
    Replace {
        trader: usize,
        market: u32,
        order_nonce: u64,
        nonce: u64,
        price: u64,
        quantity: u64,
    },
    Wait(u64),
    Garbage(Vec<u8>),
}

const TRADERS: [Address; 3] = [[0xa1; 20], [0xb2; 20], [0xc3; 20]];

fn action() -> impl Strategy<Value = Action> {
    let trader = 0..3usize;
    let market = 1..3u32;
    prop_oneof![
        2 => (trader.clone(), any::<bool>(), 0..u128::from(u64::MAX)).prop_map(|(trader, base, amount)| Action::Deposit { trader, base, amount }),
        1 => (trader.clone(), any::<bool>(), 0..u128::from(u32::MAX)).prop_map(|(trader, base, amount)| Action::Withdraw { trader, base, amount }),
        8 => (trader.clone(), market.clone(), any::<bool>(), 90..110u64, 0..12u64, 0..60u64, 0..10u8, 0..3u8, 0..8u64).prop_map(
            |(trader, market, sell, price, quantity, nonce, kind, stp, extra)| Action::Order { trader, market, sell, price, quantity, nonce, kind, stp, extra }),
        2 => (trader.clone(), market.clone(), 0..60u64).prop_map(|(trader, market, nonce)| Action::Cancel { trader, market, nonce }),
        1 => (trader.clone(), prop_oneof![Just(1u32), Just(2), Just(u32::MAX)], 0..60u64).prop_map(|(trader, market, nonce)| Action::CancelAll { trader, market, nonce }),
        2 => (trader, market, 0..60u64, 0..60u64, 90..110u64, 0..12u64).prop_map(|(trader, market, order_nonce, nonce, price, quantity)|
            Action::Replace { trader, market, order_nonce, nonce, price, quantity }),
        1 => (0..4_000u64).prop_map(Action::Wait),
        1 => proptest::collection::vec(any::<u8>(), 0..80).prop_map(Action::Garbage),
    ]
}

#[allow(clippy::too_many_arguments)] // one per field of the order it builds
fn order_message(
    market: u32,
    sell: bool,
    price: u64,
    quantity: u64,
    nonce: u64,
    kind: u8,
    stp: u8,
    extra: u64,
) -> Message {
    let side = if sell { Side::Sell } else { Side::Buy };
    order_with(market, side, price, quantity, nonce, |o| {
        o.stp = SelfTradePrevention::from_byte(stp).unwrap();
        match kind {
            0 => o.time_in_force = TimeInForce::Ioc,
            1 => o.time_in_force = TimeInForce::Fok,
            2 => o.time_in_force = TimeInForce::PostOnly,
            3 => {
                o.order_type = OrderType::Market;
                o.time_in_force = TimeInForce::Ioc;
            }
            4 => o.trigger_price = price - 5 + extra,
            5 => o.display_quantity = extra,
            6 => o.expiry = T0 + extra * 500,
            _ => {}
        }
    })
}

fn to_entries(actions: &[Action]) -> Vec<InboxEntry> {
    let mut now = T0;
    let mut out = Vec::new();
    for action in actions {
        let token = |base: bool| if base { base_token() } else { quote_token() };
        let entry = match action {
            Action::Deposit { trader, base, amount } => deposit(TRADERS[*trader], token(*base), *amount),
            Action::Withdraw { trader, base, amount } => withdrawal(TRADERS[*trader], token(*base), *amount),
            Action::Order { trader, market, sell, price, quantity, nonce, kind, stp, extra } => {
                direct(TRADERS[*trader], order_message(*market, *sell, *price, *quantity, *nonce, *kind, *stp, *extra))
            }
            Action::Cancel { trader, market, nonce } => {
                direct(TRADERS[*trader], Message::Cancel(Cancel { market: *market, order_nonce: *nonce }))
            }
            Action::CancelAll { trader, market, nonce } => {
                direct(TRADERS[*trader], Message::CancelAll(CancelAll { market: *market, nonce: *nonce }))
            }
            Action::Replace { trader, market, order_nonce, nonce, price, quantity } => direct(
                TRADERS[*trader],
                Message::Replace(Replace {
                    market: *market,
                    order_nonce: *order_nonce,
                    nonce: *nonce,
                    price: *price,
                    quantity: *quantity,
                }),
            ),
            Action::Wait(seconds) => {
                now += seconds;
                continue;
            }
            Action::Garbage(payload) => {
                // Every kind but blob batches, whose blobs the test does not provide.
                let kind = [1, 2, 3, 5, 9][usize::from(payload.first().copied().unwrap_or(0) % 5)];
                entry(kind, TRADERS[0], payload.clone())
            }
        };
        out.push(InboxEntry { l1_timestamp: now, ..entry });
    }
    out
}

fn two_markets() -> State {
    State::genesis(genesis_config(), vec![market(), risk_market()]).unwrap()
}

/// Balances add up to supplies (fees included: they are balances of the fee recipient), every
/// lock is held by a resting or stop order, and no book is crossed at rest.
fn check_invariants(state: &State) -> Result<(), TestCaseError> {
    let balances = state.all_balances();
    for token in [base_token(), quote_token()] {
        let held: u128 = balances.iter().filter(|(_, t, _)| *t == token).map(|(_, _, b)| b.available + b.locked).sum();
        prop_assert_eq!(held, state.supply_of(&token));
    }
    for trader in TRADERS {
        let (mut base, mut quote) = (0u128, 0u128);
        for (_, order) in state.all_orders().filter(|(id, _)| id.trader == trader) {
            if order.side == Side::Buy {
                quote += order.locked
            } else {
                base += order.locked
            }
        }
        prop_assert_eq!(state.balance_of(&trader, &base_token()).locked, base);
        prop_assert_eq!(state.balance_of(&trader, &quote_token()).locked, quote);
    }
    for market in [1, 2] {
        prop_assert!(state.is_uncrossed(market));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn trading_conserves_value_keeps_books_uncrossed_and_is_deterministic(actions in proptest::collection::vec(action(), 1..60)) {
        let mut state = two_markets();
        let entries = to_entries(&actions);
        for entry in &entries {
            apply_entries(&mut state, std::slice::from_ref(entry), &BlobMap::new()).unwrap();
            check_invariants(&state)?;
        }
        prop_assert_eq!(state.inbox_position().0, entries.len() as u64);
        let mut again = two_markets();
        apply_entries(&mut again, &entries, &BlobMap::new()).unwrap();
        prop_assert!(again == state);
        prop_assert_eq!(Ledger::over(again).root(), Ledger::over(state.clone()).root());
    }

    /// A proof costs what its range does: the guest, given only the witness of a range of
    /// blocks, reaches the same new root as the node that applied every block to the whole
    /// state, and the root it starts from is the node's root before the range.
    #[test]
    fn a_range_proven_from_its_witness_reaches_the_nodes_root(
        actions in proptest::collection::vec(action(), 2..80),
        cuts in proptest::collection::vec(0usize..80, 0..6),
        range in (0usize..8, 1usize..4),
    ) {
        let entries = to_entries(&actions);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|cut| cut.min(entries.len())).collect();
        cuts.push(0);
        cuts.push(entries.len());
        cuts.sort_unstable();
        cuts.dedup();
        let mut chain = Chain::new(two_markets());
        for pair in cuts.windows(2) {
            chain.apply_block(&entries[pair[0]..pair[1]]);
        }
        let blocks = chain.blocks.len();
        let start = range.0.min(blocks - 1);
        let end = (start + range.1).min(blocks);
        let values = run(chain.guest_input(start, end, None)).unwrap();
        prop_assert_eq!(values.prev_state_root, chain.at(start).0);
        prop_assert_eq!(values.new_state_root, chain.at(end).0);
        // The state restored from the node's records goes on exactly like the original.
        let restored = Ledger::restore(chain.ledger.state.records(), 99).unwrap();
        prop_assert_eq!(restored.root(), chain.ledger.root());
        prop_assert!(restored.state == chain.ledger.state);
    }

    /// Within one input, a taker's fills never get better as it walks the book, and among fills
    /// at one price the makers come in the order they were accepted (icebergs aside, which
    /// re-queue by design).
    #[test]
    fn fills_follow_price_then_time_priority(actions in proptest::collection::vec(action(), 1..60)) {
        let mut state = two_markets();
        let mut arrival: BTreeMap<(Address, u64), usize> = BTreeMap::new();
        let mut icebergs = BTreeSet::new();
        for entry in to_entries(&actions) {
            let events = apply_entries(&mut state, &[entry], &BlobMap::new()).unwrap();
            let mut last: Option<(u32, u64, u64, Side, Option<usize>)> = None;
            for event in &events {
                match &event.kind {
                    EventKind::Accepted { trader, order } => {
                        let next = arrival.len();
                        arrival.insert((*trader, order.nonce), next);
                        if order.display_quantity != 0 { icebergs.insert((*trader, order.nonce)); }
                        last = None;
                    }
                    EventKind::Fill { market, maker, maker_nonce, taker_nonce, price, taker_side, .. } => {
                        let seq = (!icebergs.contains(&(*maker, *maker_nonce))).then(|| arrival[&(*maker, *maker_nonce)]);
                        if let Some((m, taker, p, side, s)) = last {
                            if m == *market && taker == *taker_nonce {
                                match side {
                                    Side::Buy => prop_assert!(p <= *price),
                                    Side::Sell => prop_assert!(p >= *price),
                                }
                                if p == *price {
                                    if let (Some(a), Some(b)) = (s, seq) { prop_assert!(a < b); }
                                }
                            }
                        }
                        last = Some((*market, *taker_nonce, *price, *taker_side, seq));
                    }
                    EventKind::Triggered { .. } => last = None,
                    _ => {}
                }
            }
        }
    }
}
