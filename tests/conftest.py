"""Shared pytest fixtures: an embedded anvil L1, an L1 client on it, dev accounts and blobs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from clobnode.devnet import DEV_PRIVATE_KEYS, Anvil, AnvilConfig
from clobnode.kzg import FIELD_ELEMENTS_PER_BLOB
from clobnode.l1 import L1Client


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
