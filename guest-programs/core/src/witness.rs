//! The witness of a proven range (PROTOCOL.md section 9): the records the range reaches, the
//! keys it finds absent, and the partial state tree that proves both against the previous
//! state root.
//!
//! ```text
//! witness = count(u32) ‖ count × ( keyLength(u8) ‖ key ‖ valueLength(u16) ‖ value )   records, in path order
//!         ‖ count(u32) ‖ count × ( keyLength(u8) ‖ key )                             keys proven absent, in path order
//!         ‖ tree                                                                      the rest: pre-order nodes
//! node    = 0x00                                  empty
//!         | 0x01 ‖ hash(32)                       opaque subtree
//!         | 0x02 ‖ node(left) ‖ node(right)       internal
//!         | 0x03 ‖ path(32) ‖ leafHash(32)        a leaf whose record the range does not reach
//!         | 0x04                                  the next record's leaf (path and hash from it)
//! ```
//!
//! [`open`] checks a witness and yields the partial state the transition runs over;
//! [`close`] computes the new root from the records the transition wrote.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::keccak::keccak;
use crate::smt::{self, same_prefix, Incomplete, Node, MAX_DEPTH};
use crate::state::{LoadError, State, StateKey};
use crate::Hash;

const EMPTY: u8 = 0x00;
const OPAQUE: u8 = 0x01;
const INTERNAL: u8 = 0x02;
const LEAF: u8 = 0x03;
const RECORD: u8 = 0x04;

/// Why a witness does not prove a state (no proof can be made from it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WitnessError {
    /// The bytes do not follow the layout.
    Malformed,
    /// A key or record that is not the layout of its kind, or a vacant record.
    BadRecord(LoadError),
    /// A record or leaf sits where its path does not lead.
    Misplaced(Hash),
    /// A key listed as absent has a leaf.
    NotAbsent(StateKey),
    /// A key listed (or a change) needs a subtree the witness does not open.
    Incomplete(Incomplete),
    /// The same key twice.
    Duplicate(StateKey),
    /// No header record.
    NoHeader,
}

/// A record as the witness carries it.
pub struct WitnessRecord<'a> {
    pub key: StateKey,
    pub key_bytes: &'a [u8],
    pub value: &'a [u8],
}

/// The parts of a witness, borrowed from its bytes.
pub struct Parsed<'a> {
    pub records: Vec<WitnessRecord<'a>>,
    pub absent: Vec<(StateKey, &'a [u8])>,
    pub tree: &'a [u8],
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WitnessError> {
        if self.0.len() < n {
            return Err(WitnessError::Malformed);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, WitnessError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<usize, WitnessError> {
        Ok(usize::from(u16::from_be_bytes(self.take(2)?.try_into().expect("2 bytes"))))
    }

    fn u32(&mut self) -> Result<usize, WitnessError> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes")) as usize)
    }

    fn hash(&mut self) -> Result<Hash, WitnessError> {
        Ok(self.take(32)?.try_into().expect("32 bytes"))
    }

    fn key(&mut self) -> Result<(StateKey, &'a [u8]), WitnessError> {
        let length = usize::from(self.u8()?);
        let bytes = self.take(length)?;
        let key = StateKey::decode(bytes).ok_or(WitnessError::Malformed)?;
        Ok((key, bytes))
    }
}

/// Splits a witness into records, absent keys and tree bytes.
pub fn parse(bytes: &[u8]) -> Result<Parsed<'_>, WitnessError> {
    let mut at = Cursor(bytes);
    let count = at.u32()?;
    // Each record takes at least 4 bytes: refuse a count the bytes cannot hold before allocating.
    if count > bytes.len() / 4 {
        return Err(WitnessError::Malformed);
    }
    let mut records = Vec::with_capacity(count);
    for _ in 0..count {
        let (key, key_bytes) = at.key()?;
        let length = at.u16()?;
        records.push(WitnessRecord { key, key_bytes, value: at.take(length)? });
    }
    let count = at.u32()?;
    if count > bytes.len() {
        return Err(WitnessError::Malformed);
    }
    let absent = (0..count).map(|_| at.key()).collect::<Result<Vec<_>, _>>()?;
    Ok(Parsed { records, absent, tree: at.0 })
}

/// Rebuilds the partial tree from its pre-order bytes; `leaves` gives the path and leaf hash
/// of each record leaf in turn.
fn read_tree(
    at: &mut Cursor,
    depth: usize,
    prefix: &Hash,
    leaves: &mut core::slice::Iter<(Hash, Hash)>,
) -> Result<Node, WitnessError> {
    let node = match at.u8()? {
        EMPTY => Node::Empty,
        OPAQUE => {
            let hash = at.hash()?;
            if hash == smt::EMPTY {
                return Err(WitnessError::Malformed);
            }
            Node::Opaque(alloc::sync::Arc::new(hash))
        }
        INTERNAL if depth < MAX_DEPTH => {
            let left = read_tree(at, depth + 1, prefix, leaves)?;
            let mut right_prefix = *prefix;
            right_prefix[depth / 8] |= 1 << (7 - depth % 8);
            let right = read_tree(at, depth + 1, &right_prefix, leaves)?;
            Node::internal(left, right)
        }
        LEAF => Node::leaf(at.hash()?, at.hash()?),
        RECORD => {
            let (path, leaf) = leaves.next().ok_or(WitnessError::Malformed)?;
            Node::leaf(*path, *leaf)
        }
        _ => return Err(WitnessError::Malformed),
    };
    if let Node::Leaf(leaf) = &node {
        if !same_prefix(&leaf.path, prefix, depth) {
            return Err(WitnessError::Misplaced(leaf.path));
        }
    }
    Ok(node)
}

/// A key of the witness: where its leaf is and the leaf's hash at the range's start (`None`:
/// proven absent).
pub struct WitnessLeaf {
    pub path: Hash,
    pub key: StateKey,
    pub old: Option<Hash>,
}

/// What a proof keeps of its witness to close the range: the partial tree, the records' keys
/// and the absent keys, each in path order.
pub struct Opened {
    pub tree: Node,
    pub records: Vec<WitnessLeaf>,
    pub absent: Vec<WitnessLeaf>,
}

/// `a < b` for paths, by their first eight bytes where those differ (a `memcmp` call costs
/// more than the comparison inside a zkVM).
#[inline]
fn path_before(a: &Hash, b: &Hash) -> bool {
    let head = |path: &Hash| u64::from_be_bytes(path[..8].try_into().expect("8 bytes"));
    match head(a).cmp(&head(b)) {
        core::cmp::Ordering::Equal => a < b,
        order => order.is_lt(),
    }
}

/// Checks `bytes` and returns the partial state it proves (tables seeded with `seed`) and the
/// partial tree, whose hash is the previous state root.
pub fn open(bytes: &[u8], seed: u64) -> Result<(State, Opened), WitnessError> {
    let parsed = parse(bytes)?;
    let mut leaves: Vec<WitnessLeaf> = Vec::with_capacity(parsed.records.len());
    let mut record_leaves = Vec::with_capacity(parsed.records.len());
    for record in &parsed.records {
        let path = keccak(&[record.key_bytes]);
        let leaf = (path, smt::leaf_hash(&path, record.value));
        // Records come in path order, each key once (their leaves are the tree's, in order).
        if leaves.last().is_some_and(|last| !path_before(&last.path, &leaf.0)) {
            return Err(WitnessError::Duplicate(record.key));
        }
        leaves.push(WitnessLeaf { path: leaf.0, key: record.key, old: Some(leaf.1) });
        record_leaves.push(leaf);
    }
    let mut at = Cursor(parsed.tree);
    let mut iter = record_leaves.iter();
    let tree = read_tree(&mut at, 0, &[0; 32], &mut iter)?;
    if !at.0.is_empty() || iter.next().is_some() {
        return Err(WitnessError::Malformed);
    }
    // The tree places each record leaf by its path; absent keys must lead to no leaf.
    let mut absent: Vec<WitnessLeaf> = Vec::with_capacity(parsed.absent.len());
    for (key, key_bytes) in &parsed.absent {
        let path = keccak(&[key_bytes]);
        match smt::get(&tree, &path) {
            Ok(None) => {}
            Ok(Some(_)) => return Err(WitnessError::NotAbsent(*key)),
            Err(at) => return Err(WitnessError::Incomplete(at)),
        }
        absent.push(WitnessLeaf { path, key: *key, old: None });
    }
    // Absent keys come in path order too, each once.
    if let Some(pair) = absent.windows(2).find(|pair| !path_before(&pair[0].path, &pair[1].path)) {
        return Err(WitnessError::Duplicate(pair[1].key));
    }
    // An absent key is never a record's: it led to no leaf, and every record has one.
    let mut state = State::partial(seed);
    state.reserve_for(parsed.records.iter().map(|r| &r.key).chain(parsed.absent.iter().map(|(k, _)| k)));
    let mut header = false;
    for record in &parsed.records {
        header |= record.key == StateKey::Header;
        state.set_record(&record.key, Some(record.value)).map_err(WitnessError::BadRecord)?;
    }
    for (key, _) in &parsed.absent {
        state.set_record(key, None).map_err(WitnessError::BadRecord)?;
    }
    if !header {
        return Err(WitnessError::NoHeader);
    }
    state.derive_hints();
    Ok((state, Opened { tree, records: leaves, absent }))
}

/// The new state root: the witness's tree with every record the transition wrote updated.
/// The witness's keys are in path order, so the changes are too.
pub fn close(state: &mut State, opened: &Opened) -> Result<Hash, WitnessError> {
    let mut changes: Vec<(Hash, Option<Hash>)> = Vec::new();
    let mut buffer = Vec::with_capacity(256);
    let (mut records, mut absent) = (opened.records.iter().peekable(), opened.absent.iter().peekable());
    // Both lists in path order, merged as they go: the changes come out in path order.
    loop {
        let leaf = match (records.peek(), absent.peek()) {
            (Some(r), Some(a)) if path_before(&r.path, &a.path) => records.next(),
            (Some(_), Some(_)) | (None, Some(_)) => absent.next(),
            (Some(_), None) => records.next(),
            (None, None) => break,
        }
        .expect("peeked");
        if !state.was_written(&leaf.key) {
            continue;
        }
        let new = state.write_record(&leaf.key, &mut buffer).then(|| smt::leaf_hash(&leaf.path, &buffer));
        if new != leaf.old {
            changes.push((leaf.path, new));
        }
    }
    let tree = smt::update(&opened.tree, &changes).map_err(WitnessError::Incomplete)?;
    let root = tree.hash();
    // In a zkVM the run ends soon after: dropping the tree node by node would only cost cycles.
    #[cfg(target_os = "zkvm")]
    core::mem::forget(tree);
    Ok(root)
}

// ---- writing a witness (the node) ---------------------------------------------------------

/// Writes a witness: `records` (key, value) in path order, `absent` keys, and the partial tree
/// whose leaves at the records' paths are written as record leaves.
pub fn write(records: &[(StateKey, Vec<u8>)], absent: &[StateKey], tree: &Node) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(records.len() as u32).to_be_bytes());
    let mut record_paths = BTreeMap::new();
    for (key, value) in records {
        let key_bytes = key.encode();
        record_paths.insert(keccak(&[&key_bytes]), ());
        out.push(key_bytes.len() as u8);
        out.extend_from_slice(&key_bytes);
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        out.extend_from_slice(value);
    }
    out.extend_from_slice(&(absent.len() as u32).to_be_bytes());
    for key in absent {
        let key_bytes = key.encode();
        out.push(key_bytes.len() as u8);
        out.extend_from_slice(&key_bytes);
    }
    write_tree(&mut out, tree, &record_paths);
    out
}

fn write_tree(out: &mut Vec<u8>, node: &Node, record_paths: &BTreeMap<Hash, ()>) {
    match node {
        Node::Empty => out.push(EMPTY),
        Node::Opaque(hash) => {
            out.push(OPAQUE);
            out.extend_from_slice(&hash[..]);
        }
        Node::Internal(inner) => {
            out.push(INTERNAL);
            write_tree(out, &inner.left, record_paths);
            write_tree(out, &inner.right, record_paths);
        }
        Node::Leaf(leaf) if record_paths.contains_key(&leaf.path) => out.push(RECORD),
        Node::Leaf(leaf) => {
            out.push(LEAF);
            out.extend_from_slice(&leaf.path);
            out.extend_from_slice(&leaf.hash);
        }
    }
}
