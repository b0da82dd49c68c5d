"""Keys: a trader's or an operator's signing key, from an encrypted keystore or the environment,
never from the command line (where `ps` shows it)."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from clobnode.errors import ClobnodeError

KEY_ENV = "CLOBNODE_TRADER_KEY"
PASSWORD_ENV = "CLOBNODE_KEYSTORE_PASSWORD"
#: Where `cast wallet import NAME` writes its keystores.
FOUNDRY_KEYSTORES = Path.home() / ".foundry" / "keystores"


class KeySourceError(ClobnodeError):
    """No key, or one that cannot be read or decrypted."""


def load_account(keystore: Path | None = None, account: str | None = None, env: str = KEY_ENV) -> LocalAccount:
    """The account of a keystore file (`--keystore`), of a `cast wallet import` keystore by name
    (`--account`), or of the hex private key in `$env`. A keystore's password comes from
    $CLOBNODE_KEYSTORE_PASSWORD, else from a prompt."""
    if keystore is None and account is not None:
        keystore = FOUNDRY_KEYSTORES / account
    if keystore is not None:
        try:
            encrypted = json.loads(keystore.read_text())
        except FileNotFoundError:
            raise KeySourceError(f"no keystore at {keystore}") from None
        except (OSError, ValueError) as exc:
            raise KeySourceError(f"keystore {keystore} is not a JSON keystore: {exc}") from None
        password = os.environ.get(PASSWORD_ENV)
        if password is None:
            password = getpass.getpass(f"password of {keystore.name}: ")
        try:
            decrypted: LocalAccount = Account.from_key(Account.decrypt(encrypted, password))
            return decrypted
        except (ValueError, KeyError, TypeError) as exc:
            raise KeySourceError(f"cannot decrypt keystore {keystore}: {exc or 'wrong password'}") from None
    key = os.environ.get(env)
    if not key:
        raise KeySourceError(f"no key: set {env}, or give --keystore FILE or --account NAME (a `cast wallet import` keystore)")
    try:
        from_env: LocalAccount = Account.from_key(key)
        return from_env
    except (ValueError, TypeError):
        raise KeySourceError(f"{env} is not a 32-byte hex private key") from None
