//! The hash map of the engine's hot lookups, and a helper to encode sorted entries as a map.
//!
//! The engine's hot tables (the account index, the order-id index, price levels) are
//! read and written several times per input; a hash lookup with a fixed hasher costs a fraction
//! of an ordered-map descent. Nothing observable depends on the hash order: every encoding and
//! every view sorts by key first (see `book.rs`, `accounts.rs`), so snapshots and roots are
//! byte-identical to an ordered map's. The hasher has no random seed, so runs are reproducible.

use core::hash::{BuildHasher, Hasher};
use core::marker::PhantomData;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// A multiply-rotate word hasher (FxHash-like) with a final avalanche so that hashbrown's
/// control bits (the top 7 bits) are well mixed. Not DoS-resistant: keys are addresses and
/// nonces whose creation costs a signature or an L1 transaction.
#[derive(Clone, Copy, Default)]
pub struct WordHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl WordHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for WordHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // murmur3's fmix64.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Builds [`WordHasher`]s (no seed: the same keys land in the same buckets on every run).
#[derive(Clone, Copy, Default)]
pub struct FixedState;

impl BuildHasher for FixedState {
    type Hasher = WordHasher;

    #[inline]
    fn build_hasher(&self) -> WordHasher {
        WordHasher::default()
    }
}

/// A hash map with a fixed hasher, for lookups only; no operation exposes the hash order.
pub type FastMap<K, V> = hashbrown::HashMap<K, V, FixedState>;

/// Serializes `len` entries from an iterator as a map (postcard needs the length up front).
pub(crate) struct MapOf<I, F> {
    pub len: usize,
    pub entries: F,
    pub _item: PhantomData<I>,
}

impl<I, F, K, V> Serialize for MapOf<I, F>
where
    F: Fn() -> I,
    I: Iterator<Item = (K, V)>,
    K: Serialize,
    V: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len))?;
        for (key, value) in (self.entries)() {
            map.serialize_entry(&key, &value)?;
        }
        map.end()
    }
}
