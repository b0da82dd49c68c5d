"""DA store: every blob the node derived from, kept Reed-Solomon coded in pieces (docs/DA.md).

A blob (131,072 bytes) is cut into 8 data pieces of 16,384 bytes and extended with 8 parity
pieces by a systematic RS(16, 8) code over GF(2^8) (creedsolo, column-wise: byte j of the 16
pieces is one codeword). Any 8 of the 16 pieces recover the blob. Each piece's SHA-256 is kept
in the blob's manifest, so a tampered piece is recognised and treated as lost (an erasure,
which RS corrects twice as far as an unlocated error). Whatever was recovered is returned only
after its KZG commitment hashes to the versioned hash, so neither a tampered manifest nor too
many bad pieces can yield a wrong blob: they yield `DAStoreError`.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import creedsolo  # compiled reedsolo 2.x, no stubs (ignore_missing_imports in pyproject.toml)

from clobnode.da import kzg
from clobnode.errors import ClobnodeError

DATA_PIECES: Final = 8
PARITY_PIECES: Final = 8
TOTAL_PIECES: Final = DATA_PIECES + PARITY_PIECES
PIECE_SIZE: Final = kzg.BYTES_PER_BLOB // DATA_PIECES  # 16,384
SCHEME: Final = "rs-gf256-16-8-v1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS da_manifests (
    versioned_hash BLOB PRIMARY KEY, scheme TEXT NOT NULL, piece_hashes BLOB NOT NULL, l1_block INTEGER);
CREATE TABLE IF NOT EXISTS da_pieces (
    versioned_hash BLOB NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (versioned_hash, idx));
"""


class DAStoreError(ClobnodeError):
    """A blob is not in the DA store, or cannot be recovered and verified from its pieces."""


_codec_local = threading.local()


def _codec() -> creedsolo.RSCodec:
    codec = getattr(_codec_local, "codec", None)
    if codec is None:
        codec = _codec_local.codec = creedsolo.RSCodec(PARITY_PIECES, nsize=TOTAL_PIECES)
    return codec


def encode_pieces(blob: bytes) -> list[bytes]:
    """The 16 pieces of a blob: pieces 0..7 are the blob itself in order, 8..15 parity."""
    if len(blob) != kzg.BYTES_PER_BLOB:
        raise DAStoreError(f"a blob is {kzg.BYTES_PER_BLOB} bytes, got {len(blob)}")
    columns = bytearray(kzg.BYTES_PER_BLOB)  # column j = byte j of every data piece
    for i in range(DATA_PIECES):
        columns[i::DATA_PIECES] = blob[i * PIECE_SIZE : (i + 1) * PIECE_SIZE]
    codewords = _codec().encode(columns)
    return [bytes(codewords[p::TOTAL_PIECES]) for p in range(TOTAL_PIECES)]


def piece_hash(piece: bytes) -> bytes:
    return hashlib.sha256(piece).digest()


@dataclass(frozen=True, slots=True)
class Recovery:
    """A recovered, verified blob and which pieces were unusable."""

    blob: bytes
    missing: tuple[int, ...]
    tampered: tuple[int, ...]


def recover_blob(versioned_hash: bytes, pieces: Mapping[int, bytes], piece_hashes: tuple[bytes, ...]) -> Recovery:
    """The blob from any 8 good pieces, checked against `versioned_hash` (KZG commitment)."""
    if len(piece_hashes) != TOTAL_PIECES:
        raise DAStoreError(f"a manifest has {TOTAL_PIECES} piece hashes, got {len(piece_hashes)}")
    good = {i: p for i, p in pieces.items() if 0 <= i < TOTAL_PIECES and piece_hash(p) == piece_hashes[i]}
    missing = tuple(i for i in range(TOTAL_PIECES) if i not in pieces)
    tampered = tuple(sorted(i for i in pieces if i not in good))
    if len(good) < DATA_PIECES:
        raise DAStoreError(
            f"blob {versioned_hash.hex()}: {len(good)} good pieces of {TOTAL_PIECES}, {DATA_PIECES} needed "
            f"(missing {list(missing)}, tampered {list(tampered)})"
        )
    if all(i in good for i in range(DATA_PIECES)):
        blob = b"".join(good[i] for i in range(DATA_PIECES))  # systematic code: nothing to decode
    else:
        blob = _decode(good)
    if not kzg.verify_blob(blob, versioned_hash):
        raise DAStoreError(f"blob {versioned_hash.hex()}: recovered bytes do not match the versioned hash")
    return Recovery(blob, missing, tampered)


def _decode(good: Mapping[int, bytes]) -> bytes:
    erasures = bytearray(i for i in range(TOTAL_PIECES) if i not in good)
    codewords = bytearray(PIECE_SIZE * TOTAL_PIECES)
    for i, piece in good.items():
        codewords[i::TOTAL_PIECES] = piece
    codec = _codec()
    columns = bytearray(kzg.BYTES_PER_BLOB)
    try:
        for j in range(PIECE_SIZE):
            word = codewords[j * TOTAL_PIECES : (j + 1) * TOTAL_PIECES]
            columns[j * DATA_PIECES : (j + 1) * DATA_PIECES] = codec.decode(word, erase_pos=erasures, only_erasures=True)[0]
    except creedsolo.ReedSolomonError as exc:
        raise DAStoreError(f"Reed-Solomon decoding failed: {exc}") from exc
    return b"".join(bytes(columns[i::DATA_PIECES]) for i in range(DATA_PIECES))


@dataclass(frozen=True, slots=True)
class PieceReport:
    """What `DAStore.verify` found for one blob."""

    versioned_hash: bytes
    ok: bool
    missing: tuple[int, ...]
    tampered: tuple[int, ...]
    error: str | None = None


class DAStore:
    """Blobs as RS-coded pieces in SQLite (its own tables; one instance per thread)."""

    def __init__(self, path: Path | str) -> None:
        self.db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def put(self, versioned_hash: bytes, blob: bytes, l1_block: int | None = None) -> None:
        """Store a blob the caller has verified against `versioned_hash` (idempotent)."""
        self.put_many({versioned_hash: blob}, l1_block)

    def put_many(self, blobs: Mapping[bytes, bytes], l1_block: int | None = None) -> None:
        """`put` of each (versioned hash, blob), coded on every blob worker (`kzg.map_blobs`)
        and written in one transaction."""
        if not blobs:
            return
        coded = kzg.map_blobs(encode_pieces, list(blobs.values()))
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for versioned_hash, pieces in zip(blobs, coded, strict=True):
                self.db.execute(
                    "INSERT OR IGNORE INTO da_manifests (versioned_hash, scheme, piece_hashes, l1_block) VALUES (?, ?, ?, ?)",
                    (versioned_hash, SCHEME, b"".join(piece_hash(p) for p in pieces), l1_block),
                )
                self.db.executemany(
                    "INSERT OR IGNORE INTO da_pieces (versioned_hash, idx, data) VALUES (?, ?, ?)",
                    [(versioned_hash, i, p) for i, p in enumerate(pieces)],
                )

    def __contains__(self, versioned_hash: object) -> bool:
        return self.db.execute("SELECT 1 FROM da_manifests WHERE versioned_hash = ?", (versioned_hash,)).fetchone() is not None

    def versioned_hashes(self) -> list[bytes]:
        return [bytes(r[0]) for r in self.db.execute("SELECT versioned_hash FROM da_manifests ORDER BY rowid")]

    def piece_hashes(self, versioned_hash: bytes) -> tuple[bytes, ...]:
        row = self.db.execute("SELECT scheme, piece_hashes FROM da_manifests WHERE versioned_hash = ?", (versioned_hash,)).fetchone()
        if row is None:
            raise DAStoreError(f"blob {versioned_hash.hex()} is not in the DA store")
        if row[0] != SCHEME:
            raise DAStoreError(f"blob {versioned_hash.hex()}: unknown coding scheme {row[0]!r}")
        raw = bytes(row[1])
        return tuple(raw[i : i + 32] for i in range(0, len(raw), 32))

    def pieces(self, versioned_hash: bytes) -> dict[int, bytes]:
        rows = self.db.execute("SELECT idx, data FROM da_pieces WHERE versioned_hash = ?", (versioned_hash,))
        return {int(i): bytes(d) for i, d in rows}

    def recover(self, versioned_hash: bytes, without: Iterable[int] = ()) -> Recovery:
        """The blob from its stored pieces (ignoring the pieces in `without`), verified."""
        skip = set(without)
        pieces = {i: p for i, p in self.pieces(versioned_hash).items() if i not in skip}
        return recover_blob(versioned_hash, pieces, self.piece_hashes(versioned_hash))

    def verify(self, versioned_hash: bytes) -> PieceReport:
        """Whether the blob recovers and verifies; which pieces are missing or tampered."""
        try:
            recovery = self.recover(versioned_hash)
        except DAStoreError as exc:
            return PieceReport(versioned_hash, False, (), (), str(exc))
        return PieceReport(versioned_hash, True, recovery.missing, recovery.tampered)

    def delete_piece(self, versioned_hash: bytes, index: int) -> None:
        """Drop one piece (for repair drills and tests)."""
        self.db.execute("DELETE FROM da_pieces WHERE versioned_hash = ? AND idx = ?", (versioned_hash, index))

    def repair(self, versioned_hash: bytes) -> Recovery:
        """Recover the blob, then rewrite every missing or tampered piece."""
        recovery = self.recover(versioned_hash)
        pieces = encode_pieces(recovery.blob)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(
                "INSERT OR REPLACE INTO da_pieces (versioned_hash, idx, data) VALUES (?, ?, ?)",
                [(versioned_hash, i, pieces[i]) for i in (*recovery.missing, *recovery.tampered)],
            )
        return recovery
