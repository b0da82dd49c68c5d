"""Node configuration: one frozen section per component, wired together in `NodeConfig`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class L1Config:
    """How the node reaches and follows L1."""

    rpc_url: str
    confirmations: int = 0
    poll_interval_s: float = 0.25
    max_blocks_per_step: int = 256
    sidecar: str = "auto"  # auto | eip4844 | eip7594


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """Where durable state lives (SQLite in WAL mode)."""

    path: Path


@dataclass(frozen=True, slots=True)
class ProposerConfig:
    """Posting API-submitted signed orders as blob batches."""

    private_key: str | None = None  # None disables proposing
    max_blobs_per_tx: int = 6
    max_fee_per_blob_gas_floor: int = 1
    max_orders_per_batch: int = 4096


@dataclass(frozen=True, slots=True)
class ProverConfig:
    """Proving inbox ranges."""

    backend: str = "mock"  # mock | sp1 | zisk
    max_range: int = 4096


@dataclass(frozen=True, slots=True)
class SettlerConfig:
    """Submitting proven batches to the Rollup."""

    private_key: str | None = None  # None disables settling
    receipt_timeout_s: float = 120.0


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """The REST API."""

    host: str = "127.0.0.1"
    port: int = 7700


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """Everything a node needs, one section per component."""

    l1: L1Config
    store: StoreConfig
    proposer: ProposerConfig = field(default_factory=ProposerConfig)
    prover: ProverConfig = field(default_factory=ProverConfig)
    settler: SettlerConfig = field(default_factory=SettlerConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
