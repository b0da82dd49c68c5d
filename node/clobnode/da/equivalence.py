"""Blob equivalence (PROTOCOL.md section 13): the `BlobOpening`s the Rollup checks for a range.

The guest commits `blobsHash` over `(versionedHash, z, y)` of every blob of the range; the Rollup
recomputes it from the openings the settler sends and checks each with the point-evaluation
precompile. z and y come from the Rust core (the same code the guest runs), the commitment and
the KZG proof from ckzg; ckzg's y must agree with the core's, or the batch is not sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import clobnode_core

from clobnode.da import kzg
from clobnode.errors import ClobnodeError
from clobnode.hexbytes import to_hex
from clobnode.storage.store import Store


class EquivalenceError(ClobnodeError):
    """A range's blob openings cannot be built (a blob is missing, or ckzg and the core disagree)."""


@dataclass(frozen=True, slots=True)
class BlobOpening:
    """The Rollup's `BlobOpening` struct: the precompile's input for one blob."""

    versioned_hash: bytes
    z: bytes
    y: bytes
    commitment: bytes
    proof: bytes

    def as_tuple(self) -> tuple[bytes, bytes, bytes, bytes, bytes]:
        return (self.versioned_hash, self.z, self.y, self.commitment, self.proof)


def open_blob(versioned_hash: bytes, blob: bytes) -> BlobOpening:
    """The opening of one blob, checked: its commitment hashes to `versioned_hash` and ckzg's
    evaluation at the core's z equals the core's y."""
    commitment = kzg.blob_commitment(blob)
    if kzg.versioned_hash(commitment) != versioned_hash:
        raise EquivalenceError(f"blob does not match versioned hash {versioned_hash.hex()}")
    try:
        core = clobnode_core.open_blob(versioned_hash, blob)
    except ValueError as exc:
        raise EquivalenceError(f"blob {versioned_hash.hex()}: {exc}") from exc
    z, y = bytes.fromhex(core["z"][2:]), bytes.fromhex(core["y"][2:])
    proof, ckzg_y = kzg.point_proof(blob, z)
    if ckzg_y != y:
        raise EquivalenceError(f"blob {versioned_hash.hex()}: ckzg evaluates y={ckzg_y.hex()}, the core {y.hex()}")
    return BlobOpening(versioned_hash, z, y, commitment, proof)


def openings_for_range(store: Store, start: int, end: int) -> list[BlobOpening]:
    """Every blob of every blob batch in inbox entries [start, end), in inbox and blob order."""
    openings = []
    for entry in store.entries(start, end):
        if len(entry.payload) % 32:
            continue  # not a well-formed blob batch: the core reads no blob for it (section 5)
        for versioned_hash in entry.versioned_hashes():
            blob = store.get_blob(versioned_hash)
            if blob is None:
                raise EquivalenceError(f"blob {versioned_hash.hex()} missing from the DA store")
            openings.append(open_blob(versioned_hash, blob))
    return openings


def check_blobs_hash(openings: list[BlobOpening], public_values: bytes) -> None:
    """Raise unless the openings hash to the `blobsHash` the proof committed to."""
    committed = clobnode_core.decode_public_values(public_values)["blobs_hash"]
    computed = clobnode_core.blobs_hash(
        [{"versioned_hash": o.versioned_hash, "z": o.z, "y": o.y} for o in openings]
    )
    if to_hex(computed) != committed:
        raise EquivalenceError(f"blob openings hash to 0x{bytes(computed).hex()}, the proof commits {committed}")
