"""The operator's `clobnode deploy`: the contracts of one exchange on any L1, and the deployment
file a node follows (docs/OPERATING.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from clobnode.dev import demo
from clobnode.errors import ClobnodeError
from clobnode.exchange.engine import DEVNET_BASE_LOT, DEVNET_QUOTE_TICK, Engine
from clobnode.hexbytes import from_hex
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import (
    DEVNET_ESCAPE_DEADLINE,
    DEVNET_UPGRADE_DELAY,
    deploy_clobnode,
)
from clobnode.trader.keys import load_account

DEPLOYER_KEY_ENV = "CLOBNODE_DEPLOYER_KEY"


class DeployError(ClobnodeError):
    """The deployment's options do not describe a deployable exchange."""


def deploy(
    base_token: Annotated[str, typer.Option("--base-token", help="The market's base ERC-20.")],
    quote_token: Annotated[str, typer.Option("--quote-token", help="The market's quote ERC-20.")],
    rpc_url: Annotated[str, typer.Option("--rpc-url", envvar="CLOBNODE_RPC_URL", help="L1 JSON-RPC URL.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the deployment file.")] = Path("deployment.json"),
    verifier: Annotated[str | None, typer.Option("--verifier", help="The SP1 verifier (gateway) address the Rollup calls.")] = None,
    program_vkey: Annotated[str | None, typer.Option("--program-vkey", help="The guest program's vkey (bytes32; `clob-sp1-host vkey`).")] = None,
    mock_verifier: Annotated[bool, typer.Option("--mock-verifier", help="INSECURE: a MockVerifier that accepts an empty proof (deploys on dev chains 31337/1337 only).")] = False,
    base_lot: Annotated[int, typer.Option("--base-lot", help="Base atoms in one lot.")] = DEVNET_BASE_LOT,
    quote_tick: Annotated[int, typer.Option("--quote-tick", help="Quote atoms per lot in one price tick.")] = DEVNET_QUOTE_TICK,
    min_size: Annotated[int, typer.Option("--min-size", help="Smallest order, lots.")] = 1,
    max_size: Annotated[int, typer.Option("--max-size", help="Largest order, lots (0: no limit).")] = 0,
    maker_fee_bps: Annotated[int, typer.Option("--maker-fee-bps")] = 0,
    taker_fee_bps: Annotated[int, typer.Option("--taker-fee-bps")] = 0,
    fee_recipient: Annotated[str | None, typer.Option("--fee-recipient", help="Who receives trading fees (default: the deployer).")] = None,
    band_bps: Annotated[int, typer.Option("--band-bps", help="Circuit breaker band (0: none).")] = 0,
    band_window: Annotated[int, typer.Option("--band-window", help="Circuit breaker window, seconds.")] = 0,
    halt_seconds: Annotated[int, typer.Option("--halt-seconds", help="Circuit breaker halt, seconds.")] = 0,
    max_open_orders: Annotated[int, typer.Option("--max-open-orders", help="Open orders per trader and market.")] = 1000,
    max_fills: Annotated[int, typer.Option("--max-fills", help="Resting orders one incoming order may reach.")] = 100,
    entry_fee: Annotated[int, typer.Option("--entry-fee", help="Inbox anti-spam fee per direct entry, wei.")] = 0,
    blob_fee: Annotated[int, typer.Option("--blob-fee", help="Inbox anti-spam fee per blob, wei.")] = 0,
    upgrade_delay: Annotated[int, typer.Option("--upgrade-delay", help="Seconds a verifier change waits (longer than --escape-deadline).")] = DEVNET_UPGRADE_DELAY,
    escape_deadline: Annotated[int, typer.Option("--escape-deadline", help="Seconds after which an unproven entry lets anyone freeze the Rollup.")] = DEVNET_ESCAPE_DEADLINE,
    keystore: Annotated[Path | None, typer.Option("--keystore", help="The deployer's encrypted keystore.")] = None,
    account: Annotated[str | None, typer.Option("--account", help="The deployer's `cast wallet import` keystore by name.")] = None,
) -> None:
    """Deploy the Inbox, Vault and Rollup with one market's genesis, and write the deployment file."""
    if mock_verifier == (verifier is not None):
        raise DeployError("give either --verifier ADDRESS (with --program-vkey) or --mock-verifier (INSECURE, dev chains only)")
    vkey = bytes(32)
    if verifier is not None:
        if program_vkey is None or len(from_hex(program_vkey)) != 32:
            raise DeployError("--verifier needs --program-vkey: the guest's 32-byte vkey (clob-sp1-host vkey --elf …)")
        vkey = from_hex(program_vkey)
    deployer = load_account(keystore, account, env=DEPLOYER_KEY_ENV)
    market = {
        "id": 0, "base": from_hex(base_token), "quote": from_hex(quote_token), "base_lot": base_lot, "quote_tick": quote_tick,
        "min_size": min_size, "max_size": max_size, "maker_fee_bps": maker_fee_bps, "taker_fee_bps": taker_fee_bps,
        "fee_recipient": from_hex(fee_recipient or deployer.address), "band_bps": band_bps, "band_window": band_window,
        "halt_seconds": halt_seconds, "max_open_orders": max_open_orders, "max_fills": max_fills,
    }
    try:  # the core's genesis checks, before any gas is spent
        Engine.genesis(1, bytes(20), bytes(20), [market])
    except (ValueError, KeyError) as exc:
        raise DeployError(f"the market is not listable: {exc}") from None
    deployment = deploy_clobnode(
        L1Client(rpc_url), deployer, demo.genesis_root, base_token=base_token, quote_token=quote_token, verifier=verifier,
        markets=[market], program_vkey=vkey, entry_fee=entry_fee, blob_fee=blob_fee, upgrade_delay=upgrade_delay,
        escape_deadline=escape_deadline,
    )
    out.write_text(deployment.to_json() + "\n")
    summary = {"deployment": str(out), "chainId": deployment.chain_id, "inbox": deployment.inbox, "rollup": deployment.rollup,
               "vault": deployment.vault, "verifier": deployment.verifier, "insecure": mock_verifier}
    typer.echo(json.dumps(summary, indent=2))


def register(app: typer.Typer) -> None:
    app.command()(deploy)
