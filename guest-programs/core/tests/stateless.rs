//! Stateless proving (PROTOCOL.md section 9): a range is proven from its witness alone, the
//! witness grows with the range's work and not with the exchange, an incomplete or wrong
//! witness yields no root, and no input an attacker chooses buys worst-case work.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use clob_core::events::EventKind;
use clob_core::guest::{run, GuestInput};
use clob_core::inbox::InboxEntry;
use clob_core::message::{CancelAll, Message, Side};
use clob_core::state::{Market, State, StateKey};
use common::*;

const MAKER: [u8; 20] = [0x11; 20];
const TAKER: [u8; 20] = [0x22; 20];

fn exchange() -> State {
    let market = Market { max_open_orders: 1_000_000, ..market() };
    State::genesis(genesis_config(), vec![market]).unwrap()
}

/// A chain whose first block funds `traders` makers and rests `asks` orders at `price(i)`.
fn book(asks: u64, traders: u64, price: impl Fn(u64) -> u64) -> Chain {
    let mut chain = Chain::new(exchange());
    let trader = |i: u64| {
        let mut address = [0x33; 20];
        address[..8].copy_from_slice(&i.to_be_bytes());
        address
    };
    let mut entries: Vec<InboxEntry> = (0..traders).map(|i| deposit(trader(i), base_token(), 1 << 100)).collect();
    entries.push(deposit(TAKER, quote_token(), 1 << 120));
    entries.push(deposit(MAKER, base_token(), 1 << 100));
    entries.extend((0..asks).map(|i| direct(trader(i % traders), order(Side::Sell, price(i), 1, 1 + i / traders))));
    chain.apply_block(&entries);
    chain
}

/// Four orders near the top of the book: one rests on a new level, one joins a level, one
/// crosses, one cancels.
fn small_range(chain: &mut Chain) {
    chain.apply_block(&[
        direct(MAKER, order(Side::Sell, 2, 3, 1)),
        direct(MAKER, order(Side::Sell, 2, 1, 2)),
        direct(TAKER, order(Side::Buy, 2, 2, 1)),
        direct(MAKER, cancel(2)),
    ]);
}

fn proven_size(asks: u64, traders: u64) -> (usize, usize) {
    let mut chain = book(asks, traders, |i| 1_000 + i % 5_000);
    small_range(&mut chain);
    let input = chain.guest_input(1, 2, None);
    let values = run(input.clone()).unwrap();
    assert_eq!(values.new_state_root, chain.at(2).0);
    (chain.blocks[1].1.len(), input.witness.len())
}

#[test]
fn a_witness_grows_with_the_range_not_with_the_exchange() {
    let (keys_small, bytes_small) = proven_size(100, 10);
    let (keys_large, bytes_large) = proven_size(20_000, 2_000);
    assert_eq!(keys_small, keys_large, "the same range reaches the same records");
    assert!(bytes_large < bytes_small * 5 / 2, "witness {bytes_small} -> {bytes_large} bytes");
}

#[test]
fn an_incomplete_witness_yields_no_root() {
    let mut chain = book(50, 5, |i| 1_000 + i);
    small_range(&mut chain);
    let keys = chain.blocks[1].1.clone();
    assert!(keys.len() > 10);
    for key in keys {
        let input = chain.guest_input(1, 2, Some(key));
        let outcome = catch_unwind(AssertUnwindSafe(|| run(input)));
        assert!(!matches!(outcome, Ok(Ok(_))), "a witness without {key:?} still gave a root");
    }
}

#[test]
fn a_witness_with_a_changed_record_proves_another_root() {
    let mut chain = book(20, 2, |i| 1_000 + i);
    small_range(&mut chain);
    let honest = chain.guest_input(1, 2, None);
    let prev = run(honest.clone()).unwrap().prev_state_root;
    // Flip one byte in each record value in turn: the proof either fails or starts from a root
    // that is not the state's (which the Rollup refuses).
    let parsed_len = honest.witness.len();
    let mut checked = 0;
    for at in (8..parsed_len.min(400)).step_by(7) {
        let mut witness = honest.witness.clone();
        witness[at] ^= 0x40;
        let input = GuestInput { witness, ..honest.clone() };
        if let Ok(Ok(values)) = catch_unwind(AssertUnwindSafe(|| run(input))) {
            assert_ne!(values.prev_state_root, prev, "a changed witness byte {at} proved the same start");
        }
        checked += 1;
    }
    assert!(checked > 10);
}

/// Prices whose keys collided under the engine's former unseeded multiply-rotate hasher: for
/// a u64 key it computed `fmix64(price × K)`, a bijection, so an attacker could pick the hashes
/// (same low bits, same top bits: the same bucket) and invert them to prices.
fn planted_price(i: u64) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    fn inverse(a: u64) -> u64 {
        let mut x = a;
        for _ in 0..6 {
            x = x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)));
        }
        x
    }
    fn unshift(h: u64) -> u64 {
        h ^ (h >> 33)
    }
    fn unfmix(mut h: u64) -> u64 {
        h = unshift(h);
        h = h.wrapping_mul(inverse(0xc4ce_b9fe_1a85_ec53));
        h = unshift(h);
        h = h.wrapping_mul(inverse(0xff51_afd7_ed55_8ccd));
        unshift(h)
    }
    let target = (0x2au64 << 57) | (i << 20) | 0x5_5555;
    unfmix(target).wrapping_mul(inverse(K))
}

#[test]
fn planted_colliding_prices_cost_what_ordinary_prices_cost() {
    // The planted prices really were one bucket under the old hasher.
    let fmix = |mut h: u64| {
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    };
    for i in 0..100 {
        let h = fmix(planted_price(i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95));
        assert_eq!((h & 0xf_ffff, h >> 57), (0x5_5555, 0x2a));
    }
    // A book of 40k asks at such prices, then a small range: the guest never reads the book
    // beyond the levels the range reaches, and the tables are seeded, so planted keys land
    // anywhere. The witness is the same size as over ordinary prices.
    let planted = |i: u64| planted_price(i).max(1);
    let mut attacked = book(40_000, 400, planted);
    let mut ordinary = book(40_000, 400, |i| 10 + i);
    let range = |chain: &mut Chain| {
        let n = chain.blocks.len();
        chain.apply_block(&[deposit(TAKER, base_token(), 5), direct(MAKER, order(Side::Sell, 5, 1, 1))]);
        let input = chain.guest_input(n, n + 1, None);
        assert_eq!(run(input.clone()).unwrap().new_state_root, chain.at(n + 1).0);
        (chain.blocks[n].1.len(), input.witness.len())
    };
    let (keys_attacked, bytes_attacked) = range(&mut attacked);
    let (keys_ordinary, bytes_ordinary) = range(&mut ordinary);
    assert_eq!(keys_attacked, keys_ordinary);
    assert!(bytes_attacked * 2 > bytes_ordinary && bytes_ordinary * 2 > bytes_attacked);
}

#[test]
fn cancel_all_reaches_only_its_senders_orders() {
    let mut chain = book(5_000, 100, |i| 1_000 + i % 50);
    chain.apply_block(&[
        direct(MAKER, order(Side::Sell, 1_010, 1, 1)),
        direct(MAKER, order(Side::Sell, 1_020, 1, 2)),
        direct(MAKER, order(Side::Sell, 1_030, 1, 3)),
    ]);
    let events = chain.apply_block(&[direct(MAKER, Message::CancelAll(CancelAll { market: u32::MAX, nonce: 9 }))]);
    assert!(matches!(events.last().unwrap().kind, EventKind::CancelledAll { count: 3, .. }));
    let reached = &chain.blocks.last().unwrap().1;
    let orders = reached.iter().filter(|key| matches!(key, StateKey::Order(_))).count();
    // Its three orders and, in each level's queue, the order ahead of each.
    assert!(orders <= 6, "cancel-all reached {orders} orders");
    assert!(reached.len() < 20, "cancel-all reached {} records", reached.len());
    assert_eq!(run(chain.guest_input(2, 3, None)).unwrap().new_state_root, chain.at(3).0);
}

#[test]
fn candle_volumes_saturate_instead_of_overflowing() {
    let market = Market::simple(1, base_token(), quote_token(), 1, 1);
    let mut chain = Chain::new(State::genesis(genesis_config(), vec![market]).unwrap());
    let (a, b) = ([0xa1; 20], [0xb2; 20]);
    let big = 1u64 << 62;
    chain.apply_block(&[
        deposit(a, quote_token(), 1 << 126),
        deposit(b, quote_token(), 1 << 126),
        deposit(a, base_token(), 1 << 64),
        deposit(b, base_token(), 1 << 64),
    ]);
    // 20 trades of 2^62 lots at 2^62 ticks (2^124 each), back and forth: past 2^128 in an hour.
    let mut entries = Vec::new();
    for round in 0..20u64 {
        let (seller, buyer) = if round % 2 == 0 { (a, b) } else { (b, a) };
        entries.push(direct(seller, order(Side::Sell, big, big, 2 * round + 1)));
        entries.push(direct(buyer, order(Side::Buy, big, big, 2 * round + 2)));
    }
    let events = chain.apply_block(&entries);
    assert_eq!(events.iter().filter(|e| matches!(e.kind, EventKind::Fill { .. })).count(), 20);
    let day = chain.ledger.state.ohlcv_24h(1, T0).unwrap();
    assert_eq!(day.quote_volume, u128::MAX);
    assert_eq!(run(chain.guest_input(1, 2, None)).unwrap().new_state_root, chain.at(2).0);
}
