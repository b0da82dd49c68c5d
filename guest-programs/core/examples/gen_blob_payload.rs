//! `cargo run -p clob-core --example gen_blob_payload -- ../tests/vectors` writes
//! blob_payload.json: golden vectors of the blob batch payload (PROTOCOL.md section 4,
//! docs/DA.md), replayed by `cargo test` (tests/blob_payload.rs) and pytest.
//!
//! Each case gives the batch bytes before packing (`batch`, packed 31 bytes per field element
//! into `blobs` blobs) and what decoding must yield: null (malformed), or the envelope count and
//! the keccak of their `encode_messages` form (plus the envelopes themselves when small).

use clob_core::blob_batch::{decode_blobs, encode_batch, encode_messages, BLOB_CAPACITY, BLOB_SIZE};
use clob_core::keccak::keccak;
use serde_json::{json, Value};

fn hex0x(bytes: impl AsRef<[u8]>) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// `len` bytes DEFLATE cannot shrink.
fn noise(seed: u32, len: usize) -> Vec<u8> {
    (0u32..).flat_map(|i| keccak(&[&seed.to_be_bytes(), &i.to_be_bytes()])).take(len).collect()
}

/// A signed-order-shaped envelope: trader(20) ‖ 65-byte order (mostly zero fields) ‖ signature(65).
fn order_like(n: u32) -> Vec<u8> {
    let mut envelope = noise(n % 7, 20);
    let mut message = vec![0u8; 65];
    message[0] = 1;
    message[24..32].copy_from_slice(&(190_000u64 + n as u64).to_be_bytes());
    message[39] = (n % 50) as u8 + 1;
    envelope.extend_from_slice(&message);
    envelope.extend_from_slice(&noise(1000 + n, 65));
    envelope
}

pub fn pack(batch: &[u8], blobs: usize) -> Vec<Vec<u8>> {
    let mut out = vec![vec![0u8; BLOB_SIZE]; blobs];
    for (k, chunk) in batch.chunks(31).enumerate() {
        let (blob, element) = (k / 4096, k % 4096);
        out[blob][32 * element + 1..32 * element + 1 + chunk.len()].copy_from_slice(chunk);
    }
    out
}

fn case(name: &str, batch: Vec<u8>, blobs: usize) -> Value {
    let packed = pack(&batch, blobs);
    let decoded = decode_blobs(&packed);
    json!({
        "name": name,
        "batch": hex0x(&batch),
        "blobs": blobs,
        "blob_keccaks": packed.iter().map(|b| hex0x(keccak(&[b]))).collect::<Vec<_>>(),
        // Small results in full; large ones by count and the keccak of their messages encoding.
        "envelope_count": decoded.as_ref().map(|envs| envs.len()),
        "messages_keccak": decoded.as_ref().map(|envs| hex0x(keccak(&[&encode_messages(envs).unwrap()]))),
        "envelopes": decoded.filter(|envs| envs.iter().map(|e| e.len()).sum::<usize>() <= 8192)
            .map(|envs| envs.iter().map(hex0x).collect::<Vec<_>>()),
    })
}

fn v2(codec: u8, stored: &[u8], raw_len: usize) -> Vec<u8> {
    let mut batch = vec![0x02, codec];
    batch.extend_from_slice(&(stored.len() as u32).to_be_bytes());
    batch.extend_from_slice(&(raw_len as u32).to_be_bytes());
    batch.extend_from_slice(stored);
    batch
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: gen_blob_payload <vectors dir>");
    let orders: Vec<Vec<u8>> = (0..40).map(order_like).collect();
    let random: Vec<Vec<u8>> = (0..3).map(|i| noise(i, 150)).collect();
    let many: Vec<Vec<u8>> = (0..1000).map(|i| noise(2000 + i, 128)).collect();
    let raw = encode_messages(&random).unwrap();
    let deflated_orders = encode_batch(&orders).unwrap();
    let many_batch = encode_batch(&many).unwrap();
    assert!(many_batch.len() > BLOB_CAPACITY);
    let mut trailing = raw.clone();
    trailing.push(0);
    let mut bad_stream = deflated_orders.clone();
    bad_stream[10] ^= 0xff;
    let bomb_raw = encode_messages(&vec![vec![0u8; 60_000]; 10]).unwrap();
    let bomb = miniz_oxide::deflate::compress_to_vec(&bomb_raw, 9);
    let cases = vec![
        case("empty", encode_batch(&[]).unwrap(), 1),
        case("deflate_orders", deflated_orders.clone(), 1),
        case("stored_random", encode_batch(&random).unwrap(), 1),
        case("two_blobs", many_batch.clone(), many_batch.len().div_ceil(BLOB_CAPACITY)),
        case("v1_still_decodes", [&[0x01u8][..], &encode_messages(&random).unwrap()].concat(), 1),
        case("malformed_unknown_version", [&[0x03u8][..], &raw].concat(), 1),
        case("malformed_unknown_codec", v2(2, &raw, raw.len()), 1),
        case("malformed_stored_length_mismatch", v2(0, &raw, raw.len() + 1), 1),
        case("malformed_bytes_after_messages", v2(0, &trailing, trailing.len()), 1),
        case(
            "malformed_stored_past_data",
            [&[0x02u8, 0, 0, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff][..], &raw].concat(),
            1,
        ),
        case("malformed_bad_deflate_stream", bad_stream, 1),
        case(
            "malformed_raw_length_wrong",
            v2(1, &deflated_orders[10..], encode_messages(&orders).unwrap().len() + 1),
            1,
        ),
        case("malformed_decompression_bomb", v2(1, &bomb, bomb_raw.len()), 1),
        case("bomb_within_bound_of_two_blobs", v2(1, &bomb, bomb_raw.len()), 2),
        case("malformed_count_past_messages", v2(0, &[0, 0, 0, 5, 0, 1, 0xaa], 7), 1),
    ];
    let document = json!({
        "packing": "batch bytes 31 per field element, first byte of each 32-byte element zero, then zero-padded blobs",
        "cases": cases,
    });
    let path = std::path::Path::new(&dir).join("blob_payload.json");
    std::fs::write(&path, serde_json::to_string_pretty(&document).unwrap() + "\n").unwrap();
    println!("wrote {}", path.display());
}
