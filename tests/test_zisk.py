"""The ZisK guest run in ZisK's emulator commits exactly the public values the node computes.

Needs the ZisK guest ELF (`make zkvm`) and `ziskemu` (scripts/install-ziskemu.sh, not part of
`make test`: a ~30 min build); skips without the emulator.
"""

from __future__ import annotations

import clobnode_core
import pytest
from clobnode.proving.backend import ProverError
from clobnode.proving.zisk import emulator_binary, guest_elf, run_ziskemu
from test_sp1 import TRANSITIONS, vector_guest_input

pytestmark = [
    pytest.mark.zkvm,
    pytest.mark.skipif(not emulator_binary().is_file() or not guest_elf().is_file(), reason="ziskemu or the ZisK guest ELF is missing"),
]


@pytest.mark.parametrize("name", TRANSITIONS)
def test_zisk_execution_commits_the_native_public_values_byte_for_byte(name: str) -> None:
    guest_input = vector_guest_input(name)
    run = run_ziskemu(guest_input)
    assert run.public_values == bytes(clobnode_core.execute_guest_input(guest_input))
    assert run.steps > 0


def test_zisk_guest_refuses_an_input_that_is_not_a_guest_input() -> None:
    with pytest.raises(ProverError, match="exit 101"):
        run_ziskemu(b"\xff\xff\xff")
