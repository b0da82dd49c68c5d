//! One kind of record, keyed: the whole state's records in the node, or in a proof only the
//! records of its witness.
//!
//! A complete table (the node's) knows every record: a missing key is a record that does not
//! exist. A partial table (a proof's) knows only what the witness proved: present records,
//! and keys proven absent. Reaching any other key means the witness was incomplete, and the
//! proof must fail rather than guess, so the lookup panics (no proof can be produced).
//!
//! Every lookup that the transition makes is logged (the node turns the log into the keys a
//! witness must cover, and the written keys into the leaves to update). Keys are hashed with a
//! seeded hasher: where the keys come from traders (addresses, nonces, prices) an unseeded
//! hash would let anyone plant collisions, as the node's seed and each proof's are unknown.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt::Debug;
use core::hash::{BuildHasher, Hash};

use foldhash::fast::{FoldHasher, SeedableRandomState};
use foldhash::SharedSeed;

/// A seeded hasher for the state's tables (foldhash, seeded per state).
#[derive(Clone, Debug)]
pub struct Seeded(SeedableRandomState);

impl Seeded {
    pub fn new(seed: u64) -> Seeded {
        // One shared seed per state, kept for the life of the program (48 bytes).
        let shared: &'static SharedSeed = Box::leak(Box::new(SharedSeed::from_u64(seed.rotate_left(17) ^ 0x6a09_e667_f3bc_c908)));
        Seeded(SeedableRandomState::with_seed(seed, shared))
    }
}

impl BuildHasher for Seeded {
    type Hasher = FoldHasher<'static>;

    #[inline]
    fn build_hasher(&self) -> FoldHasher<'static> {
        self.0.build_hasher()
    }
}

pub type Map<K, V> = hashbrown::HashMap<K, V, Seeded>;

/// Whether a table holds every record (the node) or only a witness's (a proof).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Complete,
    Partial,
}

#[derive(Clone, Debug)]
enum Slot<V> {
    Present(V),
    /// Proven absent by the witness, or removed since (partial tables only).
    Absent,
}

/// Records of one kind by key, with the log of the keys the transition reached.
#[derive(Clone, Debug)]
pub struct Table<K, V> {
    map: Map<K, Slot<V>>,
    mode: Mode,
    /// Reads are logged in a complete table (a witness needs them); writes always.
    log_reads: bool,
    /// `(key, written)` in the order reached (repeats allowed).
    log: RefCell<Vec<(K, bool)>>,
}

#[cold]
#[inline(never)]
fn missing(key: &dyn Debug) -> ! {
    panic!("incomplete witness: the proof reached {key:?}, which its witness does not cover")
}

impl<K: Copy + Eq + Hash + Debug, V> Table<K, V> {
    pub fn new(mode: Mode, hasher: Seeded) -> Table<K, V> {
        Table { map: Map::with_hasher(hasher), mode, log_reads: mode == Mode::Complete, log: RefCell::new(Vec::new()) }
    }

    #[inline]
    fn note(&self, key: &K, written: bool) {
        if written || self.log_reads {
            self.log.borrow_mut().push((*key, written));
        }
    }

    /// The slot of `key`, `None` when the record does not exist.
    #[inline]
    fn slot(&self, key: &K) -> Option<&V> {
        match self.map.get(key) {
            Some(Slot::Present(value)) => Some(value),
            Some(Slot::Absent) => None,
            None if self.mode == Mode::Complete => None,
            None => missing(key),
        }
    }

    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        self.note(key, false);
        self.slot(key)
    }

    #[inline]
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.note(key, true);
        match self.map.get_mut(key) {
            Some(Slot::Present(value)) => Some(value),
            Some(Slot::Absent) => None,
            None if self.mode == Mode::Complete => None,
            None => missing(key),
        }
    }

    /// The record, created with `make` if it does not exist.
    #[inline]
    pub fn get_or_insert_with(&mut self, key: &K, make: impl FnOnce() -> V) -> &mut V {
        self.note(key, true);
        let mode = self.mode;
        let slot = match self.map.entry(*key) {
            hashbrown::hash_map::Entry::Occupied(slot) => slot.into_mut(),
            hashbrown::hash_map::Entry::Vacant(_) if mode == Mode::Partial => missing(key),
            hashbrown::hash_map::Entry::Vacant(slot) => slot.insert(Slot::Absent),
        };
        if let Slot::Absent = slot {
            *slot = Slot::Present(make());
        }
        match slot {
            Slot::Present(value) => value,
            Slot::Absent => unreachable!("just filled"),
        }
    }

    #[inline]
    pub fn insert(&mut self, key: K, value: V) {
        self.note(&key, true);
        if self.mode == Mode::Partial && !self.map.contains_key(&key) {
            missing(&key);
        }
        self.map.insert(key, Slot::Present(value));
    }

    #[inline]
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.note(key, true);
        let old = match self.mode {
            Mode::Complete => self.map.remove(key),
            Mode::Partial => match self.map.get_mut(key) {
                Some(slot) => Some(core::mem::replace(slot, Slot::Absent)),
                None => missing(key),
            },
        };
        match old {
            Some(Slot::Present(value)) => Some(value),
            _ => None,
        }
    }

    /// The record without logging: for views, and for fields that are not part of records.
    /// A key a partial table does not know reads as absent.
    #[inline]
    pub fn peek(&self, key: &K) -> Option<&V> {
        match self.map.get(key) {
            Some(Slot::Present(value)) => Some(value),
            _ => None,
        }
    }

    /// [`Table::peek`], mutable.
    #[inline]
    pub fn peek_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.map.get_mut(key) {
            Some(Slot::Present(value)) => Some(value),
            _ => None,
        }
    }

    /// Sets what a witness proved (or a stored state holds), without logging.
    pub fn load(&mut self, key: K, value: Option<V>) {
        self.map.insert(key, value.map_or(Slot::Absent, Slot::Present));
    }

    /// Forgets a record without logging (the node's commit of a vacant record).
    pub fn forget(&mut self, key: &K) {
        match self.mode {
            Mode::Complete => {
                self.map.remove(key);
            }
            Mode::Partial => {
                self.map.insert(*key, Slot::Absent);
            }
        }
    }

    /// Every present record, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter().filter_map(|(key, slot)| match slot {
            Slot::Present(value) => Some((key, value)),
            Slot::Absent => None,
        })
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Every key this table knows, present or proven absent (a partial table's witness keys).
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.map.keys()
    }

    /// The log since the last call: `(key, written)` as reached.
    pub fn take_log(&mut self) -> Vec<(K, bool)> {
        core::mem::take(self.log.get_mut())
    }

    pub fn clear_log(&mut self) {
        self.log.get_mut().clear();
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }
}

impl<K: Copy + Eq + Hash + Debug, V: PartialEq> PartialEq for Table<K, V> {
    /// Equal when the same records are present (logs, hints and proven absences are not state).
    fn eq(&self, other: &Table<K, V>) -> bool {
        self.len() == other.len() && self.iter().all(|(key, value)| other.peek(key) == Some(value))
    }
}
