//! The price levels of one side of a book: a FIFO queue per level, found by hashing its key,
//! and the keys in priority order (touched only when a level appears or empties) with the best
//! level cached. Most orders join an existing level, so linking one costs a hash lookup rather
//! than an ordered-map descent, and reading the best level costs none.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::fast_map::FastMap;

/// The first and last order (arena slots) of a price level.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Queue {
    pub head: u32,
    pub tail: u32,
}

/// Levels keyed by their price key (best first in key order, see `book::level_key`). Queues
/// live in a slab (`queues`, reused through `free`); `slots` and `ordered` map a key to its
/// queue's index.
#[derive(Clone, Debug, Default)]
pub(crate) struct Levels {
    queues: Vec<Queue>,
    free: Vec<u32>,
    slots: FastMap<u64, u32>,
    ordered: BTreeMap<u64, u32>,
    best: Option<u32>,
}

impl Levels {
    /// The best level's queue.
    #[inline]
    pub fn best(&self) -> Option<&Queue> {
        Some(&self.queues[self.best? as usize])
    }

    #[inline]
    pub fn get_mut(&mut self, key: u64) -> Option<&mut Queue> {
        let at = *self.slots.get(&key)?;
        Some(&mut self.queues[at as usize])
    }

    /// The level's queue, created empty (`head` and `tail` = `empty`) if the level is new.
    #[inline]
    pub fn get_or_create(&mut self, key: u64, empty: u32) -> &mut Queue {
        let at = match self.slots.get(&key) {
            Some(at) => *at,
            None => self.create(key, Queue { head: empty, tail: empty }),
        };
        &mut self.queues[at as usize]
    }

    fn create(&mut self, key: u64, queue: Queue) -> u32 {
        let at = match self.free.pop() {
            Some(at) => {
                self.queues[at as usize] = queue;
                at
            }
            None => {
                self.queues.push(queue);
                u32::try_from(self.queues.len() - 1).expect("fewer than 2^32 price levels")
            }
        };
        self.slots.insert(key, at);
        self.ordered.insert(key, at);
        if self.ordered.first_key_value().is_some_and(|(first, _)| *first == key) {
            self.best = Some(at);
        }
        at
    }

    /// Forgets an emptied level.
    pub fn remove(&mut self, key: u64) {
        let Some(at) = self.slots.remove(&key) else { return };
        self.ordered.remove(&key);
        self.free.push(at);
        if self.best == Some(at) {
            self.best = self.ordered.first_key_value().map(|(_, at)| *at);
        }
    }

    /// Queues in priority order.
    pub fn iter(&self) -> impl Iterator<Item = &Queue> {
        self.ordered.values().map(|at| &self.queues[*at as usize])
    }
}
