//! `clobnode_core`: the Rust core of clobnode for the Python node. The node never re-encodes
//! a wire format or re-implements the transition; it calls these functions.

mod bench;
mod blob;
mod codec;
mod convert;
mod engine;
mod trading;

use pyo3::prelude::*;

pyo3::create_exception!(
    clobnode_core,
    MissingBlobError,
    pyo3::exceptions::PyValueError,
    "A blob batch names a blob that was not provided."
);

#[pymodule]
fn clobnode_core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MissingBlobError", m.py().get_type::<MissingBlobError>())?;
    m.add_class::<engine::Engine>()?;
    bench::register(m)?;
    blob::register(m)?;
    trading::register(m)?;
    codec::register(m)
}
