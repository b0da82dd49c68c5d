//! The sorted-pair Merkle tree of a range's withdrawals (PROTOCOL.md section 11): OpenZeppelin
//! `MerkleProof`'s commutative hash, so `Vault.claimWithdrawal` verifies a branch with
//! `MerkleProof.verify`. Leaves are padded with zero to a power of two; the root of no leaf is
//! zero and of one leaf the leaf itself.

use alloc::vec::Vec;

use crate::keccak::keccak;
use crate::Hash;

/// `keccak(min(a, b) ‖ max(a, b))`: OpenZeppelin's commutative pair hash.
pub fn hash_pair(a: &Hash, b: &Hash) -> Hash {
    if a <= b {
        keccak(&[a, b])
    } else {
        keccak(&[b, a])
    }
}

/// Every level of the tree over `leaves` (padded with zero leaves to a power of two), leaves
/// first, root last; empty for no leaf.
fn levels(leaves: Vec<Hash>) -> Vec<Vec<Hash>> {
    if leaves.is_empty() {
        return Vec::new();
    }
    let mut level = leaves;
    level.resize(level.len().next_power_of_two(), [0; 32]);
    let mut out = Vec::new();
    while level.len() > 1 {
        let next = level.chunks(2).map(|pair| hash_pair(&pair[0], &pair[1])).collect();
        out.push(core::mem::replace(&mut level, next));
    }
    out.push(level);
    out
}

/// The root: zero for no leaf, the leaf itself for one.
pub fn merkle_root(leaves: Vec<Hash>) -> Hash {
    if leaves.is_empty() {
        return [0; 32];
    }
    let mut level = leaves;
    level.resize(level.len().next_power_of_two(), [0; 32]);
    while level.len() > 1 {
        level = level.chunks(2).map(|pair| hash_pair(&pair[0], &pair[1])).collect();
    }
    level[0]
}

/// The root and the branch (siblings, leaf level first) of every leaf.
pub fn merkle_tree(leaves: Vec<Hash>) -> (Hash, Vec<Vec<Hash>>) {
    let count = leaves.len();
    let levels = levels(leaves);
    let Some(root) = levels.last().map(|top| top[0]) else { return ([0; 32], Vec::new()) };
    let proofs = (0..count).map(|index| branch(&levels, index)).collect();
    (root, proofs)
}

fn branch(levels: &[Vec<Hash>], mut index: usize) -> Vec<Hash> {
    let mut proof = Vec::with_capacity(levels.len().saturating_sub(1));
    for level in &levels[..levels.len() - 1] {
        proof.push(level[index ^ 1]);
        index /= 2;
    }
    proof
}

/// What `MerkleProof.verify(proof, root, leaf)` computes.
pub fn verify(proof: &[Hash], root: &Hash, leaf: &Hash) -> bool {
    proof.iter().fold(*leaf, |node, sibling| hash_pair(&node, sibling)) == *root
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn merkle_root_of_nothing_is_zero_and_of_one_leaf_is_the_leaf() {
        assert_eq!(merkle_root(vec![]), [0; 32]);
        assert_eq!(merkle_root(vec![[7; 32]]), [7; 32]);
        assert_eq!(merkle_tree(vec![[7; 32]]), ([7; 32], vec![vec![]]));
    }

    #[test]
    fn merkle_root_sorts_pairs_and_pads_three_leaves_with_a_zero_leaf() {
        let (a, b, c) = ([2; 32], [1; 32], [3; 32]);
        let left = keccak(&[&b, &a]);
        let right = keccak(&[&[0; 32], &c]);
        let expected = if left <= right { keccak(&[&left, &right]) } else { keccak(&[&right, &left]) };
        assert_eq!(merkle_root(vec![a, b, c]), expected);
    }

    #[test]
    fn every_branch_verifies_and_a_wrong_leaf_does_not() {
        let leaves: Vec<Hash> = (0..5u8).map(|i| keccak(&[&[i]])).collect();
        let (root, proofs) = merkle_tree(leaves.clone());
        assert_eq!(root, merkle_root(leaves.clone()));
        for (leaf, proof) in leaves.iter().zip(&proofs) {
            assert_eq!(proof.len(), 3);
            assert!(verify(proof, &root, leaf));
        }
        assert!(!verify(&proofs[0], &root, &leaves[1]));
    }
}
