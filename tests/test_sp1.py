"""The SP1 zkVM path: the guest ELF run in SP1's executor commits exactly the public values the
node computes natively, and the node's `sp1` backend settles a devnet run.

Needs `make zkvm` (guest ELF + SP1 host). Without them these tests skip, unless
CLOBNODE_REQUIRE_ZKVM=1 (set by scripts/run-tests.sh), where a missing build is a failure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import clobnode_core
import pytest
from clobnode.config import ProverConfig
from clobnode.proving.backend import ProverError
from clobnode.proving.backends import backend_for
from clobnode.proving.guest_input import prove_entries
from clobnode.proving.sp1 import (
    Sp1Backend,
    Sp1Fixture,
    guest_elf,
    host_binary,
    run_host,
)
from zkvm_builds import require_built

pytestmark = pytest.mark.zkvm

VECTORS = Path(__file__).parent / "vectors"
TRANSITIONS = ["transition_basic.json", "transition_orders.json", "transition_risk.json"]


@pytest.fixture(autouse=True)
def _sp1_build() -> None:
    require_built(host_binary(), guest_elf())


def _b(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def vector_guest_input(name: str) -> bytes:
    """The guest input of a whole transition vector: the witness it records (from genesis),
    every entry, every blob."""
    vector: dict[str, Any] = json.loads((VECTORS / name).read_text())
    entries = [
        {"index": e["index"], "kind": e["kind"], "sender": _b(e["sender"]), "l1_block": e["l1_block"], "l1_timestamp": e["l1_timestamp"], "payload": _b(e["payload"])}
        for e in vector["entries"]
    ]
    blobs = {}
    for b in vector["blobs"]:
        (blob,) = clobnode_core.encode_blob_batch([_b(e) for e in b["envelopes"]])
        blobs[_b(b["versioned_hash"])] = bytes(blob)
    return bytes(clobnode_core.encode_guest_input(_b(vector["witness"]), entries, blobs, 11))


@pytest.fixture(scope="module")
def executed() -> dict[str, tuple[bytes, Sp1Fixture]]:
    """Each transition vector's guest input and its SP1 execution fixture (one host run each)."""
    runs = {}
    for name in TRANSITIONS:
        guest_input = vector_guest_input(name)
        runs[name] = (guest_input, run_host("execute", guest_input))
    return runs


@pytest.mark.parametrize("name", TRANSITIONS)
def test_sp1_execution_commits_the_native_public_values_byte_for_byte(
    name: str, executed: dict[str, tuple[bytes, Sp1Fixture]]
) -> None:
    guest_input, fixture = executed[name]
    assert fixture.raw["exitCode"] == 0
    assert fixture.public_values == bytes(clobnode_core.execute_guest_input(guest_input))
    assert fixture.cycles > 0 and len(fixture.vkey) == 32


def test_sp1_vkey_is_a_function_of_the_elf_alone(executed: dict[str, tuple[bytes, Sp1Fixture]]) -> None:
    vkeys = {fixture.vkey for _, fixture in executed.values()}
    assert vkeys == {run_host("vkey", None).vkey}


def test_sp1_guest_refuses_an_input_that_is_not_a_guest_input() -> None:
    with pytest.raises(ProverError, match="exit|exited|failed"):
        run_host("execute", b"\xff\xff\xff")


def test_backend_for_selects_sp1_and_only_real_onchain_proofs_are_secure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SP1_PROVER", raising=False)
    assert isinstance(backend_for(ProverConfig(backend="sp1", sp1_mode="execute")), Sp1Backend)
    assert Sp1Backend("execute").insecure and Sp1Backend("compressed").insecure
    assert Sp1Backend("groth16", sp1_prover="mock").insecure
    assert not Sp1Backend("groth16", sp1_prover="cpu").insecure and not Sp1Backend("plonk", sp1_prover="network").insecure
    with pytest.raises(ProverError):
        Sp1Backend("stark")


def test_sp1_backend_proves_in_execute_mode_with_native_public_values() -> None:
    guest_input = vector_guest_input("transition_orders.json")
    proof = Sp1Backend("execute").prove(guest_input)
    assert proof.public_values == bytes(clobnode_core.execute_guest_input(guest_input))
    assert proof.proof == b"" and proof.insecure and proof.backend == "sp1"


# secp256k1: field prime and group order.
_P = 2**256 - 2**32 - 977
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _not_an_x_coordinate(start: int) -> int:
    """The first r >= start (below n) for which x^3 + 7 has no square root mod p."""
    r = start
    while pow((r**3 + 7) % _P, (_P - 1) // 2, _P) == 1:
        r += 1
    return r


def test_sp1_judges_malformed_signatures_as_the_node_does() -> None:
    """SP1's recovery (square root and inversion over the uint256 precompile, points over the
    secp256k1 precompiles) accepts and rejects exactly the signatures the native k256 path does,
    including an r that is no curve x-coordinate (which must be a recorded rejection, not a
    halted guest) and scalars out of range."""
    from eth_account import Account
    from eth_utils import keccak

    chain_id, inbox, vault = 31337, b"\x01" * 20, b"\x02" * 20
    base, quote = b"\xb0" * 20, b"\xc0" * 20
    account = Account.from_key(keccak(b"clobnode sp1 signatures"))
    trader = bytes.fromhex(account.address[2:])
    market = {"id": 1, "base": base, "quote": quote, "base_lot": 1, "quote_tick": 1}
    engine = clobnode_core.Engine.genesis(chain_id, inbox, vault, [market])

    def entry(index: int, kind: int, sender: bytes, payload: bytes) -> dict[str, Any]:
        return {"index": index, "kind": kind, "sender": sender, "l1_block": 1 + index, "l1_timestamp": 1_000 + index, "payload": payload}

    engine.apply_entries([entry(i, 3, vault, trader + token + (10**30).to_bytes(32, "big")) for i, token in enumerate((base, quote))], {})
    signatures = []
    for nonce in range(1, 10):
        message = bytes(clobnode_core.encode_order(1, 0, 100, 1, nonce))
        signed = account.unsafe_sign_hash(clobnode_core.typed_data_digest(chain_id, inbox, trader, message))
        signatures.append((message, signed.r, signed.s, signed.v))
    (m0, r0, s0, v0), *rest = signatures
    cases = [
        (m0, r0, s0, v0),  # valid
        (rest[0][0], _not_an_x_coordinate(r0 % 2**200), rest[0][2], rest[0][3]),  # r is no x-coordinate
        (rest[1][0], 0, rest[1][2], rest[1][3]),  # r = 0
        (rest[2][0], _N, rest[2][2], rest[2][3]),  # r = n
        (rest[3][0], rest[3][1], 0, rest[3][3]),  # s = 0
        (rest[4][0], rest[4][1], rest[4][2], 29),  # v out of range
        (rest[5][0], rest[5][1], rest[5][2], rest[5][3] ^ 1),  # the other R: recovers another key
        (rest[6][0], 1, rest[6][2], rest[6][3]),  # a tiny r (an x-coordinate or not, as it falls)
        (rest[7][0], rest[7][1], rest[7][2], rest[7][3]),  # valid again, after the rejections
    ]
    entries = []
    for message, r, s, v in cases:
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])
        envelope = bytes(clobnode_core.encode_envelope(trader, message, signature))
        entries.append(entry(2 + len(entries), 2, b"\x77" * 20, envelope))
    events, guest_input = prove_entries(engine, entries, {})
    fixture = run_host("execute", guest_input, extra_args=["--no-vkey"])
    assert fixture.public_values == bytes(clobnode_core.execute_guest_input(guest_input))
    rejected = sorted({e["index"] for e in events if e.get("reason") == "BAD_SIGNATURE"})
    assert rejected == [e["index"] for e in entries[1:8]]
    accepted = {e["index"] for e in events if e.get("type") == "accepted"}
    assert accepted == {entries[0]["index"], entries[8]["index"]}
