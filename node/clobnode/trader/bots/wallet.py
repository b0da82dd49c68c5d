"""Wallet: a bot's trader key, its local nonce counter and fast EIP-712 signing.

A bot keeps its own nonce counter instead of asking the node for the last nonce before every
message (`Client.next_nonce` costs an HTTP round trip). Signing goes through the core's EIP-712
digest (`clobnode_core.typed_data_digest`, the same one the engine verifies) and coincurve
(libsecp256k1, about 35 µs a signature) when it is installed, else eth-account (several ms).
"""

from __future__ import annotations

import time
from types import ModuleType

import clobnode_core
from eth_account import Account

from clobnode.api.models import ORDER_TYPES, SIDES, TIMES_IN_FORCE

coincurve: ModuleType | None
try:  # the `bench` extra; signatures are the same either way (RFC 6979, low s)
    import coincurve
except ImportError:  # pragma: no cover - depends on the environment
    coincurve = None


class Wallet:
    """One trader: signs orders, cancels and replaces with nonces from a local counter."""

    def __init__(self, key: str, chain_id: int, inbox: str, last_nonce: int = 0) -> None:
        self._account = Account.from_key(key)
        self.address: str = self._account.address
        self._trader = bytes.fromhex(self.address[2:])
        self._chain_id = chain_id
        self._inbox = bytes.fromhex(inbox[2:])
        self._secp = coincurve.PrivateKey(bytes(self._account.key)) if coincurve is not None else None
        # Time-based start (milliseconds): above what an earlier run of the same key used.
        self._nonce = max(last_nonce, time.time_ns() // 1_000_000)

    @property
    def fast(self) -> bool:
        """Whether signatures come from libsecp256k1 (coincurve)."""
        return self._secp is not None

    def next_nonce(self) -> int:
        self._nonce += 1
        return self._nonce

    def _sign(self, message: bytes) -> bytes:
        digest = bytes(clobnode_core.typed_data_digest(self._chain_id, self._inbox, self._trader, message))
        if self._secp is not None:
            signature = self._secp.sign_recoverable(digest, hasher=None)
            signature = signature[:64] + bytes([signature[64] + 27])
        else:
            signed = self._account.unsafe_sign_hash(digest)
            signature = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
        return bytes(clobnode_core.encode_envelope(self._trader, message, signature))

    def order(
        self, market: int, side: str, price: int, quantity: int, *, expiry: int, order_type: str = "limit",
        time_in_force: str = "gtc", client_order_id: int = 0,
    ) -> tuple[int, bytes]:
        """(nonce, signed envelope) of an order; price in ticks, quantity in lots."""
        nonce = self.next_nonce()
        message = clobnode_core.encode_order(
            market, SIDES[side], price, quantity, nonce, expiry, order_type=ORDER_TYPES[order_type],
            time_in_force=TIMES_IN_FORCE[time_in_force], client_order_id=client_order_id,
        )
        return nonce, self._sign(bytes(message))

    def replace(self, market: int, order_nonce: int, price: int, quantity: int) -> tuple[int, bytes]:
        """(new nonce, signed envelope) moving the resting order `order_nonce` to a new price and quantity."""
        nonce = self.next_nonce()
        return nonce, self._sign(bytes(clobnode_core.encode_replace(market, order_nonce, nonce, price, quantity)))

    def cancel(self, market: int, order_nonce: int) -> bytes:
        return self._sign(bytes(clobnode_core.encode_cancel(market, order_nonce)))
