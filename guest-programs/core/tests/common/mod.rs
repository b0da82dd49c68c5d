//! Builders shared by the tests and the vector generator: keys, signed envelopes, entries,
//! and the JSON shape of events (the same shape the Python bindings return).
#![allow(dead_code)]

use clob_core::events::{Event, EventKind};
use clob_core::inbox::{InboxEntry, KIND_DEPOSIT, KIND_DIRECT, KIND_SIGNED};
use clob_core::keccak::keccak;
use clob_core::message::{Cancel, Envelope, Message, Order, Side};
use clob_core::state::{GenesisConfig, Market, State};
use clob_core::{eip712, Address};
use k256::ecdsa::SigningKey;
use serde_json::{json, Value};

pub const CHAIN_ID: u64 = 31337;
/// Anvil's default accounts 0 and 1.
pub const ALICE_KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
pub const BOB_KEY: &str = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

pub fn addr(hex_str: &str) -> Address {
    hex::decode(hex_str.trim_start_matches("0x")).unwrap().try_into().unwrap()
}

pub fn hex0x(bytes: impl AsRef<[u8]>) -> String {
    format!("0x{}", hex::encode(bytes))
}

pub fn unhex(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().unwrap().trim_start_matches("0x")).unwrap()
}

pub fn inbox() -> Address {
    addr("0x5fbdb2315678afecb367f032d93f642f64180aa3")
}

pub fn vault() -> Address {
    addr("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512")
}

pub fn base_token() -> Address {
    [0xb0; 20]
}

pub fn quote_token() -> Address {
    [0xc0; 20]
}

pub fn market() -> Market {
    Market {
        id: 1,
        base: base_token(),
        quote: quote_token(),
        base_lot: 1_000_000_000_000_000,
        quote_tick: 1_000_000_000_000,
    }
}

pub fn genesis_config() -> GenesisConfig {
    GenesisConfig { chain_id: CHAIN_ID, inbox: inbox(), vault: vault() }
}

pub fn genesis() -> State {
    State::genesis(genesis_config(), vec![market()]).unwrap()
}

pub fn key(hex_key: &str) -> SigningKey {
    SigningKey::from_slice(&hex::decode(hex_key).unwrap()).unwrap()
}

pub fn address_of(key: &SigningKey) -> Address {
    let point = key.verifying_key().to_encoded_point(false);
    keccak(&[&point.as_bytes()[1..]])[12..].try_into().unwrap()
}

/// A 65-byte `r ‖ s ‖ v` signature (v = 27 or 28) over `digest`.
pub fn sign_digest(key: &SigningKey, digest: &[u8; 32]) -> [u8; 65] {
    let (signature, recovery) = key.sign_prehash_recoverable(digest).unwrap();
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&signature.to_bytes());
    out[64] = 27 + recovery.to_byte();
    out
}

/// `message` signed by `signer` on behalf of `trader` (normally the signer itself).
pub fn envelope(signer: &SigningKey, trader: Address, message: Message) -> Envelope {
    let digest = eip712::digest(CHAIN_ID, &inbox(), &trader, &message);
    Envelope { trader, message, signature: sign_digest(signer, &digest) }
}

pub fn signed(signer: &SigningKey, message: Message) -> Vec<u8> {
    envelope(signer, address_of(signer), message).encode()
}

pub fn order(side: Side, price: u64, quantity: u64, nonce: u64) -> Message {
    Message::Order(Order { market: 1, side, price, quantity, nonce, expiry: 0 })
}

pub fn cancel(order_nonce: u64) -> Message {
    Message::Cancel(Cancel { market: 1, order_nonce })
}

pub const T0: u64 = 1_700_000_000;

pub fn entry(kind: u8, sender: Address, payload: Vec<u8>) -> InboxEntry {
    InboxEntry { kind, sender, l1_block: 100, l1_timestamp: T0, payload }
}

pub fn direct(sender: Address, message: Message) -> InboxEntry {
    entry(KIND_DIRECT, sender, message.encode())
}

pub fn relay(envelope_bytes: Vec<u8>) -> InboxEntry {
    entry(KIND_SIGNED, [0x99; 20], envelope_bytes)
}

pub fn deposit_payload(trader: Address, token: Address, amount: u128) -> Vec<u8> {
    let mut payload = Vec::with_capacity(72);
    payload.extend_from_slice(&trader);
    payload.extend_from_slice(&token);
    payload.extend_from_slice(&[0; 16]);
    payload.extend_from_slice(&amount.to_be_bytes());
    payload
}

pub fn deposit(trader: Address, token: Address, amount: u128) -> InboxEntry {
    entry(KIND_DEPOSIT, vault(), deposit_payload(trader, token, amount))
}

/// An event as a JSON object: `index`, `position` (blob batch messages only), `type`, fields.
pub fn event_json(event: &Event) -> Value {
    let mut value = match &event.kind {
        EventKind::Deposit { trader, token, amount } => {
            json!({"type": "deposit", "trader": hex0x(trader), "token": hex0x(token), "amount": amount})
        }
        EventKind::Accepted { trader, market, side, price, quantity, nonce } => json!({
            "type": "accepted", "trader": hex0x(trader), "market": market, "side": side.name(),
            "price": price, "quantity": quantity, "nonce": nonce,
        }),
        EventKind::Fill { market, maker, maker_nonce, taker, taker_nonce, price, quantity, taker_side } => json!({
            "type": "fill", "market": market, "maker": hex0x(maker), "maker_nonce": maker_nonce,
            "taker": hex0x(taker), "taker_nonce": taker_nonce, "price": price, "quantity": quantity,
            "taker_side": taker_side.name(),
        }),
        EventKind::Cancelled { trader, market, nonce, remaining } => json!({
            "type": "cancelled", "trader": hex0x(trader), "market": market, "nonce": nonce, "remaining": remaining,
        }),
        EventKind::Rejected { reason } => json!({"type": "rejected", "reason": reason.name(), "code": reason.code()}),
        EventKind::Batch { messages } => json!({"type": "batch", "messages": messages}),
    };
    value["index"] = json!(event.index);
    if let Some(position) = event.position {
        value["position"] = json!(position);
    }
    value
}
