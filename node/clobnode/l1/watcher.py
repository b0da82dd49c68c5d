"""L1 watcher: follows L1 blocks behind a confirmation depth and detects reorgs by parent hash."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes
from web3.contract import Contract

from clobnode.config import L1Config
from clobnode.errors import ClobnodeError
from clobnode.hexbytes import to_hex
from clobnode.l1.client import L1Client
from clobnode.l1.derivation import InboxEntry, entry_from_log_args


class WatcherError(ClobnodeError):
    """L1 could not be read."""


# The Rollup's `Backend` enum, in order: a range settled through an aggregation proof logs the last.
ROLLUP_BACKENDS = ("sp1", "zisk", "sp1-aggregation")


@dataclass(frozen=True, slots=True)
class L1Block:
    """One L1 block and the Inbox entries appended in it."""

    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int
    entries: tuple[InboxEntry, ...]
    inbox_count: int  # Inbox.count() after this block: the index its last entry must reach
    verified: tuple[VerifiedOnL1, ...] = ()  # the Rollup's BatchVerified logs in this block


@dataclass(frozen=True, slots=True)
class VerifiedOnL1:
    """A batch the Rollup verified (its `BatchVerified` log), whoever proved it."""

    number: int
    inbox_start: int
    inbox_end: int
    new_state_root: bytes
    backend: str
    tx_hash: str


@dataclass(frozen=True, slots=True)
class Reorg:
    """The chain no longer contains our block `number`; `common_ancestor` is the last block we share."""

    number: int
    common_ancestor: int


class L1Watcher:
    """Reads confirmed blocks and the Inbox's `EntryAppended` logs, one block at a time."""

    def __init__(self, l1: L1Client, inbox: Contract, config: L1Config, rollup: Contract | None = None) -> None:
        self._l1 = l1
        self._w3 = l1.w3
        self._inbox = inbox
        self._rollup = rollup
        self._config = config
        self._topic = inbox.events.EntryAppended().topic
        self._verified_topic = None if rollup is None else rollup.events.BatchVerified().topic
        self._count_call = inbox.encode_abi("count")

    def confirmed_head(self) -> int:
        """The newest block to derive: the configured head tag's block, less the confirmations."""
        if self._config.head == "latest":
            head = int(self._w3.eth.block_number)
        else:
            head = int(self._w3.eth.get_block(self._config.head)["number"])  # type: ignore[arg-type]
        return head - self._config.confirmations

    def block(self, number: int) -> L1Block:
        # The header and Inbox.count() through raw JSON-RPC (L1Client.rpc): web3's middleware asks
        # the chain id again for each call, most of a block's 30 ms here.
        header = self._l1.rpc("eth_getBlockByNumber", [hex(number), False])
        if header is None:
            raise WatcherError(f"L1 block {number} not found")
        block_hash = bytes.fromhex(header["hash"][2:])
        addresses = [self._inbox.address] + ([] if self._rollup is None else [self._rollup.address])
        topics = [self._topic] + ([] if self._verified_topic is None else [self._verified_topic])
        logs = self._w3.eth.get_logs({"blockHash": HexBytes(block_hash), "address": addresses, "topics": [topics]})
        event = self._inbox.events.EntryAppended()
        entries = tuple(entry_from_log_args(event.process_log(log)["args"]) for log in logs if log["address"] == self._inbox.address)
        verified = tuple(self._verified(log) for log in logs if self._rollup is not None and log["address"] == self._rollup.address)
        # An RPC that has not indexed a block's logs yet answers [] for it: the Inbox's own count
        # at that block lets the follower check that no entry was skipped.
        count = int(self._l1.rpc("eth_call", [{"to": self._inbox.address, "data": self._count_call}, to_hex(block_hash)]), 16)
        return L1Block(number, block_hash, bytes.fromhex(header["parentHash"][2:]), int(header["timestamp"], 16), entries, count, verified)

    def _verified(self, log: Any) -> VerifiedOnL1:
        assert self._rollup is not None
        args = self._rollup.events.BatchVerified().process_log(log)["args"]
        return VerifiedOnL1(
            int(args["batchNumber"]), int(args["inboxStart"]), int(args["inboxEnd"]), bytes(args["newStateRoot"]),
            ROLLUP_BACKENDS[int(args["backend"])], to_hex(bytes(log["transactionHash"])),
        )

    def canonical_hash(self, number: int) -> bytes:
        return bytes(self._w3.eth.get_block(number)["hash"])

    def find_reorg(self, block: L1Block, known_hash: bytes | None, known_hashes: dict[int, bytes]) -> Reorg | None:
        """A reorg if `block` does not extend our last block; walks back to the common ancestor."""
        if known_hash is None or block.parent_hash == known_hash:
            return None
        for number in sorted(known_hashes, reverse=True):
            if self.canonical_hash(number) == known_hashes[number]:
                return Reorg(block.number - 1, number)
        raise WatcherError(f"reorg deeper than the {len(known_hashes)} blocks the node remembers")
