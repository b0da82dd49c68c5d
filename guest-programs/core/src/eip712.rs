//! EIP-712 typed data of messages (PROTOCOL.md section 3) and signer recovery.

use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};

use crate::keccak::keccak;
use crate::message::{Envelope, Message, SIGNATURE_LEN};
use crate::{Address, Hash};

const DOMAIN_TYPE: &[u8] = b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
pub const ORDER_TYPE: &[u8] = b"Order(address trader,uint32 market,uint8 side,uint8 orderType,uint8 timeInForce,\
uint8 selfTradePrevention,uint64 price,uint64 quantity,uint64 triggerPrice,uint64 displayQuantity,uint64 nonce,\
uint64 expiry,uint64 clientOrderId)";
pub const CANCEL_TYPE: &[u8] = b"Cancel(address trader,uint32 market,uint64 orderNonce)";
pub const CANCEL_ALL_TYPE: &[u8] = b"CancelAll(address trader,uint32 market,uint64 nonce)";
pub const REPLACE_TYPE: &[u8] =
    b"Replace(address trader,uint32 market,uint64 orderNonce,uint64 nonce,uint64 price,uint64 quantity)";
const DOMAIN_NAME: &[u8] = b"clobnode";
const DOMAIN_VERSION: &[u8] = b"1";

/// secp256k1 order n / 2: signatures with a larger `s` are rejected (EIP-2).
const HALF_ORDER: Hash = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e,
    0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// An ABI word holding an unsigned integer.
fn word(value: u64) -> Hash {
    let mut out = [0u8; 32];
    out[24..].copy_from_slice(&value.to_be_bytes());
    out
}

/// An ABI word holding an address.
fn address_word(address: &Address) -> Hash {
    let mut out = [0u8; 32];
    out[12..].copy_from_slice(address);
    out
}

pub fn domain_separator(chain_id: u64, inbox: &Address) -> Hash {
    keccak(&[
        &keccak(&[DOMAIN_TYPE]),
        &keccak(&[DOMAIN_NAME]),
        &keccak(&[DOMAIN_VERSION]),
        &word(chain_id),
        &address_word(inbox),
    ])
}

pub fn struct_hash(trader: &Address, message: &Message) -> Hash {
    match message {
        Message::Order(order) => keccak(&[
            &keccak(&[ORDER_TYPE]),
            &address_word(trader),
            &word(order.market.into()),
            &word(order.side.to_byte().into()),
            &word(order.order_type.to_byte().into()),
            &word(order.time_in_force.to_byte().into()),
            &word(order.stp.to_byte().into()),
            &word(order.price),
            &word(order.quantity),
            &word(order.trigger_price),
            &word(order.display_quantity),
            &word(order.nonce),
            &word(order.expiry),
            &word(order.client_order_id),
        ]),
        Message::Cancel(cancel) => keccak(&[
            &keccak(&[CANCEL_TYPE]),
            &address_word(trader),
            &word(cancel.market.into()),
            &word(cancel.order_nonce),
        ]),
        Message::CancelAll(all) => keccak(&[
            &keccak(&[CANCEL_ALL_TYPE]),
            &address_word(trader),
            &word(all.market.into()),
            &word(all.nonce),
        ]),
        Message::Replace(replace) => keccak(&[
            &keccak(&[REPLACE_TYPE]),
            &address_word(trader),
            &word(replace.market.into()),
            &word(replace.order_nonce),
            &word(replace.nonce),
            &word(replace.price),
            &word(replace.quantity),
        ]),
    }
}

/// `keccak(0x1901 ‖ domainSeparator ‖ structHash)`: the hash a wallet signs.
pub fn digest(chain_id: u64, inbox: &Address, trader: &Address, message: &Message) -> Hash {
    keccak(&[&[0x19, 0x01], &domain_separator(chain_id, inbox), &struct_hash(trader, message)])
}

/// The address whose key produced `signature` over `digest`; `None` for an invalid signature,
/// a high `s`, or a `v` outside {0, 1, 27, 28}.
pub fn recover_signer(digest: &Hash, signature: &[u8; SIGNATURE_LEN]) -> Option<Address> {
    let (s, v) = (&signature[32..64], signature[64]);
    if s > &HALF_ORDER[..] {
        return None;
    }
    let recovery_id = match v {
        0 | 27 => RecoveryId::from_byte(0)?,
        1 | 28 => RecoveryId::from_byte(1)?,
        _ => return None,
    };
    let signature = Signature::from_slice(&signature[..64]).ok()?;
    let key = VerifyingKey::recover_from_prehash(digest, &signature, recovery_id).ok()?;
    let point = key.to_encoded_point(false);
    let hash = keccak(&[&point.as_bytes()[1..]]);
    let mut address = [0u8; 20];
    address.copy_from_slice(&hash[12..]);
    Some(address)
}

/// The recovered signer of an envelope (which the caller compares with its `trader`).
pub fn envelope_signer(chain_id: u64, inbox: &Address, envelope: &Envelope) -> Option<Address> {
    let digest = digest(chain_id, inbox, &envelope.trader, &envelope.message);
    recover_signer(&digest, &envelope.signature)
}

/// Whether the envelope is signed by its own trader.
pub fn is_signed_by_trader(chain_id: u64, inbox: &Address, envelope: &Envelope) -> bool {
    envelope_signer(chain_id, inbox, envelope) == Some(envelope.trader)
}
