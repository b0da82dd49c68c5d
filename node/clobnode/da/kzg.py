"""EIP-4844 / EIP-7594 blob math: commitments, versioned hashes, proofs and sidecars (via ckzg)."""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Final, TypeVar

import ckzg  # ships no stubs (ignore_missing_imports in pyproject.toml)

from clobnode.errors import ClobnodeError

BYTES_PER_FIELD_ELEMENT: Final = 32
FIELD_ELEMENTS_PER_BLOB: Final = 4096
BYTES_PER_BLOB: Final = BYTES_PER_FIELD_ELEMENT * FIELD_ELEMENTS_PER_BLOB
BYTES_PER_COMMITMENT: Final = 48
BYTES_PER_PROOF: Final = 48
CELLS_PER_EXT_BLOB: Final = 128
VERSIONED_HASH_VERSION_KZG: Final = b"\x01"
BLS_MODULUS: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001

#: Environment variable: ckzg precompute level for the trusted setup (0..15; 0 loads fastest).
PRECOMPUTE_ENV: Final = "CLOBNODE_KZG_PRECOMPUTE"


class KzgError(ClobnodeError):
    """A blob, commitment or proof is malformed, or the trusted setup cannot be loaded."""


class SidecarForm(Enum):
    """The network form of a blob transaction's sidecar."""

    EIP4844 = "eip4844"  # blobs, commitments, one blob proof per blob (Cancun/Prague)
    EIP7594 = "eip7594"  # wrapper version 1: blobs, commitments, 128 cell proofs per blob (Osaka+)


@dataclass(frozen=True, slots=True)
class BlobSidecar:
    """The blobs of one type-3 transaction with what the network form needs to carry them."""

    form: SidecarForm
    blobs: tuple[bytes, ...]
    commitments: tuple[bytes, ...]
    proofs: tuple[bytes, ...]  # EIP4844: one per blob; EIP7594: 128 per blob, blob-major
    versioned_hashes: tuple[bytes, ...]

    @classmethod
    def build(cls, blobs: Sequence[bytes], form: SidecarForm) -> BlobSidecar:
        """Same as `build_sidecar(blobs, form)`."""
        return build_sidecar(blobs, form)


_settings: Any = None
_settings_lock = threading.Lock()


def trusted_setup_path() -> Path:
    """The mainnet KZG trusted setup file that eth-account ships (ckzg ships none)."""
    import eth_account

    path = (
        Path(eth_account.__file__).parent
        / "typed_transactions"
        / "blob_transactions"
        / "kzg_trusted_setup.txt"
    )
    if not path.is_file():
        raise KzgError(f"trusted setup not found at {path} (is eth-account >= 0.13 installed?)")
    return path


def trusted_setup(precompute: int | None = None) -> Any:
    """The process-wide ckzg settings, loaded on first use (thread-safe).

    `precompute` (default: env CLOBNODE_KZG_PRECOMPUTE or 0) only matters on the first call:
    higher values make cell proofs ~30% faster at the price of a slower load.
    """
    global _settings
    if _settings is not None:
        return _settings
    with _settings_lock:
        if _settings is None:
            level = precompute if precompute is not None else int(os.environ.get(PRECOMPUTE_ENV, "0"))
            try:
                _settings = ckzg.load_trusted_setup(str(trusted_setup_path()), level)
            except (RuntimeError, ValueError) as exc:
                raise KzgError(f"cannot load KZG trusted setup: {exc}") from exc
    return _settings


# ---- the worker processes ----------------------------------------------------------------------
#
# ckzg holds the GIL for the whole of a computation: about 50 ms a commitment and 140 ms a blob's
# 128 cell proofs here (docs/BENCHMARKS.md). In the node's process that stalls the API and the market-data feed while
# the proposer builds a sidecar or the follower checks a blob. A node starts worker processes
# (`start_worker`, one a core) and the heavy calls below run there, the calling thread waiting
# without the GIL; the calls on a whole batch of blobs (`blob_commitments`, `verify_blobs`,
# `build_sidecar`, `map_blobs`) spread their blobs over every worker.

_worker: ProcessPoolExecutor | None = None
_worker_count = 0
_log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def start_worker(processes: int | None = None) -> None:
    """Computes commitments and proofs in processes of their own from now on (`processes`,
    default one a core; each loads the trusted setup in the background); idempotent."""
    global _worker, _worker_count
    with _settings_lock:
        if _worker is None:
            _worker_count = processes or os.cpu_count() or 1
            _worker = ProcessPoolExecutor(_worker_count, mp_context=multiprocessing.get_context("spawn"), initializer=trusted_setup)
            for _ in range(_worker_count):
                _worker.submit(int)  # starts the processes now, not at the first blob


def wait_for_workers(timeout_s: float = 120.0) -> None:
    """Until every worker process has loaded the trusted setup (seconds after `start_worker`), so
    that a benchmark does not time the loading; at most `timeout_s`."""
    worker, deadline = _worker, time.monotonic() + timeout_s
    ready: set[int] = set()
    while worker is not None and len(ready) < _worker_count and time.monotonic() < deadline:
        # Tasks that keep their process busy a moment land on different processes.
        ready.update(future.result() for future in [worker.submit(_loaded_pid) for _ in range(_worker_count)])


def _loaded_pid() -> int:
    trusted_setup()
    time.sleep(0.05)
    return os.getpid()


def stop_worker() -> None:
    """Back to computing in the calling thread; the worker processes exit."""
    global _worker
    with _settings_lock:
        worker, _worker = _worker, None
    if worker is not None:
        worker.shutdown(wait=True, cancel_futures=True)


def map_blobs(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`function` of each item, in order, spread over the worker processes when they run (it must
    be a module-level function); a worker's exception is raised here."""
    worker = _worker
    if worker is not None and len(items) > 0:
        try:
            return [future.result() for future in [worker.submit(function, item) for item in items]]
        except BrokenExecutor:
            _log.warning("a blob worker process is gone; computing in the node's process from now on")
            stop_worker()
    return [function(item) for item in items]


def _ckzg(name: str, *args: bytes) -> Any:
    """`ckzg.<name>(*args, settings)`, in a worker process when they run."""
    return map_blobs(_ckzg_call, [(name, args)])[0]


def _ckzg_call(call: tuple[str, tuple[bytes, ...]]) -> Any:
    name, args = call
    return getattr(ckzg, name)(*args, trusted_setup())


def _check_blob(blob: bytes) -> None:
    if len(blob) != BYTES_PER_BLOB:
        raise KzgError(f"a blob is {BYTES_PER_BLOB} bytes, got {len(blob)}")


def blob_commitment(blob: bytes) -> bytes:
    """The 48-byte KZG commitment to a blob."""
    return blob_commitments([blob])[0]


def blob_commitments(blobs: Sequence[bytes]) -> tuple[bytes, ...]:
    """The KZG commitment to each blob, spread over the worker processes."""
    for blob in blobs:
        _check_blob(blob)
    try:
        return tuple(bytes(c) for c in map_blobs(_ckzg_call, [("blob_to_kzg_commitment", (bytes(b),)) for b in blobs]))
    except (RuntimeError, ValueError) as exc:
        raise KzgError(f"blob is not canonical (a field element >= BLS modulus?): {exc}") from exc


def versioned_hash(commitment: bytes) -> bytes:
    """EIP-4844 versioned hash: 0x01 ‖ sha256(commitment)[1:]."""
    if len(commitment) != BYTES_PER_COMMITMENT:
        raise KzgError(f"a commitment is {BYTES_PER_COMMITMENT} bytes, got {len(commitment)}")
    return VERSIONED_HASH_VERSION_KZG + hashlib.sha256(commitment).digest()[1:]


def blob_versioned_hash(blob: bytes) -> bytes:
    """The versioned hash of a blob (commitment, then hash)."""
    return versioned_hash(blob_commitment(blob))


def blob_proof(blob: bytes, commitment: bytes) -> bytes:
    """The EIP-4844 blob proof (`compute_blob_kzg_proof`) for a blob and its commitment."""
    _check_blob(blob)
    try:
        return bytes(_ckzg("compute_blob_kzg_proof", bytes(blob), bytes(commitment)))
    except (RuntimeError, ValueError) as exc:
        raise KzgError(f"cannot compute blob proof: {exc}") from exc


def cell_proofs(blob: bytes) -> tuple[bytes, ...]:
    """The 128 EIP-7594 cell proofs of a blob's erasure-coded extension."""
    return _cell_proofs_of([blob])[0]


def _cell_proofs_of(blobs: Sequence[bytes]) -> list[tuple[bytes, ...]]:
    for blob in blobs:
        _check_blob(blob)
    try:
        computed = map_blobs(_ckzg_call, [("compute_cells_and_kzg_proofs", (bytes(b),)) for b in blobs])
    except (RuntimeError, ValueError) as exc:
        raise KzgError(f"cannot compute cell proofs: {exc}") from exc
    return [tuple(bytes(p) for p in proofs) for _cells, proofs in computed]


def point_proof(blob: bytes, z: bytes) -> tuple[bytes, bytes]:
    """`(proof, y)`: the KZG opening of the blob's polynomial at `z` (`compute_kzg_proof`), what
    the point-evaluation precompile (0x0a) checks against the blob's commitment."""
    _check_blob(blob)
    try:
        proof, y = _ckzg("compute_kzg_proof", bytes(blob), bytes(z))
    except (RuntimeError, ValueError) as exc:
        raise KzgError(f"cannot compute the KZG proof at z: {exc}") from exc
    return bytes(proof), bytes(y)


def verify_point_proof(commitment: bytes, z: bytes, y: bytes, proof: bytes) -> bool:
    """True iff `proof` opens `commitment` to `y` at `z` (what the 0x0a precompile checks)."""
    try:
        return bool(_ckzg("verify_kzg_proof", bytes(commitment), bytes(z), bytes(y), bytes(proof)))
    except (RuntimeError, ValueError):
        return False


def verify_blob(blob: bytes, expected_versioned_hash: bytes) -> bool:
    """True iff `blob` is well-formed and commits to `expected_versioned_hash`."""
    return verify_blobs([(blob, expected_versioned_hash)])[0]


def verify_blobs(blobs: Sequence[tuple[bytes, bytes]]) -> list[bool]:
    """`verify_blob(blob, expected_versioned_hash)` of each pair, spread over the worker processes."""
    return map_blobs(_commits_to, [(bytes(blob), bytes(expected)) for blob, expected in blobs])


def _commits_to(pair: tuple[bytes, bytes]) -> bool:
    """On a worker (which has no workers of its own, so it computes the commitment itself)."""
    blob, expected = pair
    try:
        return blob_versioned_hash(blob) == expected
    except KzgError:
        return False


def verify_blob_proof(blob: bytes, commitment: bytes, proof: bytes) -> bool:
    """True iff `proof` is a valid EIP-4844 blob proof of `blob` against `commitment`."""
    try:
        return bool(_ckzg("verify_blob_kzg_proof", bytes(blob), bytes(commitment), bytes(proof)))
    except (RuntimeError, ValueError):
        return False


def build_sidecar(blobs: Sequence[bytes], form: SidecarForm) -> BlobSidecar:
    """Commit to every blob and compute the proofs that `form` carries."""
    if not blobs:
        raise KzgError("a blob sidecar needs at least one blob")
    blob_tuple = tuple(bytes(b) for b in blobs)
    commitments = blob_commitments(blob_tuple)
    if form is SidecarForm.EIP4844:
        proofs = tuple(blob_proof(b, c) for b, c in zip(blob_tuple, commitments, strict=True))
    else:
        proofs = tuple(p for each in _cell_proofs_of(blob_tuple) for p in each)
    return BlobSidecar(
        form=form,
        blobs=blob_tuple,
        commitments=commitments,
        proofs=proofs,
        versioned_hashes=tuple(versioned_hash(c) for c in commitments),
    )
