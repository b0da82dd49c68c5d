//! Regenerates the golden vectors owned by the core: `cargo run -p clob-core --example
//! gen_vectors -- tests/vectors` writes messages.json, blob_batch.json and
//! transition_basic.json there. The checked-in files are the source of truth; `cargo test`
//! replays them, so a regeneration that changes them is a protocol change.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;

use clob_core::blob_batch::encode_blobs;
use clob_core::guest::{execute, GuestInput};
use clob_core::inbox::{InboxEntry, KIND_BLOB_BATCH, KIND_DEPOSIT, KIND_DIRECT};
use clob_core::keccak::keccak;
use clob_core::message::{Message, Order, Side};
use clob_core::root::state_root;
use clob_core::transition::{apply_entries, BlobMap};
use clob_core::{eip712, Address};
use common::*;
use serde_json::{json, Value};

fn message_json(message: &Message) -> Value {
    match message {
        Message::Order(o) => json!({"type": "order", "market": o.market, "side": o.side.to_byte(), "price": o.price,
            "quantity": o.quantity, "nonce": o.nonce, "expiry": o.expiry}),
        Message::Cancel(c) => json!({"type": "cancel", "market": c.market, "order_nonce": c.order_nonce}),
    }
}

fn messages() -> Value {
    let cases = [
        ("order_buy", ALICE_KEY, CHAIN_ID, order(Side::Buy, 2_000, 5, 1)),
        (
            "order_sell_with_expiry",
            BOB_KEY,
            CHAIN_ID,
            Message::Order(Order {
                market: 7,
                side: Side::Sell,
                price: 1,
                quantity: 100,
                nonce: 42,
                expiry: 1_700_000_600,
            }),
        ),
        (
            "order_max_fields",
            ALICE_KEY,
            1,
            Message::Order(Order {
                market: u32::MAX,
                side: Side::Sell,
                price: u64::MAX,
                quantity: u64::MAX,
                nonce: u64::MAX,
                expiry: u64::MAX,
            }),
        ),
        ("cancel", ALICE_KEY, CHAIN_ID, cancel(1)),
        ("cancel_mainnet", BOB_KEY, 1, cancel(u64::MAX)),
    ];
    let cases: Vec<Value> = cases
        .iter()
        .map(|(name, private_key, chain_id, message)| {
            let signer = key(private_key);
            let trader = address_of(&signer);
            let digest = eip712::digest(*chain_id, &inbox(), &trader, message);
            let signature = sign_digest(&signer, &digest);
            let envelope = clob_core::message::Envelope { trader, message: *message, signature };
            json!({
                "name": name, "chain_id": chain_id, "inbox": hex0x(inbox()), "trader": hex0x(trader),
                "private_key": format!("0x{private_key}"), "message": message_json(message),
                "message_hex": hex0x(message.encode()), "digest": hex0x(digest),
                "signature": hex0x(signature), "envelope_hex": hex0x(envelope.encode()),
            })
        })
        .collect();
    json!({"cases": cases})
}

fn blob_batch_case(name: &str, envelopes: Vec<Vec<u8>>, repeat: usize) -> Value {
    let all: Vec<Vec<u8>> = envelopes.iter().cloned().cycle().take(envelopes.len() * repeat).collect();
    let blobs = encode_blobs(&all).unwrap();
    json!({
        "name": name, "envelopes": envelopes.iter().map(hex0x).collect::<Vec<_>>(), "repeat": repeat,
        "blobs": blobs.len(), "blob_keccaks": blobs.iter().map(|blob| hex0x(keccak(&[blob]))).collect::<Vec<_>>(),
        "first_96": hex0x(&blobs[0][..96]),
    })
}

fn blob_batch() -> Value {
    let a = signed(&key(ALICE_KEY), order(Side::Buy, 2_000, 5, 1));
    let b = signed(&key(BOB_KEY), cancel(3));
    json!({"cases": [
        blob_batch_case("empty", vec![], 1),
        blob_batch_case("two_envelopes", vec![a.clone(), b.clone()], 1),
        blob_batch_case("two_blobs", vec![a, b], 600),
    ]})
}

/// A stand-in versioned hash for a vector blob: the core does not check KZG commitments.
fn versioned_hash(blob: &[u8]) -> [u8; 32] {
    let mut hash = keccak(&[blob]);
    hash[0] = 0x01;
    hash
}

fn at(index: u64, mut entry: InboxEntry) -> InboxEntry {
    entry.l1_block = 100 + index;
    entry.l1_timestamp = T0 + 12 * index;
    entry
}

fn transition_basic() -> Value {
    let (alice_key, bob_key) = (key(ALICE_KEY), key(BOB_KEY));
    let (alice, bob): (Address, Address) = (address_of(&alice_key), address_of(&bob_key));
    let lot = market().base_lot;
    let tick = market().quote_tick;
    let batch_envelopes = vec![
        signed(&alice_key, order(Side::Buy, 1_000, 1, 5)),
        envelope(&bob_key, alice, order(Side::Buy, 1_000, 1, 6)).encode(),
        vec![1, 2, 3],
    ];
    let batch_blobs = encode_blobs(&batch_envelopes).unwrap();
    let batch_hash = versioned_hash(&batch_blobs[0]);
    let mut too_big = deposit_payload(alice, quote_token(), 1);
    too_big[40] = 1;
    let expired = Message::Order(Order { market: 1, side: Side::Buy, price: 1, quantity: 1, nonce: 9, expiry: 100 });
    let other_market = Message::Order(Order { market: 2, side: Side::Buy, price: 1, quantity: 1, nonce: 9, expiry: 0 });
    let scenario = vec![
        ("deposit quote to alice", deposit(alice, quote_token(), 1_000_000 * tick * 1_000)),
        ("deposit base to bob", deposit(bob, base_token(), 1_000 * lot)),
        ("deposit not from the vault", entry(KIND_DEPOSIT, bob, deposit_payload(bob, base_token(), 1))),
        ("deposit above 2^128-1", entry(KIND_DEPOSIT, vault(), too_big)),
        ("alice signed buy rests", relay(signed(&alice_key, order(Side::Buy, 2_000, 5, 1)))),
        ("bob direct sell crosses at maker price", direct(bob, order(Side::Sell, 1_990, 3, 1))),
        ("bob direct sell rests", direct(bob, order(Side::Sell, 2_010, 4, 2))),
        (
            "alice buy above the ask is refunded the difference",
            relay(signed(&alice_key, order(Side::Buy, 2_020, 1, 2))),
        ),
        ("alice cancels the rest of nonce 1", relay(signed(&alice_key, cancel(1)))),
        ("cancel of an unknown order", relay(signed(&alice_key, cancel(1)))),
        ("bad signature", relay(envelope(&bob_key, alice, order(Side::Buy, 1, 1, 3)).encode())),
        ("malformed direct payload", entry(KIND_DIRECT, alice, vec![1, 2])),
        ("stale nonce", direct(alice, order(Side::Buy, 1, 1, 2))),
        ("expired", direct(alice, expired)),
        ("unknown market", direct(alice, other_market)),
        ("zero quantity", direct(alice, order(Side::Buy, 1, 0, 9))),
        ("insufficient balance", direct(bob, order(Side::Buy, 4_000_000_000, 1_000_000, 9))),
        ("unknown kind", entry(9, alice, vec![])),
        ("blob batch of three envelopes", entry(KIND_BLOB_BATCH, bob, batch_hash.to_vec())),
        ("malformed blob batch payload", entry(KIND_BLOB_BATCH, bob, vec![0; 31])),
    ];
    let blobs: BlobMap = [(batch_hash, batch_blobs[0].clone())].into_iter().collect();
    let genesis_state = genesis();
    let mut state = genesis_state.clone();
    let mut entries_json = Vec::new();
    let mut entries = Vec::new();
    for (index, (name, entry)) in scenario.into_iter().enumerate() {
        let entry = at(index as u64, entry);
        let events = apply_entries(&mut state, std::slice::from_ref(&entry), &blobs).unwrap();
        entries_json.push(json!({
            "name": name, "index": index, "kind": entry.kind, "sender": hex0x(entry.sender),
            "l1_block": entry.l1_block, "l1_timestamp": entry.l1_timestamp, "payload": hex0x(&entry.payload),
            "events": events.iter().map(event_json).collect::<Vec<_>>(),
            "state_root": hex0x(state_root(&state)), "acc": hex0x(state.inbox.acc),
        }));
        entries.push(entry);
    }
    let input = GuestInput { state: genesis_state.clone(), entries, blobs };
    let m = market();
    json!({
        "genesis": {
            "chain_id": CHAIN_ID, "inbox": hex0x(inbox()), "vault": hex0x(vault()),
            "markets": [{"id": m.id, "base": hex0x(m.base), "quote": hex0x(m.quote), "base_lot": m.base_lot, "quote_tick": m.quote_tick}],
            "state_root": hex0x(state_root(&genesis_state)),
        },
        "blobs": [{"versioned_hash": hex0x(batch_hash), "envelopes": batch_envelopes.iter().map(hex0x).collect::<Vec<_>>()}],
        "entries": entries_json,
        "public_values": hex0x(execute(&input.encode()).unwrap()),
    })
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: gen_vectors <output dir>");
    let write = |name: &str, value: Value| {
        std::fs::write(Path::new(&dir).join(name), serde_json::to_string_pretty(&value).unwrap() + "\n").unwrap();
    };
    write("messages.json", messages());
    write("blob_batch.json", blob_batch());
    write("transition_basic.json", transition_basic());
}
