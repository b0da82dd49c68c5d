//! Wire formats (PROTOCOL.md sections 1-4, 8, 9) as module-level functions.

use std::borrow::Cow;

use clob_core::aggregate::{self, VKEY_DIGEST_LEN};
use clob_core::blob_batch::{decode_blobs, encode_blobs, BatchEncodingError, BLOB_CAPACITY};
use clob_core::eip712;
use clob_core::guest::{execute, GuestError, GuestInput};
use clob_core::inbox;
use clob_core::message::{Cancel, Envelope, Message, Order, OrderType, SelfTradePrevention, Side, TimeInForce};
use clob_core::public_values::PublicValues;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::convert::{self, field, fixed, hash_field, hex0x};
use crate::MissingBlobError;

fn message_dict<'py>(py: Python<'py>, message: &Message) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    match message {
        Message::Order(order) => {
            dict.set_item("type", "order")?;
            convert::order_fields(&dict, order, convert::EnumForm::Byte)?;
        }
        Message::Cancel(cancel) => {
            dict.set_item("type", "cancel")?;
            dict.set_item("market", cancel.market)?;
            dict.set_item("order_nonce", cancel.order_nonce)?;
        }
        Message::CancelAll(all) => {
            dict.set_item("type", "cancel_all")?;
            dict.set_item("market", all.market)?;
            dict.set_item("nonce", all.nonce)?;
        }
        Message::Replace(replace) => {
            dict.set_item("type", "replace")?;
            dict.set_item("market", replace.market)?;
            dict.set_item("order_nonce", replace.order_nonce)?;
            dict.set_item("nonce", replace.nonce)?;
            dict.set_item("price", replace.price)?;
            dict.set_item("quantity", replace.quantity)?;
        }
    }
    Ok(dict)
}

fn decode_message_bytes(message: &[u8]) -> PyResult<Message> {
    Message::decode(message).ok_or_else(|| PyValueError::new_err("malformed message"))
}

#[pyfunction]
#[pyo3(signature = (market, side, price, quantity, nonce, expiry=0, *, order_type=0, time_in_force=0, stp=0,
                    trigger_price=0, display_quantity=0, client_order_id=0))]
#[allow(clippy::too_many_arguments)]
fn encode_order(
    py: Python<'_>,
    market: u32,
    side: u8,
    price: u64,
    quantity: u64,
    nonce: u64,
    expiry: u64,
    order_type: u8,
    time_in_force: u8,
    stp: u8,
    trigger_price: u64,
    display_quantity: u64,
    client_order_id: u64,
) -> PyResult<Bound<'_, PyBytes>> {
    let invalid = |what: &str| PyValueError::new_err(format!("invalid {what}"));
    let order = Order {
        market,
        side: Side::from_byte(side).ok_or_else(|| PyValueError::new_err("side must be 0 (buy) or 1 (sell)"))?,
        order_type: OrderType::from_byte(order_type).ok_or_else(|| invalid("order_type (0 limit, 1 market)"))?,
        time_in_force: TimeInForce::from_byte(time_in_force)
            .ok_or_else(|| invalid("time_in_force (0 GTC, 1 IOC, 2 FOK, 3 post-only)"))?,
        stp: SelfTradePrevention::from_byte(stp)
            .ok_or_else(|| invalid("stp (0 cancel taker, 1 cancel maker, 2 decrement both)"))?,
        price,
        quantity,
        trigger_price,
        display_quantity,
        nonce,
        expiry,
        client_order_id,
    };
    Ok(PyBytes::new(py, &Message::Order(order).encode()))
}

#[pyfunction]
fn encode_cancel(py: Python<'_>, market: u32, order_nonce: u64) -> Bound<'_, PyBytes> {
    PyBytes::new(py, &Message::Cancel(Cancel { market, order_nonce }).encode())
}

#[pyfunction]
fn encode_envelope<'py>(
    py: Python<'py>,
    trader: Cow<[u8]>,
    message: Cow<[u8]>,
    signature: Cow<[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let envelope = Envelope {
        trader: fixed(&trader, "trader")?,
        message: decode_message_bytes(&message)?,
        signature: fixed(&signature, "signature")?,
    };
    Ok(PyBytes::new(py, &envelope.encode()))
}

#[pyfunction]
fn decode_envelope<'py>(py: Python<'py>, envelope: Cow<[u8]>) -> PyResult<Bound<'py, PyDict>> {
    let envelope = Envelope::decode(&envelope).ok_or_else(|| PyValueError::new_err("malformed envelope"))?;
    let dict = PyDict::new(py);
    dict.set_item("trader", hex0x(&envelope.trader))?;
    dict.set_item("message", message_dict(py, &envelope.message)?)?;
    dict.set_item("signature", hex0x(&envelope.signature))?;
    Ok(dict)
}

#[pyfunction]
fn decode_message<'py>(py: Python<'py>, message: Cow<[u8]>) -> PyResult<Bound<'py, PyDict>> {
    message_dict(py, &decode_message_bytes(&message)?)
}

#[pyfunction]
fn typed_data_digest<'py>(
    py: Python<'py>,
    chain_id: u64,
    inbox: Cow<[u8]>,
    trader: Cow<[u8]>,
    message: Cow<[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let digest = eip712::digest(
        chain_id,
        &fixed(&inbox, "inbox")?,
        &fixed(&trader, "trader")?,
        &decode_message_bytes(&message)?,
    );
    Ok(PyBytes::new(py, &digest))
}

#[pyfunction]
fn recover_envelope_signer(chain_id: u64, inbox: Cow<[u8]>, envelope: Cow<[u8]>) -> PyResult<Option<String>> {
    let inbox = fixed(&inbox, "inbox")?;
    Ok(Envelope::decode(&envelope)
        .and_then(|envelope| eip712::envelope_signer(chain_id, &inbox, &envelope))
        .map(|a| hex0x(&a)))
}

/// Whether `envelope` decodes and is signed by its own trader.
fn signed_by_its_trader(chain_id: u64, inbox: &[u8; 20], envelope: &[u8]) -> bool {
    Envelope::decode(envelope).is_some_and(|envelope| eip712::is_signed_by_trader(chain_id, inbox, &envelope))
}

/// Releases the GIL while it recovers the signer, so that the API can check signatures on
/// several threads at once.
#[pyfunction]
fn verify_envelope(py: Python<'_>, chain_id: u64, inbox: Cow<[u8]>, envelope: Cow<[u8]>) -> PyResult<bool> {
    let inbox = fixed(&inbox, "inbox")?;
    let envelope = envelope.into_owned();
    Ok(py.detach(move || signed_by_its_trader(chain_id, &inbox, &envelope)))
}

/// `verify_envelope` of each envelope, in order, with the GIL released for all of them (the API
/// checks a batch of orders in a few calls, one per core).
#[pyfunction]
fn verify_envelopes(
    py: Python<'_>,
    chain_id: u64,
    inbox: Cow<[u8]>,
    envelopes: &Bound<'_, PyList>,
) -> PyResult<Vec<bool>> {
    let inbox = fixed(&inbox, "inbox")?;
    let envelopes = convert::byte_strings(envelopes)?;
    Ok(py.detach(move || envelopes.iter().map(|e| signed_by_its_trader(chain_id, &inbox, e)).collect()))
}

#[pyfunction]
fn encode_blob_batch<'py>(py: Python<'py>, envelopes: &Bound<'py, PyList>) -> PyResult<Bound<'py, PyList>> {
    // Compressing a batch takes milliseconds: the API and the feed run meanwhile.
    let envelopes = convert::byte_strings(envelopes)?;
    let blobs = py.detach(|| encode_blobs(&envelopes)).map_err(|error| match error {
        BatchEncodingError::TooManyEnvelopes => PyValueError::new_err("too many envelopes for one batch"),
        BatchEncodingError::EnvelopeTooLong { position } => {
            PyValueError::new_err(format!("envelope {position} is longer than 65535 bytes"))
        }
    })?;
    PyList::new(py, blobs.iter().map(|blob| PyBytes::new(py, blob)))
}

#[pyfunction]
fn decode_blob_batch<'py>(py: Python<'py>, blobs: &Bound<'py, PyList>) -> PyResult<Option<Bound<'py, PyList>>> {
    decode_blobs(&convert::byte_strings(blobs)?)
        .map(|envelopes| PyList::new(py, envelopes.iter().map(|envelope| PyBytes::new(py, envelope))))
        .transpose()
}

#[pyfunction]
fn blob_batch_capacity() -> usize {
    BLOB_CAPACITY
}

#[pyfunction]
fn entry_hash<'py>(
    py: Python<'py>,
    kind: u8,
    sender: Cow<[u8]>,
    l1_block: u64,
    l1_timestamp: u64,
    payload: Cow<[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    Ok(PyBytes::new(py, &inbox::entry_hash(kind, &fixed(&sender, "sender")?, l1_block, l1_timestamp, &payload)))
}

#[pyfunction]
fn next_acc<'py>(py: Python<'py>, prev_acc: Cow<[u8]>, entry_hash: Cow<[u8]>) -> PyResult<Bound<'py, PyBytes>> {
    Ok(PyBytes::new(py, &inbox::next_acc(&fixed(&prev_acc, "prev_acc")?, &fixed(&entry_hash, "entry_hash")?)))
}

#[pyfunction]
fn encode_public_values<'py>(py: Python<'py>, values: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyBytes>> {
    let values = PublicValues {
        prev_state_root: hash_field(values, "prev_state_root")?,
        new_state_root: hash_field(values, "new_state_root")?,
        inbox_start: field(values, "inbox_start")?.extract()?,
        inbox_end: field(values, "inbox_end")?.extract()?,
        inbox_start_acc: hash_field(values, "inbox_start_acc")?,
        inbox_end_acc: hash_field(values, "inbox_end_acc")?,
        withdrawals_root: hash_field(values, "withdrawals_root")?,
        blobs_hash: hash_field(values, "blobs_hash")?,
    };
    Ok(PyBytes::new(py, &values.encode()))
}

#[pyfunction]
fn decode_public_values<'py>(py: Python<'py>, encoded: Cow<[u8]>) -> PyResult<Bound<'py, PyDict>> {
    let values = PublicValues::decode(&encoded)
        .ok_or_else(|| PyValueError::new_err("public values must be 256 bytes with uint64 words in range"))?;
    let dict = PyDict::new(py);
    dict.set_item("prev_state_root", hex0x(&values.prev_state_root))?;
    dict.set_item("new_state_root", hex0x(&values.new_state_root))?;
    dict.set_item("inbox_start", values.inbox_start)?;
    dict.set_item("inbox_end", values.inbox_end)?;
    dict.set_item("inbox_start_acc", hex0x(&values.inbox_start_acc))?;
    dict.set_item("inbox_end_acc", hex0x(&values.inbox_end_acc))?;
    dict.set_item("withdrawals_root", hex0x(&values.withdrawals_root))?;
    dict.set_item("blobs_hash", hex0x(&values.blobs_hash))?;
    Ok(dict)
}

/// The aggregation program's input (PROTOCOL.md section 14): the range program's key digest
/// (eight big-endian u32 words, as `clob-sp1-host` prints `vkeyWords`), then each range's 256
/// public-value bytes in inbox order.
#[pyfunction]
fn encode_aggregation_input<'py>(
    py: Python<'py>,
    range_vkey_words: Cow<[u8]>,
    ranges: Vec<Vec<u8>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let digest: [u8; VKEY_DIGEST_LEN] = fixed(&range_vkey_words, "range_vkey_words")?;
    let mut words = [0u32; 8];
    for (word, bytes) in words.iter_mut().zip(digest.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    let ranges: Vec<&[u8]> = ranges.iter().map(Vec::as_slice).collect();
    Ok(PyBytes::new(py, &aggregate::encode_input(&words, &ranges)))
}

/// What the aggregation program commits for `input` (the core's checks, without the proofs):
/// the header's fields and its 288-byte `encoded` form; ValueError naming the failed check.
#[pyfunction]
fn aggregate_ranges<'py>(py: Python<'py>, input: Cow<[u8]>) -> PyResult<Bound<'py, PyDict>> {
    let header = aggregate::aggregate(&input).map_err(|e| PyValueError::new_err(format!("{e:?}")))?.header;
    let dict = PyDict::new(py);
    dict.set_item("range_vkey", hex0x(&header.range_vkey))?;
    dict.set_item("prev_state_root", hex0x(&header.prev_state_root))?;
    dict.set_item("new_state_root", hex0x(&header.new_state_root))?;
    dict.set_item("inbox_start", header.inbox_start)?;
    dict.set_item("inbox_end", header.inbox_end)?;
    dict.set_item("inbox_start_acc", hex0x(&header.inbox_start_acc))?;
    dict.set_item("inbox_end_acc", hex0x(&header.inbox_end_acc))?;
    dict.set_item("range_count", header.range_count)?;
    dict.set_item("ranges_hash", hex0x(&header.ranges_hash))?;
    dict.set_item("encoded", PyBytes::new(py, &header.encode()))?;
    Ok(dict)
}

/// The guest input of a range (PROTOCOL.md section 9): its witness, its entries (which must
/// continue from the witness's inbox position), their blobs, and the seed of the proof's hash
/// tables.
#[pyfunction]
fn encode_guest_input<'py>(
    py: Python<'py>,
    witness: Cow<[u8]>,
    entries: &Bound<'py, PyList>,
    blobs: &Bound<'py, PyDict>,
    seed: u64,
) -> PyResult<Bound<'py, PyBytes>> {
    let start = match clob_core::witness::open(&witness, seed) {
        Ok((state, _)) => state.inbox_position().0,
        Err(error) => return Err(PyValueError::new_err(format!("invalid witness: {error:?}"))),
    };
    let entries = convert::entries(entries, start)?;
    let input = GuestInput { witness: witness.into_owned(), entries, blobs: convert::blobs(blobs)?, seed };
    Ok(PyBytes::new(py, &input.encode()))
}

/// Runs the guest program natively. A witness that lacks what the range reaches makes the
/// core stop (in a zkVM: no proof); here that is a ValueError, never a root.
#[pyfunction]
fn execute_guest_input<'py>(py: Python<'py>, guest_input: Cow<[u8]>) -> PyResult<Bound<'py, PyBytes>> {
    let outcome = std::panic::catch_unwind(|| execute(&guest_input));
    match outcome {
        Ok(Ok(public_values)) => Ok(PyBytes::new(py, &public_values)),
        Ok(Err(GuestError::InvalidInput)) => Err(PyValueError::new_err("invalid guest input")),
        Ok(Err(GuestError::InvalidWitness(error))) => Err(PyValueError::new_err(format!("invalid witness: {error:?}"))),
        Ok(Err(GuestError::MissingBlob(hash))) => {
            Err(MissingBlobError::new_err(format!("missing blob {}", hex0x(&hash))))
        }
        Ok(Err(GuestError::InvalidBlob(hash, _))) => {
            Err(PyValueError::new_err(format!("blob {} cannot be opened (wrong size or non-canonical)", hex0x(&hash))))
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
                .unwrap_or_else(|| "the guest stopped".to_owned());
            Err(PyValueError::new_err(message))
        }
    }
}

/// A state key's kind and fields, for logs and tests (`"Balance([..], [..])"`).
#[pyfunction]
fn describe_state_key(key: Cow<[u8]>) -> PyResult<String> {
    match clob_core::state::StateKey::decode(&key) {
        Some(key) => Ok(format!("{key:?}")),
        None => Err(PyValueError::new_err("not a state key")),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(encode_order, m)?)?;
    m.add_function(wrap_pyfunction!(encode_cancel, m)?)?;
    m.add_function(wrap_pyfunction!(encode_envelope, m)?)?;
    m.add_function(wrap_pyfunction!(decode_envelope, m)?)?;
    m.add_function(wrap_pyfunction!(decode_message, m)?)?;
    m.add_function(wrap_pyfunction!(typed_data_digest, m)?)?;
    m.add_function(wrap_pyfunction!(recover_envelope_signer, m)?)?;
    m.add_function(wrap_pyfunction!(verify_envelopes, m)?)?;
    m.add_function(wrap_pyfunction!(verify_envelope, m)?)?;
    m.add_function(wrap_pyfunction!(encode_blob_batch, m)?)?;
    m.add_function(wrap_pyfunction!(decode_blob_batch, m)?)?;
    m.add_function(wrap_pyfunction!(blob_batch_capacity, m)?)?;
    m.add_function(wrap_pyfunction!(entry_hash, m)?)?;
    m.add_function(wrap_pyfunction!(next_acc, m)?)?;
    m.add_function(wrap_pyfunction!(encode_public_values, m)?)?;
    m.add_function(wrap_pyfunction!(decode_public_values, m)?)?;
    m.add_function(wrap_pyfunction!(encode_guest_input, m)?)?;
    m.add_function(wrap_pyfunction!(encode_aggregation_input, m)?)?;
    m.add_function(wrap_pyfunction!(aggregate_ranges, m)?)?;
    m.add_function(wrap_pyfunction!(execute_guest_input, m)?)?;
    m.add_function(wrap_pyfunction!(describe_state_key, m)?)?;
    Ok(())
}
