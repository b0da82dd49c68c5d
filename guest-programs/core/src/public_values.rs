//! The values a proof commits to (PROTOCOL.md section 8): eight ABI words, 256 bytes.

use crate::Hash;

pub const PUBLIC_VALUES_LEN: usize = 256;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublicValues {
    pub prev_state_root: Hash,
    pub new_state_root: Hash,
    pub inbox_start: u64,
    pub inbox_end: u64,
    pub inbox_start_acc: Hash,
    pub inbox_end_acc: Hash,
    pub withdrawals_root: Hash,
    /// keccak over every blob opening of the range (PROTOCOL.md section 13); zero without blobs.
    pub blobs_hash: Hash,
}

fn uint64_word(value: u64) -> Hash {
    let mut word = [0u8; 32];
    word[24..].copy_from_slice(&value.to_be_bytes());
    word
}

/// A uint64 word: `None` if any of its upper 24 bytes is set.
fn read_uint64(word: &[u8]) -> Option<u64> {
    if word[..24].iter().any(|byte| *byte != 0) {
        return None;
    }
    Some(u64::from_be_bytes(word[24..].try_into().ok()?))
}

impl PublicValues {
    /// `abi.encode(bytes32, bytes32, uint64, uint64, bytes32, bytes32, bytes32, bytes32)`.
    pub fn encode(&self) -> [u8; PUBLIC_VALUES_LEN] {
        let words = [
            self.prev_state_root,
            self.new_state_root,
            uint64_word(self.inbox_start),
            uint64_word(self.inbox_end),
            self.inbox_start_acc,
            self.inbox_end_acc,
            self.withdrawals_root,
            self.blobs_hash,
        ];
        let mut out = [0u8; PUBLIC_VALUES_LEN];
        for (slot, word) in out.chunks_mut(32).zip(words.iter()) {
            slot.copy_from_slice(word);
        }
        out
    }

    /// `None` unless exactly 256 bytes with both uint64 words in range.
    pub fn decode(bytes: &[u8]) -> Option<PublicValues> {
        if bytes.len() != PUBLIC_VALUES_LEN {
            return None;
        }
        let word = |i: usize| -> Hash { bytes[32 * i..32 * (i + 1)].try_into().expect("32-byte slice") };
        Some(PublicValues {
            prev_state_root: word(0),
            new_state_root: word(1),
            inbox_start: read_uint64(&word(2))?,
            inbox_end: read_uint64(&word(3))?,
            inbox_start_acc: word(4),
            inbox_end_acc: word(5),
            withdrawals_root: word(6),
            blobs_hash: word(7),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_sit_at_their_abi_offsets() {
        let values = PublicValues {
            prev_state_root: [1; 32],
            new_state_root: [2; 32],
            inbox_start: 0x0102,
            inbox_end: u64::MAX,
            inbox_start_acc: [5; 32],
            inbox_end_acc: [6; 32],
            withdrawals_root: [7; 32],
            blobs_hash: [8; 32],
        };
        let bytes = values.encode();
        assert_eq!(&bytes[0..32], &[1; 32]);
        assert_eq!(&bytes[32..64], &[2; 32]);
        assert_eq!(&bytes[64..94], &[0; 30]);
        assert_eq!(&bytes[94..96], &[1, 2]);
        assert_eq!(&bytes[120..128], &[0xff; 8]);
        assert_eq!(&bytes[192..224], &[7; 32]);
        assert_eq!(&bytes[224..256], &[8; 32]);
        assert_eq!(PublicValues::decode(&bytes), Some(values));
    }

    #[test]
    fn out_of_range_uint64_and_wrong_length_do_not_decode() {
        let mut bytes = PublicValues::default().encode();
        bytes[64 + 23] = 1;
        assert_eq!(PublicValues::decode(&bytes), None);
        assert_eq!(PublicValues::decode(&[0; 224]), None);
        assert_eq!(PublicValues::decode(&[0; 255]), None);
    }
}
