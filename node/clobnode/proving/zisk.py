"""ZisK execution: runs the ZisK guest ELF in ZisK's emulator (`ziskemu`) on a guest input.

Execution only (no proof: ZisK's proving keys are not reachable from this project's machines);
it checks that the ZisK guest commits the same public values as the node and counts its steps.
`scripts/install-ziskemu.sh` builds the emulator from the crate registry (docs/ZKVM.md).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from clobnode.proving.backend import ProverError
from clobnode.proving.sp1 import CACHE, REPO_ROOT

DEFAULT_EMULATOR = CACHE / "ziskemu" / "bin" / "ziskemu"
DEFAULT_ELF = REPO_ROOT / "build" / "elf" / "clob-zisk-guest.elf"
STEPS = re.compile(r"steps=(\d+)")


@dataclass(frozen=True, slots=True)
class ZiskRun:
    """What the emulator reported: the public output bytes and the steps executed."""

    public_values: bytes
    steps: int


def emulator_binary() -> Path:
    """`ziskemu`: $CLOBNODE_ZISKEMU, else where scripts/install-ziskemu.sh installs it."""
    return Path(os.environ.get("CLOBNODE_ZISKEMU", DEFAULT_EMULATOR))


def guest_elf() -> Path:
    """The ZisK guest ELF: $CLOBNODE_ZISK_ELF, else where scripts/build-guests.sh writes it."""
    return Path(os.environ.get("CLOBNODE_ZISK_ELF", DEFAULT_ELF))


def run_ziskemu(guest_input: bytes, *, emulator: Path | None = None, elf: Path | None = None, timeout_s: float = 600) -> ZiskRun:
    """Executes the ZisK guest on `guest_input` (passed as ZisK's length-prefixed input)."""
    emulator, elf = emulator or emulator_binary(), elf or guest_elf()
    for path, what in ((emulator, "ziskemu (scripts/install-ziskemu.sh)"), (elf, "ZisK guest ELF (scripts/build-guests.sh zisk)")):
        if not path.is_file():
            raise ProverError(f"{what} not found at {path}")
    with tempfile.TemporaryDirectory(prefix="clobnode-zisk-") as work:
        input_path, output_path = Path(work) / "input.bin", Path(work) / "output.bin"
        input_path.write_bytes(guest_input)
        command = [str(emulator), "-e", str(elf), "--legacy-inputs", str(input_path), "-o", str(output_path), "-m"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        if done.returncode != 0:
            raise ProverError(f"ziskemu failed (exit {done.returncode}): {(done.stdout + done.stderr).strip()[-2000:]}")
        steps = STEPS.search(done.stdout + done.stderr)
        return ZiskRun(output_path.read_bytes(), int(steps.group(1)) if steps else 0)
