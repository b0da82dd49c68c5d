"""cli: the `clobnode` command (typer)."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_account import Account

from clobnode import logs, operator_cli, prover_cli, settings
from clobnode.da.store import DAStore, DAStoreError
from clobnode.dev import demo
from clobnode.dev.devnet import Anvil
from clobnode.errors import ClobnodeError
from clobnode.hexbytes import to_hex
from clobnode.l1.client import L1Client, L1Error
from clobnode.l1.contracts import Deployment, check_deployment
from clobnode.node import Node
from clobnode.service import NodeService
from clobnode.trader import cli as trader_cli
from clobnode.trader.client import Client

app = typer.Typer(help="clobnode: a based zk-rollup node for a central limit order book exchange.", no_args_is_help=True)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    log_format: Annotated[str, typer.Option("--log-format", envvar="CLOBNODE_LOG_FORMAT", help="text or json (one object a line).")] = "text",
) -> None:
    try:
        logs.configure(verbose, log_format)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def start(
    config_file: Annotated[Path | None, typer.Option("--config", envvar="CLOBNODE_CONFIG", help="A clobnode.toml (`clobnode init`).")] = None,
    rpc_url: Annotated[str | None, typer.Option(help="L1 JSON-RPC URL; unset: an embedded anvil devnet.")] = None,
    deployment: Annotated[Path | None, typer.Option(help="The deployment file (`clobnode deploy`; required with an RPC URL).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where the node keeps its database [.clobnode].")] = None,
    api_port: Annotated[int | None, typer.Option(help="REST API port [7700].")] = None,
    proposer_key: Annotated[str | None, typer.Option(envvar="CLOBNODE_PROPOSER_KEY", help="Key that posts blob batches (better: [proposer] keystore).", show_default=False)] = None,
    settler_key: Annotated[str | None, typer.Option(envvar="CLOBNODE_SETTLER_KEY", help="Key that submits proofs (better: [settler] keystore).", show_default=False)] = None,
    prover: Annotated[str | None, typer.Option(help="Proving backend: mock (INSECURE, devnet only) or sp1.")] = None,
    confirmations: Annotated[int | None, typer.Option(help="L1 confirmation depth, below the --head block [0].")] = None,
    head: Annotated[str | None, typer.Option(help="Derive up to the latest, safe or finalized L1 block [latest].")] = None,
    beacon_url: Annotated[str | None, typer.Option(help="Beacon API for blobs (default: the L1 RPC's anvil_getBlobByHash).")] = None,
    with_bots: Annotated[bool, typer.Option("--demo", help="On the devnet: a market maker and a population of traders (bots) trade from the start.")] = False,
) -> None:
    """Run a node. Settings come from --config, CLOBNODE_<SECTION>_<KEY> variables and these
    flags, each over the one before. Without an L1 RPC URL: an embedded anvil devnet, fresh
    contracts, two funded demo traders."""
    flags: dict[str, Any] = {
        "l1.rpc_url": rpc_url, "node.deployment": deployment, "node.data_dir": data_dir, "api.port": api_port,
        "proposer.private_key": proposer_key, "settler.private_key": settler_key, "prover.backend": prover,
        "l1.confirmations": confirmations, "l1.head": head, "l1.beacon_url": beacon_url,
    }
    run, config = settings.load(config_file, flags=flags)
    if config is not None and config.l1.head not in ("latest", "safe", "finalized"):
        raise settings.SettingsError(f"[l1] head must be latest, safe or finalized, not {config.l1.head!r}")
    with contextlib.ExitStack() as cleanup:  # anvil and the services stop on every way out
        anvil: Anvil | None = None
        data = run.data_dir
        if config is None:
            anvil = cleanup.enter_context(Anvil())
            l1 = L1Client(anvil.url)
            dep = demo.deploy_and_fund(l1)
            data = run.data_dir / "devnet"
            shutil.rmtree(data, ignore_errors=True)  # a new devnet chain: the old database is meaningless
            devnet_flags = {**flags, "l1.rpc_url": anvil.url, "node.data_dir": data,
                            "proposer.private_key": proposer_key or demo.PROPOSER_KEY, "settler.private_key": settler_key or demo.SETTLER_KEY}
            _, config = settings.load(config_file, flags=devnet_flags)
            assert config is not None
        else:
            if run.deployment is None:
                raise settings.SettingsError("an L1 RPC URL needs the deployment file: --deployment or [node] deployment")
            l1 = L1Client(config.l1.rpc_url)
            try:
                dep = Deployment.from_json(run.deployment.read_text())
            except FileNotFoundError:
                raise settings.SettingsError(f"no deployment file at {run.deployment}") from None
            try:
                check_deployment(l1, dep)
            except L1Error as exc:
                logging.getLogger("clobnode").warning("L1 does not answer yet (%s); the node retries with backoff", str(exc).splitlines()[0])
        config = settings.with_keys(config)
        data.mkdir(parents=True, exist_ok=True)
        (data / "deployment.json").write_text(dep.to_json())
        service = NodeService(Node(config, dep, l1))
        cleanup.callback(service.stop)
        service.start()
        if with_bots and anvil is not None:
            from clobnode.dev import demo_bots

            cleanup.callback(demo_bots.start(l1, dep, service.api_url).close)
        _print_banner(service, dep, config.l1.rpc_url, anvil is not None)
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        stop.wait()
        typer.echo("stopping…")
    typer.echo("stopped")


@app.command()
def init(
    out: Annotated[Path, typer.Option("--out", help="Where to write it.")] = Path("clobnode.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented clobnode.toml with every setting at its default."""
    if out.exists() and not force:
        raise settings.SettingsError(f"{out} exists; --force overwrites it")
    out.write_text(settings.template())
    typer.echo(f"wrote {out}: set [l1] rpc_url and [node] deployment, then `clobnode start --config {out}`")


def _print_banner(service: NodeService, dep: Deployment, rpc_url: str, devnet: bool) -> None:
    api = service.api_url
    lines = [
        "clobnode is running" + (" on an embedded anvil devnet" if devnet else ""),
        f"  L1 RPC      {rpc_url}  (chain {dep.chain_id})",
        f"  API         {api}/status  {api}/book  {api}/batches  {api}/fills  POST {api}/orders",
        f"  Inbox       {dep.inbox}",
        f"  Rollup      {dep.rollup}",
        f"  Vault       {dep.vault}",
        f"  BASE/QUOTE  {dep.base_token} / {dep.quote_token}",
        f"  prover      {service.node.backend.name}" + ("  (INSECURE: mock proofs, devnet only)" if service.node.backend.insecure else ""),
    ]
    if devnet:
        for name, key in demo.TRADERS.items():
            lines.append(f"  trader {name}    {Account.from_key(key).address}  key {key}  (dev key, funded)")
    lines.append("Ctrl-C stops.")
    typer.echo("\n".join(lines))


@app.command()
def status(api: Annotated[str, typer.Option(help="Node API URL.")] = "http://127.0.0.1:7700") -> None:
    """Print a running node's status."""
    typer.echo(json.dumps(Client(api).status(), indent=2))


# ---- da: the node's DA store (docs/DA.md) -----------------------------------------------------

da_app = typer.Typer(help="The node's DA store: Reed-Solomon coded copies of every blob it derived from.", no_args_is_help=True)
app.add_typer(da_app, name="da")


def _da_store(data_dir: Path) -> DAStore:
    for db in (data_dir / "clobnode.sqlite", data_dir / "devnet" / "clobnode.sqlite"):
        if db.is_file():
            return DAStore(db)
    raise typer.BadParameter(f"no clobnode.sqlite under {data_dir} (or {data_dir}/devnet)")


def _hash_arg(value: str) -> bytes:
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise typer.BadParameter(f"not a 32-byte versioned hash: {value}")
    return raw


@da_app.command("verify")
def da_verify(
    data_dir: Annotated[Path, typer.Option(help="The node's data directory.")] = Path(".clobnode"),
    versioned_hash: Annotated[list[str] | None, typer.Argument(help="Blobs to check (default: all).")] = None,
) -> None:
    """Recover every stored blob from its pieces and check it against its versioned hash."""
    da = _da_store(data_dir)
    hashes = [_hash_arg(h) for h in versioned_hash] if versioned_hash else da.versioned_hashes()
    failed = 0
    for h in hashes:
        report = da.verify(h)
        failed += not report.ok
        detail = report.error if not report.ok else f"missing {list(report.missing)} tampered {list(report.tampered)}"
        typer.echo(f"0x{h.hex()} {'ok' if report.ok else 'FAILED'} {detail}")
    typer.echo(f"{len(hashes) - failed} ok, {failed} failed")
    raise typer.Exit(1 if failed else 0)


@da_app.command("recover")
def da_recover(
    versioned_hash: Annotated[str, typer.Argument(help="The blob's versioned hash (0x…).")],
    data_dir: Annotated[Path, typer.Option(help="The node's data directory.")] = Path(".clobnode"),
    without: Annotated[str, typer.Option(help="Comma-separated piece indices to ignore (a recovery drill).")] = "",
    out: Annotated[Path | None, typer.Option(help="Write the recovered blob here.")] = None,
    repair: Annotated[bool, typer.Option(help="Rewrite missing or tampered pieces.")] = False,
) -> None:
    """Recover one blob from any 8 of its 16 pieces, verified against its versioned hash."""
    da = _da_store(data_dir)
    h = _hash_arg(versioned_hash)
    skip = [int(i) for i in without.split(",") if i.strip()]
    try:
        recovery = da.repair(h) if repair else da.recover(h, without=skip)
    except DAStoreError as exc:
        typer.echo(f"cannot recover: {exc}", err=True)
        raise typer.Exit(1) from None
    if out is not None:
        out.write_bytes(recovery.blob)
    typer.echo(json.dumps({
        "versioned_hash": to_hex(h), "verified": True, "ignored": skip,
        "missing": list(recovery.missing), "tampered": list(recovery.tampered), "out": str(out) if out else None,
    }))


# ---- bench: measured figures (docs/BENCHMARKS.md) ----------------------------------------------

bench_app = typer.Typer(help="Benchmarks (docs/BENCHMARKS.md).", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("engine")
def bench_engine_command(
    inputs: Annotated[int, typer.Option(help="Inputs in the measured stream.")] = 1_000_000,
    resting: Annotated[int, typer.Option(help="Orders resting in the book before the stream.")] = 100_000,
    chunk: Annotated[int, typer.Option(help="Inputs per Engine.apply_batch call.")] = 10_000,
) -> None:
    """Matching engine throughput through the extension's batch API (signatures excluded)."""
    from clobnode.dev import bench_engine as bench

    typer.echo(json.dumps(bench.run(inputs, resting, chunk), indent=2))


@bench_app.command("da")
def bench_da_command(
    blobs: Annotated[int, typer.Option(help="Blobs per batch.")] = 6,
    repeat: Annotated[int, typer.Option(help="Runs per timing (the median is reported).")] = 3,
    workers: Annotated[int, typer.Option(help="Worker processes for commitments + cell proofs (1 = sequential only).")] = 2,
    precompute: Annotated[int, typer.Option(help="ckzg trusted-setup precompute level.")] = 8,
) -> None:
    """Orders per blob, bytes per order, encode + commit + cell proofs of a batch, decode + verify."""
    from clobnode.dev import bench_da

    typer.echo(json.dumps(bench_da.run(blobs, repeat, workers, precompute), indent=2))


@bench_app.command("prove")
def bench_prove_command(
    sizes: Annotated[str, typer.Option(help="resting:traders pairs, comma-separated.")] = "1000:100,10000:1000,100000:10000,1000000:100000",
    planted: Annotated[int, typer.Option(help="Asks at colliding prices in the planted book (0: skip).")] = 40_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    sp1: Annotated[bool, typer.Option(help="Measure SP1 cycles (needs make zkvm).")] = True,
) -> None:
    """What one 32-order range costs to prove as the exchange grows: SP1 cycles, guest input bytes, node DB growth."""
    from clobnode.dev import bench_prove

    report = bench_prove.run(bench_prove.parse_sizes(sizes), planted_asks=planted, sp1=sp1 and bench_prove.sp1_available())
    typer.echo(json.dumps(report, indent=2) if as_json else bench_prove.table(report))


@bench_app.command("load")
def bench_load_command(
    rates: Annotated[str, typer.Option(help="Offered orders/s of each step, comma-separated.")] = "250,500,1000,2000,4000",
    step_s: Annotated[float, typer.Option(help="Seconds of each step.")] = 5.0,
    traders: Annotated[int, typer.Option(help="Bot traders (funded from the seed).")] = 32,
    seed: Annotated[int, typer.Option(help="Seed of the bots' keys and actions.")] = 1,
    arrivals: Annotated[str, typer.Option(help="poisson or hawkes.")] = "poisson",
    block_time: Annotated[float, typer.Option(help="The devnet's L1 block time (its slot), seconds.")] = 2.0,
    ws_clients: Annotated[int, typer.Option(help="WebSocket clients on the book and trades during each step.")] = 20,
    batch: Annotated[int, typer.Option(help="Orders due at once sent in one POST /orders/batch, at most this many (1: a request an order).")] = 1,
    api: Annotated[str | None, typer.Option(help="Drive this node's API instead of a devnet (with --rpc-url and --deployment).")] = None,
    rpc_url: Annotated[str | None, typer.Option(help="The L1 of --api (funds the bots with its DevTokens).")] = None,
    deployment: Annotated[Path | None, typer.Option(help="The deployment file of --api.")] = None,
    out: Annotated[Path, typer.Option(help="Where load.json and load.png go.")] = Path("bench-load"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Bots drive a node at rising rates: API intake, end-to-end latency to L1 settlement, blobs, derivation rate, WebSocket fan-out."""
    from clobnode.dev import bench_load

    config = bench_load.LoadConfig(
        rates=tuple(float(r) for r in rates.split(",")), step_s=step_s, traders=traders, seed=seed, arrivals=arrivals,
        block_time_s=block_time, ws_clients=ws_clients, batch=batch, api_url=api, rpc_url=rpc_url, deployment=deployment,
    )
    report = bench_load.run(config, out)
    typer.echo(json.dumps(report, indent=2) if as_json else bench_load.table(report))


@bench_app.command("derive")
def bench_derive_command(
    blobs: Annotated[int, typer.Option(help="Full blobs of the bots' signed flow posted to L1.")] = 36,
    blobs_per_tx: Annotated[int, typer.Option(help="Blobs a type-3 transaction.")] = 6,
    traders: Annotated[int, typer.Option(help="Bot traders (funded from the seed).")] = 64,
    seed: Annotated[int, typer.Option(help="Seed of the bots' keys and actions.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Full blobs posted on a devnet, derived again by a fresh follower: messages/s against the blob limit, and where the time goes."""
    from clobnode.dev import bench_derive

    report = bench_derive.run(bench_derive.DeriveConfig(blobs=blobs, blobs_per_tx=blobs_per_tx, traders=traders, seed=seed))
    typer.echo(json.dumps(report, indent=2) if as_json else bench_derive.render(report))


@bench_app.command("all")
def bench_all_command(
    out: Annotated[Path, typer.Option(help="The JSON of every suite.")] = Path("bench-all.json"),
    compare: Annotated[Path | None, typer.Option(help="An earlier bench-all.json to compare against.")] = None,
) -> None:
    """Every suite (engine, da, prove, load, derive) at short settings, in one JSON; with --compare, each headline figure against an earlier run."""
    from clobnode.dev import bench_suite

    report = bench_suite.run(out.parent / (out.stem + "-load"))
    out.write_text(json.dumps(report, indent=2))
    typer.echo(bench_suite.summary(report, json.loads(compare.read_text()) if compare else None))


trader_cli.register(app)
operator_cli.register(app)
prover_cli.register(app)


def run() -> None:
    """The `clobnode` command: a failure the user can act on is one line on stderr, not a traceback."""
    try:
        app()
    except (ClobnodeError, OSError) as exc:
        typer.echo(f"clobnode: {exc}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    run()
