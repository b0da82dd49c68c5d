"""Generates tests/vectors/blob_evaluation.json (PROTOCOL.md section 13) with ckzg alone.

Each case's blob is rebuilt from its rule, so the file stays small:
  field element i = keccak(seed ‖ uint32(i)) with the first byte cleared ("data": what the
  31-byte packing produces), or reduced mod BLS_MODULUS ("field": the full field).
z and y come from the definitions (keccak, then ckzg's `compute_kzg_proof(blob, z)`), not from
the core, so `cargo test` and pytest check the core against an independent implementation.
Deterministic: re-running rewrites a byte-identical file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import ckzg  # type: ignore[import-not-found]
from clobnode.da import kzg
from eth_hash.auto import keccak

CASES = [("data", b"clobnode-blob-0"), ("field", b"clobnode-blob-1"), ("data", b"")]


def blob_from_rule(rule: str, seed: bytes) -> bytes:
    elements = []
    for i in range(kzg.FIELD_ELEMENTS_PER_BLOB):
        digest = keccak(seed + i.to_bytes(4, "big"))
        if rule == "data":
            elements.append(b"\x00" + digest[1:])
        else:
            elements.append((int.from_bytes(digest, "big") % kzg.BLS_MODULUS).to_bytes(32, "big"))
    return b"".join(elements)


def case(rule: str, seed: bytes) -> dict[str, str]:
    blob = blob_from_rule(rule, seed)
    commitment = kzg.blob_commitment(blob)
    versioned_hash = kzg.versioned_hash(commitment)
    z = (int.from_bytes(keccak(versioned_hash + keccak(blob)), "big") % kzg.BLS_MODULUS).to_bytes(32, "big")
    proof, y = ckzg.compute_kzg_proof(blob, z, kzg.trusted_setup())
    return {
        "rule": rule,
        "seed": "0x" + seed.hex(),
        "blob_keccak": "0x" + keccak(blob).hex(),
        "commitment": "0x" + commitment.hex(),
        "versioned_hash": "0x" + versioned_hash.hex(),
        "z": "0x" + z.hex(),
        "y": "0x" + bytes(y).hex(),
        "proof": "0x" + bytes(proof).hex(),
    }


def main(out_dir: Path) -> None:
    cases = [case(rule, seed) for rule, seed in CASES]
    openings = b"".join(bytes.fromhex(c[k][2:]) for c in cases for k in ("versioned_hash", "z", "y"))
    document = {"cases": cases, "blobs_hash": "0x" + keccak(openings).hex()}
    (out_dir / "blob_evaluation.json").write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {out_dir / 'blob_evaluation.json'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "tests" / "vectors")
