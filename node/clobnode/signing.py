"""Signing: how a trader's wallet signs orders and cancels (EIP-712 typed data, PROTOCOL.md section 3)."""

from __future__ import annotations

from typing import Any

import clobnode_core
from eth_account.signers.local import LocalAccount

DOMAIN_NAME = "clobnode"
DOMAIN_VERSION = "1"
ORDER_TYPE = [
    {"name": "trader", "type": "address"},
    {"name": "market", "type": "uint32"},
    {"name": "side", "type": "uint8"},
    {"name": "price", "type": "uint64"},
    {"name": "quantity", "type": "uint64"},
    {"name": "nonce", "type": "uint64"},
    {"name": "expiry", "type": "uint64"},
]
CANCEL_TYPE = [
    {"name": "trader", "type": "address"},
    {"name": "market", "type": "uint32"},
    {"name": "orderNonce", "type": "uint64"},
]


def domain(chain_id: int, inbox: str) -> dict[str, Any]:
    return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": inbox}


def order_typed_data(chain_id: int, inbox: str, trader: str, *, market: int, side: int, price: int, quantity: int, nonce: int, expiry: int) -> dict[str, Any]:
    """The full EIP-712 document a wallet signs for an order (`eth_signTypedData_v4` shape)."""
    return {
        "types": {"Order": ORDER_TYPE},
        "primaryType": "Order",
        "domain": domain(chain_id, inbox),
        "message": {"trader": trader, "market": market, "side": side, "price": price, "quantity": quantity, "nonce": nonce, "expiry": expiry},
    }


def cancel_typed_data(chain_id: int, inbox: str, trader: str, *, market: int, order_nonce: int) -> dict[str, Any]:
    return {
        "types": {"Cancel": CANCEL_TYPE},
        "primaryType": "Cancel",
        "domain": domain(chain_id, inbox),
        "message": {"trader": trader, "market": market, "orderNonce": order_nonce},
    }


def _signature(account: LocalAccount, typed: dict[str, Any]) -> bytes:
    signed = account.sign_typed_data(full_message=typed)
    return bytes(signed.signature)


def signed_order(account: LocalAccount, chain_id: int, inbox: str, *, market: int, side: int, price: int, quantity: int, nonce: int, expiry: int = 0) -> bytes:
    """A signed envelope (trader ‖ order message ‖ signature) ready for the Inbox or a blob batch."""
    typed = order_typed_data(chain_id, inbox, account.address, market=market, side=side, price=price, quantity=quantity, nonce=nonce, expiry=expiry)
    message = clobnode_core.encode_order(market, side, price, quantity, nonce, expiry)
    return bytes(clobnode_core.encode_envelope(bytes.fromhex(account.address[2:]), message, _signature(account, typed)))


def signed_cancel(account: LocalAccount, chain_id: int, inbox: str, *, market: int, order_nonce: int) -> bytes:
    typed = cancel_typed_data(chain_id, inbox, account.address, market=market, order_nonce=order_nonce)
    message = clobnode_core.encode_cancel(market, order_nonce)
    return bytes(clobnode_core.encode_envelope(bytes.fromhex(account.address[2:]), message, _signature(account, typed)))
