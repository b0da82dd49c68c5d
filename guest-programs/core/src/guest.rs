//! The guest program (PROTOCOL.md section 9): the one function the zkVM guests and the node's
//! native path call.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::blob_eval::{blobs_hash, range_openings, BlobEvalError, RangeOpeningError};
use crate::inbox::InboxEntry;
use crate::public_values::{PublicValues, PUBLIC_VALUES_LEN};
use crate::root::state_root;
use crate::state::State;
use crate::transition::{apply_entries, BlobMap, TransitionError};
use crate::withdrawals::withdrawals_root;
use crate::Hash;

/// The state before the range, the entries `[inboxStart, inboxEnd)` and the blobs of every
/// blob batch among them, keyed by versioned hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestInput {
    pub state: State,
    pub entries: Vec<InboxEntry>,
    #[serde(with = "crate::bytes_wire::hash_map")]
    pub blobs: BlobMap,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuestError {
    /// The input bytes are not a canonical `GuestInput`.
    InvalidInput,
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

/// Applies the input's entries to its state and returns the public values of the range.
pub fn run(input: GuestInput) -> Result<PublicValues, GuestError> {
    let GuestInput { mut state, entries, blobs } = input;
    let prev_state_root = state_root(&state);
    let (inbox_start, inbox_start_acc) = (state.inbox.next_index, state.inbox.acc);
    // Blob equivalence (PROTOCOL.md section 13): open every blob before using any.
    let openings = range_openings(&entries, &blobs).map_err(|error| match error {
        RangeOpeningError::MissingBlob(hash) => GuestError::MissingBlob(hash),
        RangeOpeningError::InvalidBlob(hash, reason) => GuestError::InvalidBlob(hash, reason),
    })?;
    let events = apply_entries(&mut state, &entries, &blobs)
        .map_err(|TransitionError::MissingBlob(hash)| GuestError::MissingBlob(hash))?;
    Ok(PublicValues {
        prev_state_root,
        new_state_root: state_root(&state),
        inbox_start,
        inbox_end: state.inbox.next_index,
        inbox_start_acc,
        inbox_end_acc: state.inbox.acc,
        withdrawals_root: withdrawals_root(&events),
        blobs_hash: blobs_hash(&openings),
    })
}

/// [`run`] on the postcard bytes of a [`GuestInput`], returning the 256 public-value bytes.
pub fn execute(input: &[u8]) -> Result<[u8; PUBLIC_VALUES_LEN], GuestError> {
    let input = GuestInput::decode(input).ok_or(GuestError::InvalidInput)?;
    Ok(run(input)?.encode())
}
