//! Workloads of `clobnode bench prove` (docs/BENCHMARKS.md): an exchange with a given number of
//! resting orders and traders, then the same 32-order range proven over it, so that what a
//! proof costs can be set against the size of the exchange it is proven over.

use std::collections::BTreeMap;
use std::time::Instant;

use clob_core::guest::GuestInput;
use clob_core::inbox::{InboxEntry, KIND_DEPOSIT, KIND_DIRECT};
use clob_core::keccak::keccak;
use clob_core::ledger::Ledger;
use clob_core::message::{Cancel, Message, Order, Side};
use clob_core::state::{GenesisConfig, Market, State};
use clob_core::transition::{apply_entries, BlobMap};
use clob_core::Address;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::engine::Engine;

const VAULT: Address = [0x7a; 20];
const INBOX: Address = [0x1b; 20];
const BASE: Address = [0xb0; 20];
const QUOTE: Address = [0xc0; 20];
const MID: u64 = 1_000_000;
/// Price levels per side of the book.
const LEVELS: u64 = 500;
const T0: u64 = 1_700_000_000;

/// xorshift64*: deterministic and dependency-free.
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

/// Trader `i`: an address as random-looking as a real one (so its records land anywhere in the tree).
fn trader(i: u64) -> Address {
    keccak(&[b"clobnode bench trader", &i.to_be_bytes()])[12..].try_into().expect("20 bytes")
}

/// Prices whose keys collided under the engine's former unseeded hasher (`fmix64(price × K)`,
/// invertible): the same bucket for every one (tests/stateless.rs checks the collision).
fn planted_price(i: u64) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    fn inverse(a: u64) -> u64 {
        (0..6).fold(a, |x, _| x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x))))
    }
    let unshift = |h: u64| h ^ (h >> 33);
    let target = (0x2au64 << 57) | (i << 20) | 0x5_5555;
    let mut h = unshift(target);
    h = h.wrapping_mul(inverse(0xc4ce_b9fe_1a85_ec53));
    h = unshift(h);
    h = h.wrapping_mul(inverse(0xff51_afd7_ed55_8ccd));
    unshift(h).wrapping_mul(inverse(K)).max(1)
}

struct Builder {
    entries: Vec<InboxEntry>,
    next_index: u64,
}

impl Builder {
    fn push(&mut self, kind: u8, sender: Address, payload: Vec<u8>) {
        let at = self.next_index;
        self.next_index += 1;
        self.entries.push(InboxEntry { kind, sender, l1_block: 1 + at / 100, l1_timestamp: T0 + at / 100, payload });
    }

    fn order(&mut self, who: Address, order: Order) {
        self.push(KIND_DIRECT, who, Message::Order(order).encode());
    }

    /// Applies what was pushed (in chunks: a million entries need not sit in memory at once).
    fn flush(&mut self, state: &mut State) {
        apply_entries(state, &self.entries, &BlobMap::new()).expect("no blob batches");
        state.clear_accessed();
        self.entries.clear();
    }
}

/// The exchange: `traders` funded traders and `resting` orders resting on `LEVELS` levels a side
/// (asks at planted prices when `planted`); returns it with each trader's next nonce and the
/// open orders (trader, nonce) to cancel from.
fn exchange(resting: u64, traders: u64, planted: bool) -> (State, Vec<u64>, Vec<(u64, u64)>) {
    let market = Market { max_open_orders: 10_000_000, max_fills: 100, ..Market::simple(0, BASE, QUOTE, 1, 1) };
    let genesis = GenesisConfig { chain_id: 1, inbox: INBOX, vault: VAULT };
    let mut state = State::genesis_seeded(genesis, vec![market], 0x5eed).expect("valid market");
    let mut build = Builder { entries: Vec::new(), next_index: 0 };
    for i in 0..traders {
        for token in [BASE, QUOTE] {
            let payload = [&trader(i)[..], &token, &[0; 16], &(1u128 << 80).to_be_bytes()].concat();
            build.push(KIND_DEPOSIT, VAULT, payload);
        }
        if build.entries.len() >= 100_000 {
            build.flush(&mut state);
        }
    }
    let mut nonces = vec![0u64; traders as usize];
    let mut open = Vec::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..resting {
        let who = i % traders;
        nonces[who as usize] += 1;
        let (side, price) = match i % 2 {
            0 => (Side::Buy, MID - 1 - (i / 2) % LEVELS),
            _ if planted => (Side::Sell, planted_price(i / 2)),
            _ => (Side::Sell, MID + 1 + (i / 2) % LEVELS),
        };
        build.order(trader(who), Order::limit(0, side, price, 1 + rng.below(20), nonces[who as usize]));
        if rng.below(8) == 0 {
            open.push((who, nonces[who as usize]));
        }
        if build.entries.len() >= 100_000 {
            build.flush(&mut state);
        }
    }
    build.flush(&mut state);
    (state, nonces, open)
}

/// The range every size proves: 32 orders from traders spread over the population — 16 that
/// join existing levels, 4 that open new levels past the book's edge, 8 that cross (each
/// taking one or two makers), 4 cancels of resting orders.
fn range(state: &State, traders: u64, nonces: &mut [u64], open: &[(u64, u64)]) -> Vec<InboxEntry> {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut build = Builder { entries: Vec::new(), next_index: state.inbox_position().0 };
    for n in 0..32u64 {
        let who = rng.below(traders);
        let nonce = |nonces: &mut [u64]| {
            nonces[who as usize] += 1;
            nonces[who as usize]
        };
        match n % 8 {
            0..=3 => {
                let (side, price) = if n % 2 == 0 {
                    (Side::Buy, MID - 10 - rng.below(40))
                } else {
                    (Side::Sell, MID + 10 + rng.below(40))
                };
                build.order(trader(who), Order::limit(0, side, price, 1 + rng.below(5), nonce(nonces)));
            }
            4 => {
                let (side, price) =
                    if n % 16 == 4 { (Side::Buy, MID - LEVELS - 5 - n) } else { (Side::Sell, MID + LEVELS + 5 + n) };
                build.order(trader(who), Order::limit(0, side, price, 1, nonce(nonces)));
            }
            5 | 6 => {
                let (side, price) = if n % 2 == 0 { (Side::Buy, MID + 2) } else { (Side::Sell, MID - 2) };
                build.order(trader(who), Order::limit(0, side, price, 1 + rng.below(8), nonce(nonces)));
            }
            _ => {
                let (owner, order_nonce) = open[rng.below(open.len() as u64) as usize];
                build.push(KIND_DIRECT, trader(owner), Message::Cancel(Cancel { market: 0, order_nonce }).encode());
            }
        }
    }
    build.entries
}

/// `(guest input, stats)` of the 32-order range over an exchange of `resting` orders and
/// `traders` traders (asks at colliding prices if `planted`). Stats: the records the range
/// reached, the witness and input sizes, leaves in the state, and the native times of building
/// the state, committing the range and executing the guest.
#[pyfunction]
#[pyo3(signature = (resting, traders, planted=false))]
pub fn prove_workload<'py>(
    py: Python<'py>,
    resting: u64,
    traders: u64,
    planted: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    if traders == 0 || resting < 64 {
        return Err(PyValueError::new_err("need at least one trader and 64 resting orders"));
    }
    let started = Instant::now();
    let (state, mut nonces, open) = exchange(resting, traders, planted);
    let mut ledger = Ledger::over(state);
    ledger.commit();
    let built = started.elapsed().as_secs_f64();
    let leaves = ledger.state.records().len();
    let before = ledger.clone();
    let entries = range(&ledger.state, traders, &mut nonces, &open);
    let events = apply_entries(&mut ledger.state, &entries, &BlobMap::new()).expect("no blob batches");
    let started = Instant::now();
    let commit = ledger.commit();
    let committed = started.elapsed().as_secs_f64();
    let start: Vec<_> = commit.changed.iter().map(|(key, _)| (*key, before.state.record_bytes(key))).collect();
    let witness = ledger
        .witness(&commit.accessed, &start, &[])
        .map_err(|error| PyValueError::new_err(format!("cannot write the witness: {error:?}")))?;
    drop(before);
    let input = GuestInput { witness, entries, blobs: BlobMap::new(), seed: 0x5eed };
    let encoded = input.encode();
    let started = Instant::now();
    let values = clob_core::guest::run(input.clone()).map_err(|error| PyValueError::new_err(format!("{error:?}")))?;
    let executed = started.elapsed().as_secs_f64();
    if values.new_state_root != commit.root {
        return Err(PyValueError::new_err("the guest reached another root than the node"));
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for event in &events {
        *kinds.entry(event.kind.name()).or_default() += 1;
    }
    let stats = PyDict::new(py);
    stats.set_item("resting_orders", resting)?;
    stats.set_item("traders", traders)?;
    stats.set_item("planted", planted)?;
    stats.set_item("leaves", leaves)?;
    stats.set_item("range_entries", input.entries.len())?;
    stats.set_item("records_reached", commit.accessed.len())?;
    stats.set_item("leaves_changed", commit.changed.len())?;
    stats.set_item("witness_bytes", input.witness.len())?;
    stats.set_item("input_bytes", encoded.len())?;
    stats.set_item("events", kinds.into_iter().collect::<Vec<_>>())?;
    stats.set_item("build_s", built)?;
    stats.set_item("commit_s", committed)?;
    stats.set_item("native_guest_s", executed)?;
    (PyBytes::new(py, &encoded), stats).into_pyobject(py)
}

/// The exchange of [`prove_workload`] as a committed engine (market 0, one atom a lot and a
/// tick; trader `i` is [`workload_trader`]`(i)`), for the node's own store to be measured on.
#[pyfunction]
#[pyo3(signature = (resting, traders, planted=false))]
pub fn workload_engine(resting: u64, traders: u64, planted: bool) -> PyResult<Engine> {
    if traders == 0 {
        return Err(PyValueError::new_err("need at least one trader"));
    }
    let (state, _, _) = exchange(resting, traders, planted);
    let mut ledger = Ledger::over(state);
    ledger.commit();
    Ok(Engine::new(ledger))
}

/// The address of the workload's trader `i`.
#[pyfunction]
pub fn workload_trader(py: Python<'_>, i: u64) -> Bound<'_, PyBytes> {
    PyBytes::new(py, &trader(i))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(prove_workload, m)?)?;
    m.add_function(wrap_pyfunction!(workload_engine, m)?)?;
    m.add_function(wrap_pyfunction!(workload_trader, m)?)?;
    Ok(())
}
