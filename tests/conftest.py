"""Shared pytest fixtures: an embedded anvil L1, an L1 client on it, dev accounts and blobs."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from clobnode.da.kzg import FIELD_ELEMENTS_PER_BLOB
from clobnode.dev import demo
from clobnode.dev.devnet import DEV_PRIVATE_KEYS, Anvil, AnvilConfig
from clobnode.l1.client import L1Client
from clobnode.service import NodeService
from devnet_node import TRADER_A, TRADER_B, start_node
from eth_account import Account
from eth_account.signers.local import LocalAccount


@pytest.fixture
def anvil() -> Iterator[Anvil]:
    """A fresh automining anvil (default hardfork: post-Osaka) on a free port."""
    with Anvil(AnvilConfig()) as node:
        yield node


@pytest.fixture
def cancun_anvil() -> Iterator[Anvil]:
    """A fresh anvil on the Cancun hardfork (EIP-4844 sidecars)."""
    with Anvil(AnvilConfig(hardfork="cancun")) as node:
        yield node


@pytest.fixture
def trading_node(anvil: Anvil, tmp_path: Path) -> Iterator[tuple[NodeService, Any, L1Client]]:
    """A node serving its API on a funded devnet (demo traders A and B), proposing and settling
    (mock proofs), once it has derived the deposits: (service, deployment, L1 client)."""
    l1 = L1Client(anvil.url)
    dep = demo.deploy_and_fund(l1)
    service = start_node(l1, dep, tmp_path)
    trader_b = Account.from_key(demo.TRADERS["B"]).address
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{service.api_url}/accounts/{trader_b}", timeout=10) as response:
            if len(json.loads(response.read())["balances"]) == 2:
                break
        time.sleep(0.2)
    yield service, dep, l1
    service.stop()


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """The CLI points the root logger at the stderr it runs with: under CliRunner a stream closed
    once the command returns, into which a later test's node thread would then log ("Logging
    error ... I/O operation on closed file"). Each test gets the root logger back as it found it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def funded(anvil: Anvil) -> tuple[L1Client, Any]:
    """A deployment on `anvil` where dev trader 1 deposited quote and dev trader 2 base (two
    inbox entries): (L1 client, deployment)."""
    l1 = L1Client(anvil.url)
    dep = demo.deploy(l1)
    demo.mint_and_deposit(l1, dep, TRADER_A, dep.quote_token, 10**12)
    demo.mint_and_deposit(l1, dep, TRADER_B, dep.base_token, 10**21)
    return l1, dep


@pytest.fixture
def l1(anvil: Anvil) -> L1Client:
    """An L1 client on the `anvil` fixture."""
    return L1Client(anvil.url)


@pytest.fixture
def dev_account() -> LocalAccount:
    """DEV ONLY: anvil's funded account 0."""
    account: LocalAccount = Account.from_key(DEV_PRIVATE_KEYS[0])
    return account


def _blob(seed: int) -> bytes:
    chunks = (
        b"\x00" + hashlib.sha256(seed.to_bytes(8, "big") + i.to_bytes(4, "big")).digest()[:31]
        for i in range(FIELD_ELEMENTS_PER_BLOB)
    )
    return b"".join(chunks)


@pytest.fixture
def make_blob() -> Callable[[int], bytes]:
    """Builds a canonical pseudo-random blob from a seed (every field element's first byte is 0)."""
    return _blob
