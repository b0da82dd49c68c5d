"""Specification of clobnode.da.kzg: commitments, versioned hashes, proofs and sidecars."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from clobnode.da import kzg
from clobnode.da.kzg import BYTES_PER_BLOB, CELLS_PER_EXT_BLOB, KzgError, SidecarForm

ZERO_BLOB = bytes(BYTES_PER_BLOB)
# The commitment to the zero polynomial is the compressed G1 point at infinity.
INFINITY_COMMITMENT = b"\xc0" + bytes(47)


def test_trusted_setup_is_loaded_once_per_process() -> None:
    assert kzg.trusted_setup() is kzg.trusted_setup()


def test_commitment_of_zero_blob_is_point_at_infinity() -> None:
    assert kzg.blob_commitment(ZERO_BLOB) == INFINITY_COMMITMENT


def test_versioned_hash_is_version_byte_then_sha256_tail() -> None:
    expected = b"\x01" + hashlib.sha256(INFINITY_COMMITMENT).digest()[1:]
    assert kzg.versioned_hash(INFINITY_COMMITMENT) == expected
    assert kzg.blob_versioned_hash(ZERO_BLOB) == expected


def test_commitment_is_deterministic_and_distinguishes_blobs(make_blob: Callable[[int], bytes]) -> None:
    first, second = make_blob(1), make_blob(2)
    assert kzg.blob_commitment(first) == kzg.blob_commitment(first)
    assert len(kzg.blob_commitment(first)) == 48
    assert kzg.blob_commitment(first) != kzg.blob_commitment(second)


def test_verify_blob_accepts_blob_against_its_versioned_hash(make_blob: Callable[[int], bytes]) -> None:
    blob = make_blob(3)
    assert kzg.verify_blob(blob, kzg.blob_versioned_hash(blob))


def test_verify_blob_rejects_tampered_blob(make_blob: Callable[[int], bytes]) -> None:
    blob = make_blob(4)
    versioned_hash = kzg.blob_versioned_hash(blob)
    tampered = bytearray(blob)
    tampered[1000] ^= 0x01
    assert not kzg.verify_blob(bytes(tampered), versioned_hash)


def test_verify_blob_rejects_wrong_length_and_non_canonical_blob(make_blob: Callable[[int], bytes]) -> None:
    blob = make_blob(5)
    versioned_hash = kzg.blob_versioned_hash(blob)
    assert not kzg.verify_blob(blob[:-1], versioned_hash)
    non_canonical = b"\xff" * 32 + blob[32:]  # first field element above the BLS modulus
    assert not kzg.verify_blob(non_canonical, versioned_hash)


def test_blob_commitment_raises_on_non_canonical_blob() -> None:
    with pytest.raises(KzgError):
        kzg.blob_commitment(b"\xff" * BYTES_PER_BLOB)
    with pytest.raises(KzgError):
        kzg.blob_commitment(b"\x00" * 10)


def test_blob_proof_verifies_and_fails_for_tampered_blob(make_blob: Callable[[int], bytes]) -> None:
    blob = make_blob(6)
    commitment = kzg.blob_commitment(blob)
    proof = kzg.blob_proof(blob, commitment)
    assert len(proof) == 48
    assert kzg.verify_blob_proof(blob, commitment, proof)
    assert not kzg.verify_blob_proof(make_blob(7), commitment, proof)


def test_cell_proofs_are_128_per_blob(make_blob: Callable[[int], bytes]) -> None:
    proofs = kzg.cell_proofs(make_blob(8))
    assert len(proofs) == CELLS_PER_EXT_BLOB
    assert all(len(p) == 48 for p in proofs)


def test_build_sidecar_carries_one_blob_proof_per_blob_in_eip4844_form(make_blob: Callable[[int], bytes]) -> None:
    blobs = [make_blob(9), make_blob(10)]
    sidecar = kzg.build_sidecar(blobs, SidecarForm.EIP4844)
    assert sidecar.blobs == tuple(blobs)
    assert len(sidecar.proofs) == 2
    assert sidecar.versioned_hashes == tuple(kzg.blob_versioned_hash(b) for b in blobs)
    triples = zip(blobs, sidecar.commitments, sidecar.proofs, strict=True)
    assert all(kzg.verify_blob_proof(b, c, p) for b, c, p in triples)


def test_build_sidecar_carries_128_cell_proofs_per_blob_in_eip7594_form(
    make_blob: Callable[[int], bytes],
) -> None:
    blobs = [make_blob(11)]
    sidecar = kzg.build_sidecar(blobs, SidecarForm.EIP7594)
    assert sidecar.proofs == kzg.cell_proofs(blobs[0])
    assert sidecar.commitments == (kzg.blob_commitment(blobs[0]),)


def test_build_sidecar_rejects_no_blobs() -> None:
    with pytest.raises(KzgError):
        kzg.build_sidecar([], SidecarForm.EIP4844)


def test_blob_math_on_worker_processes_gives_what_the_node_computes_itself() -> None:
    """A batch of blobs spread over worker processes: the same commitments, checks and cell
    proofs as in the node's own process, in order, a mismatch found where it is."""
    blobs = [bytes([0, i + 1]) + bytes(BYTES_PER_BLOB - 2) for i in range(3)]
    here = kzg.blob_commitments(blobs)
    kzg.start_worker(2)
    try:
        kzg.wait_for_workers()
        assert kzg.blob_commitments(blobs) == here
        hashes = [kzg.versioned_hash(c) for c in here]
        assert kzg.verify_blobs(list(zip(blobs, [hashes[0], hashes[2], hashes[2]], strict=True))) == [True, False, True]
        assert kzg.build_sidecar(blobs[:1], SidecarForm.EIP7594).proofs == kzg.cell_proofs(blobs[0])
    finally:
        kzg.stop_worker()
