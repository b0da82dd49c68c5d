"""`clobnode bench da`: the data-availability path measured (docs/BENCHMARKS.md).

Signed orders per blob, bytes per order, what compression would save, the time to encode +
commit + compute EIP-7594 cell proofs for a full multi-blob batch (sequentially and across worker
processes), decode + signature-verify throughput, and the DA store's RS coding and recovery.
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import clobnode_core
from eth_account import Account
from eth_hash.auto import keccak

from clobnode.da import kzg
from clobnode.da.store import encode_pieces, piece_hash, recover_blob

CHAIN_ID = 31337
INBOX = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
#: Distinct benchmark traders: keys derived from a label (nothing is sent anywhere). Real order
#: flow comes from many traders, and repeated trader addresses would flatter compression.
TRADERS = 1000


@dataclass(frozen=True, slots=True)
class Timing:
    best_s: float
    median_s: float


def _time(action: Callable[[], Any], repeat: int) -> Timing:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return Timing(samples[0], samples[len(samples) // 2])


def signed_orders(count: int, traders: int = TRADERS) -> list[bytes]:
    """`count` distinct signed limit orders (real EIP-712 signatures) by up to `traders` traders."""
    accounts = [Account.from_key(keccak(b"clobnode-bench-trader" + i.to_bytes(4, "big"))) for i in range(min(count, traders))]
    inbox = bytes.fromhex(INBOX[2:])
    envelopes = []
    for n in range(count):
        account = accounts[n % len(accounts)]
        trader = bytes.fromhex(account.address[2:])
        price, quantity = 190_000 + (n * 37) % 997, 1 + (n * 7) % 50
        message = clobnode_core.encode_order(n % 3, n % 2, price, quantity, 1_763_000_000_000 + n * 13, 0)
        digest = clobnode_core.typed_data_digest(CHAIN_ID, inbox, trader, message)
        signed = account.unsafe_sign_hash(digest)
        signature = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
        envelopes.append(bytes(clobnode_core.encode_envelope(trader, message, signature)))
    return envelopes


def orders_per_blob(orders: list[bytes], blobs: int = 1) -> int:
    """The most of `orders` (a prefix) that `blobs` blobs carry, compression included."""
    low, high = 0, len(orders)
    while low < high:
        middle = (low + high + 1) // 2
        if len(clobnode_core.encode_blob_batch(orders[:middle])) <= blobs:
            low = middle
        else:
            high = middle - 1
    return low


def _commit_and_prove(blob: bytes) -> tuple[bytes, tuple[bytes, ...]]:
    return kzg.blob_commitment(blob), kzg.cell_proofs(blob)


def _worker_init(precompute: int) -> None:
    kzg.trusted_setup(precompute)


def _sidecar_parallel(pool: ProcessPoolExecutor, blobs: Sequence[bytes]) -> list[tuple[bytes, tuple[bytes, ...]]]:
    return list(pool.map(_commit_and_prove, blobs))


def run(blobs_per_batch: int = 6, repeat: int = 3, workers: int = 2, precompute: int = 8) -> dict[str, Any]:
    """Every figure of docs/BENCHMARKS.md's DA section, as a JSON-able dict."""
    load = _time(lambda: kzg.trusted_setup(precompute), 1)
    envelope_len = len(signed_orders(1)[0])
    uncompressed_per_blob = (clobnode_core.blob_batch_capacity() - 14) // (2 + envelope_len)
    pool_of_orders = signed_orders(int(uncompressed_per_blob * 2.5))
    per_blob = orders_per_blob(pool_of_orders)
    if per_blob == len(pool_of_orders):
        raise RuntimeError("order pool too small to fill a blob")
    batch_orders = [*pool_of_orders] * (blobs_per_batch + 1)
    batch_orders = batch_orders[: orders_per_blob(batch_orders, blobs_per_batch)]
    blobs = clobnode_core.encode_blob_batch(batch_orders)
    assert len(blobs) == blobs_per_batch
    raw_batch = b"".join(len(e).to_bytes(2, "big") + e for e in pool_of_orders[:per_blob])

    encode = _time(lambda: clobnode_core.encode_blob_batch(batch_orders), repeat)
    sequential = _time(lambda: [_commit_and_prove(b) for b in blobs], repeat)
    result: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "trusted_setup_load_s": round(load.best_s, 3),
        "precompute": precompute,
        "traders": TRADERS,
        "envelope_bytes": envelope_len,
        "bytes_per_order_uncompressed": 2 + envelope_len,
        "orders_per_blob_uncompressed": uncompressed_per_blob,
        "orders_per_blob": per_blob,
        "blob_data_bytes_per_order": round(clobnode_core.blob_batch_capacity() / per_blob, 1),
        "deflate_ratio": round(len(zlib.compress(raw_batch, 9)) / len(raw_batch), 3),
        "batch_blobs": blobs_per_batch,
        "batch_orders": len(batch_orders),
        "encode_s": round(encode.median_s, 3),
        "commit_and_cell_proofs_sequential_s": round(sequential.median_s, 3),
        "encode_commit_cell_proofs_sequential_s": round(encode.median_s + sequential.median_s, 3),
    }
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=_worker_init, initargs=(precompute,)) as pool:
            _sidecar_parallel(pool, blobs[:workers])  # warm: each worker loads the setup once
            parallel = _time(lambda: _sidecar_parallel(pool, blobs), repeat)
        result["workers"] = workers
        result["commit_and_cell_proofs_parallel_s"] = round(parallel.median_s, 3)
        result["encode_commit_cell_proofs_parallel_s"] = round(encode.median_s + parallel.median_s, 3)

    versioned_hashes = [kzg.blob_versioned_hash(b) for b in blobs]
    decode = _time(lambda: clobnode_core.decode_blob_batch(blobs), repeat)
    envelopes = clobnode_core.decode_blob_batch(blobs) or []
    inbox = bytes.fromhex(INBOX[2:])
    verify = _time(lambda: all(clobnode_core.verify_envelope(CHAIN_ID, inbox, e) for e in envelopes), 1)
    blob_check = _time(lambda: all(kzg.verify_blob(b, h) for b, h in zip(blobs, versioned_hashes, strict=True)), 1)
    result.update({
        "decode_s": round(decode.median_s, 4),
        "decode_orders_per_s": round(len(envelopes) / decode.median_s),
        "signature_verify_orders_per_s": round(len(envelopes) / verify.best_s),
        "blob_versioned_hash_check_s_per_blob": round(blob_check.best_s / len(blobs), 4),
        "decode_and_verify_orders_per_s": round(len(envelopes) / (decode.median_s + verify.best_s + blob_check.best_s)),
    })

    blob = blobs[0]
    pieces = encode_pieces(blob)
    hashes = tuple(piece_hash(p) for p in pieces)
    rs_encode = _time(lambda: encode_pieces(blob), repeat)
    half = {i: p for i, p in enumerate(pieces) if i % 2}  # 8 of 16 pieces, 4 data pieces lost
    rs_recover = _time(lambda: recover_blob(versioned_hashes[0], half, hashes), 1)
    result.update({
        "da_rs_encode_s_per_blob": round(rs_encode.median_s, 4),
        "da_recover_from_8_of_16_s_per_blob": round(rs_recover.best_s, 3),
    })
    return result
