//! Conversions between Python values and core types: bytes in, "0x" hex strings out.

use std::borrow::Cow;

use clob_core::events::{Event, EventKind};
use clob_core::inbox::InboxEntry;
use clob_core::message::Order;
use clob_core::transition::{BlobMap, TransitionError};
use clob_core::Hash;
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::MissingBlobError;

pub fn hex0x(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 + 2 * bytes.len());
    out.push_str("0x");
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out
}

/// Exactly `N` bytes, or a ValueError naming `what`.
pub fn fixed<const N: usize>(bytes: &[u8], what: &str) -> PyResult<[u8; N]> {
    bytes.try_into().map_err(|_| PyValueError::new_err(format!("{what} must be {N} bytes, got {}", bytes.len())))
}

/// The value of an optional dict key, or `default`.
pub fn field_or<'py, T: FromPyObjectOwned<'py>>(dict: &Bound<'py, PyDict>, key: &str, default: T) -> PyResult<T> {
    match dict.get_item(key)? {
        Some(value) => value.extract().map_err(Into::into),
        None => Ok(default),
    }
}

/// The value of a required dict key.
pub fn field<'py>(dict: &Bound<'py, PyDict>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    dict.get_item(key)?.ok_or_else(|| PyKeyError::new_err(key.to_owned()))
}

pub fn bytes_field(dict: &Bound<'_, PyDict>, key: &str) -> PyResult<Vec<u8>> {
    Ok(field(dict, key)?.extract::<Cow<[u8]>>()?.into_owned())
}

/// A `bytes32` given as bytes or as a "0x" hex string.
pub fn hash_field(dict: &Bound<'_, PyDict>, key: &str) -> PyResult<Hash> {
    let value = field(dict, key)?;
    if let Ok(text) = value.extract::<String>() {
        return fixed(&parse_hex(&text)?, key);
    }
    fixed(&value.extract::<Cow<[u8]>>()?, key)
}

fn parse_hex(text: &str) -> PyResult<Vec<u8>> {
    let digits = text.strip_prefix("0x").unwrap_or(text).as_bytes();
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    if !digits.len().is_multiple_of(2) {
        return Err(PyValueError::new_err(format!("odd-length hex: {text}")));
    }
    digits
        .chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| PyValueError::new_err(format!("invalid hex: {text}")))
}

/// Entry dicts (`index, kind, sender, l1_block, l1_timestamp, payload`) that must follow on
/// from inbox index `next_index` without a gap.
pub fn entries(list: &Bound<'_, PyList>, next_index: u64) -> PyResult<Vec<InboxEntry>> {
    let mut out = Vec::with_capacity(list.len());
    for (offset, item) in list.iter().enumerate() {
        let dict = item.cast::<PyDict>()?;
        let index: u64 = field(dict, "index")?.extract()?;
        let expected = next_index + offset as u64;
        if index != expected {
            return Err(PyValueError::new_err(format!("entry index {index} is not the next inbox index {expected}")));
        }
        out.push(InboxEntry {
            kind: field(dict, "kind")?.extract()?,
            sender: fixed(&bytes_field(dict, "sender")?, "sender")?,
            l1_block: field(dict, "l1_block")?.extract()?,
            l1_timestamp: field(dict, "l1_timestamp")?.extract()?,
            payload: bytes_field(dict, "payload")?,
        });
    }
    Ok(out)
}

/// A `{versioned_hash: blob}` dict.
pub fn blobs(dict: &Bound<'_, PyDict>) -> PyResult<BlobMap> {
    dict.iter()
        .map(|(hash, blob)| {
            Ok((fixed(&hash.extract::<Cow<[u8]>>()?, "versioned hash")?, blob.extract::<Cow<[u8]>>()?.into_owned()))
        })
        .collect()
}

pub fn transition_error(error: TransitionError) -> PyErr {
    match error {
        TransitionError::MissingBlob(hash) => MissingBlobError::new_err(format!("missing blob {}", hex0x(&hash))),
    }
}

/// An event as a dict: `index`, `position` (blob batch messages only), `type`, its fields.
/// How an order's enum fields are written: their wire bytes (a decoded message) or their
/// names (an event).
pub enum EnumForm {
    Byte,
    Name,
}

/// Every field of `order` into `dict`, one definition for messages and events.
pub fn order_fields(dict: &Bound<'_, PyDict>, order: &Order, form: EnumForm) -> PyResult<()> {
    dict.set_item("market", order.market)?;
    match form {
        EnumForm::Byte => {
            dict.set_item("side", order.side.to_byte())?;
            dict.set_item("order_type", order.order_type.to_byte())?;
            dict.set_item("time_in_force", order.time_in_force.to_byte())?;
            dict.set_item("stp", order.stp.to_byte())?;
        }
        EnumForm::Name => {
            dict.set_item("side", order.side.name())?;
            dict.set_item("order_type", order.order_type.name())?;
            dict.set_item("time_in_force", order.time_in_force.name())?;
            dict.set_item("stp", order.stp.name())?;
        }
    }
    dict.set_item("price", order.price)?;
    dict.set_item("quantity", order.quantity)?;
    dict.set_item("trigger_price", order.trigger_price)?;
    dict.set_item("display_quantity", order.display_quantity)?;
    dict.set_item("nonce", order.nonce)?;
    dict.set_item("expiry", order.expiry)?;
    dict.set_item("client_order_id", order.client_order_id)?;
    Ok(())
}

pub fn event<'py>(py: Python<'py>, event: &Event) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("index", event.index)?;
    if let Some(position) = event.position {
        dict.set_item("position", position)?;
    }
    dict.set_item("type", event.kind.name())?;
    match &event.kind {
        EventKind::Deposit { trader, token, amount } | EventKind::Withdrawal { trader, token, amount } => {
            dict.set_item("trader", hex0x(trader))?;
            dict.set_item("token", hex0x(token))?;
            dict.set_item("amount", amount)?;
        }
        EventKind::Accepted { trader, order } => {
            dict.set_item("trader", hex0x(trader))?;
            order_fields(&dict, order, EnumForm::Name)?;
        }
        EventKind::Triggered { trader, market, nonce, client_order_id, last_price } => {
            dict.set_item("trader", hex0x(trader))?;
            dict.set_item("market", market)?;
            dict.set_item("nonce", nonce)?;
            dict.set_item("client_order_id", client_order_id)?;
            dict.set_item("last_price", last_price)?;
        }
        EventKind::Fill {
            market,
            maker,
            maker_nonce,
            maker_client_order_id,
            taker,
            taker_nonce,
            taker_client_order_id,
            price,
            quantity,
            taker_side,
            maker_fee,
            taker_fee,
        } => {
            dict.set_item("market", market)?;
            dict.set_item("maker", hex0x(maker))?;
            dict.set_item("maker_nonce", maker_nonce)?;
            dict.set_item("maker_client_order_id", maker_client_order_id)?;
            dict.set_item("taker", hex0x(taker))?;
            dict.set_item("taker_nonce", taker_nonce)?;
            dict.set_item("taker_client_order_id", taker_client_order_id)?;
            dict.set_item("price", price)?;
            dict.set_item("quantity", quantity)?;
            dict.set_item("taker_side", taker_side.name())?;
            dict.set_item("maker_fee", maker_fee)?;
            dict.set_item("taker_fee", taker_fee)?;
        }
        EventKind::Cancelled { trader, market, nonce, client_order_id, remaining, reason } => {
            dict.set_item("trader", hex0x(trader))?;
            dict.set_item("market", market)?;
            dict.set_item("nonce", nonce)?;
            dict.set_item("client_order_id", client_order_id)?;
            dict.set_item("remaining", remaining)?;
            dict.set_item("reason", reason.name())?;
            dict.set_item("code", reason.code())?;
        }
        EventKind::Reduced { trader, market, nonce, client_order_id, quantity } => {
            dict.set_item("trader", hex0x(trader))?;
            dict.set_item("market", market)?;
            dict.set_item("nonce", nonce)?;
            dict.set_item("client_order_id", client_order_id)?;
            dict.set_item("quantity", quantity)?;
        }
        EventKind::SelfTrade {
            market,
            trader,
            maker_nonce,
            maker_client_order_id,
            taker_nonce,
            taker_client_order_id,
            quantity,
        } => {
            dict.set_item("market", market)?;
            dict.set_item("trader", hex0x(trader))?;
            dict.set_item("maker_nonce", maker_nonce)?;
            dict.set_item("maker_client_order_id", maker_client_order_id)?;
            dict.set_item("taker_nonce", taker_nonce)?;
            dict.set_item("taker_client_order_id", taker_client_order_id)?;
            dict.set_item("quantity", quantity)?;
        }
        EventKind::CancelledAll { trader, market, count } => {
            dict.set_item("trader", hex0x(trader))?;
            dict.set_item("market", market)?;
            dict.set_item("count", count)?;
        }
        EventKind::Halted { market, price, reference_price, until } => {
            dict.set_item("market", market)?;
            dict.set_item("price", price)?;
            dict.set_item("reference_price", reference_price)?;
            dict.set_item("until", until)?;
        }
        EventKind::Rejected { reason, subject } => {
            dict.set_item("reason", reason.name())?;
            dict.set_item("code", reason.code())?;
            if let Some(subject) = subject {
                dict.set_item("trader", hex0x(&subject.trader))?;
                dict.set_item("message", subject.message_name())?;
                dict.set_item("market", subject.market)?;
                dict.set_item("nonce", subject.nonce)?;
                dict.set_item("client_order_id", subject.client_order_id)?;
            }
        }
        EventKind::Batch { messages } => {
            dict.set_item("messages", messages)?;
        }
    }
    Ok(dict)
}

/// A list of `bytes` (or `bytearray`) items.
pub fn byte_strings(list: &Bound<'_, PyList>) -> PyResult<Vec<Vec<u8>>> {
    list.iter().map(|item| Ok(item.extract::<Cow<[u8]>>()?.into_owned())).collect()
}
