"""The operator's proving and recovery commands (docs/OPERATING.md): `clobnode prove`, `verify`,
`export-fixture` and `reconstruct`. Each reads the node's data directory and settings as
`clobnode start` does (`--config`, `CLOBNODE_<SECTION>_<KEY>`, flags)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import clobnode_core
import typer

from clobnode import settings
from clobnode.config import NodeConfig, ProverConfig
from clobnode.errors import ClobnodeError
from clobnode.exchange.engine import Engine
from clobnode.hexbytes import to_hex
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment, check_deployment, load_artifact
from clobnode.node import Node
from clobnode.proving import fixture as fixtures
from clobnode.proving.backend import ProverError
from clobnode.proving.backends import backend_for
from clobnode.proving.guest_input import guest_input_for_range, next_range
from clobnode.proving.sp1 import proof_file, verify_proof_file
from clobnode.storage.store import BatchRecord, Store

DB_NAME = "clobnode.sqlite"

ConfigOpt = Annotated[Path | None, typer.Option("--config", envvar="CLOBNODE_CONFIG", help="A clobnode.toml.")]
DataDirOpt = Annotated[Path | None, typer.Option(help="The node's data directory [.clobnode].")]
RpcOpt = Annotated[str | None, typer.Option(help="L1 JSON-RPC URL.")]
DeploymentOpt = Annotated[Path | None, typer.Option(help="The deployment file [DATA_DIR/deployment.json].")]


class CommandError(ClobnodeError):
    """A proving or recovery command cannot do what was asked."""


@dataclass(frozen=True, slots=True)
class Context:
    """A node's data directory, deployment and (when configured) L1, as the commands see them."""

    data_dir: Path
    deployment: Deployment
    config: NodeConfig | None

    @property
    def db(self) -> Path:
        return self.data_dir / DB_NAME

    def l1(self) -> L1Client:
        if self.config is None:
            raise CommandError("this needs the L1: --rpc-url, CLOBNODE_L1_RPC_URL or [l1] rpc_url")
        return L1Client(self.config.l1.rpc_url)

    def store(self) -> Store:
        if not self.db.is_file():
            raise CommandError(f"no node database at {self.db} (--data-dir?)")
        return Store(self.db)


def _context(config_file: Path | None, data_dir: Path | None, rpc_url: str | None, deployment: Path | None) -> Context:
    run, config = settings.load(config_file, flags={"node.data_dir": data_dir, "l1.rpc_url": rpc_url, "node.deployment": deployment})
    path = run.deployment or run.data_dir / "deployment.json"
    try:
        dep = Deployment.from_json(path.read_text())
    except FileNotFoundError:
        raise CommandError(f"no deployment file at {path} (--deployment)") from None
    return Context(run.data_dir, dep, config)


@contextlib.contextmanager
def _snapshot(store: Store) -> Iterator[None]:
    """One consistent view of the store while a running node keeps writing it (WAL)."""
    store.db.execute("BEGIN")
    try:
        yield
    finally:
        store.db.execute("ROLLBACK")


def _parse_range(text: str) -> tuple[int, int] | None:
    if text == "next":
        return None
    try:
        start, end = (int(part) for part in text.split(":"))
    except ValueError:
        raise typer.BadParameter("RANGE is START:END (inbox indexes, END excluded) or `next`") from None
    return start, end


def _batch(store: Store, batch_id: int) -> BatchRecord:
    batch = store.batch(batch_id)
    if batch is None:
        raise CommandError(f"no batch {batch_id} in this node's store (`GET /batches` lists them)")
    return batch


# ---- clobnode prove ---------------------------------------------------------------------------

def prove(
    range_: Annotated[str, typer.Argument(metavar="RANGE", help="START:END (inbox indexes; each a state checkpoint) or `next`.")],
    backend: Annotated[str | None, typer.Option(help="mock (INSECURE) or sp1 [the config's].")] = None,
    sp1_mode: Annotated[str | None, typer.Option(help="execute | core | compressed | groth16 | plonk (SP1_PROVER picks the machine).")] = None,
    config_file: ConfigOpt = None, data_dir: DataDirOpt = None, rpc_url: RpcOpt = None, deployment: DeploymentOpt = None,
) -> None:
    """Prove one inbox range from the node's store and record it as a proven batch (a running node
    settles it when it starts at the Rollup's verified index)."""
    ctx = _context(config_file, data_dir, rpc_url, deployment)
    prover = ctx.config.prover if ctx.config else ProverConfig()
    prover = dataclasses.replace(prover, backend=backend or prover.backend, sp1_mode=sp1_mode or prover.sp1_mode)
    store = ctx.store()
    span = _parse_range(range_)
    if span is None:
        verified = int(load_artifact("Rollup").at(ctx.l1(), ctx.deployment.rollup).functions.nextInboxIndex().call())
        span = next_range(store, verified, prover.max_range)
        if span is None:
            raise CommandError(f"nothing to prove after the Rollup's verified index {verified}")
    with _snapshot(store):
        engine = Engine.restore(store.state.records())
        guest_input = guest_input_for_range(store, engine, *span)
    proving = backend_for(prover, ctx.data_dir / "proofs")
    started = time.monotonic()
    proof = proving.prove(guest_input)
    seconds = time.monotonic() - started
    batch_id = store.add_batch(span[0], span[1], proving.name, proof.public_values, proof.proof)
    kept = proof_file(ctx.data_dir / "proofs", proof.public_values)
    typer.echo(json.dumps({
        "batch": batch_id, "inbox_start": span[0], "inbox_end": span[1], "backend": proving.name,
        "insecure": proof.insecure, "seconds": round(seconds, 3), "guest_input_bytes": len(guest_input),
        "public_values": clobnode_core.decode_public_values(proof.public_values),
        "proof_bytes": len(proof.proof), "proof_file": str(kept) if kept.is_file() else None,
    }, indent=2))


# ---- clobnode verify --------------------------------------------------------------------------

def _l1_record(ctx: Context, batch: BatchRecord) -> dict[str, Any]:
    """The Rollup's `BatchVerified` log for the batch's range, compared with the batch."""
    l1 = ctx.l1()
    rollup = load_artifact("Rollup").at(l1, ctx.deployment.rollup)
    logs = rollup.events.BatchVerified().get_logs(from_block=ctx.deployment.deploy_block, to_block=l1.block_number())
    header = clobnode_core.decode_public_values(batch.public_values)
    settled = batch.status == "verified"
    for log in logs:
        if int(log.args["inboxStart"]) == batch.inbox_start and int(log.args["inboxEnd"]) == batch.inbox_end:
            same = to_hex(bytes(log.args["newStateRoot"])) == header["new_state_root"] and \
                to_hex(bytes(log.args["prevStateRoot"])) == header["prev_state_root"]
            return {"ok": same, "batch_number": int(log.args["batchNumber"]), "tx_hash": to_hex(bytes(log.transactionHash)),
                    "l1_block": int(log.blockNumber), "new_state_root": to_hex(bytes(log.args["newStateRoot"]))}
    if not settled:
        return {"ok": None, "error": f"not settled on L1 (the batch is {batch.status})"}
    return {"ok": False, "error": "the node recorded it as verified, but the Rollup verified no batch of this range"}


def _reexecution(store: Store, batch: BatchRecord) -> dict[str, Any]:
    """The range executed again natively from the node's store: the same public values?"""
    try:
        with _snapshot(store):
            engine = Engine.restore(store.state.records())
            guest_input = guest_input_for_range(store, engine, batch.inbox_start, batch.inbox_end)
    except ProverError as exc:
        return {"ok": None, "error": f"cannot rebuild the range's input: {exc}"}
    public_values = bytes(clobnode_core.execute_guest_input(guest_input))
    return {"ok": public_values == batch.public_values}


def _sp1_check(ctx: Context, batch: BatchRecord) -> dict[str, Any]:
    """SP1's own verifier on the batch's whole proof, where the node kept one."""
    path = proof_file(ctx.data_dir / "proofs", batch.public_values)
    if batch.backend != "sp1" or not path.is_file():
        return {"ok": None, "error": "no SP1 proof file kept for this batch (mock backend, or SP1 execute mode)"}
    try:
        public_values = verify_proof_file(path)
    except ProverError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": public_values == batch.public_values, "proof_file": str(path)}


def verify(
    batch_id: Annotated[int, typer.Argument(metavar="BATCH", help="The batch's id in this node (`GET /batches`).")],
    config_file: ConfigOpt = None, data_dir: DataDirOpt = None, rpc_url: RpcOpt = None, deployment: DeploymentOpt = None,
) -> None:
    """Check a batch: its record on L1, its range executed again from the store, and SP1's own
    verifier on its proof where one was kept. Exits 1 if a check fails."""
    ctx = _context(config_file, data_dir, rpc_url, deployment)
    store = ctx.store()
    batch = _batch(store, batch_id)
    if not batch.public_values:
        raise CommandError(f"batch {batch_id} is {batch.status}: nothing proven to verify yet")
    checks = {"l1": _l1_record(ctx, batch), "reexecution": _reexecution(store, batch), "sp1": _sp1_check(ctx, batch)}
    failed = [name for name, check in checks.items() if check["ok"] is False]
    typer.echo(json.dumps({
        "batch": batch.id, "inbox_start": batch.inbox_start, "inbox_end": batch.inbox_end, "backend": batch.backend,
        "insecure": batch.backend == "mock", "status": batch.status, "checks": checks, "ok": not failed,
    }, indent=2))
    if failed:
        raise typer.Exit(1)


# ---- clobnode export-fixture ------------------------------------------------------------------

def export_fixture(
    batch_id: Annotated[int, typer.Argument(metavar="BATCH", help="The batch's id in this node (`GET /batches`).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write it; under tests/fixtures/ for forge to read it.")],
    config_file: ConfigOpt = None, data_dir: DataDirOpt = None, rpc_url: RpcOpt = None, deployment: DeploymentOpt = None,
) -> None:
    """Write a Foundry fixture of a proven batch; `CLOBNODE_FIXTURE=/<path from the project root>
    forge test --mc ExportedBatchTest` settles it on a rebuilt Inbox."""
    ctx = _context(config_file, data_dir, rpc_url, deployment)
    store = ctx.store()
    batch = _batch(store, batch_id)
    comment = f"clobnode export-fixture {batch_id}: inbox range [{batch.inbox_start}, {batch.inbox_end}) proven with {batch.backend}"
    if batch.backend == "mock" or not batch.proof:
        comment += " (INSECURE: an empty proof, which only the MockVerifier accepts)"
    body = fixtures.batch_fixture(store, ctx.l1(), ctx.deployment, batch, comment)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(body, indent=2) + "\n")
    typer.echo(f"wrote {out}: batch {batch_id}, inbox range [{batch.inbox_start}, {batch.inbox_end}), {len(body['blob_openings'])} blob opening(s)")


# ---- clobnode reconstruct ---------------------------------------------------------------------

def _copy_da(old: Path, new: Path) -> int:
    """The RS-coded blobs of the old store into the new one (blobs L1 may have pruned)."""
    if not old.is_file():
        return 0
    with contextlib.closing(sqlite3.connect(str(new))) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'da_%'")]
        conn.execute("ATTACH DATABASE ? AS old", (str(old),))
        copied = 0
        for table in tables:
            if conn.execute("SELECT 1 FROM old.sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone():
                copied += conn.execute(f"INSERT OR IGNORE INTO main.{table} SELECT * FROM old.{table}").rowcount
        conn.commit()
    return copied


def reconstruct(
    config_file: ConfigOpt = None, data_dir: DataDirOpt = None, rpc_url: RpcOpt = None, deployment: DeploymentOpt = None,
    beacon_url: Annotated[str | None, typer.Option(help="Beacon API for blobs (see docs/OPERATING.md).")] = None,
) -> None:
    """Rebuild the node's database from L1 (blobs from the L1 or beacon API, and from the old
    database's DA store), then check the state root at the Rollup's verified index against the
    Rollup. The old database is kept beside it. Stop the node first."""
    ctx = _context(config_file, data_dir, rpc_url, deployment)
    if ctx.config is None:
        raise CommandError("reconstruct needs the L1: --rpc-url, CLOBNODE_L1_RPC_URL or [l1] rpc_url")
    l1 = ctx.l1()
    check_deployment(l1, ctx.deployment)
    ctx.data_dir.mkdir(parents=True, exist_ok=True)
    rebuild = ctx.data_dir / f"{DB_NAME}.rebuild"
    for leftover in ctx.data_dir.glob(f"{DB_NAME}.rebuild*"):
        leftover.unlink()
    config = NodeConfig(
        l1=dataclasses.replace(ctx.config.l1, beacon_url=beacon_url or ctx.config.l1.beacon_url),
        store=dataclasses.replace(ctx.config.store, path=rebuild), prover=ctx.config.prover,
    )
    node = Node(config, ctx.deployment, l1)  # a follower: no proposer, no settler
    reused = _copy_da(ctx.db, rebuild)
    start = node.store.last_block()
    first = start[0] + 1 if start else ctx.deployment.deploy_block
    head = node.follower.watcher.confirmed_head()
    with typer.progressbar(length=max(head - first + 1, 1), label=f"L1 blocks {first}..{head}", file=sys.stderr) as bar:
        done = first
        while (last := node.store.last_block()) is None or last[0] < head:
            node.sync()
            reached = node.store.last_block()
            now = reached[0] + 1 if reached else first
            bar.update(now - done)
            done = now
    rollup = load_artifact("Rollup").at(l1, ctx.deployment.rollup)
    verified_root, verified_index = bytes(rollup.functions.stateRoot().call()), int(rollup.functions.nextInboxIndex().call())
    point = node.store.state.at_index(verified_index)
    report = {
        "l1_head": head, "entries": node.engine.inbox_position()[0], "state_root": to_hex(node.engine.state_root()),
        "rollup_verified_index": verified_index, "rollup_state_root": to_hex(verified_root),
        "root_at_verified_index": to_hex(point.state_root) if point else None, "da_pieces_reused": reused,
    }
    node.close()
    node.store.close()
    node.da.close()
    if point is None or point.state_root != verified_root:
        typer.echo(json.dumps({**report, "ok": False}, indent=2))
        raise CommandError(f"the rebuilt state at inbox index {verified_index} does not match the Rollup's root; {rebuild} kept for inspection")
    kept = None
    if ctx.db.is_file():
        kept = ctx.data_dir / f"{DB_NAME}.old-{int(time.time())}"
        for suffix in ("", "-wal", "-shm"):
            if Path(str(ctx.db) + suffix).exists():
                Path(str(ctx.db) + suffix).replace(Path(str(kept) + suffix))
    for suffix in ("", "-wal", "-shm"):
        if Path(str(rebuild) + suffix).exists():
            Path(str(rebuild) + suffix).replace(Path(str(ctx.db) + suffix))
    typer.echo(json.dumps({**report, "ok": True, "database": str(ctx.db), "previous_database": str(kept) if kept else None}, indent=2))


def register(app: typer.Typer) -> None:
    app.command("prove")(prove)
    app.command("verify")(verify)
    app.command("export-fixture")(export_fixture)
    app.command("reconstruct")(reconstruct)


