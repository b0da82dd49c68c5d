"""Signing: how a trader's wallet signs orders and cancels (EIP-712 typed data, PROTOCOL.md section 3)."""

from __future__ import annotations

from typing import Any

import clobnode_core
from eth_account.signers.local import LocalAccount

DOMAIN_NAME = "clobnode"
DOMAIN_VERSION = "1"
# In step with the core's EIP-712 type strings (guest-programs/core/src/eip712.rs, PROTOCOL.md section 3).
ORDER_TYPE = [
    {"name": "trader", "type": "address"},
    {"name": "market", "type": "uint32"},
    {"name": "side", "type": "uint8"},
    {"name": "orderType", "type": "uint8"},
    {"name": "timeInForce", "type": "uint8"},
    {"name": "selfTradePrevention", "type": "uint8"},
    {"name": "price", "type": "uint64"},
    {"name": "quantity", "type": "uint64"},
    {"name": "triggerPrice", "type": "uint64"},
    {"name": "displayQuantity", "type": "uint64"},
    {"name": "nonce", "type": "uint64"},
    {"name": "expiry", "type": "uint64"},
    {"name": "clientOrderId", "type": "uint64"},
]
CANCEL_TYPE = [
    {"name": "trader", "type": "address"},
    {"name": "market", "type": "uint32"},
    {"name": "orderNonce", "type": "uint64"},
]
CANCEL_ALL_TYPE = [
    {"name": "trader", "type": "address"},
    {"name": "market", "type": "uint32"},
    {"name": "nonce", "type": "uint64"},
]
REPLACE_TYPE = [
    {"name": "trader", "type": "address"},
    {"name": "market", "type": "uint32"},
    {"name": "orderNonce", "type": "uint64"},
    {"name": "nonce", "type": "uint64"},
    {"name": "price", "type": "uint64"},
    {"name": "quantity", "type": "uint64"},
]
# Order fields beyond a plain limit GTC order, with their defaults (wire names, snake case).
ORDER_OPTIONS = {"order_type": 0, "time_in_force": 0, "stp": 0, "trigger_price": 0, "display_quantity": 0, "client_order_id": 0}


def domain(chain_id: int, inbox: str) -> dict[str, Any]:
    return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": inbox}


def order_typed_data(chain_id: int, inbox: str, trader: str, *, market: int, side: int, price: int, quantity: int, nonce: int, expiry: int = 0, order_type: int = 0, time_in_force: int = 0, stp: int = 0, trigger_price: int = 0, display_quantity: int = 0, client_order_id: int = 0) -> dict[str, Any]:
    """The full EIP-712 document a wallet signs for an order (`eth_signTypedData_v4` shape)."""
    return {
        "types": {"Order": ORDER_TYPE},
        "primaryType": "Order",
        "domain": domain(chain_id, inbox),
        "message": {
            "trader": trader, "market": market, "side": side, "orderType": order_type, "timeInForce": time_in_force,
            "selfTradePrevention": stp, "price": price, "quantity": quantity, "triggerPrice": trigger_price,
            "displayQuantity": display_quantity, "nonce": nonce, "expiry": expiry, "clientOrderId": client_order_id,
        },
    }


def cancel_typed_data(chain_id: int, inbox: str, trader: str, *, market: int, order_nonce: int) -> dict[str, Any]:
    return {
        "types": {"Cancel": CANCEL_TYPE},
        "primaryType": "Cancel",
        "domain": domain(chain_id, inbox),
        "message": {"trader": trader, "market": market, "orderNonce": order_nonce},
    }


def cancel_all_typed_data(chain_id: int, inbox: str, trader: str, *, market: int, nonce: int) -> dict[str, Any]:
    return {
        "types": {"CancelAll": CANCEL_ALL_TYPE},
        "primaryType": "CancelAll",
        "domain": domain(chain_id, inbox),
        "message": {"trader": trader, "market": market, "nonce": nonce},
    }


def replace_typed_data(chain_id: int, inbox: str, trader: str, *, market: int, order_nonce: int, nonce: int, price: int, quantity: int) -> dict[str, Any]:
    return {
        "types": {"Replace": REPLACE_TYPE},
        "primaryType": "Replace",
        "domain": domain(chain_id, inbox),
        "message": {"trader": trader, "market": market, "orderNonce": order_nonce, "nonce": nonce, "price": price, "quantity": quantity},
    }


def _signature(account: LocalAccount, typed: dict[str, Any]) -> bytes:
    signed = account.sign_typed_data(full_message=typed)
    return bytes(signed.signature)


def signed_order(account: LocalAccount, chain_id: int, inbox: str, *, market: int, side: int, price: int, quantity: int, nonce: int, expiry: int = 0, **options: int) -> bytes:
    """A signed envelope (trader ‖ order message ‖ signature) ready for the Inbox or a blob batch.

    `options` are the ORDER_OPTIONS fields (order_type, time_in_force, stp, trigger_price,
    display_quantity, client_order_id); left out, the order is a plain limit GTC order.
    """
    unknown = set(options) - set(ORDER_OPTIONS)
    if unknown:
        raise TypeError(f"unknown order options: {sorted(unknown)}")
    typed = order_typed_data(chain_id, inbox, account.address, market=market, side=side, price=price, quantity=quantity, nonce=nonce, expiry=expiry, **options)
    message = clobnode_core.encode_order(market, side, price, quantity, nonce, expiry, **options)
    return bytes(clobnode_core.encode_envelope(bytes.fromhex(account.address[2:]), message, _signature(account, typed)))


def signed_cancel(account: LocalAccount, chain_id: int, inbox: str, *, market: int, order_nonce: int) -> bytes:
    typed = cancel_typed_data(chain_id, inbox, account.address, market=market, order_nonce=order_nonce)
    message = clobnode_core.encode_cancel(market, order_nonce)
    return bytes(clobnode_core.encode_envelope(bytes.fromhex(account.address[2:]), message, _signature(account, typed)))


def signed_cancel_all(account: LocalAccount, chain_id: int, inbox: str, *, market: int, nonce: int) -> bytes:
    typed = cancel_all_typed_data(chain_id, inbox, account.address, market=market, nonce=nonce)
    message = clobnode_core.encode_cancel_all(market, nonce)
    return bytes(clobnode_core.encode_envelope(bytes.fromhex(account.address[2:]), message, _signature(account, typed)))


def signed_replace(account: LocalAccount, chain_id: int, inbox: str, *, market: int, order_nonce: int, nonce: int, price: int, quantity: int) -> bytes:
    typed = replace_typed_data(chain_id, inbox, account.address, market=market, order_nonce=order_nonce, nonce=nonce, price=price, quantity=quantity)
    message = clobnode_core.encode_replace(market, order_nonce, nonce, price, quantity)
    return bytes(clobnode_core.encode_envelope(bytes.fromhex(account.address[2:]), message, _signature(account, typed)))
