//! Withdrawal leaves and the per-range withdrawals root (PROTOCOL.md section 11).

use alloc::vec::Vec;

use crate::events::{Event, EventKind};
use crate::keccak::keccak;
use crate::merkle::{merkle_root, merkle_tree};
use crate::{Address, Hash};

/// `keccak(trader ‖ token ‖ amount(uint256) ‖ inboxIndex(uint64))`, 80 bytes hashed.
pub fn withdrawal_leaf(trader: &Address, token: &Address, amount: u128, inbox_index: u64) -> Hash {
    keccak(&[trader, token, &[0; 16], &amount.to_be_bytes(), &inbox_index.to_be_bytes()])
}

/// The leaves of the `withdrawal` events among `events`, in inbox order.
pub fn withdrawal_leaves(events: &[Event]) -> Vec<Hash> {
    events
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::Withdrawal { trader, token, amount } => {
                Some(withdrawal_leaf(trader, token, *amount, event.index))
            }
            _ => None,
        })
        .collect()
}

/// The section-10 root over the withdrawal leaves of a range's events (zero for none).
pub fn withdrawals_root(events: &[Event]) -> Hash {
    merkle_root(withdrawal_leaves(events))
}

/// The root and each leaf's branch, for the node to serve `Vault.claimWithdrawal` proofs.
pub fn withdrawals_tree(leaves: Vec<Hash>) -> (Hash, Vec<Vec<Hash>>) {
    merkle_tree(leaves)
}
