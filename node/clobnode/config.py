"""Node configuration: one frozen section per component, wired together in `NodeConfig`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class L1Config:
    """How the node reaches and follows L1."""

    rpc_url: str
    # Which blocks count as settled enough to derive: the `head` tag's block ("latest", "safe" or
    # "finalized", PoS checkpoints on real networks) minus `confirmations`.
    head: str = "latest"
    confirmations: int = 0
    poll_interval_s: float = 0.25
    max_blocks_per_step: int = 256
    sidecar: str = "auto"  # auto | eip4844 | eip7594
    # Where blobs come back from: None asks the L1 RPC (anvil_getBlobByHash); a beacon API URL
    # uses GET /eth/v1/beacon/blobs/{id} (falling back to blob_sidecars), the shape of real networks.
    beacon_url: str | None = None
    # The beacon block id of an L1 block: "number" (anvil keys its beacon endpoint by execution
    # block number) or "slot" ((timestamp − beacon genesis time) / seconds_per_slot).
    beacon_block_id: str = "number"
    seconds_per_slot: int = 12


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """Where durable state lives (SQLite in WAL mode)."""

    path: Path
    # The state journal is kept at least this many L1 blocks behind the head (a reorg deeper
    # than this derives the exchange again from genesis), and above the last verified batch.
    reorg_window_blocks: int = 64
    # A block with more inbox entries than this gets a state checkpoint every this many entries,
    # so that a proven range can end inside it (no bigger than [prover] max_range).
    checkpoint_entries: int = 1024


@dataclass(frozen=True, slots=True)
class ProposerConfig:
    """Posting API-submitted signed orders as blob batches."""

    private_key: str | None = None  # None (and no keystore) disables proposing
    keystore: str | None = None  # an encrypted JSON keystore of the proposer's key
    max_blobs_per_tx: int = 6  # upper bound; the L1's own limit (eth_config) wins when lower
    max_fee_per_blob_gas_floor: int = 1
    max_orders_per_batch: int = 16384  # compressed, a 6-blob batch carries ~7,700 signed orders
    replace_after_s: float = 24.0  # a blob tx not included this long is replaced (same nonce, bumped fees)
    inclusion_wait_s: float = 0.0  # how long one step waits for its tx: 0 looks once a pass (the loop never blocks on L1)
    max_in_flight: int = 4  # blob txs sent and not yet included (consecutive nonces): one a pass while fewer are
    # With a tx in flight, the next goes out once this long has passed since the last (or at once
    # when a full tx waits), so that the in-flight txs spread over the slot rather than all going
    # out at its start; None: the L1 slot (l1.seconds_per_slot) / max_in_flight.
    send_interval_s: float | None = None


@dataclass(frozen=True, slots=True)
class ProverConfig:
    """Proving inbox ranges."""

    backend: str = "mock"  # mock | sp1 | zisk
    max_range: int = 4096
    workers: int = 1  # ranges proven at once (threads driving the backend)
    max_jobs: int = 2  # ranges planned ahead of the Rollup's verified index (queued, proving or proven)
    retry_base_s: float = 2.0  # a range whose proving failed or that the Rollup refused waits this, doubled per attempt
    retry_max_s: float = 300.0  # ... up to this
    sp1_mode: str = "groth16"  # execute | core | compressed | groth16 | plonk (SP1_PROVER picks the machine)


@dataclass(frozen=True, slots=True)
class SettlerConfig:
    """Submitting proven batches to the Rollup."""

    private_key: str | None = None  # None disables settling
    keystore: str | None = None  # an encrypted JSON keystore of the settler's key
    receipt_timeout_s: float = 120.0


@dataclass(frozen=True, slots=True)
class AdmissionConfig:
    """What the API accepts before it spends blob gas on a message (docs/API.md)."""

    max_pending_per_trader: int = 256  # admitted messages of one trader not yet applied
    rate_per_s: float = 200.0  # requests a client (IP) may send per second, on average
    burst: int = 400  # ... and at once (a batch costs one request per message)
    max_batch: int = 100  # signed messages in one POST /orders/batch


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """The REST API."""

    host: str = "127.0.0.1"
    port: int = 7700
    admission: AdmissionConfig = field(default_factory=AdmissionConfig)


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """Everything a node needs, one section per component."""

    l1: L1Config
    store: StoreConfig
    proposer: ProposerConfig = field(default_factory=ProposerConfig)
    prover: ProverConfig = field(default_factory=ProverConfig)
    settler: SettlerConfig = field(default_factory=SettlerConfig)
    api: ApiConfig = field(default_factory=ApiConfig)

    def __post_init__(self) -> None:
        if not 1 <= self.store.checkpoint_entries <= self.prover.max_range:
            raise ValueError(
                f"[store] checkpoint_entries ({self.store.checkpoint_entries}) must be at least 1 and at most "
                f"[prover] max_range ({self.prover.max_range}), or a block could hold a range no proof may cover"
            )
