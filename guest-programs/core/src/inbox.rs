//! Inbox entries and the rolling accumulator (PROTOCOL.md section 1).

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::keccak::keccak;
use crate::{Address, Hash};

pub const KIND_DIRECT: u8 = 1;
pub const KIND_SIGNED: u8 = 2;
pub const KIND_DEPOSIT: u8 = 3;
pub const KIND_BLOB_BATCH: u8 = 4;
pub const KIND_WITHDRAWAL: u8 = 5;

/// One inbox entry as the Inbox hashes it. Its index is its position in the inbox: the
/// transition takes it from the state's inbox position, never from the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    /// Kept raw: an unknown kind is a recorded rejection, not a decoding failure.
    pub kind: u8,
    pub sender: Address,
    pub l1_block: u64,
    pub l1_timestamp: u64,
    #[serde(with = "crate::bytes_wire")]
    pub payload: Vec<u8>,
}

impl InboxEntry {
    /// `keccak(kind ‖ sender ‖ l1Block ‖ l1Timestamp ‖ keccak(payload))` (abi.encodePacked).
    pub fn hash(&self) -> Hash {
        entry_hash(self.kind, &self.sender, self.l1_block, self.l1_timestamp, &self.payload)
    }
}

pub fn entry_hash(kind: u8, sender: &Address, l1_block: u64, l1_timestamp: u64, payload: &[u8]) -> Hash {
    // One contiguous, word-aligned preimage: a zkVM's sponge then absorbs it a word at a time.
    let mut words = [0u64; 9];
    // SAFETY: `words` is 72 initialized bytes; u8 has no alignment or validity requirement.
    let packed: &mut [u8; 72] = unsafe { &mut *words.as_mut_ptr().cast::<[u8; 72]>() };
    packed[0] = kind;
    packed[1..21].copy_from_slice(sender);
    packed[21..29].copy_from_slice(&l1_block.to_be_bytes());
    packed[29..37].copy_from_slice(&l1_timestamp.to_be_bytes());
    packed[37..69].copy_from_slice(&keccak(&[payload]));
    keccak(&[&packed[..69]])
}

/// `acc[i] = keccak(acc[i-1] ‖ entryHash_i)`, with `acc[-1]` all zero.
pub fn next_acc(prev_acc: &Hash, entry_hash: &Hash) -> Hash {
    crate::keccak::keccak_pair(prev_acc, entry_hash, None)
}

/// Where the state stands in the inbox: the next index to apply and `acc[next_index - 1]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPosition {
    pub next_index: u64,
    pub acc: Hash,
}
