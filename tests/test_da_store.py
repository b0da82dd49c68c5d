"""Specification of the DA store: RS-coded pieces, recovery from erasures, tampering rejected."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from clobnode.da import kzg
from clobnode.da.store import (
    DATA_PIECES,
    TOTAL_PIECES,
    DAStore,
    DAStoreError,
    encode_pieces,
    piece_hash,
    recover_blob,
)


@pytest.fixture
def stored(tmp_path: Path, make_blob: Callable[[int], bytes]) -> tuple[DAStore, bytes, bytes]:
    blob = make_blob(7)
    versioned_hash = kzg.blob_versioned_hash(blob)
    da = DAStore(tmp_path / "da.sqlite")
    da.put(versioned_hash, blob, l1_block=5)
    return da, versioned_hash, blob


def test_data_pieces_are_the_blob_in_order(make_blob: Callable[[int], bytes]) -> None:
    blob = make_blob(1)
    pieces = encode_pieces(blob)
    assert len(pieces) == TOTAL_PIECES
    assert b"".join(pieces[:DATA_PIECES]) == blob


@pytest.mark.parametrize("lost", [(), (0,), tuple(range(8)), (1, 3, 5, 7, 9, 11, 13, 15), tuple(range(8, 16))])
def test_blob_recovers_from_any_eight_pieces(stored: tuple[DAStore, bytes, bytes], lost: tuple[int, ...]) -> None:
    da, versioned_hash, blob = stored
    recovery = da.recover(versioned_hash, without=lost)
    assert recovery.blob == blob
    assert recovery.missing == tuple(sorted(lost))


def test_nine_lost_pieces_are_not_enough(stored: tuple[DAStore, bytes, bytes]) -> None:
    da, versioned_hash, _ = stored
    with pytest.raises(DAStoreError, match="7 good pieces"):
        da.recover(versioned_hash, without=range(9))


def test_tampered_pieces_are_recognised_and_corrected_as_erasures(stored: tuple[DAStore, bytes, bytes]) -> None:
    da, versioned_hash, blob = stored
    for index in (0, 4, 9):
        piece = bytearray(da.pieces(versioned_hash)[index])
        piece[100] ^= 0x01
        da.db.execute("UPDATE da_pieces SET data = ? WHERE versioned_hash = ? AND idx = ?", (bytes(piece), versioned_hash, index))
    report = da.verify(versioned_hash)
    assert report.ok and report.tampered == (0, 4, 9)
    repaired = da.repair(versioned_hash)
    assert repaired.blob == blob
    assert da.verify(versioned_hash).tampered == ()


def test_tampered_manifest_and_pieces_together_do_not_yield_a_wrong_blob(stored: tuple[DAStore, bytes, bytes]) -> None:
    da, versioned_hash, blob = stored
    forged = bytearray(blob)
    forged[33] ^= 0x01  # still canonical: the first byte of each element stays zero
    pieces = encode_pieces(bytes(forged))
    hashes = list(da.piece_hashes(versioned_hash))
    hashes[0] = piece_hash(pieces[0])
    with pytest.raises(DAStoreError, match="do not match the versioned hash"):
        recover_blob(versioned_hash, {0: pieces[0], **{i: da.pieces(versioned_hash)[i] for i in range(9, 16)}}, tuple(hashes))


def test_tampered_blob_is_rejected_against_its_versioned_hash(tmp_path: Path, make_blob: Callable[[int], bytes]) -> None:
    blob, other = make_blob(2), make_blob(3)
    da = DAStore(tmp_path / "da.sqlite")
    versioned_hash = kzg.blob_versioned_hash(blob)
    da.put(versioned_hash, other)  # a caller that skipped verification
    report = da.verify(versioned_hash)
    assert not report.ok and "versioned hash" in (report.error or "")


def test_unknown_blob_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DAStoreError, match="not in the DA store"):
        DAStore(tmp_path / "da.sqlite").recover(bytes(32))


def test_sampled_choices_of_eight_lost_pieces_recover(make_blob: Callable[[int], bytes]) -> None:
    blob = make_blob(4)
    pieces = dict(enumerate(encode_pieces(blob)))
    hashes = tuple(piece_hash(p) for p in pieces.values())
    versioned_hash = kzg.blob_versioned_hash(blob)
    for lost in itertools.islice(itertools.combinations(range(TOTAL_PIECES), 8), 0, 12870, 1500):
        kept = {i: p for i, p in pieces.items() if i not in lost}
        assert recover_blob(versioned_hash, kept, hashes).blob == blob


def test_da_cli_verifies_and_recovers_from_the_node_database(tmp_path: Path, make_blob: Callable[[int], bytes]) -> None:
    from clobnode.cli import app
    from typer.testing import CliRunner

    blob = make_blob(9)
    versioned_hash = kzg.blob_versioned_hash(blob)
    da = DAStore(tmp_path / "clobnode.sqlite")
    da.put(versioned_hash, blob)
    runner = CliRunner()
    verified = runner.invoke(app, ["da", "verify", "--data-dir", str(tmp_path)])
    assert verified.exit_code == 0 and "1 ok, 0 failed" in verified.output
    out = tmp_path / "blob.bin"
    recovered = runner.invoke(app, ["da", "recover", "0x" + versioned_hash.hex(), "--data-dir", str(tmp_path), "--without", "0,1,2,3,4,5,6,7", "--out", str(out)])
    assert recovered.exit_code == 0, recovered.output
    assert out.read_bytes() == blob
    da.delete_piece(versioned_hash, 3)
    for i in range(8, 16):
        da.delete_piece(versioned_hash, i)
    failed = runner.invoke(app, ["da", "verify", "--data-dir", str(tmp_path)])
    assert failed.exit_code == 1 and "0 ok, 1 failed" in failed.output
