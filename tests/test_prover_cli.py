"""The operator's proving and recovery commands on a real devnet: `clobnode prove` a range,
`clobnode verify` a batch (its L1 record, its range executed again, SP1's verifier where a proof
was kept), `clobnode export-fixture` a batch that Foundry then settles, and `clobnode
reconstruct` a node's database from L1 alone."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from clobnode.cli import app
from clobnode.config import (
    L1Config,
    NodeConfig,
    ProverConfig,
    SettlerConfig,
    StoreConfig,
)
from clobnode.dev import demo
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment
from clobnode.node import Node
from devnet_node import TRADER_A, TRADER_B, relay_order, settle_to
from typer.testing import CliRunner

pytestmark = pytest.mark.devnet

ROOT = Path(__file__).resolve().parent.parent
FORGE = ROOT / "tools" / "node_modules" / "@foundry-rs" / "forge-linux-amd64" / "bin" / "forge"


@pytest.fixture
def settled_node(funded: tuple[L1Client, Deployment], tmp_path: Path) -> tuple[L1Client, Deployment, Path, list[str]]:
    """A node's data directory after it proved and settled three ranges of two entries each
    (mock backend) and derived two more entries, and the CLI options that point at it."""
    l1, dep = funded
    for nonce in (1, 2):
        relay_order(l1, dep, TRADER_A, side=0, price=100, quantity=1, nonce=nonce)
        relay_order(l1, dep, TRADER_B, side=1, price=100, quantity=1, nonce=nonce)
    data = tmp_path / "data"
    data.mkdir()
    (data / "deployment.json").write_text(dep.to_json())
    config = NodeConfig(
        l1=L1Config(rpc_url=l1.url), store=StoreConfig(path=data / "clobnode.sqlite", checkpoint_entries=2),
        prover=ProverConfig(max_range=2), settler=SettlerConfig(private_key=demo.SETTLER_KEY),
    )
    node = Node(config, dep, l1)
    settle_to(node, dep, 6)
    relay_order(l1, dep, TRADER_A, side=0, price=100, quantity=1, nonce=3)  # two entries derived, not proven
    relay_order(l1, dep, TRADER_B, side=1, price=100, quantity=1, nonce=3)
    node.sync()
    node.close()
    node.store.close()
    node.da.close()
    return l1, dep, data, ["--data-dir", str(data), "--rpc-url", l1.url]


def _run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def _verified_batches(data: Path) -> list[tuple[int, int, int]]:
    with sqlite3.connect(data / "clobnode.sqlite") as conn:
        return [tuple(r) for r in conn.execute("SELECT id, inbox_start, inbox_end FROM batches WHERE status = 'verified' ORDER BY inbox_start")]


def test_verify_checks_a_settled_batch_against_its_record_on_l1(settled_node: Any) -> None:
    _, _, data, where = settled_node
    (first, _, _), (second, start, end) = _verified_batches(data)[:2]
    code, out = _run("verify", str(second), *where)
    report = json.loads(out)
    assert code == 0 and report["ok"] and (report["inbox_start"], report["inbox_end"]) == (start, end)
    assert report["checks"]["l1"]["ok"] and report["checks"]["l1"]["batch_number"] == 1
    assert report["checks"]["reexecution"]["ok"]  # within the reorg window the journal is kept
    assert report["checks"]["sp1"]["ok"] is None  # a mock batch has no SP1 proof to check
    with sqlite3.connect(data / "clobnode.sqlite") as conn:  # a batch whose public values were altered
        conn.execute("UPDATE batches SET public_values = (SELECT public_values FROM batches WHERE id = ?) WHERE id = ?", (second, first))
    code, out = _run("verify", str(first), *where)
    assert code == 1 and json.loads(out)["checks"]["l1"]["ok"] is False


def test_prove_proves_the_next_range_from_the_store_and_verify_executes_it_again(settled_node: Any) -> None:
    _, _, _, where = settled_node
    code, out = _run("prove", "next", "--backend", "mock", *where)
    assert code == 0, out
    report = json.loads(out)
    assert report["insecure"] and (report["public_values"]["inbox_start"], report["public_values"]["inbox_end"]) == (6, 8)
    code, out = _run("verify", str(report["batch"]), *where)
    checks = json.loads(out)["checks"]
    assert code == 0 and checks["reexecution"]["ok"] and checks["l1"]["ok"] is None  # proven, not settled yet
    assert _run("prove", "6:9", *where)[0] != 0  # no entry 8 yet


def test_an_exported_batch_settles_in_foundry(settled_node: Any) -> None:
    _, _, data, where = settled_node
    batch, start, _ = _verified_batches(data)[1]
    assert start > 0  # a batch in the middle of the chain, not the first
    out = ROOT / "tests" / "fixtures" / "exported" / f"test-{os.getpid()}.json"
    try:
        code, text = _run("export-fixture", str(batch), "--out", str(out), *where)
        assert code == 0, text
        fixture = json.loads(out.read_text())
        assert fixture["header"]["inbox_start"] == start and "INSECURE" in fixture["comment"]
        forge = subprocess.run(
            [str(FORGE), "test", "--mc", "ExportedBatchTest", "--offline"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
            env={**os.environ, "CLOBNODE_FIXTURE": "/" + str(out.relative_to(ROOT))},
        )
        assert forge.returncode == 0, forge.stdout[-3000:] + forge.stderr[-2000:]
        assert "3 passed" in forge.stdout
    finally:
        out.unlink(missing_ok=True)


def test_reconstruct_rebuilds_the_database_from_l1_and_checks_the_rollup_root(settled_node: Any) -> None:
    _, _, data, where = settled_node
    with sqlite3.connect(data / "clobnode.sqlite") as conn:
        (root,) = conn.execute("SELECT state_root FROM state_points ORDER BY inbox_index DESC LIMIT 1").fetchone()
    code, out = _run("reconstruct", *where)
    assert code == 0, out
    report = json.loads(out[out.index("{"):])
    assert report["ok"] and report["rollup_verified_index"] == 6 and report["entries"] == 8
    assert report["state_root"] == "0x" + bytes(root).hex()
    assert Path(report["previous_database"]).is_file()
    with sqlite3.connect(data / "clobnode.sqlite") as conn:  # the rebuilt database is the node's now
        assert conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 8
