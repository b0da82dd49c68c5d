"""The proving backend a node's config names."""

from __future__ import annotations

from pathlib import Path

from clobnode.config import ProverConfig
from clobnode.proving.backend import MockBackend, ProverError, ProvingBackend
from clobnode.proving.sp1 import Sp1Backend


def backend_for(config: ProverConfig, proof_dir: Path | None = None) -> ProvingBackend:
    """The backend named in the config; SP1 keeps each whole proof under `proof_dir` (for
    `clobnode verify`)."""
    if config.backend == "mock":
        return MockBackend()
    if config.backend == "sp1":
        return Sp1Backend(config.sp1_mode, proof_dir=proof_dir)
    raise ProverError(f"proving backend {config.backend!r} is not available in this build (mock, sp1)")


