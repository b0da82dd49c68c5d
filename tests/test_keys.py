"""Trader keys come from an encrypted keystore or the environment, and fail in one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clobnode.trader.keys import KeySourceError, load_account
from eth_account import Account


def test_a_keystore_is_decrypted_with_the_password_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    account = Account.create()
    keystore = tmp_path / "carol"
    keystore.write_text(json.dumps(Account.encrypt(account.key, "hunter2", iterations=2)))
    monkeypatch.setenv("CLOBNODE_KEYSTORE_PASSWORD", "hunter2")
    assert load_account(keystore=keystore).address == account.address
    monkeypatch.setenv("CLOBNODE_KEYSTORE_PASSWORD", "wrong")
    with pytest.raises(KeySourceError, match="cannot decrypt keystore"):
        load_account(keystore=keystore)


def test_a_named_account_is_read_from_foundrys_keystores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("clobnode.trader.keys.FOUNDRY_KEYSTORES", tmp_path)
    account = Account.create()
    (tmp_path / "dave").write_text(json.dumps(Account.encrypt(account.key, "pw", iterations=2)))
    monkeypatch.setenv("CLOBNODE_KEYSTORE_PASSWORD", "pw")
    assert load_account(account="dave").address == account.address
    with pytest.raises(KeySourceError, match="no keystore at"):
        load_account(account="nobody")


def test_the_environment_key_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOBNODE_TRADER_KEY", raising=False)
    with pytest.raises(KeySourceError, match="no key: set CLOBNODE_TRADER_KEY"):
        load_account()
    monkeypatch.setenv("CLOBNODE_TRADER_KEY", "0x1234")
    with pytest.raises(KeySourceError, match="not a 32-byte hex private key"):
        load_account()
