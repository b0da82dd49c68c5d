//! Blob equivalence (PROTOCOL.md section 13): the openings the guest commits to, so the node's
//! settler can ask ckzg for the matching KZG proofs and send them to the Rollup.

use std::borrow::Cow;

use clob_core::blob_eval::{self, BlobEvalError, BlobOpening, RangeOpeningError};
use clob_core::guest::GuestInput;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{fixed, hash_field, hex0x};
use crate::MissingBlobError;

fn opening_dict<'py>(py: Python<'py>, opening: &BlobOpening) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("versioned_hash", hex0x(&opening.versioned_hash))?;
    dict.set_item("z", hex0x(&opening.z))?;
    dict.set_item("y", hex0x(&opening.y))?;
    Ok(dict)
}

fn eval_error(error: BlobEvalError) -> PyErr {
    match error {
        BlobEvalError::WrongSize => PyValueError::new_err("a blob is exactly 131072 bytes"),
        BlobEvalError::NonCanonical { index } => {
            PyValueError::new_err(format!("field element {index} is not below the BLS modulus"))
        }
    }
}

#[pyfunction]
fn open_blob<'py>(py: Python<'py>, versioned_hash: Cow<[u8]>, blob: Cow<[u8]>) -> PyResult<Bound<'py, PyDict>> {
    let opening = blob_eval::open_blob(&fixed(&versioned_hash, "versioned_hash")?, &blob).map_err(eval_error)?;
    opening_dict(py, &opening)
}

#[pyfunction]
fn guest_input_blob_openings<'py>(py: Python<'py>, guest_input: Cow<[u8]>) -> PyResult<Bound<'py, PyList>> {
    let input = GuestInput::decode(&guest_input).ok_or_else(|| PyValueError::new_err("invalid guest input"))?;
    let openings = blob_eval::range_openings(&input.entries, &input.blobs).map_err(|error| match error {
        RangeOpeningError::MissingBlob(hash) => MissingBlobError::new_err(format!("missing blob {}", hex0x(&hash))),
        RangeOpeningError::InvalidBlob(hash, reason) => {
            PyValueError::new_err(format!("blob {}: {}", hex0x(&hash), eval_error(reason)))
        }
    })?;
    PyList::new(py, openings.iter().map(|o| opening_dict(py, o)).collect::<PyResult<Vec<_>>>()?)
}

#[pyfunction]
fn blobs_hash<'py>(py: Python<'py>, openings: &Bound<'py, PyList>) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let openings = openings
        .iter()
        .map(|item| {
            let dict = item.cast::<PyDict>()?;
            Ok(BlobOpening {
                versioned_hash: hash_field(dict, "versioned_hash")?,
                z: hash_field(dict, "z")?,
                y: hash_field(dict, "y")?,
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(pyo3::types::PyBytes::new(py, &blob_eval::blobs_hash(&openings)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(open_blob, m)?)?;
    m.add_function(wrap_pyfunction!(guest_input_blob_openings, m)?)?;
    m.add_function(wrap_pyfunction!(blobs_hash, m)?)?;
    Ok(())
}
