//! Blob equivalence (PROTOCOL.md section 13): the point `z` at which a blob's polynomial is
//! opened, its value `y = p(z)`, and `blobsHash`, the commitment to every opening of a range.
//!
//! The Rollup checks each `(versionedHash, z, y)` with the point-evaluation precompile, so the
//! blob bytes the guest executed are the blob whose versioned hash the Inbox recorded. `y` is
//! computed here with the barycentric formula over the EIP-4844 evaluation domain (the 4096th
//! roots of unity of the BLS12-381 scalar field, in bit-reversed order).

use alloc::vec::Vec;

use bls12_381::Scalar;

use crate::blob_batch::{BLOB_SIZE, BYTES_PER_FIELD_ELEMENT, FIELD_ELEMENTS_PER_BLOB};
use crate::inbox::InboxEntry;
use crate::keccak::keccak;
use crate::transition::{blob_batch_hashes, BlobMap};
use crate::Hash;

/// log2 of the domain size (4096 field elements per blob).
const DOMAIN_BITS: u32 = 12;

/// BLS_MODULUS − 1 as little-endian u64 limbs.
const MODULUS_MINUS_ONE: [u64; 4] =
    [0xffff_ffff_0000_0000, 0x53bd_a402_fffe_5bfe, 0x3339_d808_09a1_d805, 0x73ed_a753_299d_7d48];

/// EIP-4844's primitive root: the domain's generator is `7^((BLS_MODULUS − 1) / 4096)`.
const PRIMITIVE_ROOT: u64 = 7;

/// One blob's opening: the values the guest commits and the Rollup checks with the precompile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobOpening {
    pub versioned_hash: Hash,
    /// Big-endian, below BLS_MODULUS.
    pub z: Hash,
    /// Big-endian, below BLS_MODULUS.
    pub y: Hash,
}

/// Why a blob cannot be opened; no blob posted on L1 can fail, so the guest aborts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobEvalError {
    /// The blob is not exactly 131,072 bytes.
    WrongSize,
    /// Field element `index` is not below BLS_MODULUS.
    NonCanonical { index: usize },
}

/// Why a range's blobs cannot be opened (no proof of the range exists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeOpeningError {
    /// A blob batch names a blob the caller did not provide.
    MissingBlob(Hash),
    /// The blob provided under this versioned hash cannot be a posted blob.
    InvalidBlob(Hash, BlobEvalError),
}

/// The openings of every blob of every blob batch in `entries`, in inbox order and blob order.
pub fn range_openings(entries: &[InboxEntry], blobs: &BlobMap) -> Result<Vec<BlobOpening>, RangeOpeningError> {
    let mut openings = Vec::new();
    for hash in entries.iter().filter_map(blob_batch_hashes).flatten() {
        let blob = blobs.get(&hash).ok_or(RangeOpeningError::MissingBlob(hash))?;
        openings.push(open_blob(&hash, blob).map_err(|error| RangeOpeningError::InvalidBlob(hash, error))?);
    }
    Ok(openings)
}

/// `z = keccak(versionedHash ‖ keccak(blob)) mod BLS_MODULUS`, big-endian.
pub fn challenge(versioned_hash: &Hash, blob: &[u8]) -> Hash {
    let digest = keccak(&[versioned_hash, &keccak(&[blob])]);
    scalar_to_be(&scalar_from_digest(&digest))
}

/// The opening of `blob` under `versioned_hash` (which the caller has bound to the Inbox).
pub fn open_blob(versioned_hash: &Hash, blob: &[u8]) -> Result<BlobOpening, BlobEvalError> {
    let z = challenge(versioned_hash, blob);
    let y = evaluate(blob, &z)?;
    Ok(BlobOpening { versioned_hash: *versioned_hash, z, y })
}

/// `keccak(‖ (versionedHash ‖ z ‖ y))` over the openings in order; zero when there are none.
pub fn blobs_hash(openings: &[BlobOpening]) -> Hash {
    if openings.is_empty() {
        return [0; 32];
    }
    let parts: Vec<&[u8]> = openings.iter().flat_map(|o| [&o.versioned_hash[..], &o.z[..], &o.y[..]]).collect();
    keccak(&parts)
}

/// `p(z)` of the blob's polynomial in evaluation form, big-endian. `z` is reduced mod the
/// modulus if it is not already below it.
pub fn evaluate(blob: &[u8], z: &Hash) -> Result<Hash, BlobEvalError> {
    #[cfg(all(feature = "zkvm-sp1", target_os = "zkvm"))]
    return limbs::evaluate(blob, z, &mut crate::uint256::Precompile);
    #[cfg(not(all(feature = "zkvm-sp1", target_os = "zkvm")))]
    evaluate_scalars(blob, z)
}

/// [`evaluate`] with `bls12_381`'s scalar field (natively and in ZisK).
#[cfg_attr(all(feature = "zkvm-sp1", target_os = "zkvm"), allow(dead_code))]
fn evaluate_scalars(blob: &[u8], z: &Hash) -> Result<Hash, BlobEvalError> {
    let evaluations = blob_scalars(blob)?;
    let z = scalar_from_digest(z);
    let roots = bit_reversed_roots();
    if let Some(i) = roots.iter().position(|root| *root == z) {
        return Ok(scalar_to_be(&evaluations[i]));
    }
    // p(z) = (z^N − 1) / N · Σ f_i · ω_i / (z − ω_i), with one field inversion for all i.
    let mut denominators: Vec<Scalar> = roots.iter().map(|root| z - root).collect();
    batch_invert(&mut denominators);
    let sum = evaluations
        .iter()
        .zip(roots.iter())
        .zip(denominators.iter())
        .fold(Scalar::zero(), |acc, ((f, root), inv)| acc + f * root * inv);
    let width = Scalar::from(FIELD_ELEMENTS_PER_BLOB as u64);
    let z_pow_width = z.pow_vartime(&[FIELD_ELEMENTS_PER_BLOB as u64, 0, 0, 0]);
    let width_inv = Option::<Scalar>::from(width.invert()).expect("4096 is invertible");
    Ok(scalar_to_be(&(sum * (z_pow_width - Scalar::one()) * width_inv)))
}

/// The blob's 4096 field elements, each big-endian and required to be canonical.
fn blob_scalars(blob: &[u8]) -> Result<Vec<Scalar>, BlobEvalError> {
    if blob.len() != BLOB_SIZE {
        return Err(BlobEvalError::WrongSize);
    }
    blob.chunks(BYTES_PER_FIELD_ELEMENT)
        .enumerate()
        .map(|(index, element)| {
            let mut le: [u8; 32] = element.try_into().expect("32-byte element");
            le.reverse();
            Option::<Scalar>::from(Scalar::from_bytes(&le)).ok_or(BlobEvalError::NonCanonical { index })
        })
        .collect()
}

/// The 4096th roots of unity, `ω^bitrev(i)` at position `i`.
fn bit_reversed_roots() -> Vec<Scalar> {
    let mut exponent = [0u64; 4];
    for (i, limb) in exponent.iter_mut().enumerate() {
        let high = MODULUS_MINUS_ONE.get(i + 1).copied().unwrap_or(0);
        *limb = (MODULUS_MINUS_ONE[i] >> DOMAIN_BITS) | (high << (64 - DOMAIN_BITS));
    }
    let generator = Scalar::from(PRIMITIVE_ROOT).pow_vartime(&exponent);
    let mut powers = Vec::with_capacity(FIELD_ELEMENTS_PER_BLOB);
    let mut power = Scalar::one();
    for _ in 0..FIELD_ELEMENTS_PER_BLOB {
        powers.push(power);
        power *= generator;
    }
    (0..FIELD_ELEMENTS_PER_BLOB).map(|i| powers[(i as u32).reverse_bits() as usize >> (32 - DOMAIN_BITS)]).collect()
}

/// Replaces every (non-zero) element with its inverse (Montgomery's trick).
fn batch_invert(values: &mut [Scalar]) {
    let mut prefix = Vec::with_capacity(values.len());
    let mut running = Scalar::one();
    for value in values.iter() {
        prefix.push(running);
        running *= value;
    }
    let mut inverse = Option::<Scalar>::from(running.invert()).expect("z is not a root, so no factor is zero");
    for (value, before) in values.iter_mut().zip(prefix).rev() {
        let next = inverse * *value;
        *value = inverse * before;
        inverse = next;
    }
}

/// A 32-byte big-endian digest reduced mod BLS_MODULUS.
fn scalar_from_digest(digest: &Hash) -> Scalar {
    let mut wide = [0u8; 64];
    for (slot, byte) in wide.iter_mut().zip(digest.iter().rev()) {
        *slot = *byte;
    }
    Scalar::from_bytes_wide(&wide)
}

fn scalar_to_be(value: &Scalar) -> Hash {
    let mut bytes = value.to_bytes();
    bytes.reverse();
    bytes
}

/// [`evaluate`] over 256-bit limbs with a multiplication mod BLS_MODULUS that the caller
/// supplies: SP1's `uint256_mulmod` precompile in the SP1 guest, where it replaces ~25,000
/// software field multiplications of ~400 cycles each. Held to `evaluate_scalars` in tests.
#[cfg(any(test, all(feature = "zkvm-sp1", target_os = "zkvm")))]
mod limbs {
    use alloc::vec::Vec;

    use super::{BlobEvalError, DOMAIN_BITS, MODULUS_MINUS_ONE, PRIMITIVE_ROOT};
    use crate::blob_batch::{BLOB_SIZE, BYTES_PER_FIELD_ELEMENT, FIELD_ELEMENTS_PER_BLOB};
    use crate::uint256::{self, MulMod, U256};
    use crate::Hash;

    /// BLS_MODULUS.
    const R: U256 = [MODULUS_MINUS_ONE[0] + 1, MODULUS_MINUS_ONE[1], MODULUS_MINUS_ONE[2], MODULUS_MINUS_ONE[3]];
    const ONE: U256 = [1, 0, 0, 0];

    /// `a + b mod r` for `a, b < r` (r < 2^255, so the sum does not wrap).
    fn add(a: &U256, b: &U256) -> U256 {
        uint256::reduce_once(&uint256::add(a, b), &R)
    }

    /// `a − b mod r` for `a, b < r`.
    fn sub(a: &U256, b: &U256) -> U256 {
        let difference = uint256::sub(a, b);
        if uint256::lt(a, b) {
            uint256::add(&difference, &R)
        } else {
            difference
        }
    }

    fn mul(ops: &mut impl MulMod, a: &U256, b: &U256) -> U256 {
        let mut out = *a;
        ops.mul_mod(&mut out, b, &R);
        out
    }

    fn bit_reversed_roots(ops: &mut impl MulMod) -> Vec<U256> {
        let exponent: U256 = core::array::from_fn(|i| {
            let high = MODULUS_MINUS_ONE.get(i + 1).copied().unwrap_or(0);
            (MODULUS_MINUS_ONE[i] >> DOMAIN_BITS) | (high << (64 - DOMAIN_BITS))
        });
        let generator = uint256::pow(&[PRIMITIVE_ROOT, 0, 0, 0], &exponent, &R, ops);
        let mut powers = Vec::with_capacity(FIELD_ELEMENTS_PER_BLOB);
        let mut power = ONE;
        for _ in 0..FIELD_ELEMENTS_PER_BLOB {
            powers.push(power);
            power = mul(ops, &power, &generator);
        }
        (0..FIELD_ELEMENTS_PER_BLOB).map(|i| powers[(i as u32).reverse_bits() as usize >> (32 - DOMAIN_BITS)]).collect()
    }

    pub fn evaluate(blob: &[u8], z: &Hash, ops: &mut impl MulMod) -> Result<Hash, BlobEvalError> {
        if blob.len() != BLOB_SIZE {
            return Err(BlobEvalError::WrongSize);
        }
        let evaluations = blob
            .chunks(BYTES_PER_FIELD_ELEMENT)
            .enumerate()
            .map(|(index, element)| {
                let value = uint256::from_be_bytes(element.try_into().expect("32-byte element"));
                uint256::lt(&value, &R).then_some(value).ok_or(BlobEvalError::NonCanonical { index })
            })
            .collect::<Result<Vec<U256>, _>>()?;
        let z = mul(ops, &uint256::from_be_bytes(z), &ONE);
        let roots = bit_reversed_roots(ops);
        if let Some(i) = roots.iter().position(|root| *root == z) {
            return Ok(uint256::to_be_bytes(&evaluations[i]));
        }
        // p(z) = (z^N − 1) / N · Σ f_i · ω_i / (z − ω_i), one inversion for all the i
        // (Montgomery's trick: a running product forward, then the inverses backward).
        let denominators: Vec<U256> = roots.iter().map(|root| sub(&z, root)).collect();
        let mut prefix = Vec::with_capacity(denominators.len());
        let mut running = ONE;
        for value in &denominators {
            prefix.push(running);
            running = mul(ops, &running, value);
        }
        let mut inverse = uint256::invert_mod_prime(&running, &R, ops);
        let mut sum = [0u64; 4];
        for i in (0..FIELD_ELEMENTS_PER_BLOB).rev() {
            let term_inverse = mul(ops, &inverse, &prefix[i]);
            inverse = mul(ops, &inverse, &denominators[i]);
            let weighted = mul(ops, &evaluations[i], &roots[i]);
            let term = mul(ops, &weighted, &term_inverse);
            sum = add(&sum, &term);
        }
        let mut z_pow_width = z;
        for _ in 0..DOMAIN_BITS {
            z_pow_width = mul(ops, &z_pow_width, &z_pow_width);
        }
        let width_inv = uint256::invert_mod_prime(&[FIELD_ELEMENTS_PER_BLOB as u64, 0, 0, 0], &R, ops);
        let scaled = mul(ops, &sum, &sub(&z_pow_width, &ONE));
        let y = mul(ops, &scaled, &width_inv);
        Ok(uint256::to_be_bytes(&y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn the_limb_evaluation_is_the_scalar_one() {
        let mut ops = crate::uint256::Software;
        let mut state = [7u8; 32];
        for round in 0..2u8 {
            // A blob of pseudo-random canonical elements (top byte below 0x73).
            let blob: Vec<u8> = (0..FIELD_ELEMENTS_PER_BLOB)
                .flat_map(|i| {
                    state = keccak(&[&state, &[round], &(i as u32).to_be_bytes()]);
                    let mut element = state;
                    element[0] &= 0x3f;
                    element
                })
                .collect();
            for z in [keccak(&[b"z", &[round]]), [0xff; 32], scalar_to_be(&bit_reversed_roots()[17])] {
                assert_eq!(limbs::evaluate(&blob, &z, &mut ops), evaluate_scalars(&blob, &z));
            }
        }
        let mut bad = vec![0u8; BLOB_SIZE];
        bad[32 * 5] = 0x80;
        assert_eq!(limbs::evaluate(&bad, &[1; 32], &mut ops), Err(BlobEvalError::NonCanonical { index: 5 }));
        assert_eq!(limbs::evaluate(&bad[..10], &[1; 32], &mut ops), Err(BlobEvalError::WrongSize));
    }

    fn be_u64(value: u64) -> [u8; 32] {
        let mut element = [0u8; 32];
        element[24..].copy_from_slice(&value.to_be_bytes());
        element
    }

    #[test]
    fn the_domain_has_order_exactly_4096() {
        let roots = bit_reversed_roots();
        let omega = roots[FIELD_ELEMENTS_PER_BLOB / 2]; // bitrev(2048) = 1
        assert_eq!(roots[0], Scalar::one());
        assert_eq!(omega.pow_vartime(&[2048, 0, 0, 0]), -Scalar::one());
        assert_eq!(roots[1], -Scalar::one()); // bitrev(1) = 2048
    }

    #[test]
    fn a_constant_blob_evaluates_to_its_constant_everywhere() {
        let blob: Vec<u8> = (0..FIELD_ELEMENTS_PER_BLOB).flat_map(|_| be_u64(42)).collect();
        assert_eq!(evaluate(&blob, &[0x11; 32]).unwrap(), be_u64(42));
        assert_eq!(evaluate(&blob, &be_u64(5)).unwrap(), be_u64(42));
    }

    #[test]
    fn at_a_domain_point_the_value_is_that_field_element() {
        let mut blob = vec![0u8; BLOB_SIZE];
        blob[32 * 3 + 31] = 9;
        let root = scalar_to_be(&bit_reversed_roots()[3]);
        assert_eq!(evaluate(&blob, &root).unwrap(), be_u64(9));
    }

    #[test]
    fn wrong_size_and_non_canonical_blobs_do_not_open() {
        assert_eq!(open_blob(&[1; 32], &[0; 100]), Err(BlobEvalError::WrongSize));
        let mut blob = vec![0u8; BLOB_SIZE];
        blob[32 * 7] = 0x80;
        assert_eq!(open_blob(&[1; 32], &blob), Err(BlobEvalError::NonCanonical { index: 7 }));
    }

    #[test]
    fn blobs_hash_of_no_blob_is_zero_and_is_order_sensitive() {
        assert_eq!(blobs_hash(&[]), [0; 32]);
        let a = BlobOpening { versioned_hash: [1; 32], z: [2; 32], y: [3; 32] };
        let b = BlobOpening { versioned_hash: [4; 32], z: [5; 32], y: [6; 32] };
        assert_eq!(blobs_hash(&[a]), keccak(&[&[1; 32], &[2; 32], &[3; 32]]));
        assert_ne!(blobs_hash(&[a, b]), blobs_hash(&[b, a]));
    }
}
