//! Benchmark of the matching engine on a realistic mixed stream (docs/BENCHMARKS.md):
//! `cargo run --release -p clob-core --example bench_engine -- [inputs] [resting]`
//! (`--features native-secp256k1`: signatures recovered as the node does, beside k256's).
//!
//! The book is first filled with `resting` orders (default 100,000) from 1,000 traders; then
//! `inputs` (default 1,000,000) messages are applied through `transition::apply_direct`: 50%
//! new limit orders that rest, 15% limit orders that cross, 20% cancels, 15% IOC and market
//! orders. Signatures and inbox hashing are excluded and measured separately.
//!
//! A third argument `matching` runs the throughput pass only (no latency pass, no signatures):
//! for `valgrind --tool=callgrind --toggle-collect='*apply_stream*'`, whose instruction count
//! divided by `inputs` is the cost per input independent of the machine's load.

use std::time::Instant;

use clob_core::eip712;
use clob_core::inbox::{entry_hash, next_acc};
use clob_core::ledger::Ledger;
use clob_core::message::{Cancel, Envelope, Message, Order, OrderType, Side, TimeInForce};
use clob_core::state::{GenesisConfig, Market, State};
use clob_core::transition::apply_direct;
use clob_core::Address;
use k256::ecdsa::SigningKey;

const MID: u64 = 100_000;
const TRADERS: u32 = 1_000;

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn trader(i: u32) -> Address {
    let mut address = [0x11; 20];
    address[..4].copy_from_slice(&i.to_be_bytes());
    address
}

fn setup(resting: usize, rng: &mut Rng) -> (State, Vec<(Address, u64)>, Vec<u64>) {
    let market = Market { max_open_orders: 1_000_000, ..Market::simple(1, [0xb0; 20], [0xc0; 20], 1, 1) };
    let genesis = GenesisConfig { chain_id: 1, inbox: [1; 20], vault: [2; 20] };
    let mut state = State::genesis(genesis, vec![market]).unwrap();
    for i in 0..TRADERS {
        state.deposit(&trader(i), &[0xb0; 20], 1 << 100);
        state.deposit(&trader(i), &[0xc0; 20], 1 << 100);
    }
    let mut nonces = vec![0u64; TRADERS as usize];
    let mut live = Vec::new();
    let mut events = Vec::new();
    for _ in 0..resting {
        let (who, side, price) = resting_order(rng);
        nonces[who as usize] += 1;
        let order = Order::limit(1, side, price, 1 + rng.below(20), nonces[who as usize]);
        apply_direct(&mut state, &trader(who), &Message::Order(order), 1, &mut events);
        live.push((trader(who), order.nonce));
        events.clear();
        state.clear_accessed();
    }
    (state, live, nonces)
}

/// A resting order 1..=1000 ticks away from the middle.
fn resting_order(rng: &mut Rng) -> (u32, Side, u64) {
    let who = rng.below(u64::from(TRADERS)) as u32;
    let offset = 1 + rng.below(1_000);
    if rng.below(2) == 0 {
        (who, Side::Buy, MID - offset)
    } else {
        (who, Side::Sell, MID + offset)
    }
}

fn stream(count: usize, rng: &mut Rng, live: &mut Vec<(Address, u64)>, nonces: &mut [u64]) -> Vec<(Address, Message)> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let roll = rng.below(100);
        if roll < 20 && !live.is_empty() {
            let at = rng.below(live.len() as u64) as usize;
            let (who, nonce) = live.swap_remove(at);
            out.push((who, Message::Cancel(Cancel { market: 1, order_nonce: nonce })));
            continue;
        }
        let (who, side, price) = resting_order(rng);
        nonces[who as usize] += 1;
        let nonce = nonces[who as usize];
        let mut order = Order::limit(1, side, price, 1 + rng.below(20), nonce);
        if roll < 70 {
            live.push((trader(who), nonce));
        } else {
            // Crossing: up to 5 ticks through the best opposite price (about 1 tick off the middle).
            order.price = match side {
                Side::Buy => MID + 1 + rng.below(5),
                Side::Sell => MID - 1 - rng.below(5),
            };
            if roll >= 85 {
                order.time_in_force = TimeInForce::Ioc;
                if roll >= 93 {
                    order.order_type = OrderType::Market;
                }
            } else {
                live.push((trader(who), nonce));
            }
        }
        out.push((trader(who), Message::Order(order)));
    }
    out
}

/// Inputs per L1 block: the node commits the state tree once per block, which also empties the
/// log of keys the block reached; the matching pass empties it at the same cadence.
const BLOCK: usize = 1_000;

/// Applies every message once; returns the number of events (kept apart for callgrind).
#[inline(never)]
fn apply_stream(state: &mut State, messages: &[(Address, Message)]) -> usize {
    let mut events = Vec::with_capacity(64);
    let mut event_count = 0usize;
    for block in messages.chunks(BLOCK) {
        for (who, message) in block {
            apply_direct(state, who, message, 1, &mut events);
            event_count += events.len();
            events.clear();
        }
        state.clear_accessed();
    }
    event_count
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    sorted[((sorted.len() as f64 - 1.0) * p) as usize]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let inputs: usize = args.next().map_or(1_000_000, |a| a.parse().unwrap());
    let resting: usize = args.next().map_or(100_000, |a| a.parse().unwrap());
    let matching_only = args.next().as_deref() == Some("matching");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (state, mut live, mut nonces) = setup(resting, &mut rng);
    let at_rest = state.all_orders().count();
    let messages = stream(inputs, &mut rng, &mut live, &mut nonces);

    // Throughput: one pass, no per-input timer.
    let mut run = state.clone();
    let start = Instant::now();
    let event_count = apply_stream(&mut run, &messages);
    let elapsed = start.elapsed();
    let per_second = inputs as f64 / elapsed.as_secs_f64();
    if matching_only {
        println!("inputs: {inputs} (events: {event_count})");
        println!("matching: {:.0} inputs/s ({:.1} ns/input)", per_second, 1e9 / per_second);
        return;
    }

    // Latency: a second pass from the same state, timing every input.
    let mut run = state.clone();
    let mut events = Vec::with_capacity(64);
    let mut latencies = Vec::with_capacity(inputs);
    for block in messages.chunks(BLOCK) {
        for (who, message) in block {
            let t = Instant::now();
            apply_direct(&mut run, who, message, 1, &mut events);
            latencies.push(t.elapsed().as_nanos() as u32);
            events.clear();
        }
        run.clear_accessed();
    }
    latencies.sort_unstable();

    // Separately: the state tree's update per block (what the node's commit adds to matching):
    // the same stream from the same state, each 1,000-input block committed.
    let mut ledger = Ledger::over(state.clone());
    let mut commits = Vec::new();
    let (mut changed, mut reached) = (0usize, 0usize);
    for block in messages.chunks(BLOCK) {
        for (who, message) in block {
            apply_direct(&mut ledger.state, who, message, 1, &mut events);
            events.clear();
        }
        let t = Instant::now();
        let commit = ledger.commit();
        commits.push(t.elapsed().as_secs_f64());
        changed += commit.changed.len();
        reached += commit.accessed.len();
    }
    commits.sort_by(f64::total_cmp);
    let blocks = commits.len();

    // Separately: signature recovery and inbox hashing per entry.
    let key = SigningKey::from_slice(&[7; 32]).unwrap();
    let signer: Address = {
        let point = key.verifying_key().to_encoded_point(false);
        clob_core::keccak::keccak(&[&point.as_bytes()[1..]])[12..].try_into().unwrap()
    };
    let envelopes: Vec<Envelope> = messages
        .iter()
        .take(2_000)
        .map(|(_, message)| {
            let digest = eip712::digest(1, &[1; 20], &signer, message);
            let (signature, recovery) = key.sign_prehash_recoverable(&digest).unwrap();
            let mut bytes = [0u8; 65];
            bytes[..64].copy_from_slice(&signature.to_bytes());
            bytes[64] = 27 + recovery.to_byte();
            Envelope { trader: signer, message: *message, signature: bytes }
        })
        .collect();
    let t = Instant::now();
    let valid = envelopes.iter().filter(|e| eip712::is_signed_by_trader(1, &[1; 20], e)).count();
    let per_signature = t.elapsed().as_secs_f64() / envelopes.len() as f64;
    assert_eq!(valid, envelopes.len());
    // With `--features native-secp256k1` the core recovers with libsecp256k1: k256's recovery
    // (what the guests prove) on the same signatures, in the same run, for the ratio.
    let per_k256_signature = cfg!(feature = "native-secp256k1").then(|| {
        let t = Instant::now();
        for envelope in &envelopes {
            let digest = eip712::digest(1, &[1; 20], &envelope.trader, &envelope.message);
            let signature = k256::ecdsa::Signature::from_slice(&envelope.signature[..64]).unwrap();
            let recovery = k256::ecdsa::RecoveryId::from_byte(envelope.signature[64] - 27).unwrap();
            std::hint::black_box(
                k256::ecdsa::VerifyingKey::recover_from_prehash(&digest, &signature, recovery).unwrap(),
            );
        }
        t.elapsed().as_secs_f64() / envelopes.len() as f64
    });
    let payloads: Vec<Vec<u8>> = messages.iter().take(100_000).map(|(_, m)| m.encode()).collect();
    let t = Instant::now();
    let mut acc = [0u8; 32];
    for payload in &payloads {
        acc = next_acc(&acc, &entry_hash(1, &signer, 1, 1, payload));
    }
    let per_entry_hash = t.elapsed().as_secs_f64() / payloads.len() as f64;
    std::hint::black_box(acc);

    println!("resting orders at start: {at_rest}");
    println!("inputs: {inputs} (events: {event_count})");
    println!("matching: {:.0} inputs/s ({:.1} ns/input)", per_second, 1e9 / per_second);
    println!(
        "latency per input: p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 0.999),
        latencies[latencies.len() - 1]
    );
    println!(
        "state tree per {BLOCK}-input block: median {:.2} ms, p99 {:.2} ms ({:.0} ns/input; {} leaves changed, {} keys reached a block)",
        commits[blocks / 2] * 1e3,
        commits[(blocks - 1) * 99 / 100] * 1e3,
        commits.iter().sum::<f64>() / (blocks * BLOCK) as f64 * 1e9,
        changed / blocks,
        reached / blocks
    );
    println!(
        "signature recovery (EIP-712, secp256k1): {:.1} µs each ({:.0}/s)",
        per_signature * 1e6,
        1.0 / per_signature
    );
    if let Some(k256) = per_k256_signature {
        println!(
            "  k256's recovery on the same signatures: {:.1} µs each ({:.1}x libsecp256k1's)",
            k256 * 1e6,
            k256 / per_signature
        );
    }
    println!("inbox entry hash + accumulator: {:.0} ns each", per_entry_hash * 1e9);
}
