"""A beacon node's blob API for tests: a local HTTP server that answers the beacon-API routes a
rollup node reads blobs through, in the JSON shapes consensus clients serve, keyed by slot.

It is fed each slot's sidecars (blob, KZG commitment, KZG proof) and serves them as given, so a
test can also serve a blob that does not match its commitment. What a node does not check (the
signed block header, the commitment's inclusion proof) is filled with placeholder bytes of the
right sizes. Routes (ethereum/beacon-APIs):

- `GET /eth/v1/beacon/genesis`
- `GET /eth/v1/beacon/blob_sidecars/{block_id}[?indices=…]` (Deneb/Electra)
- `GET /eth/v1/beacon/blobs/{block_id}[?versioned_hashes=…]` (Fulu; switchable off, answered
  as by a client that predates it)
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from clobnode.da import kzg

#: Depth of a blob KZG commitment's Merkle proof in the beacon block body (Deneb's
#: KZG_COMMITMENT_INCLUSION_PROOF_DEPTH).
INCLUSION_PROOF_DEPTH = 17


@dataclass(frozen=True, slots=True)
class Sidecar:
    """One blob of a beacon block as a beacon node keeps it."""

    blob: bytes
    kzg_commitment: bytes
    kzg_proof: bytes

    @classmethod
    def of(cls, blob: bytes) -> Sidecar:
        """The sidecar of a blob, its commitment and proof computed with ckzg."""
        commitment = kzg.blob_commitment(blob)
        return cls(blob, commitment, kzg.blob_proof(blob, commitment))


def slot_of(timestamp: int, genesis_time: int, seconds_per_slot: int) -> int:
    """The slot of an execution block's timestamp (a block's timestamp is its slot's start)."""
    return (timestamp - genesis_time) // seconds_per_slot


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _placeholder(what: str, size: int) -> bytes:
    return (hashlib.sha256(what.encode()).digest() * (size // 32 + 1))[:size]


class BeaconApi:
    """The blobs of a beacon chain that starts at `genesis_time`, slot by slot."""

    def __init__(self, genesis_time: int, seconds_per_slot: int = 12, fork: str = "electra") -> None:
        self.genesis_time = genesis_time
        self.seconds_per_slot = seconds_per_slot
        self.fork = fork
        #: None serves `/eth/v1/beacon/blobs`; an HTTP status answers it as a pre-Fulu client.
        self.blobs_route_refused: int | None = None
        self.requests: list[str] = []  # the paths (and queries) asked for, in order
        self._slots: dict[int, tuple[Sidecar, ...]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="beacon-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def slot_of(self, timestamp: int) -> int:
        return slot_of(timestamp, self.genesis_time, self.seconds_per_slot)

    def put(self, slot: int, sidecars: Sequence[Sidecar]) -> None:
        """The beacon block at `slot` carries these blobs (replacing what it carried)."""
        with self._lock:
            self._slots[slot] = tuple(sidecars)

    def served_slots(self, route: str) -> list[int]:
        """The block ids asked of `route` ("blobs" or "blob_sidecars"), in order."""
        prefix = f"/eth/v1/beacon/{route}/"
        return [int(urlsplit(path).path[len(prefix):]) for path in self.requests if path.startswith(prefix)]

    # ---- the routes ---------------------------------------------------------------------------

    def answer(self, path: str) -> tuple[int, Any]:
        self.requests.append(path)
        url = urlsplit(path)
        query = parse_qs(url.query)
        parts = url.path.strip("/").split("/")
        if parts == ["eth", "v1", "beacon", "genesis"]:
            return 200, {"data": {
                "genesis_time": str(self.genesis_time),
                "genesis_validators_root": _hex(_placeholder("genesis_validators_root", 32)),
                "genesis_fork_version": "0x00000000",
            }}
        if len(parts) == 5 and parts[:3] == ["eth", "v1", "beacon"] and parts[3] in ("blob_sidecars", "blobs"):
            if parts[3] == "blobs" and self.blobs_route_refused is not None:
                return _error(self.blobs_route_refused, "NOT_FOUND: unknown route" if self.blobs_route_refused == 404 else "Bad request")
            if not parts[4].isdigit():
                return _error(400, f"Invalid block ID: {parts[4]}")
            with self._lock:
                sidecars = self._slots.get(int(parts[4]))
            if sidecars is None:
                return _error(404, "Block not found")
            if parts[3] == "blobs":
                return 200, self._blobs(sidecars, _listed(query, "versioned_hashes"))
            return 200, self._blob_sidecars(int(parts[4]), sidecars, _listed(query, "indices"))
        return _error(404, "NOT_FOUND")

    def _blobs(self, sidecars: Sequence[Sidecar], versioned_hashes: list[str] | None) -> dict[str, Any]:
        """Fulu's getBlobs: the blobs in commitment order, only those asked for by versioned hash."""
        wanted = None if versioned_hashes is None else {h.lower() for h in versioned_hashes}
        blobs = [s.blob for s in sidecars if wanted is None or _hex(kzg.versioned_hash(s.kzg_commitment)) in wanted]
        return {"execution_optimistic": False, "finalized": False, "data": [_hex(b) for b in blobs]}

    def _blob_sidecars(self, slot: int, sidecars: Sequence[Sidecar], indices: list[str] | None) -> dict[str, Any]:
        header = {
            "message": {
                "slot": str(slot),
                "proposer_index": "0",
                "parent_root": _hex(_placeholder(f"parent_root {slot}", 32)),
                "state_root": _hex(_placeholder(f"state_root {slot}", 32)),
                "body_root": _hex(_placeholder(f"body_root {slot}", 32)),
            },
            "signature": _hex(_placeholder(f"signature {slot}", 96)),
        }
        wanted = None if indices is None else {int(i) for i in indices}
        data = [
            {
                "index": str(index),
                "blob": _hex(s.blob),
                "kzg_commitment": _hex(s.kzg_commitment),
                "kzg_proof": _hex(s.kzg_proof),
                "signed_block_header": header,
                "kzg_commitment_inclusion_proof": [_hex(_placeholder(f"inclusion {slot} {index} {d}", 32)) for d in range(INCLUSION_PROOF_DEPTH)],
            }
            for index, s in enumerate(sidecars)
            if wanted is None or index in wanted
        ]
        return {"version": self.fork, "execution_optimistic": False, "finalized": False, "data": data}

    # ---- serving ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


def _listed(query: dict[str, list[str]], name: str) -> list[str] | None:
    """An array query parameter, repeated (`?a=1&a=2`) or comma-separated (`?a=1,2`)."""
    if name not in query:
        return None
    return [item for value in query[name] for item in value.split(",") if item]


def _error(status: int, message: str) -> tuple[int, Any]:
    return status, {"code": status, "message": message}


def _handler(api: BeaconApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = api.answer(self.path)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def beacon_api(genesis_time: int, seconds_per_slot: int = 12) -> Iterator[BeaconApi]:
    """A running `BeaconApi` on a free local port."""
    api = BeaconApi(genesis_time, seconds_per_slot)
    api.start()
    try:
        yield api
    finally:
        api.stop()
