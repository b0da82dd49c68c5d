//! The node's side of the state tree: every record and the whole tree, advanced a block at a
//! time. A block's commit updates only the paths it wrote and reports which leaves changed (the
//! node stores those, not a snapshot) and which keys the block reached (a later witness must
//! cover them). A witness for a range, and a balance's branch for the escape hatch, are built
//! from the tree as it stood at an earlier point, which the node describes by the values that
//! have changed since: the current tree with those leaves set back.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::smt::{self, Node};
use crate::state::{Balance, GenesisConfig, GenesisError, LoadError, Market, Record, State, StateKey};
use crate::witness::{self, WitnessError};
use crate::{Address, Hash};

/// A key's leaf bytes at some point (`None`: no leaf).
pub type LeafValue = (StateKey, Option<Vec<u8>>);

/// What a block's commit did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub root: Hash,
    /// The leaves whose value changed, with their new bytes (`None`: removed), sorted by key.
    pub changed: Vec<LeafValue>,
    /// Every key the transition reached since the last commit, read or written, sorted.
    pub accessed: Vec<StateKey>,
}

/// A balance leaf and the branch that proves it against a state root (PROTOCOL.md section 12).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceProof {
    pub balance: Balance,
    pub path: Hash,
    pub leaf: Hash,
    /// Siblings from the leaf up.
    pub siblings: Vec<Hash>,
    pub root: Hash,
}

/// The whole state and its tree.
#[derive(Clone, Debug)]
pub struct Ledger {
    pub state: State,
    tree: Node,
}

/// The leaf hash of `bytes` at `path` (`None`: no leaf).
fn leaf_of(path: &Hash, bytes: &Option<Vec<u8>>) -> Option<Hash> {
    bytes.as_ref().map(|bytes| smt::leaf_hash(path, bytes))
}

/// `(path, leaf hash)` of every leaf value, sorted by path.
fn leaf_changes(values: &[LeafValue]) -> Vec<(Hash, Option<Hash>)> {
    let mut changes: Vec<(Hash, Option<Hash>)> = values
        .iter()
        .map(|(key, bytes)| {
            let path = key.path();
            (path, leaf_of(&path, bytes))
        })
        .collect();
    changes.sort_unstable_by_key(|a| a.0);
    changes.dedup_by(|a, b| a.0 == b.0);
    changes
}

impl Ledger {
    pub fn genesis(genesis: GenesisConfig, markets: Vec<Market>, seed: u64) -> Result<Ledger, GenesisError> {
        Ok(Ledger::over(State::genesis_seeded(genesis, markets, seed)?))
    }

    /// A complete state's ledger: the tree over all its records.
    pub fn over(mut state: State) -> Ledger {
        state.clear_accessed();
        let mut leaves: Vec<(Hash, Hash)> = state
            .records()
            .into_iter()
            .map(|(key, bytes)| {
                let path = key.path();
                (path, smt::leaf_hash(&path, &bytes))
            })
            .collect();
        leaves.sort_unstable();
        Ledger { tree: smt::build(0, &leaves), state }
    }

    /// The ledger of stored records (each key once).
    pub fn restore(records: impl IntoIterator<Item = (StateKey, Vec<u8>)>, seed: u64) -> Result<Ledger, LoadError> {
        let mut state = State::complete(seed);
        for (key, bytes) in records {
            state.set_record(&key, Some(&bytes))?;
        }
        state.derive_hints();
        Ok(Ledger::over(state))
    }

    pub fn root(&self) -> Hash {
        self.tree.hash()
    }

    /// Updates the tree with what the transition wrote since the last commit.
    pub fn commit(&mut self) -> Commit {
        let accessed = self.state.take_accessed();
        let mut changed = Vec::new();
        let mut changes = Vec::new();
        for (key, written) in &accessed {
            if !written {
                continue;
            }
            self.state.forget_if_vacant(key);
            let bytes = self.state.record_bytes(key);
            let path = key.path();
            let new = leaf_of(&path, &bytes);
            let old = smt::get(&self.tree, &path).expect("the node's tree is complete");
            if new != old {
                changes.push((path, new));
                changed.push((*key, bytes));
            }
        }
        changes.sort_unstable_by_key(|a| a.0);
        self.tree = smt::update(&self.tree, &changes).expect("the node's tree is complete");
        Commit { root: self.root(), changed, accessed: accessed.into_iter().map(|(key, _)| key).collect() }
    }

    /// Sets records back (a reorg's rollback): state and tree, not logged.
    pub fn revert(&mut self, values: &[LeafValue]) -> Result<(), LoadError> {
        for (key, bytes) in values {
            self.state.set_record(key, bytes.as_deref())?;
        }
        self.state.derive_hints();
        self.tree = self.tree_with(values);
        Ok(())
    }

    /// The tree with `values` set (the tree as it stood when those were its leaves).
    pub fn tree_with(&self, values: &[LeafValue]) -> Node {
        smt::update(&self.tree, &leaf_changes(values)).expect("the node's tree is complete")
    }

    /// The root the tree had when `values` were its leaves.
    pub fn root_with(&self, values: &[LeafValue]) -> Hash {
        self.tree_with(values).hash()
    }

    /// The witness of a range that reached `keys`, from the tree at its start (`start`: the
    /// values that changed since then, as they were) to its end (`end`: likewise).
    pub fn witness(&self, keys: &[StateKey], start: &[LeafValue], end: &[LeafValue]) -> Result<Vec<u8>, WitnessError> {
        let start_tree = self.tree_with(start);
        let end_root = self.root_with(end);
        let at_start: BTreeMap<StateKey, &Option<Vec<u8>>> = start.iter().map(|(key, bytes)| (*key, bytes)).collect();
        let at_end: BTreeMap<StateKey, &Option<Vec<u8>>> = end.iter().map(|(key, bytes)| (*key, bytes)).collect();
        let value = |map: &BTreeMap<StateKey, &Option<Vec<u8>>>, key: &StateKey| match map.get(key) {
            Some(bytes) => (*bytes).clone(),
            None => self.state.record_bytes(key),
        };
        // The header (inbox position) is every range's, even one that reaches nothing else.
        let mut keys: Vec<StateKey> = keys.to_vec();
        keys.push(StateKey::Header);
        keys.sort_unstable();
        keys.dedup();
        let mut records = Vec::new();
        let mut absent = Vec::new();
        let mut paths = Vec::with_capacity(keys.len());
        let mut changes = Vec::new();
        for key in keys {
            let path = key.path();
            let (before, after) = (value(&at_start, &key), value(&at_end, &key));
            let (old, new) = (leaf_of(&path, &before), leaf_of(&path, &after));
            if old != new {
                changes.push((path, new));
            }
            match before {
                Some(bytes) => records.push((path, key, bytes)),
                None => absent.push((path, key)),
            }
            paths.push(path);
        }
        paths.sort_unstable();
        changes.sort_unstable_by_key(|a| a.0);
        records.sort_unstable_by_key(|a| a.0);
        absent.sort_unstable();
        let absent: Vec<StateKey> = absent.into_iter().map(|(_, key)| key).collect();
        // Open what the range's own update will need (siblings a deletion lifts) as the proof
        // would find it: try, open the missing subtree, try again.
        let mut partial = smt::prune(&start_tree, &paths);
        loop {
            match smt::update(&partial, &changes) {
                Ok(tree) if tree.hash() == end_root => break,
                Ok(_) => return Err(WitnessError::Misplaced(end_root)),
                Err(at) => partial = smt::expand(&partial, &start_tree, at.depth, &at.path),
            }
        }
        let records: Vec<(StateKey, Vec<u8>)> = records.into_iter().map(|(_, key, bytes)| (key, bytes)).collect();
        Ok(witness::write(&records, &absent, &partial))
    }

    /// The balance of `(trader, token)` and its branch in the tree with `values` set (the
    /// verified state, as the node describes it); `None` for a zero balance (no leaf).
    pub fn balance_proof(&self, trader: &Address, token: &Address, values: &[LeafValue]) -> Option<BalanceProof> {
        let key = StateKey::Balance(*trader, *token);
        let tree = self.tree_with(values);
        let bytes = match values.iter().find(|(changed, _)| *changed == key) {
            Some((_, bytes)) => bytes.clone(),
            None => self.state.record_bytes(&key),
        }?;
        let balance = Balance::decode(&bytes)?;
        let path = key.path();
        let leaf = smt::leaf_hash(&path, &bytes);
        Some(BalanceProof { balance, path, leaf, siblings: smt::branch(&tree, &path)?, root: tree.hash() })
    }
}
