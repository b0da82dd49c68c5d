//! Replays the golden vectors in tests/vectors/ (shared with pytest and forge).

mod common;

use std::path::Path;

use clob_core::blob_batch::{decode_blobs, encode_blobs};
use clob_core::guest::{execute, GuestInput};
use clob_core::inbox::{entry_hash, next_acc, InboxEntry};
use clob_core::keccak::keccak;
use clob_core::ledger::Ledger;
use clob_core::message::{Envelope, Message};
use clob_core::public_values::PublicValues;
use clob_core::smt;
use clob_core::state::{GenesisConfig, State};
use clob_core::state::{Record, StateKey};
use clob_core::{eip712, Address, Hash};
use common::*;
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/");

/// The vector file, or `None` (with a note) while another component has not written it yet.
fn load(name: &str) -> Option<Value> {
    let path = Path::new(VECTORS).join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(_) => {
            eprintln!("note: {} is missing; skipping its replay", path.display());
            None
        }
    }
}

fn hash(value: &Value) -> Hash {
    unhex(value).try_into().unwrap()
}

fn address(value: &Value) -> Address {
    unhex(value).try_into().unwrap()
}

fn uint<T: std::str::FromStr>(value: &Value) -> T
where
    T::Err: std::fmt::Debug,
{
    value.to_string().parse().unwrap()
}

#[test]
fn messages_encode_digest_and_recover_as_recorded() {
    let vectors = load("messages.json").expect("messages.json is owned by the core");
    for case in vectors["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let chain_id: u64 = uint(&case["chain_id"]);
        let inbox = address(&case["inbox"]);
        let trader = address(&case["trader"]);
        assert_eq!(address_of(&key(case["private_key"].as_str().unwrap().trim_start_matches("0x"))), trader, "{name}");
        let message = Message::decode(&unhex(&case["message_hex"])).unwrap();
        assert_eq!(message.encode(), unhex(&case["message_hex"]), "{name}");
        assert_eq!(eip712::digest(chain_id, &inbox, &trader, &message), hash(&case["digest"]), "{name}");
        let envelope = Envelope::decode(&unhex(&case["envelope_hex"])).unwrap();
        assert_eq!((envelope.trader, envelope.message), (trader, message), "{name}");
        assert_eq!(envelope.signature.to_vec(), unhex(&case["signature"]), "{name}");
        assert_eq!(eip712::envelope_signer(chain_id, &inbox, &envelope), Some(trader), "{name}");
    }
}

#[test]
fn blob_batches_pack_as_recorded() {
    let vectors = load("blob_batch.json").expect("blob_batch.json is owned by the core");
    for case in vectors["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let envelopes: Vec<Vec<u8>> = case["envelopes"].as_array().unwrap().iter().map(unhex).collect();
        let repeat: usize = uint(&case["repeat"]);
        let all: Vec<Vec<u8>> = envelopes.iter().cloned().cycle().take(envelopes.len() * repeat).collect();
        let blobs = encode_blobs(&all).unwrap();
        assert_eq!(blobs.len(), uint::<usize>(&case["blobs"]), "{name}");
        let keccaks: Vec<Hash> = case["blob_keccaks"].as_array().unwrap().iter().map(hash).collect();
        assert_eq!(blobs.iter().map(|blob| keccak(&[blob])).collect::<Vec<_>>(), keccaks, "{name}");
        assert_eq!(blobs[0][..96].to_vec(), unhex(&case["first_96"]), "{name}");
        assert_eq!(decode_blobs(&blobs), Some(all), "{name}");
    }
}

fn vector_genesis(genesis: &Value) -> State {
    let config = GenesisConfig {
        chain_id: uint(&genesis["chain_id"]),
        inbox: address(&genesis["inbox"]),
        vault: address(&genesis["vault"]),
    };
    let markets = genesis["markets"].as_array().unwrap().iter().map(market_from_json).collect();
    State::genesis(config, markets).unwrap()
}

fn vector_entry(entry: &Value) -> InboxEntry {
    InboxEntry {
        kind: uint(&entry["kind"]),
        sender: address(&entry["sender"]),
        l1_block: uint(&entry["l1_block"]),
        l1_timestamp: uint(&entry["l1_timestamp"]),
        payload: unhex(&entry["payload"]),
    }
}

#[test]
fn transition_basic_replays_events_roots_and_public_values() {
    replay_transition("transition_basic.json");
}

#[test]
fn transition_orders_replays_order_types_and_self_trade_prevention() {
    replay_transition("transition_orders.json");
}

#[test]
fn transition_risk_replays_fees_risk_controls_and_withdrawals() {
    replay_transition("transition_risk.json");
}

fn replay_transition(name: &str) {
    let vectors = load(name).unwrap_or_else(|| panic!("{name} is owned by the core"));
    let mut chain = Chain::new(vector_genesis(&vectors["genesis"]));
    assert_eq!(chain.ledger.root(), hash(&vectors["genesis"]["state_root"]));
    for blob in vectors["blobs"].as_array().unwrap() {
        let envelopes: Vec<Vec<u8>> = blob["envelopes"].as_array().unwrap().iter().map(unhex).collect();
        let packed = encode_blobs(&envelopes).unwrap();
        assert_eq!(packed.len(), 1);
        chain.blobs.insert(hash(&blob["versioned_hash"]), packed.into_iter().next().unwrap());
    }
    let mut entries = Vec::new();
    for recorded in vectors["entries"].as_array().unwrap() {
        let name = recorded["name"].as_str().unwrap();
        assert_eq!(uint::<u64>(&recorded["index"]), chain.ledger.state.inbox_position().0, "{name}");
        let entry = vector_entry(recorded);
        let events = chain.apply_block(std::slice::from_ref(&entry));
        let events: Vec<Value> = events.iter().map(event_json).collect();
        assert_eq!(&Value::from(events), &recorded["events"], "{name}");
        assert_eq!(chain.ledger.root(), hash(&recorded["state_root"]), "{name}");
        assert_eq!(chain.ledger.state.inbox_position().1, hash(&recorded["acc"]), "{name}");
        entries.push(entry);
    }
    let built = chain.guest_input(0, chain.blocks.len(), None);
    assert_eq!(built.witness, unhex(&vectors["witness"]), "the witness is a function of the range");
    let input = GuestInput { witness: unhex(&vectors["witness"]), entries, blobs: chain.blobs.clone(), seed: 3 };
    assert_eq!(execute(&input.encode()).unwrap().to_vec(), unhex(&vectors["public_values"]));
}

#[test]
fn state_tree_leaves_paths_and_balance_branches_are_as_recorded() {
    let vectors = load("state_tree.json").expect("state_tree.json is owned by the core");
    let mut leaves = Vec::new();
    for leaf in vectors["leaves"].as_array().unwrap() {
        let key = StateKey::decode(&unhex(&leaf["key"])).unwrap();
        assert_eq!(key.encode(), unhex(&leaf["key"]));
        let value = unhex(&leaf["value"]);
        let path = hash(&leaf["path"]);
        assert_eq!(key.path(), path);
        assert_eq!(smt::leaf_hash(&path, &value), hash(&leaf["leaf"]));
        leaves.push((key, value));
    }
    let ledger = Ledger::restore(leaves, 5).unwrap();
    assert_eq!(ledger.root(), hash(&vectors["root"]));
    for case in vectors["balances"].as_array().unwrap() {
        let key = StateKey::decode(&unhex(&case["key"])).unwrap();
        let amount = |field: &str| case[field].as_str().unwrap().parse::<u128>().unwrap();
        let balance = clob_core::state::Balance { available: amount("available"), locked: amount("locked") };
        let siblings: Vec<Hash> = case["siblings"].as_array().unwrap().iter().map(hash).collect();
        let leaf = smt::leaf_hash(&key.path(), &balance.encode());
        assert_eq!(smt::root_from_branch(&key.path(), &leaf, &siblings), hash(&vectors["root"]));
    }
}

#[test]
fn inbox_entry_hashes_and_accumulators_match_the_l1_vectors() {
    let Some(vectors) = load("inbox_entries.json") else { return };
    let mut acc = [0u8; 32];
    for recorded in vectors["entries"].as_array().unwrap() {
        let entry = vector_entry(recorded);
        assert_eq!(keccak(&[&entry.payload]), hash(&recorded["payload_hash"]));
        let expected = entry_hash(entry.kind, &entry.sender, entry.l1_block, entry.l1_timestamp, &entry.payload);
        assert_eq!(entry.hash(), expected);
        assert_eq!(entry.hash(), hash(&recorded["entry_hash"]));
        acc = next_acc(&acc, &entry.hash());
        assert_eq!(acc, hash(&recorded["acc"]));
    }
}

#[test]
fn public_values_match_the_abi_vectors() {
    let Some(vectors) = load("public_values.json") else { return };
    for case in vectors["cases"].as_array().unwrap() {
        let values = PublicValues {
            prev_state_root: hash(&case["prev_state_root"]),
            new_state_root: hash(&case["new_state_root"]),
            inbox_start: uint(&case["inbox_start"]),
            inbox_end: uint(&case["inbox_end"]),
            inbox_start_acc: hash(&case["inbox_start_acc"]),
            inbox_end_acc: hash(&case["inbox_end_acc"]),
            withdrawals_root: hash(&case["withdrawals_root"]),
            blobs_hash: hash(&case["blobs_hash"]),
        };
        let encoded = unhex(&case["encoded"]);
        assert_eq!(values.encode().to_vec(), encoded);
        assert_eq!(PublicValues::decode(&encoded), Some(values));
    }
}

#[cfg(feature = "aggregate")]
#[test]
fn aggregation_replays_headers_and_refusals() {
    let vectors = load("aggregation.json").expect("aggregation.json is owned by the core");
    let cases = vectors["cases"].as_array().unwrap();
    assert!(
        cases.iter().any(|case| case.get("error").is_some()) && cases.iter().any(|case| case.get("encoded").is_some())
    );
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let input = unhex(&case["input"]);
        let outcome = clob_core::aggregate::aggregate(&input);
        match case.get("encoded") {
            Some(encoded) => {
                let aggregate = outcome.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                assert_eq!(aggregate.header.encode().to_vec(), unhex(encoded), "{name}");
                assert_eq!(aggregate.ranges.len() as u64, uint::<u64>(&case["header"]["range_count"]), "{name}");
            }
            None => assert_eq!(format!("{:?}", outcome.unwrap_err()), case["error"].as_str().unwrap(), "{name}"),
        }
    }
}
