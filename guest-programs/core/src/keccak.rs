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
}

#[cfg(all(feature = "zkvm-sp1", target_os = "zkvm"))]
mod backend {
    use crate::Hash;

    /// Keccak-256's rate: 1088 bits.
    const RATE: usize = 136;

    /// The sponge state: 25 little-endian lanes, absorbed `RATE` bytes at a time.
    struct Sponge {
        state: [u64; 25],
        /// Bytes absorbed into the current block.
        offset: usize,
    }

    impl Sponge {
        fn xor_byte(&mut self, position: usize, byte: u8) {
            self.state[position / 8] ^= u64::from(byte) << (8 * (position % 8));
        }

        fn permute(&mut self) {
            // SAFETY: `state` is a valid, 8-byte aligned [u64; 25] for the duration of the call.
            unsafe { sp1_lib::syscall_keccak_permute(&mut self.state) };
        }

        fn absorb(&mut self, mut bytes: &[u8]) {
            while !bytes.is_empty() {
                // Whole lanes when aligned, bytes otherwise.
                if self.offset % 8 == 0 && bytes.len() >= 8 && self.offset + 8 <= RATE {
                    let lane = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
                    self.state[self.offset / 8] ^= lane;
                    self.offset += 8;
                    bytes = &bytes[8..];
                } else {
                    self.xor_byte(self.offset, bytes[0]);
                    self.offset += 1;
                    bytes = &bytes[1..];
                }
                if self.offset == RATE {
                    self.permute();
                    self.offset = 0;
                }
            }
        }

        fn finalize(mut self) -> Hash {
            // Keccak padding (pad10*1 with the 0x01 domain byte), not SHA-3's 0x06.
            self.xor_byte(self.offset, 0x01);
            self.xor_byte(RATE - 1, 0x80);
            self.permute();
            let mut out = [0u8; 32];
            for (chunk, lane) in out.chunks_exact_mut(8).zip(self.state.iter()) {
                chunk.copy_from_slice(&lane.to_le_bytes());
            }
            out
        }
    }

    pub fn keccak(parts: &[&[u8]]) -> Hash {
        let mut sponge = Sponge { state: [0; 25], offset: 0 };
        for part in parts {
            sponge.absorb(part);
        }
        sponge.finalize()
    }
}
