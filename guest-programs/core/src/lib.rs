//! The deterministic state transition of the clobnode exchange (docs/PROTOCOL.md).
//!
//! Integer-only, no I/O, no clocks, no randomness: the same code runs inside the SP1 and ZisK
//! guests and natively in the node, so the node's state and the proven state cannot drift.
#![no_std]

extern crate alloc;

/// Only where the aggregation program, the host or the node need it: compiled into a range guest,
/// even unused, it would change the guest's bytes and so its verifying key.
#[cfg(feature = "aggregate")]
pub mod aggregate;
pub mod blob_batch;
pub mod blob_eval;
pub mod book;
mod bytes_wire;
pub mod eip712;
pub mod events;
pub mod guest;
pub mod inbox;
pub mod keccak;
pub mod ledger;
pub mod merkle;
pub mod message;
pub mod public_values;
pub mod smt;
pub mod state;
pub mod transition;
/// Modular arithmetic of SP1's signature recovery (`eip712.rs`), held to k256 in tests.
#[cfg(any(test, all(feature = "zkvm-sp1", target_os = "zkvm")))]
mod uint256;
pub mod withdrawals;
pub mod witness;

/// A 20-byte Ethereum address (traders, tokens, contracts).
pub type Address = [u8; 20];
/// A 32-byte hash (keccak digests, versioned hashes, roots).
pub type Hash = [u8; 32];

/// Signers recovered on every core ahead of the transition: the node's native build only.
#[cfg(all(feature = "native-secp256k1", not(target_os = "zkvm")))]
pub mod signers_ahead;
