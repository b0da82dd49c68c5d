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

    /// Keccak-256's rate: 1088 bits, 17 lanes.
    const RATE: usize = 136;

    /// The sponge: the bytes of the block being filled are buffered and XORed into the 25
    /// little-endian lanes of the state a whole block at a time (cheaper than byte by byte).
    struct Sponge {
        state: [u64; 25],
        block: [u8; RATE],
        filled: usize,
    }

    impl Sponge {
        fn absorb_block(&mut self) {
            for (lane, bytes) in self.state.iter_mut().zip(self.block.chunks_exact(8)) {
                *lane ^= u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
            }
            // SAFETY: `state` is a valid, 8-byte aligned [u64; 25] for the duration of the call.
            unsafe { sp1_lib::syscall_keccak_permute(&mut self.state) };
            self.filled = 0;
        }

        fn absorb(&mut self, mut bytes: &[u8]) {
            while !bytes.is_empty() {
                let take = bytes.len().min(RATE - self.filled);
                self.block[self.filled..self.filled + take].copy_from_slice(&bytes[..take]);
                self.filled += take;
                bytes = &bytes[take..];
                if self.filled == RATE {
                    self.absorb_block();
                }
            }
        }

        fn finalize(mut self) -> Hash {
            // Keccak padding (pad10*1 with the 0x01 domain byte), not SHA-3's 0x06.
            self.block[self.filled..].fill(0);
            self.block[self.filled] ^= 0x01;
            self.block[RATE - 1] ^= 0x80;
            self.absorb_block();
            let mut out = [0u8; 32];
            for (chunk, lane) in out.chunks_exact_mut(8).zip(self.state.iter()) {
                chunk.copy_from_slice(&lane.to_le_bytes());
            }
            out
        }
    }

    pub fn keccak(parts: &[&[u8]]) -> Hash {
        let mut sponge = Sponge { state: [0; 25], block: [0; RATE], filled: 0 };
        for part in parts {
            sponge.absorb(part);
        }
        sponge.finalize()
    }
}
