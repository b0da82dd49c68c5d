//! Writes the committed seed corpus of the `decoders` fuzz target (guest-programs/fuzz/seeds/):
//! valid messages, runs of messages, signed envelopes, blob batches (v1, v2) and a guest input,
//! each encoded by clob-core itself. Every seed is put through the target's check first.
//!
//!     cd guest-programs/fuzz && cargo run --release --example gen_seeds

use clob_core::blob_batch::{encode_batch, encode_messages};
use clob_core::eip712;
use clob_core::guest::GuestInput;
use clob_core::inbox::{InboxEntry, KIND_DIRECT, KIND_SIGNED};
use clob_core::keccak::keccak;
use clob_core::message::{
    Cancel, CancelAll, Envelope, Message, Order, OrderType, Replace, SelfTradePrevention, Side, TimeInForce,
};
use clob_core::transition::BlobMap;
use clob_core::Address;
use clob_fuzz::{start_ledger, ALICE, BOB, CHAIN_ID, INBOX, T0};
use k256::ecdsa::SigningKey;

const ALICE_KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const BOB_KEY: &str = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

fn key(hex_key: &str) -> SigningKey {
    let bytes: Vec<u8> =
        (0..hex_key.len()).step_by(2).map(|i| u8::from_str_radix(&hex_key[i..i + 2], 16).unwrap()).collect();
    SigningKey::from_slice(&bytes).unwrap()
}

fn address_of(key: &SigningKey) -> Address {
    let point = key.verifying_key().to_encoded_point(false);
    keccak(&[&point.as_bytes()[1..]])[12..].try_into().unwrap()
}

/// `message` signed by `key` for its own address: `trader ‖ message ‖ r ‖ s ‖ v`.
fn signed(key: &SigningKey, message: Message) -> Vec<u8> {
    let trader = address_of(key);
    let digest = eip712::digest(CHAIN_ID, &INBOX, &trader, &message);
    let (signature, recovery) = key.sign_prehash_recoverable(&digest).unwrap();
    let mut bytes = [0u8; 65];
    bytes[..64].copy_from_slice(&signature.to_bytes());
    bytes[64] = 27 + recovery.to_byte();
    Envelope { trader, message, signature: bytes }.encode()
}

fn order(market: u32, side: Side, price: u64, quantity: u64, nonce: u64) -> Order {
    Order::limit(market, side, price, quantity, nonce)
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/seeds").to_string());
    let (alice, bob) = (key(ALICE_KEY), key(BOB_KEY));
    assert_eq!((address_of(&alice), address_of(&bob)), (ALICE, BOB));

    // Alice's messages (Bob rests bids at 98 / 990 and asks at 102, 103 / 1010; nonces 1..=6).
    let buy = Message::Order(order(1, Side::Buy, 102, 3, 1));
    let iceberg = Message::Order(Order {
        time_in_force: TimeInForce::PostOnly,
        display_quantity: 1,
        client_order_id: 0x0a0b,
        ..order(1, Side::Sell, 104, 4, 2)
    });
    let stop = Message::Order(Order {
        order_type: OrderType::Market,
        time_in_force: TimeInForce::Ioc,
        trigger_price: 101,
        ..order(1, Side::Buy, 110, 2, 3)
    });
    let risky = Message::Order(Order {
        stp: SelfTradePrevention::DecrementBoth,
        expiry: T0 + 60,
        ..order(2, Side::Sell, 985, 12, 4)
    });
    let cancel = Message::Cancel(Cancel { market: 1, order_nonce: 2 });
    let cancel_all = Message::CancelAll(CancelAll { market: 2, nonce: 6 });
    let replace = Message::Replace(Replace { market: 1, order_nonce: 2, nonce: 5, price: 105, quantity: 2 });

    let mut seeds: Vec<(&str, Vec<u8>)> = vec![
        ("order_buy_crossing", buy.encode()),
        ("order_iceberg_post_only", iceberg.encode()),
        ("order_stop_market", stop.encode()),
        ("order_risk_market", risky.encode()),
        ("cancel", cancel.encode()),
        ("cancel_all", cancel_all.encode()),
        ("replace", replace.encode()),
    ];
    // Runs of messages, Alice and Bob in turn.
    let bob_sell = Message::Order(order(1, Side::Sell, 99, 2, 7));
    let bob_cancel = Message::Cancel(Cancel { market: 1, order_nonce: 2 });
    seeds.push((
        "run_trade_and_cancel",
        [iceberg, bob_sell, replace, bob_cancel, buy].iter().flat_map(Message::encode).collect(),
    ));
    seeds.push((
        "run_risk_market",
        [risky, Message::Order(order(2, Side::Buy, 1_050, 20, 7)), cancel_all]
            .iter()
            .flat_map(Message::encode)
            .collect(),
    ));
    // Signed envelopes, alone and in blob batches.
    let envelopes = vec![signed(&alice, buy), signed(&bob, bob_sell), signed(&alice, iceberg)];
    seeds.push(("envelope_order", envelopes[0].clone()));
    seeds.push(("envelope_cancel_all", signed(&alice, cancel_all)));
    seeds.push(("batch_v2", encode_batch(&envelopes).unwrap()));
    let many: Vec<Vec<u8>> =
        (0..12).map(|n| signed(&alice, Message::Order(order(1, Side::Buy, 90, 1, 10 + n)))).collect();
    seeds.push(("batch_v2_deflate", encode_batch(&many).unwrap()));
    seeds.push(("batch_v1", [&[0x01][..], &encode_messages(&envelopes).unwrap()].concat()));
    // A guest input: a few entries proven from the start state, as the node writes it.
    let entries = vec![
        InboxEntry { kind: KIND_DIRECT, sender: ALICE, l1_block: 200, l1_timestamp: T0 + 5, payload: buy.encode() },
        InboxEntry {
            kind: KIND_SIGNED,
            sender: [0x99; 20],
            l1_block: 201,
            l1_timestamp: T0 + 6,
            payload: envelopes[1].clone(),
        },
    ];
    let mut ledger = start_ledger().clone();
    clob_core::transition::apply_entries(&mut ledger.state, &entries, &BlobMap::new()).unwrap();
    let commit = ledger.commit();
    let before: Vec<_> = commit.changed.iter().map(|(key, _)| (*key, start_ledger().state.record_bytes(key))).collect();
    let witness = ledger.witness(&commit.accessed, &before, &[]).unwrap();
    seeds.push(("guest_input", GuestInput { witness, entries, blobs: BlobMap::new(), seed: 1 }.encode()));
    // Extreme values: 40 orders at 2^62 ticks for 2^62 lots in the one-atom market, Alice and
    // Bob taking each other's in turn: past 2^128 of quote volume within the hour.
    let big = 1u64 << 62;
    let extreme: Vec<Message> = (0..40u64)
        .map(|i| {
            let side = if i % 4 == 0 || i % 4 == 3 { Side::Sell } else { Side::Buy };
            Message::Order(order(3, side, big, big, 100 + i))
        })
        .collect();
    seeds.push(("run_extreme_volume", extreme.iter().flat_map(Message::encode).collect()));
    seeds.push((
        "run_extreme_fields",
        [
            Message::Order(order(3, Side::Sell, u64::MAX, u64::MAX, u64::MAX - 1)),
            Message::Order(order(3, Side::Buy, u64::MAX, 1, u64::MAX)),
            Message::Order(Order {
                display_quantity: u64::MAX,
                expiry: u64::MAX,
                ..order(3, Side::Sell, 1, u64::MAX, 9)
            }),
            Message::CancelAll(CancelAll { market: u32::MAX, nonce: u64::MAX }),
        ]
        .iter()
        .flat_map(Message::encode)
        .collect(),
    ));

    std::fs::create_dir_all(&out).unwrap();
    for (name, bytes) in &seeds {
        clob_fuzz::check(bytes);
        std::fs::write(format!("{out}/{name}.bin"), bytes).unwrap();
        println!("{name}: {} bytes", bytes.len());
    }
}
