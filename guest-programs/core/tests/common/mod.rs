//! Builders shared by the tests and the vector generator: keys, signed envelopes, entries,
//! and the JSON shape of events (the same shape the Python bindings return).
#![allow(dead_code)]

use std::collections::BTreeMap;

use clob_core::events::{Event, EventKind};
use clob_core::guest::GuestInput;
use clob_core::inbox::{InboxEntry, KIND_DEPOSIT, KIND_DIRECT, KIND_SIGNED, KIND_WITHDRAWAL};
use clob_core::keccak::keccak;
use clob_core::ledger::{LeafValue, Ledger};
use clob_core::message::{Cancel, Envelope, Message, Order, Side};
use clob_core::state::StateKey;
use clob_core::state::{GenesisConfig, Market, State};
use clob_core::transition::{apply_entries, BlobMap};
use clob_core::Hash;
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
    Market::simple(1, base_token(), quote_token(), 1_000_000_000_000_000, 1_000_000_000_000)
}

pub fn fee_recipient() -> Address {
    [0xfe; 20]
}

/// Market 2: fees (maker 10 bps, taker 25 bps), min size 2, max size 1000, a 10% band over an
/// hour with a 10-minute halt, 4 open orders per trader, 3 fills per order.
pub fn risk_market() -> Market {
    Market {
        min_size: 2,
        max_size: 1_000,
        maker_fee_bps: 10,
        taker_fee_bps: 25,
        fee_recipient: fee_recipient(),
        band_bps: 1_000,
        band_window: 3_600,
        halt_seconds: 600,
        max_open_orders: 4,
        max_fills: 3,
        ..Market::simple(2, base_token(), quote_token(), 1_000, 1)
    }
}

/// A market as the vectors (and the Python bindings) write it.
pub fn market_json(m: &Market) -> Value {
    json!({
        "id": m.id, "base": hex0x(m.base), "quote": hex0x(m.quote), "base_lot": m.base_lot, "quote_tick": m.quote_tick,
        "min_size": m.min_size, "max_size": m.max_size, "maker_fee_bps": m.maker_fee_bps,
        "taker_fee_bps": m.taker_fee_bps, "fee_recipient": hex0x(m.fee_recipient), "band_bps": m.band_bps,
        "band_window": m.band_window, "halt_seconds": m.halt_seconds, "max_open_orders": m.max_open_orders,
        "max_fills": m.max_fills,
    })
}

pub fn market_from_json(m: &Value) -> Market {
    let uint = |key: &str| m[key].to_string().parse::<u128>().unwrap();
    let address = |key: &str| -> Address { unhex(&m[key]).try_into().unwrap() };
    Market {
        id: uint("id") as u32,
        base: address("base"),
        quote: address("quote"),
        base_lot: uint("base_lot"),
        quote_tick: uint("quote_tick"),
        min_size: uint("min_size") as u64,
        max_size: uint("max_size") as u64,
        maker_fee_bps: uint("maker_fee_bps") as u16,
        taker_fee_bps: uint("taker_fee_bps") as u16,
        fee_recipient: address("fee_recipient"),
        band_bps: uint("band_bps") as u16,
        band_window: uint("band_window") as u64,
        halt_seconds: uint("halt_seconds") as u64,
        max_open_orders: uint("max_open_orders") as u32,
        max_fills: uint("max_fills") as u32,
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
    Message::Order(Order::limit(1, side, price, quantity, nonce))
}

/// A limit GTC order changed by `change`.
pub fn order_with(
    market: u32,
    side: Side,
    price: u64,
    quantity: u64,
    nonce: u64,
    change: impl FnOnce(&mut Order),
) -> Message {
    let mut order = Order::limit(market, side, price, quantity, nonce);
    change(&mut order);
    Message::Order(order)
}

pub fn withdrawal(trader: Address, token: Address, amount: u128) -> InboxEntry {
    let mut payload = token.to_vec();
    payload.extend_from_slice(&[0; 16]);
    payload.extend_from_slice(&amount.to_be_bytes());
    entry(KIND_WITHDRAWAL, trader, payload)
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
        EventKind::Withdrawal { trader, token, amount } => {
            json!({"type": "withdrawal", "trader": hex0x(trader), "token": hex0x(token), "amount": amount})
        }
        EventKind::Accepted { trader, order: o } => json!({
            "type": "accepted", "trader": hex0x(trader), "market": o.market, "side": o.side.name(),
            "order_type": o.order_type.name(), "time_in_force": o.time_in_force.name(), "stp": o.stp.name(),
            "price": o.price, "quantity": o.quantity, "trigger_price": o.trigger_price,
            "display_quantity": o.display_quantity, "nonce": o.nonce, "expiry": o.expiry,
            "client_order_id": o.client_order_id,
        }),
        EventKind::Triggered { trader, market, nonce, client_order_id, last_price } => json!({
            "type": "triggered", "trader": hex0x(trader), "market": market, "nonce": nonce,
            "client_order_id": client_order_id, "last_price": last_price,
        }),
        EventKind::Fill {
            market,
            maker,
            maker_nonce,
            maker_client_order_id,
            taker,
            taker_nonce,
            taker_client_order_id,
            price,
            quantity,
            taker_side,
            maker_fee,
            taker_fee,
        } => json!({
            "type": "fill", "market": market, "maker": hex0x(maker), "maker_nonce": maker_nonce,
            "maker_client_order_id": maker_client_order_id, "taker": hex0x(taker), "taker_nonce": taker_nonce,
            "taker_client_order_id": taker_client_order_id, "price": price, "quantity": quantity,
            "taker_side": taker_side.name(), "maker_fee": maker_fee, "taker_fee": taker_fee,
        }),
        EventKind::Cancelled { trader, market, nonce, client_order_id, remaining, reason } => json!({
            "type": "cancelled", "trader": hex0x(trader), "market": market, "nonce": nonce,
            "client_order_id": client_order_id, "remaining": remaining,
            "reason": reason.name(), "code": reason.code(),
        }),
        EventKind::Reduced { trader, market, nonce, client_order_id, quantity } => json!({
            "type": "reduced", "trader": hex0x(trader), "market": market, "nonce": nonce,
            "client_order_id": client_order_id, "quantity": quantity,
        }),
        EventKind::SelfTrade {
            market,
            trader,
            maker_nonce,
            maker_client_order_id,
            taker_nonce,
            taker_client_order_id,
            quantity,
        } => json!({
            "type": "self_trade", "market": market, "trader": hex0x(trader), "maker_nonce": maker_nonce,
            "maker_client_order_id": maker_client_order_id, "taker_nonce": taker_nonce,
            "taker_client_order_id": taker_client_order_id, "quantity": quantity,
        }),
        EventKind::CancelledAll { trader, market, count } => json!({
            "type": "cancelled_all", "trader": hex0x(trader), "market": market, "count": count,
        }),
        EventKind::Halted { market, price, reference_price, until } => json!({
            "type": "halted", "market": market, "price": price, "reference_price": reference_price, "until": until,
        }),
        EventKind::Rejected { reason, subject } => {
            let mut value = json!({"type": "rejected", "reason": reason.name(), "code": reason.code()});
            if let Some(s) = subject {
                value["trader"] = json!(hex0x(s.trader));
                value["message"] = json!(s.message_name());
                value["market"] = json!(s.market);
                value["nonce"] = json!(s.nonce);
                value["client_order_id"] = json!(s.client_order_id);
            }
            value
        }
        EventKind::Batch { messages } => json!({"type": "batch", "messages": messages}),
    };
    value["index"] = json!(event.index);
    if let Some(position) = event.position {
        value["position"] = json!(position);
    }
    value
}

/// One block of a `Chain`: its entries, the keys it reached, the root after it, the records after it.
pub type ChainBlock = (Vec<InboxEntry>, Vec<StateKey>, Hash, BTreeMap<StateKey, Vec<u8>>);

/// A node's history in miniature: a ledger advanced block by block, with what each block
/// reached and the records after it, so that any range of blocks can be proven statelessly.
pub struct Chain {
    pub ledger: Ledger,
    pub blocks: Vec<ChainBlock>,
    pub genesis: (Hash, BTreeMap<StateKey, Vec<u8>>),
    pub blobs: BlobMap,
}

impl Chain {
    pub fn new(state: State) -> Chain {
        let ledger = Ledger::over(state);
        let genesis = (ledger.root(), ledger.state.records().into_iter().collect());
        Chain { ledger, blocks: Vec::new(), genesis, blobs: BlobMap::new() }
    }

    pub fn apply_block(&mut self, entries: &[InboxEntry]) -> Vec<Event> {
        let events = apply_entries(&mut self.ledger.state, entries, &self.blobs).unwrap();
        let commit = self.ledger.commit();
        let records = self.ledger.state.records().into_iter().collect();
        self.blocks.push((entries.to_vec(), commit.accessed, commit.root, records));
        events
    }

    /// Root and records after `blocks` blocks (0: genesis).
    pub fn at(&self, blocks: usize) -> (Hash, &BTreeMap<StateKey, Vec<u8>>) {
        match blocks {
            0 => (self.genesis.0, &self.genesis.1),
            n => (self.blocks[n - 1].2, &self.blocks[n - 1].3),
        }
    }

    /// The values that differ between the records after `blocks` blocks and now, as they were
    /// then (what a node reads from its journal).
    pub fn changed_since(&self, blocks: usize) -> Vec<LeafValue> {
        let (_, then) = self.at(blocks);
        let now = self.ledger.state.records().into_iter().collect::<BTreeMap<_, _>>();
        let mut keys: Vec<&StateKey> = then.keys().chain(now.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter().filter(|key| then.get(key) != now.get(key)).map(|key| (*key, then.get(key).cloned())).collect()
    }

    /// The guest input proving blocks `[start, end)`, with the keys the witness must cover
    /// (`drop` of them left out, to test an incomplete witness).
    pub fn guest_input(&self, start: usize, end: usize, drop: Option<StateKey>) -> GuestInput {
        let keys: Vec<StateKey> = self.blocks[start..end].iter().flat_map(|b| b.1.iter().copied()).collect();
        let mut witness = self.ledger.witness(&keys, &self.changed_since(start), &self.changed_since(end)).unwrap();
        if let Some(key) = drop {
            witness = without(&witness, &key);
        }
        let entries: Vec<InboxEntry> = self.blocks[start..end].iter().flat_map(|b| b.0.iter().cloned()).collect();
        GuestInput { witness, entries, blobs: self.blobs.clone(), seed: 0xfeed }
    }
}

/// `witness` as a prover that left `key` out would write it: its record (or absence) gone,
/// its leaf (if any) written as a plain leaf of path and value hash.
pub fn without(witness: &[u8], key: &StateKey) -> Vec<u8> {
    let parsed = clob_core::witness::parse(witness).unwrap();
    let mut out = Vec::new();
    let kept: Vec<_> = parsed.records.iter().filter(|r| r.key != *key).collect();
    out.extend_from_slice(&(kept.len() as u32).to_be_bytes());
    for record in &kept {
        out.push(record.key_bytes.len() as u8);
        out.extend_from_slice(record.key_bytes);
        out.extend_from_slice(&(record.value.len() as u16).to_be_bytes());
        out.extend_from_slice(record.value);
    }
    let absent: Vec<_> = parsed.absent.iter().filter(|(k, _)| k != key).collect();
    out.extend_from_slice(&(absent.len() as u32).to_be_bytes());
    for (_, bytes) in &absent {
        out.push(bytes.len() as u8);
        out.extend_from_slice(bytes);
    }
    // Walk the pre-order tree; the dropped record's leaf is the n-th record leaf.
    let dropped = parsed.records.iter().position(|r| r.key == *key);
    let (mut at, mut records) = (0usize, 0usize);
    let tree = parsed.tree;
    while at < tree.len() {
        let tag = tree[at];
        match tag {
            0x00 | 0x02 => {
                out.push(tag);
                at += 1;
            }
            0x01 => {
                out.extend_from_slice(&tree[at..at + 33]);
                at += 33;
            }
            0x03 => {
                out.extend_from_slice(&tree[at..at + 65]);
                at += 65;
            }
            _ => {
                if Some(records) == dropped {
                    let record = &parsed.records[records];
                    out.push(0x03);
                    out.extend_from_slice(&keccak(&[record.key_bytes]));
                    out.extend_from_slice(&keccak(&[record.value]));
                } else {
                    out.push(tag);
                }
                records += 1;
                at += 1;
            }
        }
    }
    out
}

impl Chain {}
