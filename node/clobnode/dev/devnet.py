"""An embedded anvil L1 for development and tests: start it on a free port, stop it cleanly."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

from clobnode.errors import ClobnodeError

#: Environment variable naming the anvil binary to use.
ANVIL_ENV: Final = "CLOBNODE_ANVIL"
ANVIL_REPO_PATH: Final = Path("tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
DEV_CHAIN_ID: Final = 31337

#: DEV ONLY — the private keys of accounts 0..9 of anvil's default mnemonic
#: ("test test test test test test test test test test test junk", m/44'/60'/0'/0/i).
#: Public knowledge: anything sent to these addresses on a real network is stolen at once.
DEV_MNEMONIC: Final = "test test test test test test test test test test test junk"
DEV_PRIVATE_KEYS: Final[tuple[str, ...]] = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)
#: DEV ONLY — the addresses of DEV_PRIVATE_KEYS, in the same order.
DEV_ADDRESSES: Final[tuple[str, ...]] = (
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
)


class DevnetError(ClobnodeError):
    """The embedded anvil L1 cannot be found, started or stopped."""


@dataclass(frozen=True, slots=True)
class AnvilConfig:
    """How to start an embedded anvil; `block_time` None means automine (a block per transaction)."""

    chain_id: int = DEV_CHAIN_ID
    hardfork: str | None = None
    block_time: float | None = None
    host: str = "127.0.0.1"
    port: int | None = None  # None: a free port
    extra_args: tuple[str, ...] = ()
    start_timeout: float = 15.0


def _search_roots() -> list[Path]:
    roots = [Path(__file__).resolve().parent, Path.cwd().resolve()]
    return [d for root in roots for d in (root, *root.parents)]


def find_anvil() -> Path:
    """The anvil binary: env CLOBNODE_ANVIL, else the repo's tools/node_modules (searched upward
    from this package and from the working directory), else PATH."""
    override = os.environ.get(ANVIL_ENV)
    if override:
        path = Path(override)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise DevnetError(f"{ANVIL_ENV}={override} is not an executable file")
    for directory in _search_roots():
        candidate = directory / ANVIL_REPO_PATH
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise DevnetError(
        f"anvil not found: run `make tools` in the repository (installs {ANVIL_REPO_PATH}), "
        f"put anvil on PATH, or set {ANVIL_ENV}"
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _rpc_answers(url: str) -> bool:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=1.0) as response:
            return "result" in json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Anvil:
    """A running anvil subprocess; use as a context manager or call start()/stop()."""

    def __init__(self, config: AnvilConfig = AnvilConfig(), binary: Path | None = None) -> None:
        self.config = config
        self.binary = binary or find_anvil()
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """The JSON-RPC (and beacon API) URL of this anvil."""
        if self._process is None:
            raise DevnetError("anvil is not running")
        return f"http://{self.config.host}:{self.port}"

    @property
    def running(self) -> bool:
        """True while the anvil process is alive."""
        return self._process is not None and self._process.poll() is None

    def command(self, port: int) -> list[str]:
        """The anvil command line for `port`."""
        cfg = self.config
        args = [str(self.binary), "--host", cfg.host, "--port", str(port), "--chain-id", str(cfg.chain_id)]
        if cfg.hardfork:
            args += ["--hardfork", cfg.hardfork]
        if cfg.block_time is not None:
            args += ["--block-time", f"{cfg.block_time:g}"]
        return args + list(cfg.extra_args)

    def start(self) -> Self:
        """Start anvil and wait until its RPC answers; a taken port is retried with another."""
        if self._process is not None:
            raise DevnetError("anvil is already running")
        attempts = 1 if self.config.port is not None else 3
        last_error = ""
        for _ in range(attempts):
            port = self.config.port if self.config.port is not None else free_port(self.config.host)
            last_error = self._try_start(port)
            if not last_error:
                return self
        raise DevnetError(f"anvil did not start: {last_error}")

    def _try_start(self, port: int) -> str:
        self._log = tempfile.NamedTemporaryFile(prefix="clobnode-anvil-", suffix=".log")  # noqa: SIM115 (kept open while anvil runs; `stop` closes it)
        # Its own session: a terminal's Ctrl-C reaches the node, which winds down its loops and
        # then stops anvil (`stop`), not anvil under a node that is still settling.
        self._process = subprocess.Popen(
            self.command(port),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.port = port
        deadline = time.monotonic() + self.config.start_timeout
        url = f"http://{self.config.host}:{port}"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return self._abandon(f"exited with {self._process.returncode}")
            if _rpc_answers(url):
                return ""
            time.sleep(0.05)
        return self._abandon(f"no RPC answer at {url} within {self.config.start_timeout:g}s")

    def _abandon(self, reason: str) -> str:
        log = self.log_tail()
        self.stop()
        return f"{reason}; log: {log}" if log else reason

    def log_tail(self, limit: int = 2000) -> str:
        """The end of anvil's output (for error messages)."""
        if self._log is None:
            return ""
        try:
            return Path(self._log.name).read_bytes()[-limit:].decode(errors="replace").strip()
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate anvil (SIGTERM, then SIGKILL after `timeout`) and wait for it to exit."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_anvil(
    *,
    chain_id: int = DEV_CHAIN_ID,
    hardfork: str | None = None,
    block_time: float | None = None,
    extra_args: Sequence[str] = (),
) -> Anvil:
    """Start an anvil with the given settings on a free port (remember to stop() it)."""
    config = AnvilConfig(chain_id=chain_id, hardfork=hardfork, block_time=block_time, extra_args=tuple(extra_args))
    return Anvil(config).start()
