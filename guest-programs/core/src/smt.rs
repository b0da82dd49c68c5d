//! The state tree (PROTOCOL.md section 10): a compact sparse Merkle tree of keccak over
//! 256-bit paths, where a subtree holding one leaf is that leaf and a subtree holding none is
//! zero, so the root depends only on the set of leaves, never on the order they came in.
//!
//! ```text
//! empty    = 0x00…00
//! leaf     = keccak(path ‖ value ‖ 0x01)            33 + value bytes (no record is 31 bytes long)
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

use crate::keccak::{keccak, keccak_pair};
use crate::Hash;

pub const EMPTY: Hash = [0; 32];
/// Paths are 256 bits: no node is deeper.
pub const MAX_DEPTH: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafNode {
    pub path: Hash,
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
    /// A subtree a partial tree does not open: only its hash is known (never zero). Behind a
    /// pointer like the other kinds, so a node is two words to move.
    Opaque(Arc<Hash>),
}

/// A partial tree lacks the subtree at `depth` on the way to `path`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incomplete {
    pub depth: usize,
    pub path: Hash,
}

/// `keccak(path ‖ value ‖ 0x01)`: one hash over the record's own bytes. Its length, 33 plus
/// the record's, is never an internal node's 64: no record is 31 bytes long
/// (`state::records` tests it for every kind).
#[inline]
pub fn leaf_hash(path: &Hash, value: &[u8]) -> Hash {
    debug_assert_ne!(value.len(), 31, "a 31-byte record would hash like an internal node");
    keccak(&[path, value, &[1]])
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

/// Whether `a` and `b` agree on their first `depth` bits (compared a word at a time).
pub fn same_prefix(a: &Hash, b: &Hash, depth: usize) -> bool {
    let word = |path: &Hash, at: usize| u64::from_be_bytes(path[8 * at..8 * at + 8].try_into().expect("8 bytes"));
    let (whole, rest) = (depth / 64, depth % 64);
    if (0..whole).any(|at| word(a, at) != word(b, at)) {
        return false;
    }
    rest == 0 || (word(a, whole) ^ word(b, whole)) >> (64 - rest) == 0
}

impl Node {
    pub fn hash(&self) -> Hash {
        match self {
            Node::Empty => EMPTY,
            Node::Leaf(leaf) => leaf.hash,
            Node::Internal(node) => node.hash,
            Node::Opaque(hash) => **hash,
        }
    }

    /// The leaf at `path` whose hash (section 10's `leaf`) is `hash`.
    pub fn leaf(path: Hash, hash: Hash) -> Node {
        Node::Leaf(Arc::new(LeafNode { path, hash }))
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
            Node::Opaque(Arc::new(hash))
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

/// The canonical subtree at `depth` of `leaves` (`(path, leaf hash)`, sorted by path, unique,
/// all sharing the first `depth` bits).
pub fn build(depth: usize, leaves: &[(Hash, Hash)]) -> Node {
    match leaves {
        [] => Node::Empty,
        [(path, leaf)] => Node::leaf(*path, *leaf),
        _ => {
            let split = leaves.partition_point(|(path, _)| !bit(path, depth));
            Node::internal(build(depth + 1, &leaves[..split]), build(depth + 1, &leaves[split..]))
        }
    }
}

/// The leaf hash at `path`: `None` when no leaf is there.
pub fn get(node: &Node, path: &Hash) -> Result<Option<Hash>, Incomplete> {
    let mut node = node;
    let mut depth = 0;
    loop {
        match node {
            Node::Empty => return Ok(None),
            Node::Leaf(leaf) => return Ok((leaf.path == *path).then_some(leaf.hash)),
            Node::Opaque(_) => return Err(Incomplete { depth, path: *path }),
            Node::Internal(inner) => {
                node = if bit(path, depth) { &inner.right } else { &inner.left };
                depth += 1;
            }
        }
    }
}

/// The tree with `changes` applied: `(path, Some(leaf hash))` sets a leaf, `(path, None)`
/// removes it. `changes` must be sorted by path with no path twice.
pub fn update(root: &Node, changes: &[(Hash, Option<Hash>)]) -> Result<Node, Incomplete> {
    debug_assert!(changes.windows(2).all(|pair| pair[0].0 < pair[1].0), "changes sorted, unique");
    update_at(root, 0, changes)
}

fn update_at(node: &Node, depth: usize, changes: &[(Hash, Option<Hash>)]) -> Result<Node, Incomplete> {
    let Some((first, _)) = changes.first() else { return Ok(node.clone()) };
    match (node, changes) {
        (Node::Opaque(_), _) => Err(Incomplete { depth, path: *first }),
        // One leaf set or removed where it was, or put into an empty slot: the common cases,
        // without building a list.
        (Node::Leaf(leaf), [(path, value)]) if *path == leaf.path => {
            Ok(value.map_or(Node::Empty, |v| Node::leaf(*path, v)))
        }
        (Node::Empty, [(path, value)]) => Ok(value.map_or(Node::Empty, |v| Node::leaf(*path, v))),
        // Several changes under an empty slot or a lone leaf: split them (and the leaf) by the
        // next bit and go on down, as under an internal node; `join` keeps the result canonical.
        (Node::Empty | Node::Leaf(_), _) => {
            let split = changes.partition_point(|(path, _)| !bit(path, depth));
            let (left, right) = match node {
                Node::Leaf(leaf) if bit(&leaf.path, depth) => (Node::Empty, node.clone()),
                Node::Leaf(_) => (node.clone(), Node::Empty),
                _ => (Node::Empty, Node::Empty),
            };
            let left = update_at(&left, depth + 1, &changes[..split])?;
            let right = update_at(&right, depth + 1, &changes[split..])?;
            join(left, right, depth, first)
        }
        (Node::Internal(inner), _) => {
            let split = changes.partition_point(|(path, _)| !bit(path, depth));
            let left = update_at(&inner.left, depth + 1, &changes[..split])?;
            let right = update_at(&inner.right, depth + 1, &changes[split..])?;
            join(left, right, depth, first)
        }
    }
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
        assert_eq!(build(0, &[(path(1), value(1))]).hash(), value(1));
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
            assert_eq!(root_from_branch(p, v, &siblings), full.hash());
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
