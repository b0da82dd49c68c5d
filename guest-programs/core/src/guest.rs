//! The guest program (PROTOCOL.md section 9): the one function the zkVM guests and the node's
//! native path call. It proves a range statelessly: the previous state root is the root of the
//! witness's partial tree, the transition runs over the records the witness proves, and the
//! new root comes from updating only the paths the range wrote. A witness that lacks anything
//! the range reaches makes it fail; it never yields a root.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::blob_eval::{blobs_hash, range_openings, BlobEvalError, RangeOpeningError};
use crate::inbox::InboxEntry;
use crate::public_values::{PublicValues, PUBLIC_VALUES_LEN};
use crate::transition::{apply_entries, BlobMap, TransitionError};
use crate::withdrawals::withdrawals_root;
use crate::witness::{self, WitnessError};
use crate::Hash;

/// The witness of the range, the entries `[inboxStart, inboxEnd)`, the blobs of every blob
/// batch among them keyed by versioned hash, and the seed of the proof's hash tables (the
/// prover's choice: it changes nothing the proof commits).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestInput {
    #[serde(with = "crate::bytes_wire")]
    pub witness: Vec<u8>,
    pub entries: Vec<InboxEntry>,
    #[serde(with = "crate::bytes_wire::hash_map")]
    pub blobs: BlobMap,
    pub seed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuestError {
    /// The input bytes are not a canonical `GuestInput`.
    InvalidInput,
    /// The witness does not prove the records the range needs.
    InvalidWitness(WitnessError),
    /// A blob batch names a blob the input does not carry.
    MissingBlob(Hash),
    /// The blob carried under this versioned hash cannot be a posted blob (wrong size, or a
    /// field element not below the BLS modulus): it could not be opened for blob equivalence.
    InvalidBlob(Hash, BlobEvalError),
}

impl GuestInput {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("serializing to a Vec cannot fail")
    }

    pub fn decode(bytes: &[u8]) -> Option<GuestInput> {
        match postcard::take_from_bytes(bytes) {
            Ok((input, [])) => Some(input),
            _ => None,
        }
    }
}

/// A [`GuestInput`] read in place: its witness stays in the input's bytes (the same encoding).
#[derive(Deserialize)]
struct GuestInputRef<'a> {
    #[serde(borrow)]
    witness: &'a [u8],
    entries: Vec<InboxEntry>,
    #[serde(with = "crate::bytes_wire::hash_map")]
    blobs: BlobMap,
    seed: u64,
}

/// Applies the input's entries to the state its witness proves and returns the public values
/// of the range. Panics where the transition reaches a record the witness does not cover.
pub fn run(input: GuestInput) -> Result<PublicValues, GuestError> {
    prove(&input.witness, &input.entries, &input.blobs, input.seed)
}

fn prove(witness: &[u8], entries: &[InboxEntry], blobs: &BlobMap, seed: u64) -> Result<PublicValues, GuestError> {
    let (mut state, opened) = witness::open(witness, seed).map_err(GuestError::InvalidWitness)?;
    let prev_state_root = opened.tree.hash();
    let (inbox_start, inbox_start_acc) = state.inbox_position();
    // Blob equivalence (PROTOCOL.md section 13): open every blob before using any.
    let openings = range_openings(entries, blobs).map_err(|error| match error {
        RangeOpeningError::MissingBlob(hash) => GuestError::MissingBlob(hash),
        RangeOpeningError::InvalidBlob(hash, reason) => GuestError::InvalidBlob(hash, reason),
    })?;
    let events = apply_entries(&mut state, entries, blobs)
        .map_err(|TransitionError::MissingBlob(hash)| GuestError::MissingBlob(hash))?;
    let (inbox_end, inbox_end_acc) = state.inbox_position();
    let new_state_root = witness::close(&mut state, &opened).map_err(GuestError::InvalidWitness)?;
    // A zkVM run ends here: freeing the state and the tree node by node would only cost cycles.
    #[cfg(target_os = "zkvm")]
    core::mem::forget((state, opened));
    Ok(PublicValues {
        prev_state_root,
        new_state_root,
        inbox_start,
        inbox_end,
        inbox_start_acc,
        inbox_end_acc,
        withdrawals_root: withdrawals_root(&events),
        blobs_hash: blobs_hash(&openings),
    })
}

/// [`run`] on the postcard bytes of a [`GuestInput`], returning the 256 public-value bytes.
pub fn execute(input: &[u8]) -> Result<[u8; PUBLIC_VALUES_LEN], GuestError> {
    let input = match postcard::take_from_bytes::<GuestInputRef>(input) {
        Ok((input, [])) => input,
        _ => return Err(GuestError::InvalidInput),
    };
    Ok(prove(input.witness, &input.entries, &input.blobs, input.seed)?.encode())
}
