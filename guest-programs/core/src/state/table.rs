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
use core::cell::{Cell, RefCell};
use core::fmt::Debug;
use core::hash::{BuildHasher, Hash, Hasher};

use foldhash::fast::{FoldHasher, SeedableRandomState};
use foldhash::SharedSeed;

/// A seeded hasher for the state's tables (foldhash, seeded per state).
#[derive(Clone, Debug)]
pub struct Seeded(SeedableRandomState);

impl Seeded {
    pub fn new(seed: u64) -> Seeded {
        // One shared seed per state, kept for the life of the program (48 bytes).
        let shared: &'static SharedSeed =
            Box::leak(Box::new(SharedSeed::from_u64(seed.rotate_left(17) ^ 0x6a09_e667_f3bc_c908)));
        Seeded(SeedableRandomState::with_seed(seed, shared))
    }
}

impl BuildHasher for Seeded {
    type Hasher = KeyHasher;

    #[inline]
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(self.0.build_hasher())
    }
}

/// foldhash fed a word at a time: the tables' keys are addresses, ids and prices, whose byte
/// strings (20-byte addresses) would otherwise take foldhash's long-string path.
pub struct KeyHasher(FoldHasher<'static>);

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.0.write_u64(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.0.write_u64(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, value: u8) {
        self.0.write_u8(value);
    }

    #[inline]
    fn write_u32(&mut self, value: u32) {
        self.0.write_u32(value);
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.0.write_u64(value);
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.0.write_usize(value);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

pub type Map<K, V> = hashbrown::HashMap<K, V, Seeded>;

/// Whether a table holds every record (the node) or only a witness's (a proof).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Complete,
    Partial,
}

/// A record (or, in a partial table, a proven absence) and the epochs in which the log last
/// took its key, so that a block logs each key once however often it reaches it.
#[derive(Clone, Debug)]
struct Slot<V> {
    /// `None`: proven absent by the witness, or removed since (partial tables only).
    value: Option<V>,
    read: Cell<u32>,
    written: Cell<u32>,
}

impl<V> Slot<V> {
    fn new(value: Option<V>) -> Slot<V> {
        Slot { value, read: Cell::new(0), written: Cell::new(0) }
    }
}

/// Records of one kind by key, with the log of the keys the transition reached.
#[derive(Clone, Debug)]
pub struct Table<K, V> {
    map: Map<K, Slot<V>>,
    mode: Mode,
    /// Reads are logged in a complete table (a witness needs them); writes always.
    log_reads: bool,
    /// `(key, written)` as first reached in this epoch (a key read, then written, twice).
    log: RefCell<Vec<(K, bool)>>,
    /// Starts at 1; each emptying of the log begins a new one.
    epoch: u32,
}

#[cold]
#[inline(never)]
fn missing(key: &dyn Debug) -> ! {
    panic!("incomplete witness: the proof reached {key:?}, which its witness does not cover")
}

impl<K: Copy + Eq + Hash + Debug, V> Table<K, V> {
    pub fn new(mode: Mode, hasher: Seeded) -> Table<K, V> {
        Table {
            map: Map::with_hasher(hasher),
            mode,
            log_reads: mode == Mode::Complete,
            log: RefCell::new(Vec::new()),
            epoch: 1,
        }
    }

    /// Logs `key` unless this epoch's log has it already (a key without a slot always).
    #[inline]
    fn note(&self, key: &K, slot: Option<&Slot<V>>, written: bool) {
        let mark = match slot {
            Some(slot) if written => &slot.written,
            Some(slot) if self.log_reads => &slot.read,
            Some(_) => return,
            None if written || self.log_reads => {
                self.log.borrow_mut().push((*key, written));
                return;
            }
            None => return,
        };
        if mark.get() != self.epoch {
            mark.set(self.epoch);
            self.log.borrow_mut().push((*key, written));
        }
    }

    /// The value of a slot: `None` when the record does not exist; a key a partial table does
    /// not know stops the proof.
    #[inline]
    fn value_of<'a>(&self, key: &K, slot: Option<&'a Slot<V>>) -> Option<&'a V> {
        match slot {
            Some(slot) => slot.value.as_ref(),
            None if self.mode == Mode::Complete => None,
            None => missing(key),
        }
    }

    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        let slot = self.map.get(key);
        self.note(key, slot, false);
        self.value_of(key, slot)
    }

    #[inline]
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let (mode, epoch) = (self.mode, self.epoch);
        match self.map.get_mut(key) {
            Some(slot) => {
                if slot.written.get() != epoch {
                    slot.written.set(epoch);
                    self.log.get_mut().push((*key, true));
                }
                slot.value.as_mut()
            }
            None if mode == Mode::Complete => {
                self.log.get_mut().push((*key, true));
                None
            }
            None => missing(key),
        }
    }

    /// The slot of `key` for writing (a complete table makes one), logged as written.
    #[inline]
    fn slot_for_write(&mut self, key: &K) -> &mut Slot<V> {
        let (mode, epoch) = (self.mode, self.epoch);
        let slot = match self.map.entry(*key) {
            hashbrown::hash_map::Entry::Occupied(slot) => slot.into_mut(),
            hashbrown::hash_map::Entry::Vacant(_) if mode == Mode::Partial => missing(key),
            hashbrown::hash_map::Entry::Vacant(slot) => slot.insert(Slot::new(None)),
        };
        if slot.written.get() != epoch {
            slot.written.set(epoch);
            self.log.get_mut().push((*key, true));
        }
        slot
    }

    /// The record, created with `make` if it does not exist.
    #[inline]
    pub fn get_or_insert_with(&mut self, key: &K, make: impl FnOnce() -> V) -> &mut V {
        self.slot_for_write(key).value.get_or_insert_with(make)
    }

    /// [`Table::get_or_insert_with`], and whether it created the record.
    #[inline]
    pub fn get_or_create(&mut self, key: &K, make: impl FnOnce() -> V) -> (&mut V, bool) {
        let slot = self.slot_for_write(key);
        let created = slot.value.is_none();
        (slot.value.get_or_insert_with(make), created)
    }

    #[inline]
    pub fn insert(&mut self, key: K, value: V) {
        self.slot_for_write(&key).value = Some(value);
    }

    #[inline]
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let epoch = self.epoch;
        let Some(slot) = self.map.get_mut(key) else {
            return match self.mode {
                Mode::Complete => {
                    self.log.get_mut().push((*key, true));
                    None
                }
                Mode::Partial => missing(key),
            };
        };
        if slot.written.get() != epoch {
            slot.written.set(epoch);
            self.log.get_mut().push((*key, true));
        }
        let value = slot.value.take();
        if self.mode == Mode::Complete {
            // Logged already: a complete table keeps no slot for what does not exist.
            self.map.remove(key);
        }
        value
    }

    /// The record without logging: for views, and for fields that are not part of records.
    /// A key a partial table does not know reads as absent.
    #[inline]
    pub fn peek(&self, key: &K) -> Option<&V> {
        self.map.get(key).and_then(|slot| slot.value.as_ref())
    }

    /// [`Table::peek`], mutable.
    #[inline]
    pub fn peek_mut(&mut self, key: &K) -> Option<&mut V> {
        self.map.get_mut(key).and_then(|slot| slot.value.as_mut())
    }

    /// Sets what a witness proved (or a stored state holds), without logging.
    pub fn load(&mut self, key: K, value: Option<V>) {
        self.map.insert(key, Slot::new(value));
    }

    /// Forgets a record without logging (the node's commit of a vacant record).
    pub fn forget(&mut self, key: &K) {
        match self.mode {
            Mode::Complete => {
                self.map.remove(key);
            }
            Mode::Partial => {
                self.map.insert(*key, Slot::new(None));
            }
        }
    }

    /// Every present record, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter().filter_map(|(key, slot)| Some((key, slot.value.as_ref()?)))
    }

    /// How many records are present (a full scan: tests and tools).
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Every key this table knows, present or proven absent (a partial table's witness keys).
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.map.keys()
    }

    /// Room for `additional` more records without growing.
    pub fn reserve(&mut self, additional: usize) {
        self.map.reserve(additional);
    }

    /// Whether `key` was written since the log was last emptied.
    #[inline]
    pub fn was_written(&self, key: &K) -> bool {
        self.map.get(key).is_some_and(|slot| slot.written.get() == self.epoch)
    }

    /// The log since the last call: `(key, written)` as first reached.
    pub fn take_log(&mut self) -> Vec<(K, bool)> {
        self.epoch += 1;
        core::mem::take(self.log.get_mut())
    }

    pub fn clear_log(&mut self) {
        self.epoch += 1;
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
