//! Aggregation of proven ranges (PROTOCOL.md section 14): the checks of the SP1 aggregation
//! program, which verifies the compressed proofs of consecutive ranges and commits one header for
//! all of them, so that the Rollup verifies one proof for several ranges.
//!
//! The input is the range program's verifying-key digest (eight 31-bit field words) followed by
//! each range's 256 public-value bytes, in inbox order. The ranges must chain: each starts at the
//! state root, inbox index and inbox accumulator where the one before ended. The zkVM entry point
//! verifies each range's proof against the digest; this module knows no zkVM.

use alloc::vec::Vec;

use crate::keccak::keccak;
use crate::public_values::{PublicValues, PUBLIC_VALUES_LEN};
use crate::Hash;

/// The most ranges one aggregation covers: the Rollup's calldata carries each range's header
/// and blob openings, and the prover verifies one STARK per range.
pub const MAX_AGGREGATED_RANGES: usize = 64;
/// Bytes of the verifying-key digest at the head of the input: eight big-endian u32 words.
pub const VKEY_DIGEST_LEN: usize = 32;
/// The encoded header: nine ABI words.
pub const AGGREGATE_HEADER_LEN: usize = 9 * 32;
/// The modulus of SP1's field (KoalaBear, 2^31 - 2^24 + 1): a digest word is below it.
const FIELD_MODULUS: u32 = 0x7f00_0001;

/// What the aggregation program commits: the span of the ranges it verified, the program they
/// were proven with, and a digest of their headers (the Rollup stores each range's withdrawals
/// root and checks each range's blob openings against it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AggregateHeader {
    /// The range program's verifying key as SP1's verifiers take it (`vk.bytes32()`).
    pub range_vkey: Hash,
    pub prev_state_root: Hash,
    pub new_state_root: Hash,
    pub inbox_start: u64,
    pub inbox_end: u64,
    pub inbox_start_acc: Hash,
    pub inbox_end_acc: Hash,
    pub range_count: u64,
    /// `keccak(publicValues_0 ‖ … ‖ publicValues_{n-1})`.
    pub ranges_hash: Hash,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AggregateError {
    /// The input is not a digest followed by whole 256-byte headers.
    InvalidLength(usize),
    /// No range, or more than [`MAX_AGGREGATED_RANGES`].
    RangeCount(usize),
    /// A digest word is not a field element (it could name two keys).
    NonCanonicalVKeyWord(usize),
    /// The range's public values do not decode (a uint64 word out of range).
    InvalidRange(usize),
    /// The range covers no inbox entry (the Rollup refuses an empty range).
    EmptyRange(usize),
    /// The range does not start where the one before it ended.
    BrokenChain(usize),
}

/// A checked aggregation input: the digest the proofs are verified against, each range's
/// public values as the proofs committed them, and the header to commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aggregate<'a> {
    pub range_vkey_words: [u32; 8],
    pub ranges: Vec<&'a [u8]>,
    pub header: AggregateHeader,
}

fn uint64_word(value: u64) -> Hash {
    let mut word = [0u8; 32];
    word[24..].copy_from_slice(&value.to_be_bytes());
    word
}

/// SP1's `bytes32()` form of a digest: the words read as one integer, 31 bits each, the first
/// most significant (it is below 2^248, so it is its own BN254 field element).
pub fn vkey_bytes32(words: &[u32; 8]) -> Hash {
    // Little-endian 64-bit limbs, shifted left by 31 for each word.
    let mut limbs = [0u64; 4];
    for word in words {
        for i in (1..4).rev() {
            limbs[i] = (limbs[i] << 31) | (limbs[i - 1] >> 33);
        }
        limbs[0] = (limbs[0] << 31) | u64::from(*word);
    }
    let mut out = [0u8; 32];
    for (i, limb) in limbs.iter().enumerate() {
        out[32 - 8 * (i + 1)..32 - 8 * i].copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// Checks an aggregation input (see the module's doc) and computes the header it commits.
pub fn aggregate(input: &[u8]) -> Result<Aggregate<'_>, AggregateError> {
    let Some(body) = input.len().checked_sub(VKEY_DIGEST_LEN) else {
        return Err(AggregateError::InvalidLength(input.len()));
    };
    if body % PUBLIC_VALUES_LEN != 0 {
        return Err(AggregateError::InvalidLength(input.len()));
    }
    let count = body / PUBLIC_VALUES_LEN;
    if count == 0 || count > MAX_AGGREGATED_RANGES {
        return Err(AggregateError::RangeCount(count));
    }
    let mut range_vkey_words = [0u32; 8];
    for (i, (word, bytes)) in range_vkey_words.iter_mut().zip(input[..VKEY_DIGEST_LEN].chunks_exact(4)).enumerate() {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if *word >= FIELD_MODULUS {
            return Err(AggregateError::NonCanonicalVKeyWord(i));
        }
    }
    let ranges: Vec<&[u8]> = input[VKEY_DIGEST_LEN..].chunks_exact(PUBLIC_VALUES_LEN).collect();
    let mut first: Option<PublicValues> = None;
    let mut last: Option<PublicValues> = None;
    for (k, bytes) in ranges.iter().enumerate() {
        let range = PublicValues::decode(bytes).ok_or(AggregateError::InvalidRange(k))?;
        if range.inbox_end <= range.inbox_start {
            return Err(AggregateError::EmptyRange(k));
        }
        if let Some(before) = &last {
            let chains = range.prev_state_root == before.new_state_root
                && range.inbox_start == before.inbox_end
                && range.inbox_start_acc == before.inbox_end_acc;
            if !chains {
                return Err(AggregateError::BrokenChain(k));
            }
        }
        if first.is_none() {
            first = Some(range.clone());
        }
        last = Some(range);
    }
    let (first, last) = (first.expect("at least one range"), last.expect("at least one range"));
    let header = AggregateHeader {
        range_vkey: vkey_bytes32(&range_vkey_words),
        prev_state_root: first.prev_state_root,
        new_state_root: last.new_state_root,
        inbox_start: first.inbox_start,
        inbox_end: last.inbox_end,
        inbox_start_acc: first.inbox_start_acc,
        inbox_end_acc: last.inbox_end_acc,
        range_count: count as u64,
        ranges_hash: keccak(&[&input[VKEY_DIGEST_LEN..]]),
    };
    Ok(Aggregate { range_vkey_words, ranges, header })
}

/// The aggregation input for `ranges` (each a range's 256 public-value bytes) proven with the
/// program whose digest is `range_vkey_words`.
pub fn encode_input(range_vkey_words: &[u32; 8], ranges: &[&[u8]]) -> Vec<u8> {
    let mut input = Vec::with_capacity(VKEY_DIGEST_LEN + ranges.len() * PUBLIC_VALUES_LEN);
    for word in range_vkey_words {
        input.extend_from_slice(&word.to_be_bytes());
    }
    for range in ranges {
        input.extend_from_slice(range);
    }
    input
}

impl AggregateHeader {
    /// `abi.encode(bytes32 rangeVKey, bytes32 prevStateRoot, bytes32 newStateRoot, uint64
    /// inboxStart, uint64 inboxEnd, bytes32 inboxStartAcc, bytes32 inboxEndAcc, uint64
    /// rangeCount, bytes32 rangesHash)`.
    pub fn encode(&self) -> [u8; AGGREGATE_HEADER_LEN] {
        let words = [
            self.range_vkey,
            self.prev_state_root,
            self.new_state_root,
            uint64_word(self.inbox_start),
            uint64_word(self.inbox_end),
            self.inbox_start_acc,
            self.inbox_end_acc,
            uint64_word(self.range_count),
            self.ranges_hash,
        ];
        let mut out = [0u8; AGGREGATE_HEADER_LEN];
        for (slot, word) in out.chunks_exact_mut(32).zip(words.iter()) {
            slot.copy_from_slice(word);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u64, end: u64, prev: u8, new: u8) -> [u8; PUBLIC_VALUES_LEN] {
        PublicValues {
            prev_state_root: [prev; 32],
            new_state_root: [new; 32],
            inbox_start: start,
            inbox_end: end,
            inbox_start_acc: [prev ^ 0x80; 32],
            inbox_end_acc: [new ^ 0x80; 32],
            withdrawals_root: [0x77; 32],
            blobs_hash: [0; 32],
        }
        .encode()
    }

    const WORDS: [u32; 8] = [1, 2, 3, 4, 5, 6, 7, 0x7f00_0000];

    #[test]
    fn chained_ranges_aggregate_to_their_span() {
        let (a, b, c) = (range(0, 2, 1, 2), range(2, 3, 2, 3), range(3, 9, 3, 4));
        let input = encode_input(&WORDS, &[&a, &b, &c]);
        let aggregate = aggregate(&input).unwrap();
        let header = &aggregate.header;
        assert_eq!((header.inbox_start, header.inbox_end, header.range_count), (0, 9, 3));
        assert_eq!((header.prev_state_root, header.new_state_root), ([1; 32], [4; 32]));
        assert_eq!((header.inbox_start_acc, header.inbox_end_acc), ([0x81; 32], [0x84; 32]));
        assert_eq!(header.ranges_hash, keccak(&[&a, &b, &c]));
        assert_eq!(aggregate.ranges, [&a[..], &b[..], &c[..]]);
        assert_eq!(aggregate.range_vkey_words, WORDS);
    }

    #[test]
    fn a_range_that_does_not_continue_the_one_before_is_refused() {
        let a = range(0, 2, 1, 2);
        let gap = range(3, 4, 2, 3);
        let other_root = range(2, 4, 9, 3);
        let mut other_acc = range(2, 4, 2, 3);
        other_acc[4 * 32] ^= 1;
        for later in [gap, other_root, other_acc] {
            assert_eq!(aggregate(&encode_input(&WORDS, &[&a, &later])), Err(AggregateError::BrokenChain(1)));
        }
    }

    #[test]
    fn empty_ranges_counts_and_lengths_are_refused() {
        let a = range(0, 2, 1, 2);
        assert_eq!(aggregate(&encode_input(&WORDS, &[&range(2, 2, 2, 2)])), Err(AggregateError::EmptyRange(0)));
        assert_eq!(aggregate(&encode_input(&WORDS, &[])), Err(AggregateError::RangeCount(0)));
        let many: Vec<&[u8]> = (0..=MAX_AGGREGATED_RANGES).map(|_| &a[..]).collect();
        assert_eq!(aggregate(&encode_input(&WORDS, &many)), Err(AggregateError::RangeCount(MAX_AGGREGATED_RANGES + 1)));
        let input = encode_input(&WORDS, &[&a]);
        assert_eq!(aggregate(&input[..input.len() - 1]), Err(AggregateError::InvalidLength(input.len() - 1)));
        assert_eq!(aggregate(&input[..31]), Err(AggregateError::InvalidLength(31)));
        let mut bad = input.clone();
        bad[VKEY_DIGEST_LEN + 64] = 1; // inboxStart's high bytes
        assert_eq!(aggregate(&bad), Err(AggregateError::InvalidRange(0)));
    }

    #[test]
    fn a_digest_word_outside_the_field_is_refused() {
        let a = range(0, 2, 1, 2);
        let mut words = WORDS;
        words[5] = FIELD_MODULUS;
        assert_eq!(aggregate(&encode_input(&words, &[&a])), Err(AggregateError::NonCanonicalVKeyWord(5)));
    }

    #[test]
    fn the_vkey_packs_31_bits_a_word_first_word_highest() {
        let mut one_each = [0u32; 8];
        one_each[7] = 1;
        let mut expected = [0u8; 32];
        expected[31] = 1;
        assert_eq!(vkey_bytes32(&one_each), expected);
        // The first word's lowest bit lands at bit 7 * 31 = 217: byte 32 - 1 - 217 / 8, bit 217 % 8.
        let mut first = [0u32; 8];
        first[0] = 1;
        let mut expected = [0u8; 32];
        expected[31 - 217 / 8] = 1 << (217 % 8);
        assert_eq!(vkey_bytes32(&first), expected);
        // All words at the modulus minus one: the sum of (p - 1) * 2^(31 k), below 2^248.
        assert_eq!(vkey_bytes32(&[FIELD_MODULUS - 1; 8])[0], 0);
    }

    #[test]
    fn the_header_sits_at_its_abi_offsets() {
        let header = AggregateHeader {
            range_vkey: [1; 32],
            prev_state_root: [2; 32],
            new_state_root: [3; 32],
            inbox_start: 4,
            inbox_end: 5,
            inbox_start_acc: [6; 32],
            inbox_end_acc: [7; 32],
            range_count: 8,
            ranges_hash: [9; 32],
        };
        let bytes = header.encode();
        assert_eq!(&bytes[..96], &[[1u8; 32], [2; 32], [3; 32]].concat()[..]);
        assert_eq!((bytes[127], bytes[159], bytes[255]), (4, 5, 8));
        assert_eq!(&bytes[160..224], &[[6u8; 32], [7; 32]].concat()[..]);
        assert_eq!(&bytes[256..], &[9; 32]);
    }
}
