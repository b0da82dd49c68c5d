"""The trader's commands of `clobnode`: order, cancel, cancel-all, replace, deposit, withdraw,
claim, escape, balance, orders, fills. Keys come from a keystore or the environment
(`keys.py`); every answer is one JSON document on stdout, every failure one line on stderr."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any, TypedDict

import typer

from clobnode.api.models import (
    ORDER_TYPES,
    SELF_TRADE_PREVENTION,
    SIDES,
    TIMES_IN_FORCE,
)
from clobnode.hexbytes import to_hex
from clobnode.l1.client import L1Client, L1Receipt
from clobnode.trader import onchain as trader
from clobnode.trader.client import (
    ALL_MARKETS,
    DEFAULT_EXPIRES_IN_S,
    Client,
    ClientError,
)
from clobnode.trader.keys import load_account

Api = Annotated[str, typer.Option("--api", envvar="CLOBNODE_API", help="Node API URL.")]
Keystore = Annotated[Path | None, typer.Option("--keystore", help="Encrypted JSON keystore (password: $CLOBNODE_KEYSTORE_PASSWORD or a prompt).")]
AccountName = Annotated[str | None, typer.Option("--account", help="A `cast wallet import` keystore by name (~/.foundry/keystores).")]
RpcUrl = Annotated[str | None, typer.Option("--rpc-url", envvar="CLOBNODE_RPC_URL", help="L1 JSON-RPC URL.")]
Market = Annotated[int, typer.Option("--market", help="Market id.")]
DEFAULT_API = "http://127.0.0.1:7700"


def _client(api: str, keystore: Path | None = None, account: str | None = None, signer: bool = True) -> Client:
    return Client(api, load_account(keystore, account) if signer else None)


def _print(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2))


def _landed(receipt: L1Receipt, **fields: Any) -> dict[str, Any]:
    """What an L1 transaction did: `fields`, its block and its hash."""
    return {**fields, "l1Block": receipt.block_number, "txHash": to_hex(receipt.tx_hash)}


def _l1(rpc_url: str | None) -> L1Client:
    if rpc_url is None:
        raise ClientError("this talks to L1: give --rpc-url (or set CLOBNODE_RPC_URL)")
    return L1Client(rpc_url)


class _OrderOptions(TypedDict):
    """The keyword terms of `Client.sign_order` the `order` command passes through."""

    order_type: str
    time_in_force: str
    self_trade_prevention: str
    trigger_price: int
    display_quantity: int
    client_order_id: int


def _choice(value: str, names: dict[str, int], what: str) -> str:
    if value not in names:
        raise typer.BadParameter(f"{what} must be one of {', '.join(names)}")
    return value


def order(
    side: Annotated[str, typer.Argument(help="buy or sell")],
    price: Annotated[int, typer.Argument(help="Price in ticks (GET /markets: tickSize).")],
    quantity: Annotated[int, typer.Argument(help="Quantity in lots (GET /markets: lotSize).")],
    market: Market = 0,
    order_type: Annotated[str, typer.Option("--order-type", help="limit or market.")] = "limit",
    time_in_force: Annotated[str, typer.Option("--time-in-force", help="gtc, ioc, fok or post_only.")] = "gtc",
    self_trade_prevention: Annotated[str, typer.Option("--self-trade-prevention", help="cancel_taker, cancel_maker or decrement_both.")] = "cancel_taker",
    trigger_price: Annotated[int, typer.Option("--trigger-price", help="A stop order's trigger (ticks; 0: none).")] = 0,
    display_quantity: Annotated[int, typer.Option("--display-quantity", help="An iceberg's visible lots (0: all).")] = 0,
    client_order_id: Annotated[int, typer.Option("--client-order-id", help="Your own id, echoed in every event of the order.")] = 0,
    nonce: Annotated[int | None, typer.Option("--nonce", help="Default: above the last one, time-based.")] = None,
    expiry: Annotated[int | None, typer.Option("--expiry", help="L1 timestamp after which the order is void (0: never).")] = None,
    expires_in: Annotated[int, typer.Option("--expires-in", help="Seconds from now, unless --expiry is given.")] = DEFAULT_EXPIRES_IN_S,
    direct: Annotated[bool, typer.Option("--direct", help="Send it to the L1 Inbox yourself instead of through the node.")] = False,
    rpc_url: RpcUrl = None,
    api: Api = DEFAULT_API,
    keystore: Keystore = None,
    account: AccountName = None,
) -> None:
    """Sign an order (EIP-712) and submit it; prints its submission id and nonce."""
    _choice(side, SIDES, "side")
    _choice(order_type, ORDER_TYPES, "order type")
    _choice(time_in_force, TIMES_IN_FORCE, "time in force")
    _choice(self_trade_prevention, SELF_TRADE_PREVENTION, "self-trade prevention")
    client = _client(api, keystore, account)
    if expiry is None:
        expiry = int(time.time()) + expires_in
    options: _OrderOptions = {"order_type": order_type, "time_in_force": time_in_force, "self_trade_prevention": self_trade_prevention,
                              "trigger_price": trigger_price, "display_quantity": display_quantity, "client_order_id": client_order_id}
    if not direct:
        _print(client.order(market, side, price, quantity, nonce=nonce, expiry=expiry, **options))
        return
    signed_nonce, envelope = client.sign_order(market, side, price, quantity, nonce=nonce, expiry=expiry, **options)
    receipt = trader.relay_signed(_l1(rpc_url), client.domain()[1], client._me(), envelope)
    _print(_landed(receipt, nonce=str(signed_nonce), direct=True))


def cancel(
    order_nonce: Annotated[int, typer.Argument(help="The nonce of the order to cancel.")],
    market: Market = 0,
    direct: Annotated[bool, typer.Option("--direct", help="Send it to the L1 Inbox yourself.")] = False,
    rpc_url: RpcUrl = None,
    api: Api = DEFAULT_API,
    keystore: Keystore = None,
    account: AccountName = None,
) -> None:
    """Cancel one of your orders."""
    client = _client(api, keystore, account)
    if not direct:
        _print(client.cancel(market, order_nonce))
        return
    receipt = trader.relay_signed(_l1(rpc_url), client.domain()[1], client._me(), client.sign_cancel(market, order_nonce))
    _print(_landed(receipt, direct=True))


def cancel_all(
    market: Annotated[int, typer.Option("--market", help="Market id; default: every market.")] = ALL_MARKETS,
    api: Api = DEFAULT_API,
    keystore: Keystore = None,
    account: AccountName = None,
) -> None:
    """Cancel all your orders (in one market, or everywhere)."""
    _print(_client(api, keystore, account).cancel_all(market))


def replace(
    order_nonce: Annotated[int, typer.Argument(help="The nonce of the resting order to change.")],
    price: Annotated[int, typer.Argument(help="New price in ticks.")],
    quantity: Annotated[int, typer.Argument(help="New quantity in lots.")],
    market: Market = 0,
    api: Api = DEFAULT_API,
    keystore: Keystore = None,
    account: AccountName = None,
) -> None:
    """Change a resting order: a smaller quantity at the same price keeps its place, anything
    else replaces it with a new order (a new nonce, printed)."""
    _print(_client(api, keystore, account).replace(market, order_nonce, price, quantity))


Token = Annotated[str, typer.Argument(help="ERC-20 address.")]
Atoms = Annotated[int, typer.Argument(help="Amount in token atoms.")]


def deposit(
    token: Token,
    amount: Atoms,
    rpc_url: RpcUrl = None,
    api: Api = DEFAULT_API,
    keystore: Keystore = None,
    account: AccountName = None,
) -> None:
    """Approve the Vault and deposit tokens (credited once the node derives the deposit)."""
    client = _client(api, keystore, account)
    contracts = client.status()["contracts"]
    receipt = trader.deposit(_l1(rpc_url), contracts["vault"], contracts["inbox"], client._me(), token, amount)
    _print(_landed(receipt, deposited=str(amount), token=token))


def withdraw(
    token: Token,
    amount: Atoms,
    rpc_url: RpcUrl = None,
    api: Api = DEFAULT_API,
    keystore: Keystore = None,
    account: AccountName = None,
) -> None:
    """Request a withdrawal on L1 (an Inbox WITHDRAWAL entry); `claim` it once a batch proves it."""
    client = _client(api, keystore, account)
    receipt = trader.request_withdrawal(_l1(rpc_url), client.status()["contracts"]["inbox"], client._me(), token, amount)
    _print(_landed(receipt, requested=str(amount), token=token))


def claim(rpc_url: RpcUrl = None, api: Api = DEFAULT_API, keystore: Keystore = None, account: AccountName = None) -> None:
    """Claim every proven, unpaid withdrawal of yours from the Vault."""
    client = _client(api, keystore, account)
    claims = client.get(f"/accounts/{client._me().address}/withdrawals")["withdrawals"]
    receipts = trader.claim_withdrawals(_l1(rpc_url), client.status()["contracts"]["vault"], client._me(), claims)
    _print({"claimed": len(receipts), "alreadyPaid": len(claims) - len(receipts)})


def escape(
    token: Token,
    rpc_url: RpcUrl = None,
    api: Api = DEFAULT_API,
    keystore: Keystore = None,
    account: AccountName = None,
) -> None:
    """Escape hatch: take your last proven balance of `token` out of a frozen rollup."""
    client = _client(api, keystore, account)
    proof = client.get(f"/accounts/{client._me().address}/escape?token={token}")
    receipt = trader.escape(_l1(rpc_url), client.status()["contracts"]["vault"], client._me(), proof)
    _print(_landed(receipt, escaped=str(int(proof["available"]) + int(proof["locked"])), token=token))


def _who(trader_address: str | None, keystore: Path | None, account: str | None) -> str:
    return trader_address or load_account(keystore, account).address


TraderAddress = Annotated[str | None, typer.Option("--trader", help="Whose (default: your key's address).")]


def balance(trader_address: TraderAddress = None, api: Api = DEFAULT_API, keystore: Keystore = None, account: AccountName = None) -> None:
    """Balances (available, locked), open orders and last nonce."""
    _print(_client(api, signer=False).account_of(_who(trader_address, keystore, account)))


def orders(
    nonce: Annotated[int | None, typer.Option("--nonce", help="One order's whole lifecycle.")] = None,
    market: Annotated[int | None, typer.Option("--market", help="Only this market.")] = None,
    trader_address: TraderAddress = None,
    api: Api = DEFAULT_API,
    keystore: Keystore = None,
    account: AccountName = None,
) -> None:
    """Your orders with their status, or one order's lifecycle with --nonce."""
    _print(_client(api, signer=False).orders(_who(trader_address, keystore, account), nonce, market))


def fills(
    market: Annotated[int | None, typer.Option("--market", help="Only this market.")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    trader_address: TraderAddress = None,
    api: Api = DEFAULT_API,
    keystore: Keystore = None,
    account: AccountName = None,
) -> None:
    """Your fills, newest first, with their L1 time."""
    _print(_client(api, signer=False).trades(market, _who(trader_address, keystore, account), limit))


def register(app: typer.Typer) -> None:
    """Adds the trader's commands to the `clobnode` app."""
    for command in (order, cancel, replace, deposit, withdraw, claim, escape, balance, orders, fills):
        app.command()(command)
    app.command("cancel-all")(cancel_all)
