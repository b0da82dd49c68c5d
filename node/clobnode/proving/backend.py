"""Proving backends: one interface (`ProvingBackend`: prove a guest input, say whether it is
insecure) and the INSECURE mock; the real ones are `sp1.py` (and ZisK's emulator, `zisk.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import clobnode_core

from clobnode.errors import ClobnodeError


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
