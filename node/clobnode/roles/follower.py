"""Follower: the role every node plays. It follows L1 block by block, derives the inbox entries
and their blobs (from the DA store, the L1 RPC or a beacon API, each verified), applies them to
the engine, records each block with its events and state changes, and rolls back on a reorg."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from clobnode.config import NodeConfig
from clobnode.da.store import DAStore, DAStoreError
from clobnode.errors import ClobnodeError
from clobnode.exchange.engine import Engine
from clobnode.hexbytes import from_hex
from clobnode.l1.client import L1Client, L1Error, beacon_genesis_time
from clobnode.l1.contracts import Deployment
from clobnode.l1.derivation import KIND_BLOB_BATCH, InboxEntry, check_stream
from clobnode.l1.watcher import L1Block, L1Watcher
from clobnode.storage.state_store import StateStoreError
from clobnode.storage.store import Store
from clobnode.telemetry import NodeMetrics

log = logging.getLogger(__name__)


class BlobUnavailable(ClobnodeError):
    """A blob batch's blob cannot be fetched yet; the block is retried later."""


class BlockIncomplete(ClobnodeError):
    """The RPC's logs of a block disagree with the Inbox's count; the block is retried later."""


@dataclass(slots=True)
class SyncTime:
    """Where the follower's time went: reading L1 blocks (RPC) and applying them (blobs, engine,
    store). `clobnode bench load` reports them apart: full blocks amortise the reading."""

    blocks: int = 0
    read_s: float = 0.0
    apply_s: float = 0.0
    # apply_s in parts: blobs fetched, checked and stored (DA pieces included); the engine
    # (signatures, matching, the state tree); the block's rows written to the store.
    blobs_s: float = 0.0
    engine_s: float = 0.0
    record_s: float = 0.0


class Follower:
    """Derives the exchange from L1 into the engine and the store."""

    def __init__(self, config: NodeConfig, deployment: Deployment, l1: L1Client, watcher: L1Watcher, store: Store, da: DAStore, metrics: NodeMetrics) -> None:
        self.config = config
        self.deployment = deployment
        self.l1 = l1
        self.watcher = watcher
        self.store = store
        self.da = da
        self.spent = SyncTime()
        self._genesis_time: int | None = None  # the beacon chain's, for beacon_block_id = "slot"
        self.metrics = metrics
        self.head: int | None = None  # the confirmed L1 head seen by the last pass
        self.inbox_count: int | None = None  # Inbox.count() after the last derived block
        self.engine = self._load_engine()

    def genesis_engine(self) -> Engine:
        d = self.deployment
        return Engine.genesis(d.chain_id, from_hex(d.inbox), from_hex(d.vault), d.engine_markets())

    def _load_engine(self) -> Engine:
        """The state as stored (checked against its recorded root), or genesis on a fresh store."""
        point = self.store.state.latest()
        if point is None:
            engine = self.genesis_engine()
            self.store.record_genesis(self.deployment.deploy_block - 1, engine.state_root(), engine.records())
            return engine
        engine = Engine.restore(self.store.state.records())
        if engine.state_root() != point.state_root:
            raise StateStoreError(f"stored state has root 0x{engine.state_root().hex()}, block {point.l1_block} recorded 0x{point.state_root.hex()}")
        return engine

    # ---- following L1 -----------------------------------------------------------------------

    def sync(self) -> int:
        """Derive and apply confirmed L1 blocks; returns how many blocks were processed."""
        last = self.store.last_block()
        number = last[0] + 1 if last else self.deployment.deploy_block
        last_hash = last[1] if last else None
        head = self.head = self.watcher.confirmed_head()
        processed = 0
        while number <= head and processed < self.config.l1.max_blocks_per_step:
            started = time.perf_counter()
            block = self.watcher.block(number)
            reorg = self.watcher.find_reorg(block, last_hash, self.store.recent_block_hashes())
            if reorg is not None:
                self.rollback(reorg.common_ancestor)
                return processed
            read = time.perf_counter()
            self._apply_block(block)
            self.spent.blocks += 1
            self.spent.read_s += read - started
            self.spent.apply_s += time.perf_counter() - read
            last_hash, number, processed = block.hash, number + 1, processed + 1
        return processed

    def _apply_block(self, block: L1Block) -> None:
        next_index, acc = self.engine.inbox_position()
        if next_index + len(block.entries) != block.inbox_count:
            raise BlockIncomplete(
                f"L1 block {block.number}: {len(block.entries)} Inbox logs after entry {next_index}, but the Inbox counts "
                f"{block.inbox_count} entries (logs not indexed yet?); the block is read again later"
            )
        entries = check_stream(next_index, acc, block.entries)
        started = time.perf_counter()
        blobs = self._blobs_for(entries, block.number)
        fetched = time.perf_counter()
        try:
            events, checkpoints = [], []
            step = self.config.store.checkpoint_entries
            for at in range(0, len(entries), step):
                events.extend(self.engine.apply(entries[at : at + step], blobs))
                checkpoints.append(self.engine.commit())
            applied = time.perf_counter()
            self.store.record_block(block.number, block.hash, block.parent_hash, entries, events, checkpoints, block.verified)
            self.spent.blobs_s += fetched - started
            self.spent.engine_s += applied - fetched
            self.spent.record_s += time.perf_counter() - applied
            self.inbox_count = block.inbox_count
            for kind, count in Counter(str(entry.kind) for entry in entries).items():
                self.metrics.entries.labels(kind).inc(count)
            for kind, count in Counter(event["type"] for event in events).items():
                self.metrics.events.labels(kind).inc(count)
        except BaseException:
            self._reload_engine()
            raise
        if entries:
            log.info("L1 block %d: %d inbox entries, %d events", block.number, len(entries), len(events))

    def _blobs_for(self, entries: Sequence[InboxEntry], l1_block: int) -> dict[bytes, bytes]:
        """Every blob the block's blob batches refer to, from the DA store or L1 (verified), then stored."""
        blobs: dict[bytes, bytes] = {}
        wanted = [h for e in entries if e.kind == KIND_BLOB_BATCH for h in e.versioned_hashes()]
        missing = []
        for versioned_hash in wanted:
            blob = self.store.get_blob(versioned_hash)
            if blob is None and (blob := self._recover_from_da(versioned_hash)) is not None:
                self.store.put_blob(versioned_hash, blob, l1_block)
            if blob is None:
                missing.append(versioned_hash)
            else:
                blobs[versioned_hash] = blob
        if missing:
            fetched = self._fetch_blobs(missing, l1_block, entries[0].l1_timestamp)
            for versioned_hash in missing:
                self.store.put_blob(versioned_hash, fetched[versioned_hash], l1_block)
            blobs.update(fetched)
        self.da.put_many({h: blob for h, blob in blobs.items() if h not in self.da}, l1_block)
        return blobs

    def _recover_from_da(self, versioned_hash: bytes) -> bytes | None:
        """A blob this node derived before (L1 prunes blobs after ~18 days), from its RS pieces."""
        if versioned_hash not in self.da:
            return None
        try:
            return self.da.recover(versioned_hash).blob
        except DAStoreError as exc:
            log.warning("DA store cannot recover blob 0x%s: %s", versioned_hash.hex(), exc)
            return None

    def _fetch_blobs(self, hashes: Sequence[bytes], l1_block: int, l1_timestamp: int) -> dict[bytes, bytes]:
        """Blobs from the L1 RPC or the configured beacon API, each verified against its hash."""
        config = self.config.l1
        try:
            if config.beacon_url is None:
                return self.l1.get_blobs(hashes)
            block_id: int | str = l1_block
            if config.beacon_block_id == "slot":
                block_id = (l1_timestamp - self._beacon_genesis_time()) // config.seconds_per_slot
            return self.l1.get_blobs_from_beacon(config.beacon_url, block_id, hashes)
        except L1Error as exc:
            raise BlobUnavailable(f"blobs of L1 block {l1_block}: {exc}") from exc

    def _beacon_genesis_time(self) -> int:
        if self._genesis_time is None:
            assert self.config.l1.beacon_url is not None
            self._genesis_time = beacon_genesis_time(self.config.l1.beacon_url, self.l1.request_timeout)
        return self._genesis_time

    def rollback(self, common_ancestor: int) -> None:
        log.warning("L1 reorg: rolling back to block %d", common_ancestor)
        try:
            reverted = self.store.rollback_after(common_ancestor)
        except StateStoreError as exc:
            # Deeper than the journal: derive everything again from L1.
            log.warning("reorg below the state journal (%s): deriving the exchange again from genesis", exc)
            self.store.forget_everything()
            self.engine.reset_to(self.genesis_engine().records())
            self.store.record_genesis(self.deployment.deploy_block - 1, self.engine.state_root(), self.engine.records())
            return
        self.engine.revert(reverted)

    def _reload_engine(self) -> None:
        """The engine as the store holds it (after a failed write left it ahead)."""
        self.engine.reset_to(self.store.state.records())

    def prune_state(self, verified_index: int) -> None:
        """Forget the state journal below what the prover, the escape hatch and a reorg may need."""
        verified = self.store.state.at_index(verified_index)
        head = self.store.last_block()  # the last L1 block derived
        if verified is None or head is None:
            return
        window = self.store.state.at_block(head[0] - self.config.store.reorg_window_blocks)
        if window is None:
            return  # every checkpoint is within the reorg window
        below = min(verified_index, window.inbox_index)
        with self.store.transaction():
            removed = self.store.state.prune(below)
        if removed:
            log.info("pruned %d state journal rows up to inbox index %d", removed, below)
