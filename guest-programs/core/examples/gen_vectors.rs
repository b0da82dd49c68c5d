//! Regenerates the golden vectors owned by the core: `cargo run -p clob-core --example
//! gen_vectors -- tests/vectors` writes messages.json, blob_batch.json and
//! transition_{basic,orders,risk}.json there. The checked-in files are the source of truth; `cargo test`
//! replays them, so a regeneration that changes them is a protocol change.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;

use clob_core::aggregate::{aggregate, encode_input};
use clob_core::blob_batch::encode_blobs;
use clob_core::guest::execute;
use clob_core::inbox::{InboxEntry, KIND_BLOB_BATCH, KIND_DEPOSIT, KIND_DIRECT};
use clob_core::keccak::keccak;
use clob_core::ledger::Ledger;
use clob_core::message::{
    CancelAll, Message, Order, OrderType, Replace, SelfTradePrevention, Side, TimeInForce, ALL_MARKETS,
};
use clob_core::public_values::PublicValues;
use clob_core::smt;
use clob_core::state::StateKey;
use clob_core::state::{Market, State};
use clob_core::transition::BlobMap;
use clob_core::{eip712, Address};
use common::*;
use serde_json::{json, Value};

fn message_json(message: &Message) -> Value {
    match message {
        Message::Order(o) => json!({"type": "order", "market": o.market, "side": o.side.to_byte(),
            "order_type": o.order_type.to_byte(), "time_in_force": o.time_in_force.to_byte(), "stp": o.stp.to_byte(),
            "price": o.price, "quantity": o.quantity, "trigger_price": o.trigger_price,
            "display_quantity": o.display_quantity, "nonce": o.nonce, "expiry": o.expiry,
            "client_order_id": o.client_order_id}),
        Message::Cancel(c) => json!({"type": "cancel", "market": c.market, "order_nonce": c.order_nonce}),
        Message::CancelAll(c) => json!({"type": "cancel_all", "market": c.market, "nonce": c.nonce}),
        Message::Replace(r) => json!({"type": "replace", "market": r.market, "order_nonce": r.order_nonce,
            "nonce": r.nonce, "price": r.price, "quantity": r.quantity}),
    }
}

fn messages() -> Value {
    let cases = [
        ("order_buy", ALICE_KEY, CHAIN_ID, order(Side::Buy, 2_000, 5, 1)),
        (
            "order_sell_with_expiry",
            BOB_KEY,
            CHAIN_ID,
            order_with(7, Side::Sell, 1, 100, 42, |o| o.expiry = 1_700_000_600),
        ),
        (
            "order_max_fields",
            ALICE_KEY,
            1,
            Message::Order(Order {
                market: u32::MAX,
                side: Side::Sell,
                order_type: OrderType::Market,
                time_in_force: TimeInForce::Fok,
                stp: SelfTradePrevention::DecrementBoth,
                price: u64::MAX,
                quantity: u64::MAX,
                trigger_price: u64::MAX,
                display_quantity: u64::MAX,
                nonce: u64::MAX,
                expiry: u64::MAX,
                client_order_id: u64::MAX,
            }),
        ),
        (
            "order_iceberg_post_only",
            BOB_KEY,
            CHAIN_ID,
            order_with(1, Side::Buy, 1_999, 50, 3, |o| {
                o.time_in_force = TimeInForce::PostOnly;
                o.stp = SelfTradePrevention::CancelMaker;
                o.display_quantity = 5;
                o.client_order_id = 0xc0ffee;
            }),
        ),
        (
            "order_stop_market",
            ALICE_KEY,
            CHAIN_ID,
            order_with(1, Side::Sell, 1_900, 2, 4, |o| {
                o.order_type = OrderType::Market;
                o.time_in_force = TimeInForce::Ioc;
                o.trigger_price = 1_950;
            }),
        ),
        ("cancel_all", ALICE_KEY, CHAIN_ID, Message::CancelAll(CancelAll { market: ALL_MARKETS, nonce: 9 })),
        (
            "replace",
            BOB_KEY,
            CHAIN_ID,
            Message::Replace(Replace { market: 1, order_nonce: 3, nonce: 10, price: 2_001, quantity: 40 }),
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
        signed(&alice_key, order(Side::Buy, 1_000, 1, 12)),
        envelope(&bob_key, alice, order(Side::Buy, 1_000, 1, 13)).encode(),
        vec![1, 2, 3],
    ];
    let batch_blobs = encode_blobs(&batch_envelopes).unwrap();
    let batch_hash = versioned_hash(&batch_blobs[0]);
    let mut too_big = deposit_payload(alice, quote_token(), 1);
    too_big[40] = 1;
    let expired = order_with(1, Side::Buy, 1, 1, 9, |o| o.expiry = 100);
    let other_market = order_with(2, Side::Buy, 1, 1, 10, |_| {});
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
        ("zero quantity", direct(alice, order(Side::Buy, 1, 0, 11))),
        ("insufficient balance", direct(bob, order(Side::Buy, 4_000_000_000, 1_000_000, 9))),
        (
            "a rejected order used up its nonce: sent again it is stale",
            direct(bob, order(Side::Buy, 4_000_000_000, 1_000_000, 9)),
        ),
        ("unknown kind", entry(9, alice, vec![])),
        ("blob batch of three envelopes", entry(KIND_BLOB_BATCH, bob, batch_hash.to_vec())),
        ("malformed blob batch payload", entry(KIND_BLOB_BATCH, bob, vec![0; 31])),
    ];
    let blobs: BlobMap = [(batch_hash, batch_blobs[0].clone())].into_iter().collect();
    let blob_json = json!([{"versioned_hash": hex0x(batch_hash), "envelopes": batch_envelopes.iter().map(hex0x).collect::<Vec<_>>()}]);
    transition_vector(vec![market()], scenario, blobs, blob_json)
}

/// Applies the scenario entry by entry from genesis (entry `i` at block 100 + i, 12 s apart
/// unless it sets its own timestamp) and records events, roots and the public values.
fn transition_vector(
    markets: Vec<Market>,
    scenario: Vec<(&str, InboxEntry)>,
    blobs: BlobMap,
    blob_json: Value,
) -> Value {
    let genesis_state = State::genesis(genesis_config(), markets.clone()).unwrap();
    let mut chain = Chain::new(genesis_state);
    chain.blobs = blobs;
    let mut entries_json = Vec::new();
    for (index, (name, entry)) in scenario.into_iter().enumerate() {
        let timestamp = entry.l1_timestamp;
        let mut entry = at(index as u64, entry);
        if timestamp != T0 {
            entry.l1_timestamp = timestamp;
        }
        let events = chain.apply_block(std::slice::from_ref(&entry));
        entries_json.push(json!({
            "name": name, "index": index, "kind": entry.kind, "sender": hex0x(entry.sender),
            "l1_block": entry.l1_block, "l1_timestamp": entry.l1_timestamp, "payload": hex0x(&entry.payload),
            "events": events.iter().map(event_json).collect::<Vec<_>>(),
            "state_root": hex0x(chain.ledger.root()), "acc": hex0x(chain.ledger.state.inbox_position().1),
        }));
    }
    let input = chain.guest_input(0, chain.blocks.len(), None);
    json!({
        "genesis": {
            "chain_id": CHAIN_ID, "inbox": hex0x(inbox()), "vault": hex0x(vault()),
            "markets": markets.iter().map(market_json).collect::<Vec<_>>(),
            "state_root": hex0x(chain.genesis.0),
        },
        "blobs": blob_json,
        "entries": entries_json,
        "witness": hex0x(&input.witness),
        "public_values": hex0x(execute(&input.encode()).unwrap()),
    })
}

/// Every leaf of a small state (keys, record bytes, paths, leaf hashes), its root, and the
/// branch of every balance leaf (what `Vault.escape` walks): PROTOCOL.md sections 7, 10, 12.
fn state_tree() -> Value {
    let (alice, bob) = (address_of(&key(ALICE_KEY)), address_of(&key(BOB_KEY)));
    let m = market();
    let mut chain = Chain::new(State::genesis(genesis_config(), vec![m.clone(), risk_market()]).unwrap());
    chain.apply_block(&[
        at(0, deposit(alice, quote_token(), 10_000 * m.quote_tick)),
        at(1, deposit(bob, base_token(), 10 * m.base_lot)),
        at(2, direct(alice, order(Side::Buy, 90, 3, 1))),
        at(3, direct(alice, order_with(1, Side::Buy, 100, 2, 2, |o| o.trigger_price = 95))),
        at(4, direct(bob, order(Side::Sell, 90, 1, 1))),
        at(5, direct(bob, order(Side::Sell, 120, 2, 2))),
    ]);
    let ledger: &Ledger = &chain.ledger;
    let leaves: Vec<Value> = ledger
        .state
        .records()
        .into_iter()
        .map(|(key, value)| {
            let path = key.path();
            json!({"key": hex0x(key.encode()), "kind": format!("{key:?}"), "value": hex0x(&value), "path": hex0x(path),
                "leaf": hex0x(smt::leaf_hash(&path, &value))})
        })
        .collect();
    let balances: Vec<Value> = ledger
        .state
        .all_balances()
        .into_iter()
        .map(|(trader, token, balance)| {
            let proof = ledger.balance_proof(&trader, &token, &[]).unwrap();
            json!({"trader": hex0x(trader), "token": hex0x(token), "available": balance.available.to_string(),
                "locked": balance.locked.to_string(), "key": hex0x(StateKey::Balance(trader, token).encode()),
                "siblings": proof.siblings.iter().map(hex0x).collect::<Vec<_>>()})
        })
        .collect();
    json!({"root": hex0x(ledger.root()), "leaves": leaves, "balances": balances})
}

/// An entry at an explicit L1 timestamp (kept as is by [`transition_vector`]).
fn at_time(timestamp: u64, mut entry: InboxEntry) -> InboxEntry {
    entry.l1_timestamp = timestamp;
    entry
}

fn transition_orders() -> Value {
    let (a, b, c): (Address, Address, Address) = ([0xa1; 20], [0xb2; 20], [0xc3; 20]);
    let m = market();
    let mut scenario: Vec<(&str, InboxEntry)> = Vec::new();
    for (name, trader) in [("fund a", a), ("fund b", b), ("fund c", c)] {
        scenario.push((name, deposit(trader, base_token(), 1_000 * m.base_lot)));
        scenario.push((name, deposit(trader, quote_token(), 10_000_000 * m.quote_tick)));
    }
    let o = |side, price, quantity, nonce, change: fn(&mut Order)| order_with(1, side, price, quantity, nonce, change);
    scenario.extend([
        ("b rests an iceberg sell 10 showing 3", direct(b, o(Side::Sell, 100, 10, 1, |o| o.display_quantity = 3))),
        ("c rests a sell 2 behind it", direct(c, o(Side::Sell, 100, 2, 1, |_| {}))),
        ("a buys 6: iceberg replenishes behind c", direct(a, o(Side::Buy, 100, 6, 1, |o| o.client_order_id = 7))),
        (
            "a post-only buy that would cross is rejected",
            direct(a, o(Side::Buy, 100, 1, 2, |o| o.time_in_force = TimeInForce::PostOnly)),
        ),
        ("a post-only buy rests", direct(a, o(Side::Buy, 98, 4, 3, |o| o.time_in_force = TimeInForce::PostOnly))),
        (
            "a fill-or-kill for more than the book is killed",
            direct(a, o(Side::Buy, 101, 50, 4, |o| o.time_in_force = TimeInForce::Fok)),
        ),
        (
            "a IOC buy 5 fills from the iceberg",
            direct(a, o(Side::Buy, 100, 5, 5, |o| o.time_in_force = TimeInForce::Ioc)),
        ),
        ("c buy stop at 101 waits", direct(c, o(Side::Buy, 103, 2, 2, |o| o.trigger_price = 101))),
        ("b sells 2 more at 101", direct(b, o(Side::Sell, 101, 2, 2, |_| {}))),
        ("b sells 3 at 103", direct(b, o(Side::Sell, 103, 3, 3, |_| {}))),
        ("a buys at 101: the stop fires and takes 103", direct(a, o(Side::Buy, 101, 3, 6, |_| {}))),
        (
            "b market sell down to 97",
            direct(
                b,
                o(Side::Sell, 97, 3, 4, |o| {
                    o.order_type = OrderType::Market;
                    o.time_in_force = TimeInForce::Ioc;
                }),
            ),
        ),
        (
            "b reduces nothing: unknown order",
            direct(b, Message::Replace(Replace { market: 1, order_nonce: 99, nonce: 5, price: 1, quantity: 1 })),
        ),
        ("a rests a buy at 95", direct(a, o(Side::Buy, 95, 5, 7, |_| {}))),
        ("c rests a buy at 95 behind it", direct(c, o(Side::Buy, 95, 5, 3, |_| {}))),
        (
            "a reduces to 2 keeping priority",
            direct(a, Message::Replace(Replace { market: 1, order_nonce: 7, nonce: 8, price: 95, quantity: 2 })),
        ),
        (
            "a moves to 96 losing it",
            direct(a, Message::Replace(Replace { market: 1, order_nonce: 7, nonce: 9, price: 96, quantity: 2 })),
        ),
        ("a self-trade, cancel taker", direct(a, o(Side::Sell, 96, 1, 10, |_| {}))),
        (
            "a self-trade, decrement both",
            direct(a, o(Side::Sell, 96, 1, 11, |o| o.stp = SelfTradePrevention::DecrementBoth)),
        ),
        (
            "a self-trade, cancel maker then fill c",
            direct(a, o(Side::Sell, 95, 2, 12, |o| o.stp = SelfTradePrevention::CancelMaker)),
        ),
        ("b sell expiring soon", direct(b, o(Side::Sell, 110, 1, 6, |o| o.expiry = T0 + 12 * 30))),
        ("c sell at 111", direct(c, o(Side::Sell, 111, 1, 4, |_| {}))),
        (
            "after expiry a buy removes it and fills c",
            at_time(T0 + 12 * 40, direct(a, o(Side::Buy, 111, 3, 13, |_| {}))),
        ),
        ("a cancels unknown", direct(a, Message::Cancel(clob_core::message::Cancel { market: 1, order_nonce: 1 }))),
        (
            "a cancel-all everywhere",
            at_time(T0 + 12 * 41, direct(a, Message::CancelAll(CancelAll { market: ALL_MARKETS, nonce: 14 }))),
        ),
        (
            "the same cancel-all again is stale",
            at_time(T0 + 12 * 42, direct(a, Message::CancelAll(CancelAll { market: ALL_MARKETS, nonce: 14 }))),
        ),
    ]);
    transition_vector(vec![m], scenario, BlobMap::new(), json!([]))
}

fn transition_risk() -> Value {
    let (a, b, c): (Address, Address, Address) = ([0xa1; 20], [0xb2; 20], [0xc3; 20]);
    let m = risk_market();
    let mut scenario: Vec<(&str, InboxEntry)> = Vec::new();
    for (name, trader) in [("fund a", a), ("fund b", b), ("fund c", c)] {
        scenario.push((name, deposit(trader, base_token(), 1_000_000 * m.base_lot)));
        scenario.push((name, deposit(trader, quote_token(), 1_000_000_000)));
    }
    let o = |price, side, quantity, nonce| order_with(2, side, price, quantity, nonce, |_| {});
    scenario.extend([
        ("below min size", direct(a, o(1_000, Side::Buy, 1, 1))),
        ("above max size", direct(a, o(1_000, Side::Buy, 1_001, 2))),
        ("b sells 100 at 1000", direct(b, o(1_000, Side::Sell, 100, 1))),
        ("a buys 100: maker and taker fees", direct(a, o(1_000, Side::Buy, 100, 3))),
        ("b rests 4 small sells", direct(b, o(1_001, Side::Sell, 2, 2))),
        ("b 2", direct(b, o(1_002, Side::Sell, 2, 3))),
        ("b 3", direct(b, o(1_003, Side::Sell, 2, 4))),
        ("b 4", direct(b, o(1_004, Side::Sell, 2, 5))),
        ("b 5th open order is refused", direct(b, o(1_005, Side::Sell, 2, 6))),
        ("a sweeps: fill cap 3", direct(a, o(1_010, Side::Buy, 8, 4))),
        ("b sells far above the band", direct(b, o(1_200, Side::Sell, 2, 7))),
        ("a buys through: breaker halts", direct(a, o(1_200, Side::Buy, 4, 5))),
        ("crossing while halted is refused", direct(c, o(1_300, Side::Buy, 2, 1))),
        ("resting while halted is fine", direct(c, o(900, Side::Buy, 2, 2))),
        ("after the halt it trades", at_time(T0 + 10_000, direct(c, o(1_300, Side::Buy, 2, 3)))),
        ("fee recipient withdraws its quote", at_time(T0 + 10_012, withdrawal(fee_recipient(), quote_token(), 100))),
        ("a withdraws too much", at_time(T0 + 10_024, withdrawal(a, base_token(), u128::from(u64::MAX)))),
        ("a withdraws zero", at_time(T0 + 10_036, withdrawal(a, base_token(), 0))),
        ("a withdraws base", at_time(T0 + 10_048, withdrawal(a, base_token(), 1_000))),
    ]);
    transition_vector(vec![m], scenario, BlobMap::new(), json!([]))
}

/// Aggregation inputs (PROTOCOL.md section 14) and what the aggregation program commits for
/// them, or the check that refuses them: cargo, pytest (binding) and forge (the Rollup's
/// encoding and ranges hash) replay them.
fn aggregation() -> Value {
    // Three chained ranges: each starts at the root, index and accumulator the last one ended at.
    let range = |k: u8, start: u64, end: u64| PublicValues {
        prev_state_root: keccak(&[b"root", &[k]]),
        new_state_root: keccak(&[b"root", &[k + 1]]),
        inbox_start: start,
        inbox_end: end,
        inbox_start_acc: if start == 0 { [0; 32] } else { keccak(&[b"acc", &[k]]) },
        inbox_end_acc: keccak(&[b"acc", &[k + 1]]),
        withdrawals_root: if k == 1 { keccak(&[b"withdrawals"]) } else { [0; 32] },
        blobs_hash: if k == 2 { keccak(&[b"blobs"]) } else { [0; 32] },
    };
    let chained = [range(0, 0, 2), range(1, 2, 3), range(2, 3, 40)].map(|values| values.encode());
    // SP1's digest words (below KoalaBear's modulus 0x7f000001), the last at its largest.
    let words: [u32; 8] = [0x0012_3456, 0x7eff_ffff, 0, 1, 0x4000_0000, 0x2b2b_2b2b, 0x0102_0304, 0x7f00_0000];
    let mut other_root = range(1, 2, 3);
    other_root.prev_state_root = keccak(&[b"elsewhere"]);
    let mut gap = range(1, 2, 3);
    gap.inbox_start = 1;
    let mut other_acc = range(1, 2, 3);
    other_acc.inbox_start_acc = [0xac; 32];
    let empty = range(1, 2, 2).encode();
    let mut outside_field = words;
    outside_field[3] = 0x7f00_0001;
    let (first, second, third) = (&chained[0][..], &chained[1][..], &chained[2][..]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("one range", encode_input(&words, &[first])),
        ("three chained ranges", encode_input(&words, &[first, second, third])),
        ("a later range from another root", encode_input(&words, &[first, &other_root.encode()])),
        ("a later range from another index", encode_input(&words, &[first, &gap.encode()])),
        ("a later range from another accumulator", encode_input(&words, &[first, &other_acc.encode()])),
        ("an empty range", encode_input(&words, &[first, &empty])),
        ("a digest word outside the field", encode_input(&outside_field, &[first])),
        ("no range", encode_input(&words, &[])),
        ("a truncated range", encode_input(&words, &[first])[..255 + 32].to_vec()),
    ];
    let cases: Vec<Value> = cases
        .into_iter()
        .map(|(name, input)| {
            let ranges: Vec<String> = input[32..].chunks(256).map(hex0x).collect();
            let mut case = json!({ "name": name, "input": hex0x(&input), "range_vkey_words": hex0x(&input[..32.min(input.len())]), "ranges": ranges });
            match aggregate(&input) {
                Ok(aggregate) => {
                    let h = aggregate.header;
                    case["header"] = json!({
                        "range_vkey": hex0x(h.range_vkey),
                        "prev_state_root": hex0x(h.prev_state_root),
                        "new_state_root": hex0x(h.new_state_root),
                        "inbox_start": h.inbox_start,
                        "inbox_end": h.inbox_end,
                        "inbox_start_acc": hex0x(h.inbox_start_acc),
                        "inbox_end_acc": hex0x(h.inbox_end_acc),
                        "range_count": h.range_count,
                        "ranges_hash": hex0x(h.ranges_hash),
                    });
                    case["encoded"] = json!(hex0x(h.encode()));
                }
                Err(error) => case["error"] = json!(format!("{error:?}")),
            }
            case
        })
        .collect();
    json!({ "comment": "aggregation inputs and the header the aggregation program commits (PROTOCOL.md section 14)", "cases": cases })
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: gen_vectors <output dir>");
    let write = |name: &str, value: Value| {
        std::fs::write(Path::new(&dir).join(name), serde_json::to_string_pretty(&value).unwrap() + "\n").unwrap();
    };
    write("messages.json", messages());
    write("blob_batch.json", blob_batch());
    write("transition_basic.json", transition_basic());
    write("transition_orders.json", transition_orders());
    write("transition_risk.json", transition_risk());
    write("state_tree.json", state_tree());
    write("aggregation.json", aggregation());
}
