//! A bounded-time random/mutation loop over the message decoders and the transition: a cheap,
//! always-on check in `cargo test`. The coverage-guided fuzzer is the libFuzzer target in
//! guest-programs/fuzz, built on the stable toolchain by `bash scripts/fuzz.sh` (docs/FUZZING.md)
//! and run by `make test` after the cargo tests. Inputs here are random bytes and mutations of
//! valid messages; the loop runs `CLOBNODE_FUZZ_SECONDS` (default 5; scripts/fuzz.sh reads the
//! same variable, default 60).

mod common;

use std::time::{Duration, Instant};

use clob_core::inbox::InboxEntry;
use clob_core::message::{Envelope, Message, Side};
use clob_core::state::State;
use clob_core::transition::{apply_entries, BlobMap};
use common::*;

fn seeds() -> Vec<Vec<u8>> {
    vec![
        order_with(1, Side::Buy, 100, 5, 1, |o| o.display_quantity = 2).encode(),
        order_with(1, Side::Sell, 99, 3, 2, |o| o.trigger_price = 98).encode(),
        cancel(1).encode(),
        Message::CancelAll(clob_core::message::CancelAll { market: 1, nonce: 3 }).encode(),
        Message::Replace(clob_core::message::Replace { market: 1, order_nonce: 1, nonce: 4, price: 100, quantity: 1 })
            .encode(),
    ]
}

#[test]
fn decoders_and_transition_survive_random_and_mutated_inputs() {
    let budget: u64 = std::env::var("CLOBNODE_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let deadline = Instant::now() + Duration::from_secs(budget);
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let seeds = seeds();
    let mut state = State::genesis(genesis_config(), vec![market(), risk_market()]).unwrap();
    let trader = [0xa1; 20];
    apply_entries(
        &mut state,
        &[deposit(trader, base_token(), 1 << 90), deposit(trader, quote_token(), 1 << 90)],
        &BlobMap::new(),
    )
    .unwrap();
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let mut bytes = seeds[(next() % seeds.len() as u64) as usize].clone();
        match next() % 4 {
            0 => bytes = (0..next() % 120).map(|_| next() as u8).collect(),
            1 => {
                for _ in 0..1 + next() % 4 {
                    let at = (next() % bytes.len() as u64) as usize;
                    bytes[at] = next() as u8;
                }
            }
            2 => bytes.truncate((next() % (bytes.len() as u64 + 1)) as usize),
            _ => bytes.extend((0..next() % 8).map(|_| next() as u8)),
        }
        if let Some(message) = Message::decode(&bytes) {
            assert_eq!(message.encode(), bytes);
        }
        let _ = Envelope::decode(&bytes);
        let kind = [1u8, 2, 5, 7][(next() % 4) as usize];
        let entry = InboxEntry { kind, sender: trader, l1_block: 1, l1_timestamp: T0 + runs, payload: bytes };
        apply_entries(&mut state, &[entry], &BlobMap::new()).unwrap();
        state.clear_accessed();
        runs += 1;
    }
    assert!(runs > 0);
    eprintln!("fuzz: {runs} inputs in {budget} s");
}
