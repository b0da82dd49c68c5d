//! Properties over arbitrary inputs: decoders never panic, and value is conserved.

mod common;

use clob_core::blob_batch::{decode_blobs, encode_blobs, BLOB_SIZE};
use clob_core::book::Book;
use clob_core::guest::execute;
use clob_core::inbox::InboxEntry;
use clob_core::message::{Envelope, Message, Side};
use clob_core::public_values::PublicValues;
use clob_core::state::State;
use clob_core::transition::{apply_entries, BlobMap};
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
    fn snapshot_public_values_and_guest_input_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = State::decode(&bytes);
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

/// One input of a random trading session between Alice and Bob.
#[derive(Clone, Debug)]
enum Action {
    Deposit { alice: bool, base: bool, amount: u128 },
    Order { alice: bool, sell: bool, price: u64, quantity: u64, nonce: u64 },
    Cancel { alice: bool, nonce: u64 },
    Garbage(Vec<u8>),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (any::<bool>(), any::<bool>(), 0..u128::from(u64::MAX)).prop_map(|(alice, base, amount)| Action::Deposit {
            alice,
            base,
            amount
        }),
        (any::<bool>(), any::<bool>(), 1..20u64, 0..20u64, 0..30u64)
            .prop_map(|(alice, sell, price, quantity, nonce)| Action::Order { alice, sell, price, quantity, nonce }),
        (any::<bool>(), 0..30u64).prop_map(|(alice, nonce)| Action::Cancel { alice, nonce }),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Action::Garbage),
    ]
}

fn to_entry(action: &Action) -> InboxEntry {
    let trader = |alice: bool| if alice { address_of(&key(ALICE_KEY)) } else { address_of(&key(BOB_KEY)) };
    match action {
        Action::Deposit { alice, base, amount } => {
            deposit(trader(*alice), if *base { base_token() } else { quote_token() }, *amount)
        }
        Action::Order { alice, sell, price, quantity, nonce } => {
            let side = if *sell { Side::Sell } else { Side::Buy };
            direct(trader(*alice), order(side, *price, *quantity, *nonce))
        }
        Action::Cancel { alice, nonce } => direct(trader(*alice), cancel(*nonce)),
        Action::Garbage(payload) => {
            // Every kind but blob batches, whose blobs the test does not provide.
            let kind = [1, 2, 3, 5][usize::from(payload.first().copied().unwrap_or(0) % 4)];
            entry(kind, trader(true), payload.clone())
        }
    }
}

/// What the resting orders of `book` lock: (base, quote).
fn locked_by_book(book: &Book, trader: &[u8; 20]) -> (u128, u128) {
    let m = market();
    book.open_orders(trader).iter().fold((0, 0), |(base, quote), order| match order.side {
        Side::Sell => (base + u128::from(order.quantity) * m.base_lot, quote),
        Side::Buy => (base, quote + u128::from(order.price) * u128::from(order.quantity) * m.quote_tick),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn trading_conserves_every_token_and_locks_match_the_book(actions in proptest::collection::vec(action(), 1..40)) {
        let mut state = genesis();
        let entries: Vec<InboxEntry> = actions.iter().map(to_entry).collect();
        apply_entries(&mut state, &entries, &BlobMap::new()).unwrap();
        for token in [base_token(), quote_token()] {
            let held: u128 = state.balances.iter().filter(|(_, t, _)| **t == token).map(|(_, _, b)| b.available + b.locked).sum();
            prop_assert_eq!(held, state.supply.get(&token).copied().unwrap_or(0));
        }
        for trader in [address_of(&key(ALICE_KEY)), address_of(&key(BOB_KEY))] {
            let (base, quote) = locked_by_book(&state.books[&1], &trader);
            prop_assert_eq!(state.balances.get(&trader, &base_token()).locked, base);
            prop_assert_eq!(state.balances.get(&trader, &quote_token()).locked, quote);
        }
        prop_assert_eq!(state.inbox.next_index, entries.len() as u64);
    }
}
