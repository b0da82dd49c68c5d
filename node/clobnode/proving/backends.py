"""The proving backend a node's config names."""

from __future__ import annotations

from clobnode.config import ProverConfig
from clobnode.proving.backend import MockBackend, ProverError, ProvingBackend
from clobnode.proving.sp1 import Sp1Backend


def backend_for(config: ProverConfig) -> ProvingBackend:
    """The backend named in the config."""
    if config.backend == "mock":
        return MockBackend()
    if config.backend == "sp1":
        return Sp1Backend(config.sp1_mode)
    raise ProverError(f"proving backend {config.backend!r} is not available in this build (mock, sp1)")


