"""The `sp1` proving backend: runs the SP1 host binary (guest-programs/sp1/script) on a guest input.

The host executes the guest ELF in SP1's executor or proves it with sp1-sdk and writes a JSON
fixture (vkey, publicValues, proof, cycles, times); this module only drives it. `SP1_PROVER`
(cpu | cuda | network | mock) is passed through to sp1-sdk. Only Groth16/PLONK proofs from a
real prover are verifiable on L1; every other mode is reported insecure.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clobnode.proving.backend import Proof, ProverError

REPO_ROOT = Path(__file__).resolve().parents[3]  # node/clobnode/proving/sp1.py
CACHE = Path(os.environ.get("CLOBNODE_CACHE", Path.home() / ".cache" / "clobnode"))
DEFAULT_HOST = CACHE / "target-sp1-host" / "release" / "clob-sp1-host"
DEFAULT_ELF = REPO_ROOT / "build" / "elf" / "clob-sp1-guest.elf"
DEFAULT_AGGREGATE_ELF = REPO_ROOT / "build" / "elf" / "clob-sp1-aggregate.elf"

MODES = ("execute", "core", "compressed", "groth16", "plonk")
ONCHAIN_MODES = ("groth16", "plonk")
SP1_PROVERS = ("cpu", "cuda", "network", "mock")


@dataclass(frozen=True, slots=True)
class Sp1Fixture:
    """What the host wrote: the fields the node and the Foundry fixture test read."""

    mode: str
    vkey: bytes
    public_values: bytes
    proof: bytes
    cycles: int
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Sp1Fixture:
        return cls(
            mode=raw["mode"],
            vkey=bytes.fromhex(raw.get("vkey", "0x").removeprefix("0x")),
            public_values=bytes.fromhex(raw.get("publicValues", "0x").removeprefix("0x")),
            proof=bytes.fromhex(raw.get("proof", "0x").removeprefix("0x")),
            cycles=int(raw.get("cycles", 0)),
            raw=raw,
        )


def host_binary() -> Path:
    """The SP1 host binary: $CLOBNODE_SP1_HOST, else where `make zkvm` builds it."""
    return Path(os.environ.get("CLOBNODE_SP1_HOST", DEFAULT_HOST))


def guest_elf() -> Path:
    """The SP1 guest ELF: $CLOBNODE_SP1_ELF, else where scripts/build-guests.sh writes it."""
    return Path(os.environ.get("CLOBNODE_SP1_ELF", DEFAULT_ELF))


def aggregate_elf() -> Path:
    """The SP1 aggregation program (PROTOCOL.md section 14): $CLOBNODE_SP1_AGGREGATE_ELF, else
    where scripts/build-guests.sh writes it."""
    return Path(os.environ.get("CLOBNODE_SP1_AGGREGATE_ELF", DEFAULT_AGGREGATE_ELF))


def run_host(
    mode: str,
    guest_input: bytes | None,
    *,
    host: Path | None = None,
    elf: Path | None = None,
    sp1_prover: str | None = None,
    proof_out: Path | None = None,
    timeout_s: float | None = None,
    extra_args: list[str] | None = None,
) -> Sp1Fixture:
    """Runs `clob-sp1-host <mode>` on `guest_input` and returns its fixture."""
    if mode not in (*MODES, "vkey"):
        raise ProverError(f"unknown SP1 mode {mode!r} (one of {', '.join(MODES)})")
    host, elf = host or host_binary(), elf or guest_elf()
    for path, what in ((host, "SP1 host binary (make zkvm)"), (elf, "SP1 guest ELF (scripts/build-guests.sh sp1)")):
        if not path.is_file():
            raise ProverError(f"{what} not found at {path}")
    env = dict(os.environ)
    if sp1_prover is not None:
        env["SP1_PROVER"] = sp1_prover
    with tempfile.TemporaryDirectory(prefix="clobnode-sp1-") as work:
        fixture_path = Path(work) / "fixture.json"
        command = [str(host), mode, "--elf", str(elf), "--out", str(fixture_path)]
        if guest_input is not None:
            input_path = Path(work) / "guest-input.bin"
            input_path.write_bytes(guest_input)
            command += ["--input", str(input_path)]
        if proof_out is not None:
            command += ["--proof-out", str(proof_out)]
        command += extra_args or []
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ProverError(f"SP1 host timed out after {timeout_s} s in mode {mode}") from exc
        if done.returncode != 0:
            raise ProverError(f"SP1 host failed in mode {mode} (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
        return Sp1Fixture.from_json(json.loads(fixture_path.read_text()))


def proof_file(proof_dir: Path, public_values: bytes) -> Path:
    """Where a whole SP1 proof (sp1-sdk's own format) of `public_values` is kept."""
    return proof_dir / f"sp1-{hashlib.sha256(public_values).hexdigest()[:32]}.bin"


def verify_proof_file(path: Path, *, host: Path | None = None, elf: Path | None = None) -> bytes:
    """SP1's own verifier on a proof file against the guest ELF's verifying key; returns the
    proof's public values (raises ProverError if SP1 refuses it)."""
    host, elf = host or host_binary(), elf or guest_elf()
    with tempfile.TemporaryDirectory(prefix="clobnode-sp1-") as work:
        out = Path(work) / "verified.json"
        done = subprocess.run([str(host), "verify", "--elf", str(elf), "--proof", str(path), "--out", str(out)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ProverError(f"SP1 refused the proof {path}: {done.stderr.strip()[-1000:]}")
        return bytes.fromhex(json.loads(out.read_text())["publicValues"].removeprefix("0x"))


class Sp1Backend:
    """Proves ranges with SP1 through the host binary.

    `mode` is one of execute | core | compressed | groth16 | plonk. `insecure` is False only for
    Groth16/PLONK proofs from a real prover (not SP1_PROVER=mock), the only ones an L1 verifier
    checks; `execute` and mock proofs carry an empty proof that only a mock verifier accepts.
    """

    name = "sp1"

    def __init__(self, mode: str = "groth16", sp1_prover: str | None = None, timeout_s: float | None = None, proof_dir: Path | None = None) -> None:
        if mode not in MODES:
            raise ProverError(f"unknown SP1 mode {mode!r} (one of {', '.join(MODES)})")
        prover = sp1_prover or os.environ.get("SP1_PROVER", "cpu")
        if prover not in SP1_PROVERS:
            raise ProverError(f"unknown SP1_PROVER {prover!r} (one of {', '.join(SP1_PROVERS)})")
        self.mode, self.sp1_prover, self.timeout_s, self.proof_dir = mode, prover, timeout_s, proof_dir
        self.insecure = not (mode in ONCHAIN_MODES and prover != "mock")
        for path, what in ((host_binary(), "the SP1 host binary (`make zkvm`, or $CLOBNODE_SP1_HOST)"), (guest_elf(), "the SP1 guest ELF (`make zkvm`, or $CLOBNODE_SP1_ELF)")):
            if not path.is_file():
                raise ProverError(f"--prover sp1 needs {what}: nothing at {path}")
        self.last_fixture: Sp1Fixture | None = None

    def prove(self, guest_input: bytes) -> Proof:
        proof_out = None
        if self.proof_dir is not None and self.mode != "execute":
            self.proof_dir.mkdir(parents=True, exist_ok=True)
            proof_out = self.proof_dir / f"incoming-{os.getpid()}-{threading.get_ident()}.bin"
        fixture = run_host(self.mode, guest_input, sp1_prover=self.sp1_prover, timeout_s=self.timeout_s, proof_out=proof_out)
        if proof_out is not None and proof_out.is_file():
            proof_out.replace(proof_file(self.proof_dir, fixture.public_values))  # type: ignore[arg-type]
        self.last_fixture = fixture
        proof = fixture.proof if self.mode in ONCHAIN_MODES else b""
        return Proof(fixture.public_values, proof, self.name, self.insecure)

    def vkey(self) -> bytes:
        """The program verification key (bytes32) the Rollup is deployed with."""
        return run_host("vkey", None).vkey
