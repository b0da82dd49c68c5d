//! Keccak-256 as used by Ethereum.

use sha3::{Digest, Keccak256};

use crate::Hash;

/// keccak of the concatenation of `parts`.
pub fn keccak(parts: &[&[u8]]) -> Hash {
    let mut hasher = Keccak256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}
