"""The SP1 zkVM path: the guest ELF run in SP1's executor commits exactly the public values the
node computes natively, and the node's `sp1` backend settles a devnet run.

Needs `make zkvm` (guest ELF + SP1 host). Without them these tests skip, unless
CLOBNODE_REQUIRE_ZKVM=1 (set by scripts/run-tests.sh), where a missing build is a failure.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import clobnode_core
import pytest

from clobnode.config import ProverConfig
from clobnode.prover import ProverError, backend_for
from clobnode.prover_sp1 import Sp1Backend, Sp1Fixture, guest_elf, host_binary, run_host

pytestmark = pytest.mark.zkvm

VECTORS = Path(__file__).parent / "vectors"
TRANSITIONS = ["transition_basic.json", "transition_orders.json", "transition_risk.json"]


@pytest.fixture(autouse=True)
def _sp1_build() -> None:
    missing = [str(p) for p in (host_binary(), guest_elf()) if not p.is_file()]
    if missing:
        message = f"SP1 build missing (make zkvm): {', '.join(missing)}"
        if os.environ.get("CLOBNODE_REQUIRE_ZKVM") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _b(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def vector_guest_input(name: str) -> bytes:
    """The guest input of a whole transition vector: genesis state, every entry, every blob."""
    vector: dict[str, Any] = json.loads((VECTORS / name).read_text())
    g = vector["genesis"]
    markets = [{**m, "base": _b(m["base"]), "quote": _b(m["quote"]), "fee_recipient": _b(m["fee_recipient"])} for m in g["markets"]]
    engine = clobnode_core.Engine.genesis(g["chain_id"], _b(g["inbox"]), _b(g["vault"]), markets)
    entries = [
        {"index": e["index"], "kind": e["kind"], "sender": _b(e["sender"]), "l1_block": e["l1_block"], "l1_timestamp": e["l1_timestamp"], "payload": _b(e["payload"])}
        for e in vector["entries"]
    ]
    blobs = {}
    for b in vector["blobs"]:
        (blob,) = clobnode_core.encode_blob_batch([_b(e) for e in b["envelopes"]])
        blobs[_b(b["versioned_hash"])] = bytes(blob)
    return bytes(clobnode_core.encode_guest_input(engine.snapshot(), entries, blobs))


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
