//! Replays tests/vectors/blob_evaluation.json: z and y = p(z) as ckzg computes them
//! (scripts/gen-blob-vectors.py), against the core's barycentric evaluation.

use clob_core::blob_eval::{blobs_hash, challenge, open_blob, BlobOpening};
use clob_core::keccak::keccak;
use clob_core::Hash;
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/blob_evaluation.json");
const BLS_MODULUS: [u8; 32] = [
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05, 0x53, 0xbd, 0xa4,
    0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
];

fn bytes(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().unwrap().trim_start_matches("0x")).unwrap()
}

fn hash(value: &Value) -> Hash {
    bytes(value).try_into().unwrap()
}

/// `x mod BLS_MODULUS` for a 32-byte big-endian `x` (< 2^256 < 3 × modulus: two subtractions).
fn reduce(mut x: Hash) -> Hash {
    while x >= BLS_MODULUS {
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let mut d = x[i] as i16 - BLS_MODULUS[i] as i16 - borrow;
            borrow = (d < 0) as i16;
            if d < 0 {
                d += 256;
            }
            x[i] = d as u8;
        }
    }
    x
}

/// The blob a case names (the rule in scripts/gen-blob-vectors.py).
fn blob_from_rule(rule: &str, seed: &[u8]) -> Vec<u8> {
    (0..4096u32)
        .flat_map(|i| {
            let mut element = keccak(&[seed, &i.to_be_bytes()]);
            match rule {
                "data" => element[0] = 0,
                "field" => element = reduce(element),
                other => panic!("unknown rule {other}"),
            }
            element
        })
        .collect()
}

#[test]
fn openings_match_ckzg_and_blobs_hash_matches_the_vector() {
    let text = std::fs::read_to_string(VECTORS).expect("tests/vectors/blob_evaluation.json");
    let vectors: Value = serde_json::from_str(&text).unwrap();
    let mut openings: Vec<BlobOpening> = Vec::new();
    for case in vectors["cases"].as_array().unwrap() {
        let blob = blob_from_rule(case["rule"].as_str().unwrap(), &bytes(&case["seed"]));
        assert_eq!(keccak(&[&blob]), hash(&case["blob_keccak"]));
        let versioned_hash = hash(&case["versioned_hash"]);
        assert_eq!(challenge(&versioned_hash, &blob), hash(&case["z"]));
        let opening = open_blob(&versioned_hash, &blob).unwrap();
        assert_eq!(opening.z, hash(&case["z"]));
        assert_eq!(opening.y, hash(&case["y"]), "y for seed {}", case["seed"]);
        openings.push(opening);
    }
    assert_eq!(blobs_hash(&openings), hash(&vectors["blobs_hash"]));
}
