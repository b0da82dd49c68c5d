//! Byte strings in the canonical encoding, (de)serialized as one run of bytes.
//!
//! postcard writes a `Vec<u8>` as a varint length and the raw bytes whether serde sees it as a
//! sequence or as bytes, so these helpers change no encoding. They change the cost of decoding:
//! as a sequence, every byte is a visitor call (inside a zkVM ~28 cycles a byte, ~3.7 M cycles
//! for one 128 KiB blob); as bytes, it is one copy. Formats that write bytes as a sequence
//! (JSON) still decode, through `visit_seq`.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::Hash;

/// `#[serde(with = "crate::bytes_wire")]` for a `Vec<u8>` field.
pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    deserializer.deserialize_byte_buf(BytesVisitor)
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a byte string")
    }

    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
        Ok(bytes.to_vec())
    }

    fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(bytes)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(byte) = seq.next_element()? {
            out.push(byte);
        }
        Ok(out)
    }
}

struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

struct ByteBuf(Vec<u8>);

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ByteBuf, D::Error> {
        deserialize(deserializer).map(ByteBuf)
    }
}

/// `#[serde(with = "crate::bytes_wire::hash_map")]` for a map from hashes to byte strings (the
/// blobs of a guest input), encoded as an ordered map of byte strings.
pub mod hash_map {
    use super::*;

    pub fn serialize<S: Serializer>(map: &BTreeMap<Hash, Vec<u8>>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(map.iter().map(|(hash, bytes)| (hash, Bytes(bytes))))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<Hash, Vec<u8>>, D::Error> {
        deserializer.deserialize_map(MapVisitor)
    }

    struct MapVisitor;

    impl<'de> Visitor<'de> for MapVisitor {
        type Value = BTreeMap<Hash, Vec<u8>>;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("a map from hashes to byte strings")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            // Decoded exactly as an ordered map would be (a repeated key: the last one wins).
            let mut map = BTreeMap::new();
            while let Some((hash, ByteBuf(bytes))) = access.next_entry::<Hash, ByteBuf>()? {
                map.insert(hash, bytes);
            }
            Ok(map)
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct AsSequence {
        payload: Vec<u8>,
        blobs: BTreeMap<Hash, Vec<u8>>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct AsBytes {
        #[serde(with = "crate::bytes_wire")]
        payload: Vec<u8>,
        #[serde(with = "crate::bytes_wire::hash_map")]
        blobs: BTreeMap<Hash, Vec<u8>>,
    }

    #[test]
    fn postcard_bytes_are_those_of_a_sequence_and_decode_back() {
        let payload: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        let blobs: BTreeMap<Hash, Vec<u8>> = [([1; 32], vec![0xff; 200]), ([0; 32], vec![])].into_iter().collect();
        let sequence = postcard::to_allocvec(&AsSequence { payload: payload.clone(), blobs: blobs.clone() }).unwrap();
        let bytes = postcard::to_allocvec(&AsBytes { payload: payload.clone(), blobs: blobs.clone() }).unwrap();
        assert_eq!(sequence, bytes);
        assert_eq!(postcard::from_bytes::<AsBytes>(&sequence).unwrap(), AsBytes { payload, blobs });
    }

    #[test]
    fn json_sequences_still_decode() {
        let json = r#"{"payload":[1,2,3],"blobs":{}}"#;
        let decoded: AsBytes = serde_json::from_str(json).unwrap();
        assert_eq!(decoded.payload, vec![1, 2, 3]);
    }
}
