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
    pub payload: Vec<u8>,
}

impl InboxEntry {
    /// `keccak(kind ‖ sender ‖ l1Block ‖ l1Timestamp ‖ keccak(payload))` (abi.encodePacked).
    pub fn hash(&self) -> Hash {
        entry_hash(self.kind, &self.sender, self.l1_block, self.l1_timestamp, &self.payload)
    }
}

pub fn entry_hash(kind: u8, sender: &Address, l1_block: u64, l1_timestamp: u64, payload: &[u8]) -> Hash {
    keccak(&[&[kind], sender, &l1_block.to_be_bytes(), &l1_timestamp.to_be_bytes(), &keccak(&[payload])])
}

/// `acc[i] = keccak(acc[i-1] ‖ entryHash_i)`, with `acc[-1]` all zero.
pub fn next_acc(prev_acc: &Hash, entry_hash: &Hash) -> Hash {
    keccak(&[prev_acc, entry_hash])
}

/// Where the state stands in the inbox: the next index to apply and `acc[next_index - 1]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPosition {
    pub next_index: u64,
    pub acc: Hash,
}
