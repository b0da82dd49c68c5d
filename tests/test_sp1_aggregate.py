"""The SP1 aggregation program (PROTOCOL.md section 14) in SP1's executor: it commits the header
the core computes for chained ranges, refuses ranges that do not chain, and names the range
program by the key the Rollup stores. SP1's executor does not verify the range proofs (the
prover's recursion does); `scripts/make-aggregate-fixture.py prove` does that on real proofs.

Needs `make zkvm`; skips without it unless CLOBNODE_REQUIRE_ZKVM=1, like tests/test_sp1.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import clobnode_core
import pytest
from clobnode.proving.backend import ProverError
from clobnode.proving.sp1 import aggregate_elf, guest_elf, host_binary, run_host
from zkvm_builds import require_built

pytestmark = pytest.mark.zkvm

FIXTURE = Path(__file__).parent / "fixtures" / "sp1_aggregate.json"


@pytest.fixture(autouse=True)
def _sp1_build() -> None:
    require_built(host_binary(), guest_elf(), aggregate_elf())


def _b(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    """Three consecutive ranges of a devnet run, as the SP1 range guest committed them."""
    fixture: dict[str, Any] = json.loads(FIXTURE.read_text())
    return fixture


def _ranges(recorded: dict[str, Any]) -> list[bytes]:
    return [_b(r["public_values"]) for r in recorded["ranges"]]


def test_the_program_commits_the_cores_header_for_chained_ranges(recorded: dict[str, Any]) -> None:
    words, ranges = _b(recorded["range_vkey_words"]), _ranges(recorded)
    program_input = clobnode_core.encode_aggregation_input(words, ranges)
    executed = run_host("execute", program_input, elf=aggregate_elf())
    header = clobnode_core.aggregate_ranges(program_input)
    assert executed.public_values == header["encoded"]
    assert header["range_count"] == 3
    assert (header["inbox_start"], header["inbox_end"]) == (0, recorded["ranges"][-1]["inbox_end"])
    assert header["new_state_root"] == recorded["ranges"][-1]["header"]["new_state_root"]
    assert executed.vkey == _b(recorded["aggregation_vkey"]), "the aggregation ELF is not the one the fixture records"


@pytest.mark.parametrize("order", [(1, 0), (0, 2), (0, 0)], ids=["reversed", "a range skipped", "a range repeated"])
def test_the_program_refuses_ranges_that_do_not_chain(recorded: dict[str, Any], order: tuple[int, int]) -> None:
    ranges = _ranges(recorded)
    program_input = clobnode_core.encode_aggregation_input(_b(recorded["range_vkey_words"]), [ranges[k] for k in order])
    with pytest.raises(ValueError, match="BrokenChain"):
        clobnode_core.aggregate_ranges(program_input)
    with pytest.raises(ProverError):
        run_host("execute", program_input, elf=aggregate_elf(), extra_args=["--no-vkey"])


def test_the_range_key_it_commits_is_the_one_the_rollup_stores_for_the_range_program(recorded: dict[str, Any]) -> None:
    """The digest words SP1's recursion checks the range proofs against, packed 31 bits a word,
    are the range program's `vk.bytes32()`: the SP1 backend's key on the Rollup."""
    keys = run_host("vkey", None)
    words = _b(keys.raw["vkeyWords"])
    header = clobnode_core.aggregate_ranges(clobnode_core.encode_aggregation_input(words, _ranges(recorded)[:1]))
    assert _b(header["range_vkey"]) == keys.vkey
