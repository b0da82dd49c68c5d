"""Specification of clobnode.dev.devnet: the embedded anvil L1."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from clobnode.dev.devnet import (
    DEV_ADDRESSES,
    DEV_PRIVATE_KEYS,
    Anvil,
    AnvilConfig,
    DevnetError,
    find_anvil,
)
from clobnode.l1.client import L1Client
from eth_account import Account


def _port_is_free(port: int) -> bool:
    """True if a server could listen on `port` now (SO_REUSEADDR, as servers bind, so that
    TIME_WAIT remnants of closed client connections do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_dev_private_keys_match_dev_addresses() -> None:
    assert [Account.from_key(k).address for k in DEV_PRIVATE_KEYS] == list(DEV_ADDRESSES)


def test_find_anvil_honours_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLOBNODE_ANVIL", str(tmp_path / "no-such-anvil"))
    with pytest.raises(DevnetError, match="CLOBNODE_ANVIL"):
        find_anvil()


def test_find_anvil_without_any_anvil_says_make_tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLOBNODE_ANVIL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("clobnode.dev.devnet._search_roots", lambda: [tmp_path])
    with pytest.raises(DevnetError, match="make tools"):
        find_anvil()


@pytest.mark.devnet
def test_anvil_answers_rpc_and_frees_its_port_when_stopped() -> None:
    node = Anvil(AnvilConfig()).start()
    port = node.port
    assert node.running
    assert not _port_is_free(port)
    l1 = L1Client(node.url)
    assert l1.chain_id() == 31337
    assert l1.balance(DEV_ADDRESSES[0]) > 0
    node.stop()
    assert not node.running
    assert _port_is_free(port)
    with pytest.raises(DevnetError):
        _ = node.url
    with Anvil(AnvilConfig(port=port)) as again:
        assert L1Client(again.url).block_number() == 0


@pytest.mark.devnet
def test_anvil_context_manager_stops_on_exit() -> None:
    with Anvil(AnvilConfig(chain_id=1337, hardfork="prague")) as node:
        assert L1Client(node.url).chain_id() == 1337
        assert L1Client(node.url).rpc("anvil_nodeInfo")["hardFork"] == "Prague"
    assert not node.running


@pytest.mark.devnet
def test_anvil_with_block_time_mines_on_its_own() -> None:
    import time

    with Anvil(AnvilConfig(block_time=0.2)) as node:
        l1 = L1Client(node.url)
        deadline = time.monotonic() + 5
        while l1.block_number() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert l1.block_number() >= 2


@pytest.mark.devnet
def test_anvil_that_cannot_start_raises_with_its_log() -> None:
    with pytest.raises(DevnetError, match="unexpected argument"):
        Anvil(AnvilConfig(extra_args=("--no-such-flag",))).start()
