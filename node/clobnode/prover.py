"""Prover: builds the guest input for an inbox range and runs a proving backend on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import clobnode_core

from .config import ProverConfig
from .errors import ClobnodeError
from .store import Store


class ProverError(ClobnodeError):
    """A range could not be proven."""


@dataclass(frozen=True, slots=True)
class Proof:
    """What a backend returns: the public values it proved and the proof bytes for the verifier."""

    public_values: bytes
    proof: bytes
    backend: str
    insecure: bool


class ProvingBackend(Protocol):
    """A zkVM (or the mock) that proves `execute(guest_input)`."""

    name: str
    insecure: bool

    def prove(self, guest_input: bytes) -> Proof: ...


class MockBackend:
    """INSECURE mock proving: runs the guest function natively and returns an empty proof.

    The devnet's MockVerifier accepts exactly an empty proof; nothing is proven. Dev chains only.
    """

    name = "mock"
    insecure = True

    def prove(self, guest_input: bytes) -> Proof:
        try:
            public_values = bytes(clobnode_core.execute_guest_input(guest_input))
        except (KeyError, ValueError) as exc:
            raise ProverError(f"guest execution failed: {exc}") from exc
        return Proof(public_values, b"", self.name, self.insecure)


def backend_for(config: ProverConfig) -> ProvingBackend:
    """The backend named in the config."""
    if config.backend == "mock":
        return MockBackend()
    if config.backend == "sp1":
        from .prover_sp1 import Sp1Backend  # noqa: PLC0415 (imports this module)

        return Sp1Backend(config.sp1_mode)
    raise ProverError(f"proving backend {config.backend!r} is not available in this build (mock, sp1)")


def guest_input_for_range(store: Store, start: int, end: int) -> bytes:
    """The guest input for entries [start, end): the state at `start`, the entries, their blobs."""
    snapshot = store.snapshot_at_index(start)
    if snapshot is None:
        raise ProverError(f"no snapshot at inbox index {start}")
    entries = store.entries(start, end)
    if len(entries) != end - start:
        raise ProverError(f"entries [{start}, {end}) are not all derived yet")
    blobs: dict[bytes, bytes] = {}
    for entry in entries:
        for versioned_hash in entry.versioned_hashes():
            blob = store.get_blob(versioned_hash)
            if blob is None:
                raise ProverError(f"blob {versioned_hash.hex()} missing from the DA store")
            blobs[versioned_hash] = blob
    return bytes(clobnode_core.encode_guest_input(snapshot.state, [e.as_core() for e in entries], blobs))


def next_range(store: Store, start: int, max_range: int) -> tuple[int, int] | None:
    """The longest provable range from `start`: it must end where a snapshot exists."""
    ends = store.snapshot_indexes_after(start, start + max_range)
    return None if not ends else (start, ends[-1])
