//! Blob batch payload (PROTOCOL.md section 4): length-prefixed envelopes packed 31 bytes per
//! 32-byte field element, the first byte of each field element zero.

use alloc::vec;
use alloc::vec::Vec;

pub const BLOB_SIZE: usize = 131_072;
pub const FIELD_ELEMENTS_PER_BLOB: usize = 4096;
pub const BYTES_PER_FIELD_ELEMENT: usize = 32;
pub const DATA_BYTES_PER_FIELD_ELEMENT: usize = 31;
/// Batch bytes one blob carries: 4096 × 31.
pub const BLOB_CAPACITY: usize = FIELD_ELEMENTS_PER_BLOB * DATA_BYTES_PER_FIELD_ELEMENT;
pub const BATCH_VERSION: u8 = 0x01;

/// What the length prefixes of a batch cannot express.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchEncodingError {
    /// More envelopes than the u32 count allows.
    TooManyEnvelopes,
    /// The envelope at `position` is longer than the u16 length prefix allows.
    EnvelopeTooLong { position: usize },
}

/// `version ‖ count(u32) ‖ (length(u16) ‖ envelope)*`.
pub fn encode_batch(envelopes: &[Vec<u8>]) -> Result<Vec<u8>, BatchEncodingError> {
    let count = u32::try_from(envelopes.len()).map_err(|_| BatchEncodingError::TooManyEnvelopes)?;
    let mut batch = Vec::with_capacity(5 + envelopes.iter().map(|e| 2 + e.len()).sum::<usize>());
    batch.push(BATCH_VERSION);
    batch.extend_from_slice(&count.to_be_bytes());
    for (position, envelope) in envelopes.iter().enumerate() {
        let length = u16::try_from(envelope.len()).map_err(|_| BatchEncodingError::EnvelopeTooLong { position })?;
        batch.extend_from_slice(&length.to_be_bytes());
        batch.extend_from_slice(envelope);
    }
    Ok(batch)
}

/// Packs the batch of `envelopes` into as many blobs as it needs (at least one).
pub fn encode_blobs(envelopes: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, BatchEncodingError> {
    let batch = encode_batch(envelopes)?;
    Ok(batch.chunks(BLOB_CAPACITY).map(pack_blob).collect())
}

/// One blob holding `data` (at most [`BLOB_CAPACITY`] bytes), zero-padded.
fn pack_blob(data: &[u8]) -> Vec<u8> {
    let mut blob = vec![0u8; BLOB_SIZE];
    for (chunk, element) in data.chunks(DATA_BYTES_PER_FIELD_ELEMENT).zip(blob.chunks_mut(BYTES_PER_FIELD_ELEMENT)) {
        element[1..1 + chunk.len()].copy_from_slice(chunk);
    }
    blob
}

/// The envelopes of a batch carried by `blobs` in order, or `None` if the batch is malformed:
/// a blob of the wrong size, a field element with a non-zero first byte, a version other than
/// 0x01, or messages running past the data. Envelopes are returned undecoded.
pub fn decode_blobs<B: AsRef<[u8]>>(blobs: &[B]) -> Option<Vec<Vec<u8>>> {
    let mut data = Vec::with_capacity(blobs.len() * BLOB_CAPACITY);
    for blob in blobs {
        let blob = blob.as_ref();
        if blob.len() != BLOB_SIZE {
            return None;
        }
        for element in blob.chunks(BYTES_PER_FIELD_ELEMENT) {
            if element[0] != 0 {
                return None;
            }
            data.extend_from_slice(&element[1..]);
        }
    }
    decode_batch(&data)
}

fn decode_batch(data: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (&version, rest) = data.split_first()?;
    if version != BATCH_VERSION {
        return None;
    }
    let count = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
    let mut cursor = &rest[4..];
    let mut envelopes = Vec::new();
    for _ in 0..count {
        let length = u16::from_be_bytes(cursor.get(..2)?.try_into().ok()?) as usize;
        envelopes.push(cursor.get(2..2 + length)?.to_vec());
        cursor = &cursor[2 + length..];
    }
    Some(envelopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_batch_fits_one_blob_with_zero_first_bytes() {
        let blobs = encode_blobs(&[vec![0xff; 40], vec![0xee; 3]]).unwrap();
        assert_eq!(blobs.len(), 1);
        assert_eq!(&blobs[0][..6], &[0, 1, 0, 0, 0, 2]);
        assert!(blobs[0].chunks(32).all(|element| element[0] == 0));
        assert_eq!(decode_blobs(&blobs), Some(vec![vec![0xff; 40], vec![0xee; 3]]));
    }

    #[test]
    fn batch_longer_than_one_blob_continues_into_the_next() {
        let envelopes: Vec<Vec<u8>> = (0..1100u32).map(|i| vec![i as u8; 123]).collect();
        let blobs = encode_blobs(&envelopes).unwrap();
        assert_eq!(blobs.len(), 2);
        assert_eq!(decode_blobs(&blobs), Some(envelopes));
    }

    #[test]
    fn empty_batch_is_one_blob() {
        let blobs = encode_blobs(&[]).unwrap();
        assert_eq!(blobs.len(), 1);
        assert_eq!(decode_blobs(&blobs), Some(vec![]));
    }

    #[test]
    fn non_zero_first_byte_bad_version_and_overrun_are_malformed() {
        let good = encode_blobs(&[vec![1; 10]]).unwrap();
        let mut high = good.clone();
        high[0][32 * 100] = 1;
        assert_eq!(decode_blobs(&high), None);
        let mut version = good.clone();
        version[0][1] = 2;
        assert_eq!(decode_blobs(&version), None);
        let mut overrun = good.clone();
        overrun[0][1 + 1..1 + 5].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(decode_blobs(&overrun), None);
        assert_eq!(decode_blobs(&[vec![0u8; BLOB_SIZE - 1]]), None);
        assert_eq!(decode_blobs::<Vec<u8>>(&[]), None);
    }

    #[test]
    fn envelope_longer_than_u16_is_refused_by_the_encoder() {
        assert_eq!(encode_blobs(&[vec![], vec![0; 65_536]]), Err(BatchEncodingError::EnvelopeTooLong { position: 1 }));
    }
}
