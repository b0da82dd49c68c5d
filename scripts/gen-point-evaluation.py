#!/usr/bin/env python3
"""Writes tests/vectors/point_evaluation.json: one real KZG opening of a blob at its
proof-of-equivalence point (docs/PROTOCOL.md section 13), for the Rollup's forge tests of the
point-evaluation precompile. Deterministic: re-running rewrites a byte-identical file.

Run with the project venv: `.venv/bin/python scripts/gen-point-evaluation.py`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import ckzg
import eth_account
from eth_utils import keccak

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "vectors" / "point_evaluation.json"
TRUSTED_SETUP = Path(eth_account.__file__).parent / "typed_transactions" / "blob_transactions" / "kzg_trusted_setup.txt"
BLS_MODULUS = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
FIELD_ELEMENTS_PER_BLOB = 4096


def sample_blob() -> bytes:
    """4096 field elements, each 0x00 ‖ 31 pseudo-random bytes (so below the modulus)."""
    chunks = []
    for i in range(FIELD_ELEMENTS_PER_BLOB):
        chunks.append(b"\x00" + keccak(b"clobnode-point-evaluation" + i.to_bytes(4, "big"))[:31])
    return b"".join(chunks)


def main() -> None:
    setup = ckzg.load_trusted_setup(str(TRUSTED_SETUP), 0)
    blob = sample_blob()
    commitment = ckzg.blob_to_kzg_commitment(blob, setup)
    versioned_hash = b"\x01" + hashlib.sha256(commitment).digest()[1:]
    z = (int.from_bytes(keccak(versioned_hash + keccak(blob)), "big") % BLS_MODULUS).to_bytes(32, "big")
    proof, y = ckzg.compute_kzg_proof(blob, z, setup)
    assert ckzg.verify_kzg_proof(commitment, z, y, proof, setup)
    vector = {
        "comment": "docs/PROTOCOL.md section 13; blob = 4096 x (0x00 || keccak('clobnode-point-evaluation' || u32 i)[:31])",
        "blob_keccak": "0x" + keccak(blob).hex(),
        "versioned_hash": "0x" + versioned_hash.hex(),
        "z": "0x" + z.hex(),
        "y": "0x" + bytes(y).hex(),
        "commitment": "0x" + bytes(commitment).hex(),
        "proof": "0x" + bytes(proof).hex(),
        "blobs_hash": "0x" + keccak(versioned_hash + z + bytes(y)).hex(),
    }
    OUT.write_text(json.dumps(vector, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
