//! Trading messages beyond order/cancel, and the Merkle helpers of withdrawals
//! (PROTOCOL.md sections 2, 10, 11).

use std::borrow::Cow;

use clob_core::message::{CancelAll, Message, Replace};
use clob_core::withdrawals::{withdrawal_leaf as core_withdrawal_leaf, withdrawals_tree as core_withdrawals_tree};
use clob_core::Hash;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::convert::{byte_strings, fixed};

#[pyfunction]
fn encode_cancel_all(py: Python<'_>, market: u32, nonce: u64) -> Bound<'_, PyBytes> {
    PyBytes::new(py, &Message::CancelAll(CancelAll { market, nonce }).encode())
}

#[pyfunction]
fn encode_replace(
    py: Python<'_>,
    market: u32,
    order_nonce: u64,
    nonce: u64,
    price: u64,
    quantity: u64,
) -> Bound<'_, PyBytes> {
    PyBytes::new(py, &Message::Replace(Replace { market, order_nonce, nonce, price, quantity }).encode())
}

#[pyfunction]
fn withdrawal_leaf<'py>(
    py: Python<'py>,
    trader: Cow<[u8]>,
    token: Cow<[u8]>,
    amount: u128,
    inbox_index: u64,
) -> PyResult<Bound<'py, PyBytes>> {
    let leaf = core_withdrawal_leaf(&fixed(&trader, "trader")?, &fixed(&token, "token")?, amount, inbox_index);
    Ok(PyBytes::new(py, &leaf))
}

/// `(root, [proof per leaf])` of the section-10 tree over `leaves` (32 bytes each).
#[pyfunction]
fn withdrawals_tree<'py>(py: Python<'py>, leaves: &Bound<'py, PyList>) -> PyResult<Bound<'py, PyTuple>> {
    let leaves = byte_strings(leaves)?.iter().map(|leaf| fixed::<32>(leaf, "leaf")).collect::<PyResult<Vec<Hash>>>()?;
    let (root, proofs) = core_withdrawals_tree(leaves);
    let proofs = proofs
        .iter()
        .map(|proof| PyList::new(py, proof.iter().map(|node| PyBytes::new(py, node))))
        .collect::<PyResult<Vec<_>>>()?;
    (PyBytes::new(py, &root), PyList::new(py, proofs)?).into_pyobject(py)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(encode_cancel_all, m)?)?;
    m.add_function(wrap_pyfunction!(encode_replace, m)?)?;
    m.add_function(wrap_pyfunction!(withdrawal_leaf, m)?)?;
    m.add_function(wrap_pyfunction!(withdrawals_tree, m)?)?;
    Ok(())
}
