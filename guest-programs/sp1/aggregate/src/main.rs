//! SP1 aggregation program (PROTOCOL.md section 14): reads the range program's key digest and the
//! public values of consecutive ranges, has SP1 verify each range's proof (a deferred proof that
//! the prover's recursion checks), and commits the 288-byte aggregate header of the core.
#![no_main]
sp1_zkvm::entrypoint!(main);

use sha2::{Digest, Sha256};

pub fn main() {
    let input = sp1_zkvm::io::read_vec();
    let aggregate = clob_core::aggregate::aggregate(&input).expect("aggregation input must hold chained ranges");
    for public_values in &aggregate.ranges {
        let digest: [u8; 32] = Sha256::digest(public_values).into();
        sp1_zkvm::lib::verify::verify_sp1_proof(&aggregate.range_vkey_words, &digest);
    }
    sp1_zkvm::io::commit_slice(&aggregate.header.encode());
}
