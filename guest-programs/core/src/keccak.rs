//! Keccak-256 as used by Ethereum.
//!
//! Natively (and in any zkVM without the `zkvm-sp1` feature) the `sha3` crate computes it; inside
//! SP1 with `zkvm-sp1` the sponge below runs each Keccak-f[1600] permutation as SP1's
//! `keccak_permute` precompile, which costs a handful of cycles instead of thousands.

use crate::Hash;

/// keccak of the concatenation of `parts`.
pub fn keccak(parts: &[&[u8]]) -> Hash {
    backend::keccak(parts)
}

/// `keccak(a ‖ b)`, or `keccak(a ‖ b ‖ tag)` with a one-byte tag: the state tree's nodes
/// (smt.rs), hashed far more often than anything else in a proof.
#[inline]
pub fn keccak_pair(a: &Hash, b: &Hash, tag: Option<u8>) -> Hash {
    backend::keccak_pair(a, b, tag)
}

#[cfg(not(all(feature = "zkvm-sp1", target_os = "zkvm")))]
mod backend {
    use sha3::{Digest, Keccak256};

    use crate::Hash;

    pub fn keccak(parts: &[&[u8]]) -> Hash {
        let mut hasher = Keccak256::new();
        for part in parts {
            hasher.update(part);
        }
        hasher.finalize().into()
    }

    pub fn keccak_pair(a: &Hash, b: &Hash, tag: Option<u8>) -> Hash {
        let mut hasher = Keccak256::new();
        hasher.update(a);
        hasher.update(b);
        if let Some(tag) = tag {
            hasher.update([tag]);
        }
        hasher.finalize().into()
    }
}

#[cfg(all(feature = "zkvm-sp1", target_os = "zkvm"))]
mod backend {
    use crate::Hash;

    pub fn keccak(parts: &[&[u8]]) -> Hash {
        // SAFETY: `state` is a valid, 8-byte aligned [u64; 25] for the duration of the call.
        super::sponge::keccak_with(parts, |state| unsafe { sp1_lib::syscall_keccak_permute(state) })
    }

    pub fn keccak_pair(a: &Hash, b: &Hash, tag: Option<u8>) -> Hash {
        // SAFETY: as above.
        super::sponge::pair_with(a, b, tag, |state| unsafe { sp1_lib::syscall_keccak_permute(state) })
    }
}

/// The Keccak-256 sponge over a given Keccak-f[1600] permutation (SP1's precompile in the
/// guest; `keccak::f1600` in the tests that hold it to `sha3`). Input is XORed straight into
/// the 25 little-endian lanes of the state, no block buffer to fill, copy or clear (those
/// copies cost more than the permutation inside SP1, where it is a precompile), and a word at
/// a time wherever the input is 8-aligned in memory: RISC-V zkVMs have no unaligned loads, so
/// an unaligned word is assembled from 8 byte loads.
#[cfg(any(test, all(feature = "zkvm-sp1", target_os = "zkvm")))]
mod sponge {
    use crate::Hash;

    /// Keccak-256's rate: 1088 bits, 17 lanes.
    const RATE: usize = 136;

    /// Zeroes a Keccak state lane by lane, in place. A `[0; 25]` becomes a `memset` call, whose
    /// word loop costs about three times these 25 stores inside a zkVM (the writes are volatile
    /// only so that the compiler keeps them as stores).
    #[inline(always)]
    fn zero(state: &mut core::mem::MaybeUninit<[u64; 25]>) -> &mut [u64; 25] {
        let lanes = state.as_mut_ptr().cast::<u64>();
        for i in 0..25 {
            // SAFETY: `i < 25`: inside the state, 8-aligned.
            unsafe { lanes.add(i).write_volatile(0) };
        }
        // SAFETY: every lane was just written.
        unsafe { state.assume_init_mut() }
    }

    struct Sponge<'s, P> {
        state: &'s mut [u64; 25],
        /// Bytes of the current block absorbed so far.
        at: usize,
        permute: P,
    }

    impl<P: FnMut(&mut [u64; 25])> Sponge<'_, P> {
        #[inline(always)]
        fn byte(&mut self, byte: u8) {
            self.state[self.at / 8] ^= u64::from(byte) << (8 * (self.at % 8));
            self.at += 1;
            if self.at == RATE {
                (self.permute)(self.state);
                self.at = 0;
            }
        }

        /// Eight little-endian bytes, across two lanes (or two blocks) when `at` is unaligned.
        #[inline(always)]
        fn word(&mut self, word: u64) {
            let shift = 8 * (self.at % 8);
            let lane = self.at / 8;
            self.state[lane] ^= word << shift;
            self.at += 8;
            if self.at >= RATE {
                (self.permute)(self.state);
                self.at -= RATE;
                if shift != 0 {
                    self.state[0] ^= word >> (64 - shift);
                }
            } else if shift != 0 {
                self.state[lane + 1] ^= word >> (64 - shift);
            }
        }

        fn absorb(&mut self, bytes: &[u8]) {
            // SAFETY: every 8 bytes are a valid u64; `align_to` only picks the aligned middle.
            let (head, words, tail) = unsafe { bytes.align_to::<u64>() };
            for byte in head {
                self.byte(*byte);
            }
            for word in words {
                self.word(u64::from_le(*word));
            }
            for byte in tail {
                self.byte(*byte);
            }
        }

        fn finalize(&mut self) -> Hash {
            // Keccak padding (pad10*1 with the 0x01 domain byte), not SHA-3's 0x06.
            self.state[self.at / 8] ^= 0x01 << (8 * (self.at % 8));
            self.state[(RATE - 1) / 8] ^= 0x80 << (8 * ((RATE - 1) % 8));
            (self.permute)(self.state);
            let mut out = [0u8; 32];
            for (chunk, lane) in out.chunks_exact_mut(8).zip(self.state.iter()) {
                chunk.copy_from_slice(&lane.to_le_bytes());
            }
            out
        }
    }

    /// keccak of fewer than `RATE` bytes: one block, the parts copied into the zeroed state's
    /// bytes (little-endian lanes: byte `i` of the state is byte `i % 8` of lane `i / 8`), then
    /// the padding; no absorb loop, no per-byte shifts.
    fn one_block(parts: &[&[u8]], total: usize, mut permute: impl FnMut(&mut [u64; 25])) -> Hash {
        let mut lanes = core::mem::MaybeUninit::uninit();
        let state = zero(&mut lanes);
        {
            // SAFETY: a [u64; 25] is 200 initialized bytes; u8 has no alignment or validity need.
            let bytes: &mut [u8; 200] = unsafe { &mut *state.as_mut_ptr().cast::<[u8; 200]>() };
            let mut at = 0;
            for part in parts {
                bytes[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            }
            // The lanes are little-endian: on a big-endian target the bytes would need swapping.
            #[cfg(target_endian = "big")]
            compile_error!("the one-block sponge writes lanes as little-endian bytes");
        }
        state[total / 8] ^= 0x01 << (8 * (total % 8));
        state[(RATE - 1) / 8] ^= 0x80 << (8 * ((RATE - 1) % 8));
        permute(state);
        let mut out = [0u8; 32];
        for (chunk, lane) in out.chunks_exact_mut(8).zip(state.iter()) {
            chunk.copy_from_slice(&lane.to_le_bytes());
        }
        out
    }

    /// `keccak(a ‖ b [‖ tag])` in one block: the 64 (or 65) bytes go straight into lanes 0..8
    /// (8) and the padding is two constant XORs; no absorb loop.
    #[inline]
    pub fn pair_with(a: &Hash, b: &Hash, tag: Option<u8>, mut permute: impl FnMut(&mut [u64; 25])) -> Hash {
        let word = |bytes: &Hash, at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        // Keccak padding (pad10*1, domain byte 0x01) right after the 64 or 65 bytes; the state
        // is written lane by lane (no zeroing pass over all 25 first).
        let pad = match tag {
            Some(tag) => u64::from(tag) | 0x01 << 8,
            None => 0x01,
        };
        let last = 0x80u64 << (8 * ((RATE - 1) % 8));
        let mut state = [
            word(a, 0),
            word(a, 8),
            word(a, 16),
            word(a, 24),
            word(b, 0),
            word(b, 8),
            word(b, 16),
            word(b, 24),
            pad,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            last,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ];
        permute(&mut state);
        let mut out = [0u8; 32];
        for (chunk, lane) in out.chunks_exact_mut(8).zip(state.iter()) {
            chunk.copy_from_slice(&lane.to_le_bytes());
        }
        out
    }

    pub fn keccak_with(parts: &[&[u8]], mut permute: impl FnMut(&mut [u64; 25])) -> Hash {
        let total: usize = parts.iter().map(|part| part.len()).sum();
        if total < RATE {
            return one_block(parts, total, permute);
        }
        let mut lanes = core::mem::MaybeUninit::uninit();
        let mut sponge = Sponge { state: zero(&mut lanes), at: 0, permute: &mut permute };
        for part in parts {
            sponge.absorb(part);
        }
        sponge.finalize()
    }

    #[cfg(test)]
    mod tests {
        use alloc::vec::Vec;
        use sha3::{Digest, Keccak256};

        use super::*;

        #[test]
        fn pair_hash_is_keccak_of_64_and_65_bytes() {
            let (a, b): (Hash, Hash) = ([0x5a; 32], core::array::from_fn(|i| i as u8));
            let plain: Hash = Keccak256::digest([a, b].concat()).into();
            let tagged: Hash = Keccak256::digest([&a[..], &b[..], &[1]].concat()).into();
            assert_eq!(pair_with(&a, &b, None, keccak::f1600), plain);
            assert_eq!(pair_with(&a, &b, Some(1), keccak::f1600), tagged);
        }

        #[test]
        fn lane_sponge_is_keccak_256_for_every_length_split_and_alignment() {
            let data: Vec<u8> = (0..710u32).map(|i| (i * 31 + 7) as u8).collect();
            for offset in 0..8 {
                for len in (0..300).chain([407, 408, 409, 544, 699]) {
                    let input = &data[offset..offset + len];
                    let expected: Hash = Keccak256::digest(input).into();
                    for split in [0, 1, 3, 8, 135, 136, 137].into_iter().filter(|s| *s <= len) {
                        let (a, b) = input.split_at(split);
                        assert_eq!(
                            keccak_with(&[a, b], keccak::f1600),
                            expected,
                            "offset {offset} len {len} split {split}"
                        );
                    }
                }
            }
        }
    }
}
