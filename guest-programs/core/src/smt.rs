//! The state tree (PROTOCOL.md section 10): a compact sparse Merkle tree of keccak over
//! 256-bit paths, where a subtree holding one leaf is that leaf and a subtree holding none is
//! zero, so the root depends only on the set of leaves, never on the order they came in.
//!
//! ```text
//! empty    = 0x00…00
//! leaf     = keccak(path ‖ valueHash ‖ 0x01)        65 bytes
//! internal = keccak(left ‖ right)                    64 bytes
//! ```
//!
//! A path of `n` leaves is about `log2(n)` nodes long; making it longer costs a key grinder
//! 2^k keccak evaluations for k shared bits, and no path exceeds 256.
//!
//! The node holds the whole tree; a proof holds a partial tree where unopened subtrees are
//! [`Node::Opaque`]. The same [`update`] serves both: it recomputes only the changed paths, and
//! on a partial tree fails with [`Incomplete`] where it would need a subtree the witness did
//! not open (to look a path up, or to tell whether a sibling that a deletion lifts is a leaf).
//! Nodes are shared (`Arc`), so an updated tree and the tree it came from share every
//! unchanged subtree.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::keccak::keccak_pair;
use crate::Hash;

pub const EMPTY: Hash = [0; 32];
/// Paths are 256 bits: no node is deeper.
pub const MAX_DEPTH: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafNode {
    pub path: Hash,
    pub value_hash: Hash,
    pub hash: Hash,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InternalNode {
    pub hash: Hash,
    pub left: Node,
    pub right: Node,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Empty,
    Leaf(Arc<LeafNode>),
    Internal(Arc<InternalNode>),
    /// A subtree a partial tree does not open: only its hash is known (never zero).
    Opaque(Hash),
}

/// A partial tree lacks the subtree at `depth` on the way to `path`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incomplete {
    pub depth: usize,
    pub path: Hash,
}

/// `keccak(path ‖ valueHash ‖ 0x01)`.
#[inline]
pub fn leaf_hash(path: &Hash, value_hash: &Hash) -> Hash {
    keccak_pair(path, value_hash, Some(1))
}

/// `keccak(left ‖ right)`.
#[inline]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    keccak_pair(left, right, None)
}

/// Bit `depth` of `path`, most significant first: 1 goes right.
#[inline]
pub fn bit(path: &Hash, depth: usize) -> bool {
    (path[depth / 8] >> (7 - depth % 8)) & 1 == 1
}

/// `path` with bit `depth` set to `right` (to name a sibling's position).
fn with_bit(path: &Hash, depth: usize, right: bool) -> Hash {
    let mut out = *path;
    let mask = 1u8 << (7 - depth % 8);
    if right {
        out[depth / 8] |= mask;
    } else {
        out[depth / 8] &= !mask;
    }
    out
}

/// Whether `a` and `b` agree on their first `depth` bits.
pub fn same_prefix(a: &Hash, b: &Hash, depth: usize) -> bool {
    let whole = depth / 8;
    if a[..whole] != b[..whole] {
        return false;
    }
    let rest = depth % 8;
    rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0
}

impl Node {
    pub fn hash(&self) -> Hash {
        match self {
            Node::Empty => EMPTY,
            Node::Leaf(leaf) => leaf.hash,
            Node::Internal(node) => node.hash,
            Node::Opaque(hash) => *hash,
        }
    }

    pub fn leaf(path: Hash, value_hash: Hash) -> Node {
        Node::Leaf(Arc::new(LeafNode { path, value_hash, hash: leaf_hash(&path, &value_hash) }))
    }

    /// An internal node over two children (at least one leaf below each side, or two below one).
    pub fn internal(left: Node, right: Node) -> Node {
        Node::Internal(Arc::new(InternalNode { hash: node_hash(&left.hash(), &right.hash()), left, right }))
    }

    /// A subtree whose hash is known (zero is the empty subtree).
    pub fn opaque(hash: Hash) -> Node {
        if hash == EMPTY {
            Node::Empty
        } else {
            Node::Opaque(hash)
        }
    }
}

/// The canonical node over two children at `depth + 1`: nothing, or a lone leaf lifted, or an
/// internal node. `path` is any path below this node (to name an opaque child).
fn join(left: Node, right: Node, depth: usize, path: &Hash) -> Result<Node, Incomplete> {
    match (left, right) {
        (Node::Empty, Node::Empty) => Ok(Node::Empty),
        (Node::Empty, leaf @ Node::Leaf(_)) | (leaf @ Node::Leaf(_), Node::Empty) => Ok(leaf),
        (Node::Empty, Node::Opaque(_)) => Err(Incomplete { depth: depth + 1, path: with_bit(path, depth, true) }),
        (Node::Opaque(_), Node::Empty) => Err(Incomplete { depth: depth + 1, path: with_bit(path, depth, false) }),
        (left, right) => Ok(Node::internal(left, right)),
    }
}

/// The canonical subtree at `depth` of `leaves` (sorted by path, unique, all sharing the
/// first `depth` bits).
pub fn build(depth: usize, leaves: &[(Hash, Hash)]) -> Node {
    match leaves {
        [] => Node::Empty,
        [(path, value_hash)] => Node::leaf(*path, *value_hash),
        _ => {
            let split = leaves.partition_point(|(path, _)| !bit(path, depth));
            Node::internal(build(depth + 1, &leaves[..split]), build(depth + 1, &leaves[split..]))
        }
    }
}

/// The value hash at `path`: `None` when no leaf is there.
pub fn get(node: &Node, path: &Hash) -> Result<Option<Hash>, Incomplete> {
    let mut node = node;
    let mut depth = 0;
    loop {
        match node {
            Node::Empty => return Ok(None),
            Node::Leaf(leaf) => return Ok((leaf.path == *path).then_some(leaf.value_hash)),
            Node::Opaque(_) => return Err(Incomplete { depth, path: *path }),
            Node::Internal(inner) => {
                node = if bit(path, depth) { &inner.right } else { &inner.left };
                depth += 1;
            }
        }
    }
}

/// The tree with `changes` applied: `(path, Some(value hash))` sets a leaf, `(path, None)`
/// removes it. `changes` must be sorted by path with no path twice.
pub fn update(root: &Node, changes: &[(Hash, Option<Hash>)]) -> Result<Node, Incomplete> {
    debug_assert!(changes.windows(2).all(|pair| pair[0].0 < pair[1].0), "changes sorted, unique");
    update_at(root, 0, changes)
}

fn update_at(node: &Node, depth: usize, changes: &[(Hash, Option<Hash>)]) -> Result<Node, Incomplete> {
    let Some((first, _)) = changes.first() else { return Ok(node.clone()) };
    match node {
        Node::Opaque(_) => Err(Incomplete { depth, path: *first }),
        Node::Empty => Ok(build(depth, &present(changes, None))),
        Node::Leaf(leaf) => Ok(build(depth, &present(changes, Some((leaf.path, leaf.value_hash))))),
        Node::Internal(inner) => {
            let split = changes.partition_point(|(path, _)| !bit(path, depth));
            let left = update_at(&inner.left, depth + 1, &changes[..split])?;
            let right = update_at(&inner.right, depth + 1, &changes[split..])?;
            join(left, right, depth, first)
        }
    }
}

/// The leaves of a subtree that held at most `existing` once `changes` apply, sorted.
fn present(changes: &[(Hash, Option<Hash>)], existing: Option<(Hash, Hash)>) -> Vec<(Hash, Hash)> {
    let mut out: Vec<(Hash, Hash)> =
        changes.iter().filter_map(|(path, value)| value.map(|value| (*path, value))).collect();
    if let Some((path, value)) = existing {
        if changes.binary_search_by(|(changed, _)| changed.cmp(&path)).is_err() {
            out.insert(out.partition_point(|(other, _)| *other < path), (path, value));
        }
    }
    out
}

/// The subtree of `node` at `depth` on the way to `path` (every node on the way must be open).
pub fn subtree<'a>(node: &'a Node, depth: usize, path: &Hash) -> Option<&'a Node> {
    let mut node = node;
    for level in 0..depth {
        match node {
            Node::Internal(inner) => node = if bit(path, level) { &inner.right } else { &inner.left },
            _ => return None,
        }
    }
    Some(node)
}

/// A node opened one level: a leaf as itself, an internal node with opaque children.
fn opened(node: &Node) -> Node {
    match node {
        Node::Internal(inner) => Node::internal(Node::opaque(inner.left.hash()), Node::opaque(inner.right.hash())),
        other => other.clone(),
    }
}

/// The partial tree of `full` that opens every path in `paths` (sorted, unique) down to its
/// leaf or empty slot; every other subtree is opaque.
pub fn prune(full: &Node, paths: &[Hash]) -> Node {
    prune_at(full, 0, paths)
}

fn prune_at(node: &Node, depth: usize, paths: &[Hash]) -> Node {
    if paths.is_empty() {
        return Node::opaque(node.hash());
    }
    match node {
        Node::Internal(inner) => {
            let split = paths.partition_point(|path| !bit(path, depth));
            let left = prune_at(&inner.left, depth + 1, &paths[..split]);
            let right = prune_at(&inner.right, depth + 1, &paths[split..]);
            Node::Internal(Arc::new(InternalNode { hash: inner.hash, left, right }))
        }
        other => other.clone(),
    }
}

/// `partial` with the subtree at `(depth, path)` opened one level from `full` (the two trees
/// having the same root).
pub fn expand(partial: &Node, full: &Node, depth: usize, path: &Hash) -> Node {
    expand_at(partial, full, 0, depth, path)
}

fn expand_at(partial: &Node, full: &Node, level: usize, depth: usize, path: &Hash) -> Node {
    if level == depth {
        return opened(full);
    }
    let Node::Internal(full_inner) = full else { return partial.clone() };
    let partial = match partial {
        Node::Opaque(_) => opened(full),
        other => other.clone(),
    };
    let Node::Internal(inner) = partial else { return partial };
    let (left, right) = if bit(path, level) {
        (inner.left.clone(), expand_at(&inner.right, &full_inner.right, level + 1, depth, path))
    } else {
        (expand_at(&inner.left, &full_inner.left, level + 1, depth, path), inner.right.clone())
    };
    Node::Internal(Arc::new(InternalNode { hash: inner.hash, left, right }))
}

/// The siblings on the way to `path`'s leaf (or empty slot), leaf level first: what
/// `Vault.escape` walks up (PROTOCOL.md section 12). `None` if a partial tree stops short.
pub fn branch(node: &Node, path: &Hash) -> Option<Vec<Hash>> {
    let mut siblings = Vec::new();
    let mut node = node;
    let mut depth = 0;
    while let Node::Internal(inner) = node {
        let (next, sibling) = if bit(path, depth) { (&inner.right, &inner.left) } else { (&inner.left, &inner.right) };
        siblings.push(sibling.hash());
        node = next;
        depth += 1;
    }
    if let Node::Opaque(_) = node {
        return None;
    }
    siblings.reverse();
    Some(siblings)
}

/// What `Vault.escape` computes: the root over `leaf` at depth `siblings.len()` on `path`.
pub fn root_from_branch(path: &Hash, leaf: &Hash, siblings: &[Hash]) -> Hash {
    let depth = siblings.len();
    siblings.iter().enumerate().fold(*leaf, |node, (up, sibling)| {
        if bit(path, depth - 1 - up) {
            node_hash(sibling, &node)
        } else {
            node_hash(&node, sibling)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keccak::keccak;
    use alloc::vec;

    fn path(i: u32) -> Hash {
        keccak(&[&i.to_be_bytes()])
    }

    fn value(i: u32) -> Hash {
        keccak(&[b"value", &i.to_be_bytes()])
    }

    fn sorted(mut leaves: Vec<(Hash, Hash)>) -> Vec<(Hash, Hash)> {
        leaves.sort();
        leaves
    }

    #[test]
    fn empty_tree_is_zero_and_one_leaf_is_the_leaf() {
        assert_eq!(build(0, &[]).hash(), EMPTY);
        assert_eq!(build(0, &[(path(1), value(1))]).hash(), leaf_hash(&path(1), &value(1)));
    }

    #[test]
    fn root_is_the_same_whatever_the_order_of_updates() {
        let all = sorted((0..50).map(|i| (path(i), value(i))).collect());
        let expected = build(0, &all).hash();
        let mut tree = Node::Empty;
        for (p, v) in all.iter().rev() {
            tree = update(&tree, &[(*p, Some(*v))]).unwrap();
        }
        assert_eq!(tree.hash(), expected);
        // Insert extra leaves and take them out again: back to the same root.
        let extra: Vec<(Hash, Option<Hash>)> =
            sorted((100..120).map(|i| (path(i), value(i))).collect()).into_iter().map(|(p, v)| (p, Some(v))).collect();
        let grown = update(&tree, &extra).unwrap();
        let removals: Vec<(Hash, Option<Hash>)> = extra.iter().map(|(p, _)| (*p, None)).collect();
        assert_eq!(update(&grown, &removals).unwrap().hash(), expected);
    }

    #[test]
    fn a_partial_tree_updates_to_the_full_trees_root() {
        let all = sorted((0..64).map(|i| (path(i), value(i))).collect());
        let full = build(0, &all);
        // Change one, delete one, add one; open only those paths.
        let mut changes = vec![(all[3].0, Some(value(999))), (all[10].0, None), (path(500), Some(value(500)))];
        changes.sort();
        let paths: Vec<Hash> = changes.iter().map(|(p, _)| *p).collect();
        let mut partial = prune(&full, &paths);
        assert_eq!(partial.hash(), full.hash());
        let expected = update(&full, &changes).unwrap().hash();
        let updated = loop {
            match update(&partial, &changes) {
                Ok(tree) => break tree,
                Err(at) => partial = expand(&partial, &full, at.depth, &at.path),
            }
        };
        assert_eq!(updated.hash(), expected);
        // An unopened path is not guessed.
        assert!(get(&prune(&full, &paths), &all[20].0).is_err());
    }

    #[test]
    fn branches_lead_to_the_root() {
        let all = sorted((0..37).map(|i| (path(i), value(i))).collect());
        let full = build(0, &all);
        for (p, v) in &all {
            let siblings = branch(&full, p).unwrap();
            assert_eq!(root_from_branch(p, &leaf_hash(p, v), &siblings), full.hash());
        }
    }

    #[test]
    fn same_prefix_compares_leading_bits() {
        let a = [0b1010_0000; 32];
        let mut b = a;
        b[0] = 0b1011_0000;
        assert!(same_prefix(&a, &b, 3));
        assert!(!same_prefix(&a, &b, 4));
        assert!(same_prefix(&a, &a, 256));
    }
}
