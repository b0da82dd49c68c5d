#!/usr/bin/env python3
"""Writes tests/fixtures/devnet_batch.json: the first batch a real node proved (mock backend) and
the Rollup verified on a real anvil devnet, with every inbox entry it covers, so that
`forge test --mc DevnetFixtureTest` can rebuild the Inbox and check `Rollup.submitBatch` on it.

The run: deploy the devnet contracts, deposit for two traders, a signed order relayed to the
Inbox, a crossing order posted in a blob batch, a withdrawal request; then a node starts,
derives, proves (mock) and settles; the first verified batch is written with its blob openings.

Run with the project venv: `.venv/bin/python scripts/make-devnet-fixture.py` (about a minute).
With `--sp1` the node proves with its `sp1` backend (the guest ELF executed by SP1's executor,
`make zkvm`; SP1_PROVER=mock semantics: an empty proof) on a Rollup deployed with the SP1
program's vkey, and writes tests/fixtures/sp1_batch.json with the host's fixture fields added
(`forge test --mc Sp1FixtureTest`)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import devnet_scenario as scenario_run
from clobnode.config import (
    ApiConfig,
    L1Config,
    NodeConfig,
    ProverConfig,
    SettlerConfig,
    StoreConfig,
)
from clobnode.da import equivalence
from clobnode.dev import demo
from clobnode.dev.devnet import Anvil, AnvilConfig
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import load_artifact
from clobnode.node import Node
from clobnode.roles.settler import header_tuple
from clobnode.service import NodeService
from devnet_scenario import HEADER_FIELDS, hex0x

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "devnet_batch.json"
SP1_OUT = ROOT / "tests" / "fixtures" / "sp1_batch.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sp1", action="store_true", help="prove with the node's sp1 backend (execute mode)")
    use_sp1 = bool(parser.parse_args().sp1)
    out = SP1_OUT if use_sp1 else OUT
    prover = ProverConfig(backend="sp1", sp1_mode="execute") if use_sp1 else ProverConfig()
    vkey = b"\x00" * 32
    if use_sp1:
        from clobnode.proving.sp1 import Sp1Backend

        vkey = Sp1Backend("execute").vkey()
    with Anvil(AnvilConfig()) as anvil, tempfile.TemporaryDirectory() as tmp:
        l1 = L1Client(anvil.url)
        run = scenario_run.run(l1, vkey)
        dep, count = run.dep, run.entry_count
        rollup = load_artifact("Rollup").at(l1, dep.rollup)

        config = NodeConfig(
            l1=L1Config(rpc_url=anvil.url, poll_interval_s=0.1),
            store=StoreConfig(path=Path(tmp) / "node.sqlite"),
            prover=prover,
            settler=SettlerConfig(private_key=demo.SETTLER_KEY),
            api=ApiConfig(port=0),
        )
        node = Node(config, dep, l1)
        service = NodeService(node)
        service.start()
        try:
            scenario_run.wait_for(lambda: int(rollup.functions.nextInboxIndex().call()) >= count)
            batch = next(b for b in service.node.store.batches() if b.status == "verified" and b.inbox_start == 0)
            openings = equivalence.openings_for_range(service.node.store, batch.inbox_start, batch.inbox_end)
            sp1_fixture = None
            if use_sp1:
                from clobnode.proving.guest_input import guest_input_for_range
                from clobnode.proving.sp1 import run_host

                sp1_fixture = run_host("execute", guest_input_for_range(node.store, node.engine, batch.inbox_start, batch.inbox_end))
        finally:
            service.stop()

        header = dict(zip(HEADER_FIELDS, header_tuple(batch.public_values), strict=True))
        fixture = {
            "comment": "scripts/make-devnet-fixture.py: the first batch a node proved (mock) and a devnet Rollup verified",
            "backend": batch.backend,
            "chain_id": dep.chain_id,
            "vkey": hex0x(dep.program_vkey),
            "public_values": hex0x(batch.public_values),
            "proof": hex0x(batch.proof),
            "header": {k: (v if isinstance(v, int) else hex0x(v)) for k, v in header.items()},
            "blob_openings": [scenario_run.opening_fixture(o) for o in openings],
            "inbox": scenario_run.inbox_fixture(l1, run, batch.inbox_end),
        }
    if use_sp1:
        if sp1_fixture is None or sp1_fixture.public_values != bytes(batch.public_values):
            raise SystemExit("SP1 executed public values differ from the verified batch's")
        fixture["comment"] = "scripts/make-devnet-fixture.py --sp1: a batch the node's sp1 backend executed and a devnet Rollup verified"
        fixture["sp1"] = {k: sp1_fixture.raw[k] for k in ("mode", "vkey", "publicValues", "proof", "cycles", "sp1Version")}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(fixture, indent=2) + "\n")
    print(f"wrote {out}: batch [{batch.inbox_start}, {batch.inbox_end}) of {count} entries, {len(openings)} blob opening(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
