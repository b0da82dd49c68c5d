//! What the `decoders` fuzz target checks for one input (docs/FUZZING.md), apart from the
//! libFuzzer entry point so the seed generator shares the markets and traders.
//!
//! One input is read five ways: as one message, as one envelope, as a guest input, as the
//! batch bytes of a blob, and as a run of messages. Whatever decodes is applied to a funded
//! state with resting orders; no input may panic, a decoded message or envelope re-encodes to
//! the same bytes, and after every entry value is conserved and no book is crossed. Then the
//! range is proven as the node proves it, from a witness alone: no input may panic the guest,
//! and the guest must reach the node's root.

use clob_core::blob_batch::{
    decode_blobs, BATCH_VERSION, BATCH_VERSION_V1, BLOB_SIZE, BYTES_PER_FIELD_ELEMENT, DATA_BYTES_PER_FIELD_ELEMENT,
};
use clob_core::guest::{run, GuestInput};
use clob_core::inbox::{InboxEntry, KIND_BLOB_BATCH, KIND_DEPOSIT, KIND_DIRECT, KIND_SIGNED};
use clob_core::ledger::Ledger;
use clob_core::message::{
    Envelope, Message, Order, Side, CANCEL_ALL_LEN, CANCEL_ALL_TYPE, CANCEL_LEN, CANCEL_TYPE, ORDER_LEN, ORDER_TYPE,
    REPLACE_LEN, REPLACE_TYPE,
};
use clob_core::state::{GenesisConfig, Market, State};
use clob_core::transition::{apply_entries, BlobMap};
use clob_core::witness;
use clob_core::Address;

pub const CHAIN_ID: u64 = 31337;
pub const INBOX: Address = [0x1b; 20];
pub const VAULT: Address = [0x7a; 20];
pub const BASE: Address = [0xb0; 20];
pub const QUOTE: Address = [0xc0; 20];
pub const FEE_RECIPIENT: Address = [0xfe; 20];
/// Anvil's accounts 0 and 1 (their keys sign the seed envelopes): both funded.
pub const ALICE: Address = hex20("f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
pub const BOB: Address = hex20("70997970c51812dc3a010c7d01b50e0d17dc79c8");
pub const TRADERS: [Address; 2] = [ALICE, BOB];
pub const T0: u64 = 1_700_000_000;
/// The versioned hash the fuzzed blob is carried under (the transition only looks it up).
pub const BLOB_HASH: [u8; 32] = [0x01; 32];

const fn hex20(text: &str) -> Address {
    let bytes = text.as_bytes();
    let mut out = [0u8; 20];
    let mut i = 0;
    while i < 20 {
        out[i] = (nibble(bytes[2 * i]) << 4) | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}

/// Market 1: no fees, no limits. Market 2: fees, min and max size, a circuit breaker, few
/// open orders and fills per order. Market 3: one atom per lot and per tick, where extreme
/// prices and quantities reach the limits of the arithmetic.
pub fn markets() -> Vec<Market> {
    let risky = Market {
        min_size: 2,
        max_size: 1_000,
        maker_fee_bps: 10,
        taker_fee_bps: 25,
        fee_recipient: FEE_RECIPIENT,
        band_bps: 1_000,
        band_window: 3_600,
        halt_seconds: 600,
        max_open_orders: 4,
        max_fills: 3,
        ..Market::simple(2, BASE, QUOTE, 1_000, 1)
    };
    vec![
        Market::simple(1, BASE, QUOTE, 1_000_000_000_000_000, 1_000_000_000_000),
        risky,
        Market::simple(3, BASE, QUOTE, 1, 1),
    ]
}

pub fn genesis_config() -> GenesisConfig {
    GenesisConfig { chain_id: CHAIN_ID, inbox: INBOX, vault: VAULT }
}

fn entry(kind: u8, sender: Address, at: u64, payload: Vec<u8>) -> InboxEntry {
    InboxEntry { kind, sender, l1_block: 100 + at, l1_timestamp: T0 + at, payload }
}

fn deposit(trader: Address, token: Address, amount: u128) -> InboxEntry {
    let mut payload = trader.to_vec();
    payload.extend_from_slice(&token);
    payload.extend_from_slice(&[0; 16]);
    payload.extend_from_slice(&amount.to_be_bytes());
    entry(KIND_DEPOSIT, VAULT, 0, payload)
}

/// Both traders funded in both tokens (2^125 each: a quarter of what a token may total), Bob's
/// orders resting on both sides of the first two markets (and a stop), Bob's nonces 1..=6
/// used. Built once, committed; every input starts from a clone.
pub fn start_ledger() -> &'static Ledger {
    // Per thread (the state's access log is not shared between threads); libFuzzer uses one.
    thread_local! {
        static LEDGER: &'static Ledger = Box::leak(Box::new(build_start_ledger()));
    }
    LEDGER.with(|ledger| *ledger)
}

fn build_start_ledger() -> Ledger {
    {
        let mut state = State::genesis(genesis_config(), markets()).expect("valid markets");
        let mut entries = Vec::new();
        for trader in TRADERS {
            entries.push(deposit(trader, BASE, 1 << 125));
            entries.push(deposit(trader, QUOTE, 1 << 125));
        }
        let orders = [
            Order::limit(1, Side::Buy, 98, 5, 1),
            Order::limit(1, Side::Sell, 102, 5, 2),
            Order { display_quantity: 2, ..Order::limit(1, Side::Sell, 103, 7, 3) },
            Order::limit(2, Side::Buy, 990, 10, 4),
            Order::limit(2, Side::Sell, 1_010, 10, 5),
            Order { trigger_price: 97, ..Order::limit(1, Side::Sell, 96, 3, 6) },
        ];
        entries.extend(orders.into_iter().map(|o| entry(KIND_DIRECT, BOB, 0, Message::Order(o).encode())));
        apply_entries(&mut state, &entries, &BlobMap::new()).expect("no blobs needed");
        check_invariants(&state);
        let mut ledger = Ledger::over(state);
        ledger.commit();
        ledger
    }
}

/// The start state (a clone of the start ledger's).
pub fn start_state() -> &'static State {
    &start_ledger().state
}

/// Balances add up to supplies, every lock is held by a resting or stop order, and no book
/// is crossed at rest.
pub fn check_invariants(state: &State) {
    let balances = state.all_balances();
    for token in [BASE, QUOTE] {
        let held: u128 = balances.iter().filter(|(_, t, _)| *t == token).map(|(_, _, b)| b.available + b.locked).sum();
        assert_eq!(held, state.supply_of(&token), "value not conserved");
    }
    for trader in TRADERS {
        let (mut base, mut quote) = (0u128, 0u128);
        for (_, order) in state.all_orders().filter(|(id, _)| id.trader == trader) {
            *if order.side == Side::Buy { &mut quote } else { &mut base } += order.locked;
        }
        assert_eq!(state.balance_of(&trader, &BASE).locked, base, "base locks");
        assert_eq!(state.balance_of(&trader, &QUOTE).locked, quote, "quote locks");
    }
    for market in markets() {
        assert!(state.is_uncrossed(market.id), "book of market {} crossed", market.id);
    }
}

/// Applies `entries` one by one to a clone of the start ledger, checking the invariants after
/// each, then proves them as the node would: a witness of what they reached, from the start
/// root, run by the guest, which must neither panic nor reach another root.
fn apply_and_prove(entries: &[InboxEntry], blobs: &BlobMap) {
    let start = start_ledger();
    let mut ledger = start.clone();
    for entry in entries {
        apply_entries(&mut ledger.state, std::slice::from_ref(entry), blobs).expect("every blob named is carried");
        check_invariants(&ledger.state);
    }
    let commit = ledger.commit();
    let before: Vec<_> = commit.changed.iter().map(|(key, _)| (*key, start.state.record_bytes(key))).collect();
    let witness = ledger.witness(&commit.accessed, &before, &[]).expect("the node can always write a witness");
    let input = GuestInput { witness, entries: entries.to_vec(), blobs: blobs.clone(), seed: 0x5eed };
    let values = run(input).expect("a complete witness proves its range");
    assert_eq!(values.prev_state_root, start.root(), "the guest started from another root");
    assert_eq!(values.new_state_root, commit.root, "the guest reached another root than the node");
}

/// `data` as the batch bytes of one blob: 31 bytes per 32-byte field element, the first zero.
/// `None` when it does not fit in a blob.
pub fn pack_blob(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() > BLOB_SIZE / BYTES_PER_FIELD_ELEMENT * DATA_BYTES_PER_FIELD_ELEMENT {
        return None;
    }
    let mut blob = vec![0u8; BLOB_SIZE];
    for (chunk, element) in data.chunks(DATA_BYTES_PER_FIELD_ELEMENT).zip(blob.chunks_mut(BYTES_PER_FIELD_ELEMENT)) {
        element[1..1 + chunk.len()].copy_from_slice(chunk);
    }
    Some(blob)
}

/// The length of a message of the type `type_byte`.
fn message_len(type_byte: u8) -> Option<usize> {
    match type_byte {
        ORDER_TYPE => Some(ORDER_LEN),
        CANCEL_TYPE => Some(CANCEL_LEN),
        CANCEL_ALL_TYPE => Some(CANCEL_ALL_LEN),
        REPLACE_TYPE => Some(REPLACE_LEN),
        _ => None,
    }
}

/// The whole check for one fuzz input.
pub fn check(data: &[u8]) {
    let no_blobs = BlobMap::new();

    // One message (strict: exact length, known enum bytes), re-encoding to the same bytes.
    if let Some(message) = Message::decode(data) {
        assert_eq!(message.encode(), data, "message re-encodes differently");
    }

    // One envelope: trader ‖ message ‖ signature, applied as a signed entry.
    if let Some(envelope) = Envelope::decode(data) {
        assert_eq!(envelope.encode(), data, "envelope re-encodes differently");
        apply_and_prove(&[entry(KIND_SIGNED, [0x99; 20], 1, data.to_vec())], &no_blobs);
    }

    // A guest input (postcard): what decodes encodes to something that decodes to the same,
    // and its witness is checked without panicking (a prover's bytes, not an L1 input: one that
    // proves nothing fails to open).
    if let Some(input) = GuestInput::decode(data) {
        assert_eq!(GuestInput::decode(&input.encode()).as_ref(), Some(&input), "guest input does not round-trip");
        let _ = witness::open(&input.witness, input.seed);
    }
    let _ = witness::open(data, 7);

    // The batch bytes of a blob: decoded, then applied as a blob batch entry. (Only bytes
    // that start with a known version are packed: any other first byte is rejected at once.)
    let _ = decode_blobs(&[data]);
    let versioned = matches!(data.first(), Some(&(BATCH_VERSION_V1 | BATCH_VERSION)));
    if let Some(blob) = if versioned { pack_blob(data) } else { None } {
        if let Some(envelopes) = decode_blobs(&[&blob]) {
            for envelope in &envelopes {
                let _ = Envelope::decode(envelope);
            }
            let blobs = BlobMap::from([(BLOB_HASH, blob)]);
            apply_and_prove(&[entry(KIND_BLOB_BATCH, ALICE, 1, BLOB_HASH.to_vec())], &blobs);
        }
    }

    // A run of messages, each as long as its type says, sent directly by Alice and Bob in
    // turn (one message alone is Alice's); stops at the first one that does not decode.
    let mut entries = Vec::new();
    let mut rest = data;
    let mut at = 1u64;
    while let Some(len) = rest.first().and_then(|&t| message_len(t)).filter(|&len| len <= rest.len()) {
        let (bytes, tail) = rest.split_at(len);
        let Some(message) = Message::decode(bytes) else { break };
        assert_eq!(message.encode(), bytes, "message re-encodes differently");
        let sender = TRADERS[(at as usize - 1) % 2];
        entries.push(entry(KIND_DIRECT, sender, at, bytes.to_vec()));
        rest = tail;
        at += 1;
    }
    if !entries.is_empty() {
        apply_and_prove(&entries, &no_blobs);
    }
}
