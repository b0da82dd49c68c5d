//! Replays tests/vectors/blob_payload.json (examples/gen_blob_payload.rs): the blob batch payload
//! of PROTOCOL.md section 4 — what every packed batch decodes to, and malformed ones to nothing.

use clob_core::blob_batch::{decode_blobs, encode_batch, encode_blobs, encode_messages, BLOB_SIZE};
use clob_core::keccak::keccak;
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/blob_payload.json");

fn unhex(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().unwrap().trim_start_matches("0x")).unwrap()
}

fn pack(batch: &[u8], blobs: usize) -> Vec<Vec<u8>> {
    let mut out = vec![vec![0u8; BLOB_SIZE]; blobs];
    for (k, chunk) in batch.chunks(31).enumerate() {
        out[k / 4096][32 * (k % 4096) + 1..][..chunk.len()].copy_from_slice(chunk);
    }
    out
}

#[test]
fn every_vector_decodes_as_recorded() {
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(VECTORS).unwrap()).unwrap();
    for case in vectors["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let batch = unhex(&case["batch"]);
        let blobs = pack(&batch, case["blobs"].as_u64().unwrap() as usize);
        let keccaks: Vec<Vec<u8>> = case["blob_keccaks"].as_array().unwrap().iter().map(unhex).collect();
        assert_eq!(blobs.iter().map(|b| keccak(&[b]).to_vec()).collect::<Vec<_>>(), keccaks, "{name}");
        let decoded = decode_blobs(&blobs);
        match &case["messages_keccak"] {
            Value::Null => assert_eq!(decoded, None, "{name} must be malformed"),
            expected => {
                let envelopes = decoded.unwrap_or_else(|| panic!("{name} must decode"));
                assert_eq!(envelopes.len() as u64, case["envelope_count"].as_u64().unwrap(), "{name}");
                assert_eq!(keccak(&[&encode_messages(&envelopes).unwrap()]).to_vec(), unhex(expected), "{name}");
                if let Some(listed) = case["envelopes"].as_array() {
                    assert_eq!(envelopes, listed.iter().map(unhex).collect::<Vec<_>>(), "{name}");
                }
                if ["empty", "deflate_orders", "stored_random", "two_blobs"].contains(&name) {
                    assert_eq!(encode_batch(&envelopes).unwrap(), batch, "{name}: the encoder is deterministic");
                    assert_eq!(encode_blobs(&envelopes).unwrap(), blobs, "{name}");
                }
            }
        }
    }
}
