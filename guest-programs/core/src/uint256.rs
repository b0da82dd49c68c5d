//! 256-bit integers (four little-endian u64 limbs) and the modular arithmetic that secp256k1
//! public-key recovery needs: a square root mod the field prime `p` and an inverse mod the group
//! order `n`, both as exponentiations over a multiplication mod m that the caller provides.
//!
//! Inside SP1 that multiplication is the `uint256_mulmod` precompile (one syscall where k256's
//! software field and scalar arithmetic spend ~85 k and ~125 k cycles on the square root and the
//! inversion of one signature); in the tests it is a plain schoolbook product with a long
//! division, and the results are held to k256's.

/// Little-endian limbs.
pub type U256 = [u64; 4];

/// secp256k1's field prime `p = 2^256 - 2^32 - 977`.
pub const P: U256 = [0xFFFF_FFFE_FFFF_FC2F, u64::MAX, u64::MAX, u64::MAX];
/// secp256k1's group order `n`.
pub const N: U256 = [0xBFD2_5E8C_D036_4141, 0xBAAE_DCE6_AF48_A03B, 0xFFFF_FFFF_FFFF_FFFE, u64::MAX];
/// `(p + 1) / 4`: `a^((p+1)/4)` is a square root of `a` whenever `a` has one (`p ≡ 3 mod 4`).
const SQRT_EXPONENT: U256 = [0xFFFF_FFFF_BFFF_FF0C, u64::MAX, u64::MAX, 0x3FFF_FFFF_FFFF_FFFF];

/// `x <- x * y mod m` (fully reduced).
pub trait MulMod {
    fn mul_mod(&mut self, x: &mut U256, y: &U256, m: &U256);
}

/// SP1's `uint256_mulmod` precompile, which reads the modulus right after `y`.
#[cfg(all(feature = "zkvm-sp1", target_os = "zkvm"))]
pub struct Precompile;

#[cfg(all(feature = "zkvm-sp1", target_os = "zkvm"))]
impl MulMod for Precompile {
    #[inline(always)]
    fn mul_mod(&mut self, x: &mut U256, y: &U256, m: &U256) {
        #[repr(C)]
        struct Operand {
            y: U256,
            modulus: U256,
        }
        let operand = Operand { y: *y, modulus: *m };
        // SAFETY: `x` is a valid, 8-aligned [u64; 4]; `operand` lays out y then the modulus
        // (repr(C), no padding), 8 aligned words the precompile reads.
        unsafe { sp1_lib::syscall_uint256_mulmod(x, (&operand as *const Operand).cast::<U256>()) };
    }
}

/// Schoolbook product and bitwise long division: slow, obviously right (for tests).
#[cfg(test)]
pub struct Software;

#[cfg(test)]
impl MulMod for Software {
    fn mul_mod(&mut self, x: &mut U256, y: &U256, m: &U256) {
        let mut wide = [0u64; 8];
        for i in 0..4 {
            let mut carry = 0u128;
            for j in 0..4 {
                let t = u128::from(x[i]) * u128::from(y[j]) + u128::from(wide[i + j]) + carry;
                wide[i + j] = t as u64;
                carry = t >> 64;
            }
            wide[i + 4] = carry as u64;
        }
        let mut rem: U256 = [0; 4];
        for bit in (0..512).rev() {
            let top = rem[3] >> 63;
            for i in (1..4).rev() {
                rem[i] = rem[i] << 1 | rem[i - 1] >> 63;
            }
            rem[0] = rem[0] << 1 | (wide[bit / 64] >> (bit % 64) & 1);
            if top == 1 || !lt(&rem, m) {
                rem = sub(&rem, m);
            }
        }
        *x = rem;
    }
}

/// The 32 big-endian bytes of `bytes`.
pub fn from_be_bytes(bytes: &[u8; 32]) -> U256 {
    core::array::from_fn(|i| u64::from_be_bytes(bytes[24 - 8 * i..32 - 8 * i].try_into().expect("8 bytes")))
}

pub fn to_le_bytes(value: &U256) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, limb) in out.chunks_exact_mut(8).zip(value) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
    out
}

pub fn to_be_bytes(value: &U256) -> [u8; 32] {
    let mut out = to_le_bytes(value);
    out.reverse();
    out
}

pub fn is_zero(value: &U256) -> bool {
    value.iter().all(|limb| *limb == 0)
}

/// `a < b`.
pub fn lt(a: &U256, b: &U256) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// `a + b` wrapping mod 2^256.
pub fn add(a: &U256, b: &U256) -> U256 {
    let mut out = [0u64; 4];
    let mut carry = false;
    for i in 0..4 {
        let (s, c1) = a[i].overflowing_add(b[i]);
        let (s, c2) = s.overflowing_add(u64::from(carry));
        out[i] = s;
        carry = c1 || c2;
    }
    out
}

/// `a - b` wrapping mod 2^256.
pub fn sub(a: &U256, b: &U256) -> U256 {
    let mut out = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        out[i] = d;
        borrow = b1 || b2;
    }
    out
}

/// `a` reduced once: `a - m` where `a >= m` (enough for any `a < 2m`).
pub fn reduce_once(a: &U256, m: &U256) -> U256 {
    if lt(a, m) {
        *a
    } else {
        sub(a, m)
    }
}

/// `-a mod m` for `a < m`.
pub fn neg_mod(a: &U256, m: &U256) -> U256 {
    if is_zero(a) {
        *a
    } else {
        sub(m, a)
    }
}

/// `base^exponent mod m`, left to right over the exponent's bits.
pub fn pow(base: &U256, exponent: &U256, m: &U256, ops: &mut impl MulMod) -> U256 {
    let mut acc: U256 = [1, 0, 0, 0];
    let mut started = false;
    for bit in (0..256).rev() {
        if started {
            let square = acc;
            ops.mul_mod(&mut acc, &square, m);
        }
        if exponent[bit / 64] >> (bit % 64) & 1 == 1 {
            if started {
                ops.mul_mod(&mut acc, base, m);
            } else {
                acc = reduce_once(base, m);
                started = true;
            }
        }
    }
    acc
}

/// The inverse of a non-zero `a` mod the prime `m` (Fermat: `a^(m-2)`).
pub fn invert_mod_prime(a: &U256, m: &U256, ops: &mut impl MulMod) -> U256 {
    pow(a, &sub(m, &[2, 0, 0, 0]), m, ops)
}

/// The `y` of the curve point `(x, y)` with `y`'s parity, `x < p`, as k256's
/// `AffinePoint::decompress` finds it: `None` when `x^3 + 7` has no square root mod `p`.
pub fn decompress_y(x: &U256, y_is_odd: bool, ops: &mut impl MulMod) -> Option<U256> {
    let mut alpha = *x;
    ops.mul_mod(&mut alpha, x, &P);
    ops.mul_mod(&mut alpha, x, &P);
    // alpha < p, so alpha + 7 < 2^256 and one subtraction reduces it.
    let alpha = reduce_once(&add(&alpha, &[7, 0, 0, 0]), &P);
    let beta = pow(&alpha, &SQRT_EXPONENT, &P, ops);
    let mut check = beta;
    ops.mul_mod(&mut check, &beta, &P);
    if check != alpha {
        return None;
    }
    Some(if (beta[0] & 1 == 1) == y_is_odd { beta } else { neg_mod(&beta, &P) })
}

#[cfg(test)]
mod tests {
    use k256::elliptic_curve::point::DecompressPoint;
    use k256::elliptic_curve::sec1::ToEncodedPoint;
    use k256::elliptic_curve::subtle::Choice;
    use k256::elliptic_curve::PrimeField;
    use k256::{AffinePoint, FieldBytes, Scalar};

    use super::*;
    use crate::keccak::keccak;

    fn be(value: &U256) -> [u8; 32] {
        let mut out = to_le_bytes(value);
        out.reverse();
        out
    }

    #[test]
    fn constants_are_secp256k1s() {
        let p_plus_one = [P[0] + 1, P[1], P[2], P[3]];
        assert_eq!(
            SQRT_EXPONENT,
            core::array::from_fn(|i| p_plus_one[i] >> 2 | p_plus_one.get(i + 1).map_or(0, |n| n << 62))
        );
        assert_eq!(sub(&[0; 4], &P), [(1 << 32) + 977, 0, 0, 0]);
        assert_eq!(from_be_bytes(&be(&N)), N);
        assert!(bool::from(Scalar::from_repr(FieldBytes::from(be(&sub(&N, &[1, 0, 0, 0])))).is_some()));
        assert!(bool::from(Scalar::from_repr(FieldBytes::from(be(&N))).is_none()));
    }

    #[test]
    fn inverse_mod_n_is_k256s() {
        for i in 0..40u32 {
            let a = reduce_once(&from_be_bytes(&keccak(&[b"inverse", &i.to_be_bytes()])), &N);
            let expected = Scalar::from_repr(FieldBytes::from(be(&a))).unwrap().invert().unwrap();
            assert_eq!(be(&invert_mod_prime(&a, &N, &mut Software)), <[u8; 32]>::from(expected.to_bytes()), "{i}");
        }
        assert_eq!(invert_mod_prime(&[1, 0, 0, 0], &N, &mut Software), [1, 0, 0, 0]);
    }

    #[test]
    fn decompression_is_k256s_for_points_and_non_points() {
        let (mut some, mut none) = (0, 0);
        for i in 0..60u32 {
            let x = reduce_once(&from_be_bytes(&keccak(&[b"x", &i.to_be_bytes()])), &P);
            for odd in [false, true] {
                let expected: Option<AffinePoint> =
                    AffinePoint::decompress(&FieldBytes::from(be(&x)), Choice::from(u8::from(odd))).into();
                let got = decompress_y(&x, odd, &mut Software);
                match expected {
                    Some(point) => {
                        let encoded = point.to_encoded_point(false);
                        assert_eq!(
                            got.map(|y| be(&y)).as_ref().map(|y| &y[..]),
                            encoded.y().map(|y| &y[..]),
                            "{i} {odd}"
                        );
                        some += 1;
                    }
                    None => {
                        assert_eq!(got, None, "{i} {odd}");
                        none += 1;
                    }
                }
            }
        }
        assert!(some > 20 && none > 20, "both cases covered: {some} {none}");
    }
}
