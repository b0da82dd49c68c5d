//! EIP-712 typed data of messages (PROTOCOL.md section 3) and signer recovery.

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
        Message::CancelAll(all) => {
            keccak(&[&keccak(&[CANCEL_ALL_TYPE]), &address_word(trader), &word(all.market.into()), &word(all.nonce)])
        }
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
    let y_is_odd = match v {
        0 | 27 => false,
        1 | 28 => true,
        _ => return None,
    };
    let public_key = recover::public_key(digest, &signature[..64], y_is_odd)?;
    let hash = keccak(&[&public_key]);
    let mut address = [0u8; 20];
    address.copy_from_slice(&hash[12..]);
    Some(address)
}

/// `x ‖ y` (big-endian) of the public key that signed `digest` with `(r, s)`, as
/// `k256::ecdsa::VerifyingKey::recover_from_prehash` finds it: `None` where it errs.
#[cfg(not(any(feature = "native-secp256k1", all(feature = "zkvm-sp1", target_os = "zkvm"))))]
mod recover {
    use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};

    use crate::Hash;

    pub fn public_key(digest: &Hash, rs: &[u8], y_is_odd: bool) -> Option<[u8; 64]> {
        let signature = Signature::from_slice(rs).ok()?;
        let recovery_id = RecoveryId::new(y_is_odd, false);
        let key = VerifyingKey::recover_from_prehash(digest, &signature, recovery_id).ok()?;
        let mut out = [0u8; 64];
        out.copy_from_slice(&key.to_encoded_point(false).as_bytes()[1..]);
        Some(out)
    }
}

/// The same recovery inside SP1 (`zkvm-sp1`): the square root that decompresses `R` (so an `r`
/// that is no x-coordinate is a `None`, never a halted guest: SP1's decompress precompile would
/// halt) and the inversion of `r` as exponentiations over SP1's `uint256_mulmod` precompile
/// (`uint256.rs`, held to k256 in its tests), the double-scalar multiplication `u1·G + u2·R` with
/// SP1's secp256k1 add/double precompiles.
#[cfg(all(feature = "zkvm-sp1", target_os = "zkvm"))]
mod recover {
    use sp1_lib::secp256k1::Secp256k1Point;
    use sp1_lib::utils::AffinePoint as _;

    use crate::uint256::{self, MulMod, Precompile, N, U256};
    use crate::Hash;

    /// A scalar of a signature: `1 <= v < n` (`Signature::from_slice`'s rule).
    fn nonzero_scalar(bytes: &[u8]) -> Option<U256> {
        let value = uint256::from_be_bytes(bytes.try_into().ok()?);
        (!uint256::is_zero(&value) && uint256::lt(&value, &N)).then_some(value)
    }

    fn bits_le(scalar: &U256) -> [bool; 256] {
        core::array::from_fn(|i| scalar[i / 64] >> (i % 64) & 1 == 1)
    }

    pub fn public_key(digest: &Hash, rs: &[u8], y_is_odd: bool) -> Option<[u8; 64]> {
        let ops = &mut Precompile;
        let r = nonzero_scalar(&rs[..32])?;
        let s = nonzero_scalar(&rs[32..])?;
        // The digest reduced mod n (it is below 2^256 < 2n).
        let z = uint256::reduce_once(&uint256::from_be_bytes(digest), &N);
        // r < n < p is a field element; R = (r, y) with y's parity from the recovery id.
        let y = uint256::decompress_y(&r, y_is_odd, ops)?;
        let r_inv = uint256::invert_mod_prime(&r, &N, ops);
        let mut u1 = r_inv;
        ops.mul_mod(&mut u1, &z, &N);
        let u1 = uint256::neg_mod(&u1, &N);
        let mut u2 = r_inv;
        ops.mul_mod(&mut u2, &s, &N);
        #[allow(deprecated)] // sp1-lib's replacement (a `Self`-typed constant) is not released yet
        let generator = Secp256k1Point::new(Secp256k1Point::GENERATOR);
        let big_r = <Secp256k1Point as sp1_lib::utils::AffinePoint<8>>::from(
            &uint256::to_le_bytes(&r),
            &uint256::to_le_bytes(&y),
        );
        let key = Secp256k1Point::multi_scalar_multiplication(&bits_le(&u1), generator, &bits_le(&u2), big_r);
        if key.is_identity() {
            return None;
        }
        let le = key.to_le_bytes();
        let mut out = [0u8; 64];
        for (i, byte) in le[..32].iter().enumerate() {
            out[31 - i] = *byte;
        }
        for (i, byte) in le[32..].iter().enumerate() {
            out[63 - i] = *byte;
        }
        Some(out)
    }
}

/// The same recovery with libsecp256k1, in k256's place in the node's native build
/// (`native-secp256k1`; 5x faster here, docs/BENCHMARKS.md). Same answers: both take `1 <= r,
/// s < n` (libsecp256k1 refuses `r, s >= n` when parsing, zero when recovering), `R = (r, y)` with
/// `y`'s parity (an `r` that is no x-coordinate: both refuse), the digest reduced mod `n`, and
/// refuse the point at infinity; k256 also verifies the recovered key, which holds by construction.
/// `native_recovery_is_k256s` below holds it to k256 on random and edge inputs.
#[cfg(all(feature = "native-secp256k1", not(target_os = "zkvm")))]
mod recover {
    use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
    use secp256k1::{Message, SECP256K1};

    use crate::Hash;

    /// Kept by `signers_ahead::recover_ahead` for this thread, or computed now.
    pub fn public_key(digest: &Hash, rs: &[u8], y_is_odd: bool) -> Option<[u8; 64]> {
        crate::signers_ahead::recovered(digest, rs, y_is_odd, || compute(digest, rs, y_is_odd))
    }

    pub fn compute(digest: &Hash, rs: &[u8], y_is_odd: bool) -> Option<[u8; 64]> {
        let recovery_id = if y_is_odd { RecoveryId::One } else { RecoveryId::Zero };
        let signature = RecoverableSignature::from_compact(rs, recovery_id).ok()?;
        let key = SECP256K1.recover_ecdsa(Message::from_digest(*digest), &signature).ok()?;
        let mut out = [0u8; 64];
        out.copy_from_slice(&key.serialize_uncompressed()[1..]);
        Some(out)
    }
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

#[cfg(all(test, feature = "native-secp256k1"))]
mod native_recovery_is_k256s {
    use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
    use proptest::prelude::*;

    use super::{recover, HALF_ORDER};

    /// k256's answer: what `recover::public_key` is without `native-secp256k1`.
    fn k256_public_key(digest: &[u8; 32], rs: &[u8], y_is_odd: bool) -> Option<[u8; 64]> {
        let signature = Signature::from_slice(rs).ok()?;
        let key = VerifyingKey::recover_from_prehash(digest, &signature, RecoveryId::new(y_is_odd, false)).ok()?;
        Some(key.to_encoded_point(false).as_bytes()[1..].try_into().unwrap())
    }

    /// secp256k1's group order n, big-endian.
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae,
        0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
    ];

    fn minus(value: [u8; 32], k: u8) -> [u8; 32] {
        let mut out = value;
        let (last, borrow) = out[31].overflowing_sub(k);
        out[31] = last;
        assert!(!borrow, "only small k");
        out
    }

    /// The two agree where `recover_signer` calls them: `s <= n / 2` (a higher `s` is refused
    /// before either runs; k256 then refuses too, on verifying, and libsecp256k1 would not).
    fn both(digest: [u8; 32], r: [u8; 32], s: [u8; 32], y_is_odd: bool) {
        if s > HALF_ORDER {
            return;
        }
        let rs = [r, s].concat();
        assert_eq!(
            k256_public_key(&digest, &rs, y_is_odd),
            recover::public_key(&digest, &rs, y_is_odd),
            "digest {digest:02x?} r {r:02x?} s {s:02x?} odd {y_is_odd}"
        );
    }

    /// Scalars at the edges: 0, 1, n / 2 and one above, n - 1, n, n + 1, 2^256 - 1, and one
    /// ordinary value.
    fn edges() -> [[u8; 32]; 9] {
        let mut one = [0u8; 32];
        one[31] = 1;
        let mut n_plus = N;
        n_plus[31] += 1;
        let mut half_plus = HALF_ORDER;
        half_plus[31] += 1;
        [[0; 32], one, HALF_ORDER, half_plus, minus(N, 1), N, n_plus, [0xff; 32], [0x42; 32]]
    }

    #[test]
    fn on_edge_scalars_and_digests() {
        for r in edges() {
            for s in edges() {
                for digest in [[0u8; 32], [0xff; 32], N, minus(N, 1)] {
                    both(digest, r, s, false);
                    both(digest, r, s, true);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn on_random_inputs(digest: [u8; 32], r: [u8; 32], mut s: [u8; 32], y_is_odd: bool) {
            s[0] &= 0x7f; // mostly below n / 2
            both(digest, r, s, y_is_odd);
        }

        #[test]
        fn on_real_signatures(key in 1u64.., digest: [u8; 32]) {
            let mut secret = [0u8; 32];
            secret[24..].copy_from_slice(&key.to_be_bytes());
            let (signature, recovery_id) = SigningKey::from_slice(&secret).unwrap().sign_prehash_recoverable(&digest).unwrap();
            let bytes = signature.to_bytes();
            let (r, s) = (bytes[..32].try_into().unwrap(), bytes[32..].try_into().unwrap());
            prop_assert!(s <= HALF_ORDER, "k256 signs with a low s");
            both(digest, r, s, recovery_id.is_y_odd());
            both(digest, r, s, !recovery_id.is_y_odd());
        }
    }
}
