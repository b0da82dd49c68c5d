//! Blob batch payload (PROTOCOL.md section 4, docs/DA.md): a versioned header, length-prefixed
//! envelopes, optionally DEFLATE-compressed, packed 31 bytes per 32-byte field element with the
//! first byte of each field element zero.

use alloc::vec;
use alloc::vec::Vec;

pub const BLOB_SIZE: usize = 131_072;
pub const FIELD_ELEMENTS_PER_BLOB: usize = 4096;
pub const BYTES_PER_FIELD_ELEMENT: usize = 32;
pub const DATA_BYTES_PER_FIELD_ELEMENT: usize = 31;
/// Batch bytes one blob carries: 4096 × 31.
pub const BLOB_CAPACITY: usize = FIELD_ELEMENTS_PER_BLOB * DATA_BYTES_PER_FIELD_ELEMENT;
/// v1: `0x01 ‖ count(u32) ‖ (length(u16) ‖ envelope)*`, uncompressed. Still decoded.
pub const BATCH_VERSION_V1: u8 = 0x01;
/// v2: `0x02 ‖ codec(u8) ‖ storedLength(u32) ‖ rawLength(u32) ‖ stored`, the stored bytes being
/// `messages = count(u32) ‖ (length(u16) ‖ envelope)*` as `codec` leaves them.
pub const BATCH_VERSION: u8 = 0x02;
/// v2 codecs: the messages stored as they are, or raw DEFLATE (RFC 1951).
pub const CODEC_NONE: u8 = 0;
pub const CODEC_DEFLATE: u8 = 1;
const V2_HEADER_LEN: usize = 10;
/// The messages of a batch may be at most this many times the data capacity of its blobs, so
/// a decompression bomb cannot cost the guest more than a bounded amount of work.
pub const MAX_EXPANSION: usize = 4;
/// DEFLATE level the encoder uses (any level decodes the same).
const DEFLATE_LEVEL: u8 = 9;

/// What the length prefixes of a batch cannot express.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchEncodingError {
    /// More envelopes than the u32 count allows.
    TooManyEnvelopes,
    /// The envelope at `position` is longer than the u16 length prefix allows.
    EnvelopeTooLong { position: usize },
}

/// `count(u32) ‖ (length(u16) ‖ envelope)*`: the messages of a batch before any codec.
pub fn encode_messages(envelopes: &[Vec<u8>]) -> Result<Vec<u8>, BatchEncodingError> {
    let count = u32::try_from(envelopes.len()).map_err(|_| BatchEncodingError::TooManyEnvelopes)?;
    let mut messages = Vec::with_capacity(4 + envelopes.iter().map(|e| 2 + e.len()).sum::<usize>());
    messages.extend_from_slice(&count.to_be_bytes());
    for (position, envelope) in envelopes.iter().enumerate() {
        let length = u16::try_from(envelope.len()).map_err(|_| BatchEncodingError::EnvelopeTooLong { position })?;
        messages.extend_from_slice(&length.to_be_bytes());
        messages.extend_from_slice(envelope);
    }
    Ok(messages)
}

/// The v2 batch bytes: DEFLATE when it is shorter, the messages as they are otherwise.
pub fn encode_batch(envelopes: &[Vec<u8>]) -> Result<Vec<u8>, BatchEncodingError> {
    let messages = encode_messages(envelopes)?;
    let deflated = miniz_oxide::deflate::compress_to_vec(&messages, DEFLATE_LEVEL);
    let (codec, stored) =
        if deflated.len() < messages.len() { (CODEC_DEFLATE, &deflated[..]) } else { (CODEC_NONE, &messages[..]) };
    let stored_len = u32::try_from(stored.len()).map_err(|_| BatchEncodingError::TooManyEnvelopes)?;
    let raw_len = u32::try_from(messages.len()).map_err(|_| BatchEncodingError::TooManyEnvelopes)?;
    let mut batch = Vec::with_capacity(V2_HEADER_LEN + stored.len());
    batch.push(BATCH_VERSION);
    batch.push(codec);
    batch.extend_from_slice(&stored_len.to_be_bytes());
    batch.extend_from_slice(&raw_len.to_be_bytes());
    batch.extend_from_slice(stored);
    Ok(batch)
}

/// Packs the batch of `envelopes` into as many blobs as it needs: at least one, and enough that
/// its messages stay within [`MAX_EXPANSION`] times their data capacity.
pub fn encode_blobs(envelopes: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, BatchEncodingError> {
    let batch = encode_batch(envelopes)?;
    let raw_len = u32::from_be_bytes(batch[6..10].try_into().expect("4 bytes")) as usize;
    let count = batch.len().div_ceil(BLOB_CAPACITY).max(raw_len.div_ceil(MAX_EXPANSION * BLOB_CAPACITY)).max(1);
    Ok((0..count)
        .map(|i| {
            pack_blob(batch.get(i * BLOB_CAPACITY..).map_or(&[][..], |rest| &rest[..rest.len().min(BLOB_CAPACITY)]))
        })
        .collect())
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
/// a blob of the wrong size, a field element with a non-zero first byte, an unknown version or
/// codec, lengths running past the data, messages longer than [`MAX_EXPANSION`] times the
/// blobs' capacity, a DEFLATE stream that does not inflate to exactly `rawLength` bytes, or
/// (v2) bytes left over after the declared messages. Envelopes are returned undecoded.
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
    let (&version, rest) = data.split_first()?;
    match version {
        BATCH_VERSION_V1 => decode_messages(rest, false),
        BATCH_VERSION => decode_v2(rest, blobs.len() * BLOB_CAPACITY * MAX_EXPANSION),
        _ => None,
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize)
}

fn decode_v2(rest: &[u8], raw_limit: usize) -> Option<Vec<Vec<u8>>> {
    let codec = *rest.first()?;
    let (stored_len, raw_len) = (read_u32(rest, 1)?, read_u32(rest, 5)?);
    let stored = rest.get(V2_HEADER_LEN - 1..(V2_HEADER_LEN - 1).checked_add(stored_len)?)?;
    if raw_len > raw_limit {
        return None;
    }
    match codec {
        CODEC_NONE if raw_len == stored_len => decode_messages(stored, true),
        CODEC_DEFLATE => {
            let messages = miniz_oxide::inflate::decompress_to_vec_with_limit(stored, raw_len).ok()?;
            if messages.len() != raw_len {
                return None;
            }
            decode_messages(&messages, true)
        }
        _ => None,
    }
}

/// `count(u32) ‖ (length(u16) ‖ envelope)*`; `exact`: nothing may follow the last envelope.
fn decode_messages(data: &[u8], exact: bool) -> Option<Vec<Vec<u8>>> {
    let count = read_u32(data, 0)?;
    let mut cursor = &data[4..];
    let mut envelopes = Vec::new();
    for _ in 0..count {
        let length = u16::from_be_bytes(cursor.get(..2)?.try_into().ok()?) as usize;
        envelopes.push(cursor.get(2..2 + length)?.to_vec());
        cursor = &cursor[2 + length..];
    }
    if exact && !cursor.is_empty() {
        return None;
    }
    Some(envelopes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keccak::keccak;

    /// `len` bytes DEFLATE cannot shrink (a keccak stream).
    fn noise(seed: u32, len: usize) -> Vec<u8> {
        (0u32..).flat_map(|i| keccak(&[&seed.to_be_bytes(), &i.to_be_bytes()])).take(len).collect()
    }

    /// The v2 batch `version ‖ codec ‖ storedLength ‖ rawLength ‖ stored` packed into blobs.
    fn v2_blobs(codec: u8, stored: &[u8], raw_len: usize, blobs: usize) -> Vec<Vec<u8>> {
        let mut batch = vec![BATCH_VERSION, codec];
        batch.extend_from_slice(&(stored.len() as u32).to_be_bytes());
        batch.extend_from_slice(&(raw_len as u32).to_be_bytes());
        batch.extend_from_slice(stored);
        let mut out: Vec<Vec<u8>> = batch.chunks(BLOB_CAPACITY).map(pack_blob).collect();
        out.resize(blobs.max(out.len()), vec![0; BLOB_SIZE]);
        out
    }

    #[test]
    fn compressible_batch_is_deflated_and_round_trips() {
        let envelopes = vec![vec![0xff; 40], vec![0xee; 3]];
        let blobs = encode_blobs(&envelopes).unwrap();
        assert_eq!(blobs.len(), 1);
        assert_eq!(&blobs[0][..3], &[0, BATCH_VERSION, CODEC_DEFLATE]);
        assert!(blobs[0].chunks(32).all(|element| element[0] == 0));
        assert_eq!(decode_blobs(&blobs), Some(envelopes));
    }

    #[test]
    fn incompressible_batch_is_stored_as_is() {
        let envelopes = vec![noise(1, 150), noise(2, 150)];
        let blobs = encode_blobs(&envelopes).unwrap();
        assert_eq!(&blobs[0][..3], &[0, BATCH_VERSION, CODEC_NONE]);
        let raw = encode_messages(&envelopes).unwrap();
        assert_eq!(&blobs[0][11..11 + 20], &raw[..20]); // the messages follow the 10-byte header
        assert_eq!(decode_blobs(&blobs), Some(envelopes));
    }

    #[test]
    fn batch_longer_than_one_blob_continues_into_the_next() {
        let envelopes: Vec<Vec<u8>> = (0..1100u32).map(|i| noise(i, 123)).collect();
        let blobs = encode_blobs(&envelopes).unwrap();
        assert_eq!(blobs.len(), 2);
        assert_eq!(decode_blobs(&blobs), Some(envelopes));
    }

    #[test]
    fn very_compressible_batch_gets_enough_blobs_for_its_expansion_bound() {
        let envelopes: Vec<Vec<u8>> = (0..20_000).map(|_| vec![7; 100]).collect();
        let blobs = encode_blobs(&envelopes).unwrap();
        let raw = encode_messages(&envelopes).unwrap().len();
        assert_eq!(blobs.len(), raw.div_ceil(MAX_EXPANSION * BLOB_CAPACITY));
        assert_eq!(decode_blobs(&blobs), Some(envelopes));
    }

    #[test]
    fn empty_batch_is_one_blob() {
        let blobs = encode_blobs(&[]).unwrap();
        assert_eq!(blobs.len(), 1);
        assert_eq!(decode_blobs(&blobs), Some(vec![]));
    }

    #[test]
    fn v1_batches_still_decode() {
        let mut batch = vec![BATCH_VERSION_V1, 0, 0, 0, 2, 0, 1, 0xaa, 0, 2, 0xbb, 0xcc];
        batch.extend_from_slice(&[0; 7]); // v1 ignores what follows the messages
        assert_eq!(decode_blobs(&[pack_blob(&batch)]), Some(vec![vec![0xaa], vec![0xbb, 0xcc]]));
    }

    #[test]
    fn non_zero_first_byte_wrong_size_and_bad_version_are_malformed() {
        let good = encode_blobs(&[vec![1; 10]]).unwrap();
        let mut high = good.clone();
        high[0][32 * 100] = 1;
        assert_eq!(decode_blobs(&high), None);
        for version in [0u8, 3, 0xff] {
            let mut bad = good.clone();
            bad[0][1] = version;
            assert_eq!(decode_blobs(&bad), None);
        }
        assert_eq!(decode_blobs(&[vec![0u8; BLOB_SIZE - 1]]), None);
        assert_eq!(decode_blobs::<Vec<u8>>(&[]), None);
    }

    #[test]
    fn malformed_v2_headers_and_bodies_are_malformed() {
        let raw = encode_messages(&[noise(3, 50)]).unwrap();
        assert!(decode_blobs(&v2_blobs(CODEC_NONE, &raw, raw.len(), 1)).is_some());
        assert_eq!(decode_blobs(&v2_blobs(2, &raw, raw.len(), 1)), None, "unknown codec");
        assert_eq!(decode_blobs(&v2_blobs(CODEC_NONE, &raw, raw.len() + 1, 1)), None, "raw != stored");
        let mut trailing = raw.clone();
        trailing.push(0);
        assert_eq!(decode_blobs(&v2_blobs(CODEC_NONE, &trailing, trailing.len(), 1)), None, "bytes after the messages");
        let mut overrun = v2_blobs(CODEC_NONE, &raw, raw.len(), 1);
        overrun[0][3..7].copy_from_slice(&[0, 0xff, 0xff, 0xff]); // storedLength past the data
        assert_eq!(decode_blobs(&overrun), None);
        let deflated = miniz_oxide::deflate::compress_to_vec(&raw, 6);
        assert!(decode_blobs(&v2_blobs(CODEC_DEFLATE, &deflated, raw.len(), 1)).is_some());
        assert_eq!(
            decode_blobs(&v2_blobs(CODEC_DEFLATE, &deflated, raw.len() - 1, 1)),
            None,
            "inflates past rawLength"
        );
        assert_eq!(decode_blobs(&v2_blobs(CODEC_DEFLATE, &deflated, raw.len() + 1, 1)), None, "inflates short");
        assert_eq!(decode_blobs(&v2_blobs(CODEC_DEFLATE, &raw, raw.len(), 1)), None, "not a DEFLATE stream");
    }

    #[test]
    fn a_decompression_bomb_beyond_the_expansion_bound_is_malformed() {
        let raw = encode_messages(&vec![vec![0; 60_000]; 10]).unwrap(); // ~600 kB of zeros
        let bomb = miniz_oxide::deflate::compress_to_vec(&raw, 9);
        assert!(raw.len() > MAX_EXPANSION * BLOB_CAPACITY);
        assert_eq!(decode_blobs(&v2_blobs(CODEC_DEFLATE, &bomb, raw.len(), 1)), None);
        // The same stream is fine in as many blobs as the bound asks for.
        let blobs = raw.len().div_ceil(MAX_EXPANSION * BLOB_CAPACITY);
        assert!(decode_blobs(&v2_blobs(CODEC_DEFLATE, &bomb, raw.len(), blobs)).is_some());
    }

    #[test]
    fn envelope_longer_than_u16_is_refused_by_the_encoder() {
        assert_eq!(encode_blobs(&[vec![], vec![0; 65_536]]), Err(BatchEncodingError::EnvelopeTooLong { position: 1 }));
    }
}
