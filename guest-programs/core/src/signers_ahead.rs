//! Signers recovered ahead of the transition, on every core: the node's native build only
//! (`native-secp256k1`), never a guest.
//!
//! The transition meets its messages one by one and recovers each signer as it goes; that
//! recovery is most of the node's work in deriving a block. [`recover_ahead`] runs the same
//! recovery for every envelope of a block's entries on several threads first and keeps each
//! result, keyed by the whole input of the recovery (digest, `r ‖ s`, parity), for the calling
//! thread; the transition's recovery then finds its answer there instead of computing it again.
//! This is memoisation of a pure function: a result kept is one the same function computed for
//! the same input, so the transition's events and state are the same with or without it, and an
//! input nobody kept is simply computed. [`forget`] drops what the transition did not use.

extern crate std;

use alloc::vec::Vec;
use core::cell::RefCell;
use std::collections::HashMap;
use std::thread;

use crate::blob_batch::decode_blobs;
use crate::eip712::envelope_signer;
use crate::inbox::{InboxEntry, KIND_SIGNED};
use crate::message::Envelope;
use crate::transition::{blob_batch_hashes, BlobMap};
use crate::{Address, Hash};

/// The whole input of one recovery: digest, `r ‖ s`, and whether `R`'s y is odd.
type Input = (Hash, [u8; 64], bool);
type PublicKey = Option<[u8; 64]>;

/// Below this many envelopes a block's signers are recovered as the transition meets them:
/// starting threads would cost more than it saves.
pub const MIN_ENVELOPES: usize = 64;

std::thread_local! {
    /// Results kept for this thread's next transition.
    static KEPT: RefCell<HashMap<Input, PublicKey>> = RefCell::new(HashMap::new());
    /// On a worker thread of [`recover_ahead`]: every recovery it computes.
    static RECORDED: RefCell<Option<Vec<(Input, PublicKey)>>> = const { RefCell::new(None) };
}

/// The recovery of `(digest, rs, y_is_odd)`: kept by [`recover_ahead`] on this thread, or
/// `compute`d now (and recorded, on a worker thread).
pub(crate) fn recovered(digest: &Hash, rs: &[u8], y_is_odd: bool, compute: impl FnOnce() -> PublicKey) -> PublicKey {
    let Ok(rs) = <[u8; 64]>::try_from(rs) else {
        return compute();
    };
    let input = (*digest, rs, y_is_odd);
    if let Some(kept) = KEPT.with(|kept| kept.borrow_mut().remove(&input)) {
        return kept;
    }
    let public_key = compute();
    RECORDED.with(|recorded| {
        if let Some(recorded) = recorded.borrow_mut().as_mut() {
            recorded.push((input, public_key));
        }
    });
    public_key
}

/// Every envelope the transition will meet in `entries`, in order: signed entries' payloads and
/// the messages of blob batches whose blobs are all in `blobs`. What does not decode is left
/// out (the transition rejects it without recovering anything).
pub fn envelopes_of(entries: &[InboxEntry], blobs: &BlobMap) -> Vec<Envelope> {
    let mut envelopes = Vec::new();
    for entry in entries {
        if entry.kind == KIND_SIGNED {
            envelopes.extend(Envelope::decode(&entry.payload));
        } else if let Some(hashes) = blob_batch_hashes(entry) {
            let batch: Option<Vec<&Vec<u8>>> = hashes.iter().map(|hash| blobs.get(hash)).collect();
            if let Some(messages) = batch.as_deref().and_then(decode_blobs) {
                envelopes.extend(messages.iter().filter_map(|bytes| Envelope::decode(bytes)));
            }
        }
    }
    envelopes
}

/// Recovers the signer of each envelope on up to `threads` threads and keeps every result for
/// this thread's next transition. Returns how many recoveries were kept.
pub fn recover_ahead(chain_id: u64, inbox: &Address, envelopes: &[Envelope], threads: usize) -> usize {
    if envelopes.len() < MIN_ENVELOPES || threads < 2 {
        return 0;
    }
    let chunk = envelopes.len().div_ceil(threads);
    let results: Vec<Vec<(Input, PublicKey)>> = thread::scope(|scope| {
        let workers: Vec<_> = envelopes
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    RECORDED.with(|recorded| *recorded.borrow_mut() = Some(Vec::with_capacity(part.len())));
                    for envelope in part {
                        envelope_signer(chain_id, inbox, envelope);
                    }
                    RECORDED.with(|recorded| recorded.borrow_mut().take().unwrap_or_default())
                })
            })
            .collect();
        // A worker that panicked kept nothing: the transition computes its envelopes itself.
        workers.into_iter().filter_map(|worker| worker.join().ok()).collect()
    });
    KEPT.with(|kept| {
        let mut kept = kept.borrow_mut();
        let before = kept.len();
        kept.extend(results.into_iter().flatten());
        kept.len() - before
    })
}

/// Drops every result this thread kept and the transition did not use.
pub fn forget() {
    KEPT.with(|kept| kept.borrow_mut().clear());
}

#[cfg(test)]
mod tests {
    use k256::ecdsa::SigningKey;

    use super::*;
    use crate::eip712::{digest, is_signed_by_trader};
    use crate::message::{Cancel, Message};

    fn signed(key: u8, nonce: u64) -> Envelope {
        let signing = SigningKey::from_slice(&[key; 32]).unwrap();
        let point = signing.verifying_key().to_encoded_point(false);
        let hash = crate::keccak::keccak(&[&point.as_bytes()[1..]]);
        let trader: Address = hash[12..].try_into().unwrap();
        let message = Message::Cancel(Cancel { market: 0, order_nonce: nonce });
        let (signature, id) = signing.sign_prehash_recoverable(&digest(1, &[7; 20], &trader, &message)).unwrap();
        let mut bytes = [0u8; 65];
        bytes[..64].copy_from_slice(&signature.to_bytes());
        bytes[64] = 27 + id.to_byte();
        Envelope { trader, message, signature: bytes }
    }

    #[test]
    fn kept_results_are_what_recovery_computes_and_are_used_once() {
        let mut envelopes: Vec<Envelope> = (0..MIN_ENVELOPES as u64).map(|n| signed(1 + (n % 5) as u8, n)).collect();
        envelopes[3].signature[5] ^= 1; // a signature of nobody in particular
        envelopes[9].trader[0] ^= 1; // signed, but not by its trader
        let expected: Vec<bool> = envelopes.iter().map(|e| is_signed_by_trader(1, &[7; 20], e)).collect();
        assert_eq!(recover_ahead(1, &[7; 20], &envelopes, 4), MIN_ENVELOPES);
        let answered: Vec<bool> = envelopes.iter().map(|e| is_signed_by_trader(1, &[7; 20], e)).collect();
        assert_eq!(answered, expected);
        assert!(!answered[3] && !answered[9] && answered[0]);
        assert_eq!(KEPT.with(|kept| kept.borrow().len()), 0, "the transition's recoveries used every kept result");
    }

    #[test]
    fn forget_drops_what_was_not_used() {
        let envelopes: Vec<Envelope> = (0..MIN_ENVELOPES as u64).map(|n| signed(3, n)).collect();
        recover_ahead(1, &[7; 20], &envelopes, 2);
        forget();
        assert_eq!(KEPT.with(|kept| kept.borrow().len()), 0);
    }

    #[test]
    fn few_envelopes_are_left_to_the_transition() {
        let envelopes: Vec<Envelope> = (0..8).map(|n| signed(2, n)).collect();
        assert_eq!(recover_ahead(1, &[7; 20], &envelopes, 4), 0);
    }
}
