#!/usr/bin/env python3
"""Records an aggregation of clobnode ranges (docs/ZKVM.md, "Aggregation"), in three steps that
share one work folder, because the proofs between them take most of an hour on this machine:

    devnet DIR    the devnet run of scripts/devnet_scenario.py, derived by a real node; its
                  entries split into consecutive ranges, each executed by the SP1 range guest;
                  writes DIR/run.json and each range's guest input DIR/range-K.input
    prove DIR     proves each range (compressed STARK), then the aggregation program over those
                  proofs (compressed), each under /usr/bin/time; writes DIR/*.proof, DIR/prove.json
    fixture DIR   executes the aggregation program over the first range alone and over all the
                  ranges, checks the proven aggregate's public values equal the executed ones (if
                  `prove` ran), and writes tests/fixtures/sp1_aggregate.json for
                  `forge test --mc Sp1AggregateFixtureTest`

Run with the project venv after `make zkvm`, e.g. `.venv/bin/python scripts/make-aggregate-fixture.py devnet /tmp/agg`."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import clobnode_core
import devnet_scenario as scenario_run
from clobnode.config import ApiConfig, L1Config, NodeConfig, SettlerConfig, StoreConfig
from clobnode.da import equivalence
from clobnode.dev.devnet import Anvil, AnvilConfig
from clobnode.l1.client import L1Client
from clobnode.node import Node
from clobnode.proving.guest_input import guest_input_for_range
from clobnode.proving.sp1 import (
    Sp1Backend,
    aggregate_elf,
    guest_elf,
    host_binary,
    run_host,
)
from clobnode.roles.settler import header_tuple
from clobnode.service import NodeService
from devnet_scenario import HEADER_FIELDS, hex0x

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "sp1_aggregate.json"
RANGE_ELF = guest_elf()
AGGREGATE_ELF = aggregate_elf()
PROVEN_RANGES = 2  # the two small ones: [2, 3)'s signed order costs 0.12 M cycles, [3, 5)'s blob 3.6 M
SPLITS = (0, 2, 3, 5)  # [0, 2) two deposits; [2, 3) a relayed signed order; [3, 5) a blob batch and a withdrawal request


def _header(public_values: bytes) -> dict[str, Any]:
    header = dict(zip(HEADER_FIELDS, header_tuple(public_values), strict=True))
    return {k: (v if isinstance(v, int) else hex0x(v)) for k, v in header.items()}


def devnet(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    vkey = Sp1Backend("execute").vkey()
    with Anvil(AnvilConfig()) as anvil, tempfile.TemporaryDirectory() as tmp:
        l1 = L1Client(anvil.url)
        run = scenario_run.run(l1, vkey)
        if run.entry_count != SPLITS[-1]:
            raise SystemExit(f"the scenario appended {run.entry_count} entries, expected {SPLITS[-1]}")
        config = NodeConfig(
            l1=L1Config(rpc_url=anvil.url, poll_interval_s=0.1),
            store=StoreConfig(path=Path(tmp) / "node.sqlite"),
            settler=SettlerConfig(private_key=None),  # nothing verified: the state journal stays whole
            api=ApiConfig(port=0),
        )
        node = Node(config, run.dep, l1)
        service = NodeService(node)
        service.start()
        try:
            scenario_run.wait_for(lambda: node.store.state.at_index(run.entry_count) is not None)
            ranges = []
            for k, (start, end) in enumerate(itertools.pairwise(SPLITS)):
                guest_input = guest_input_for_range(node.store, node.engine, start, end)
                (work / f"range-{k}.input").write_bytes(guest_input)
                executed = run_host("execute", guest_input)
                openings = equivalence.openings_for_range(node.store, start, end)
                ranges.append({
                    "inbox_start": start,
                    "inbox_end": end,
                    "cycles": executed.cycles,
                    "public_values": hex0x(executed.public_values),
                    "header": _header(executed.public_values),
                    "blob_openings": [scenario_run.opening_fixture(o) for o in openings],
                })
        finally:
            service.stop()
        record = {
            "chain_id": run.dep.chain_id,
            "range_vkey": hex0x(vkey),
            "ranges": ranges,
            "inbox": scenario_run.inbox_fixture(l1, run, run.entry_count),
        }
    (work / "run.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {work}/run.json and {len(ranges)} guest inputs")


# SP1's worker configuration (sp1-prover 6.10, src/worker/config.rs), lowered for 2 cores and
# 24 GiB: a compressed proof peaked at 23.4-24.0 GB with the defaults (one was OOM-killed) and at
# 19.4-19.9 GB with these (docs/ZKVM.md, "Aggregation"). Values already in the environment win.
FEWER_WORKERS = {
    "SP1_WORKER_NUM_CORE_WORKERS": "2", "SP1_WORKER_CORE_BUFFER_SIZE": "2",
    "SP1_WORKER_NUM_RECURSION_PROVER_WORKERS": "2", "SP1_WORKER_RECURSION_PROVER_BUFFER_SIZE": "2",
    "SP1_WORKER_NUM_RECURSION_EXECUTOR_WORKERS": "2", "SP1_WORKER_RECURSION_EXECUTOR_BUFFER_SIZE": "2",
    "SP1_WORKER_NUM_DEFERRED_WORKERS": "1", "SP1_WORKER_DEFERRED_BUFFER_SIZE": "1",
}


def _timed_host(work: Path, name: str, args: list[str]) -> dict[str, Any]:
    """Runs `clob-sp1-host` under /usr/bin/time -v; its fixture, wall time and peak memory."""
    time_file, fixture_file = work / f"{name}.time", work / f"{name}.json"
    command = ["/usr/bin/time", "-v", "-o", str(time_file), str(host_binary()), *args, "--out", str(fixture_file)]
    print(f"{name}: {' '.join(command[4:])}", flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=FEWER_WORKERS | dict(os.environ))
    usage = _usage(time_file)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed (exit {done.returncode}, {usage}): {done.stderr[-2000:]}")
    return usage | {"fixture": json.loads(fixture_file.read_text())}


def prove(work: Path) -> None:
    """Compressed STARKs of the first two ranges, then of the aggregation program over them."""
    record = json.loads((work / "run.json").read_text())
    report: dict[str, Any] = {"ranges": [], "command": "scripts/make-aggregate-fixture.py prove"}
    proofs = []
    for k in range(PROVEN_RANGES):
        proof = work / f"range-{k}.proof"
        if not proof.exists():
            _timed_host(work, f"range-{k}", ["compressed", "--elf", str(RANGE_ELF), "--input", str(work / f"range-{k}.input"), "--proof-out", str(proof)])
        done = json.loads((work / f"range-{k}.json").read_text())
        if done["publicValues"] != record["ranges"][k]["public_values"]:
            raise SystemExit(f"range {k}: the proof's public values differ from the execution's")
        report["ranges"].append({k2: done[k2] for k2 in ("cycles", "proveMs", "verifyMs", "vkey") if k2 in done} | _usage(work / f"range-{k}.time"))
        proofs += ["--range-proof", str(proof)]
    aggregated = _timed_host(work, "aggregate", ["compressed", "--elf", str(AGGREGATE_ELF), "--range-elf", str(RANGE_ELF), *proofs, "--proof-out", str(work / "aggregate.proof")])
    fixture = aggregated["fixture"]
    report["aggregate"] = {k: fixture[k] for k in ("cycles", "proveMs", "verifyMs", "vkey", "publicValues", "proofFileBytes", "sp1Version")} | {
        "wallS": aggregated["wallS"], "peakRssGB": aggregated["peakRssGB"], "rangeCount": PROVEN_RANGES,
    }
    (work / "prove.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def _usage(time_file: Path) -> dict[str, Any]:
    """Wall time and peak memory from `/usr/bin/time -v`'s report (empty if it wrote none)."""
    usage = time_file.read_text() if time_file.exists() else ""
    out: dict[str, Any] = {}
    for line in usage.splitlines():
        if "Maximum resident set size" in line:
            out["peakRssGB"] = round(int(line.split(":")[1]) / 1e6, 2)
        elif "Elapsed (wall clock)" in line:
            clock = line.rsplit(" ", 1)[1].split(":")
            out["wallS"] = round(sum(float(part) * 60**i for i, part in enumerate(reversed(clock))), 1)
    return out


def _aggregate_of(range_vkey_words: bytes, public_values: list[bytes]) -> dict[str, Any]:
    """The aggregation program executed by SP1 over `public_values`, held to the core's answer."""
    program_input = clobnode_core.encode_aggregation_input(range_vkey_words, public_values)
    executed = run_host("execute", program_input, elf=AGGREGATE_ELF)
    expected = clobnode_core.aggregate_ranges(program_input)
    if executed.public_values != expected["encoded"]:
        raise SystemExit("the aggregation program committed other bytes than the core's aggregate()")
    header = {k: v for k, v in expected.items() if k != "encoded"}
    return {"range_count": len(public_values), "public_values": hex0x(executed.public_values), "header": header, "cycles": executed.cycles}


def fixture(work: Path) -> None:
    record = json.loads((work / "run.json").read_text())
    range_vkey = run_host("vkey", None)
    words = bytes.fromhex(range_vkey.raw["vkeyWords"].removeprefix("0x"))
    if hex0x(range_vkey.vkey) != record["range_vkey"]:
        raise SystemExit("build/elf/clob-sp1-guest.elf is not the program the run's ranges were executed with")
    public_values = [bytes.fromhex(r["public_values"].removeprefix("0x")) for r in record["ranges"]]
    aggregation_vkey = run_host("vkey", None, elf=AGGREGATE_ELF).vkey
    aggregates = [_aggregate_of(words, public_values[:n]) for n in sorted({1, PROVEN_RANGES, len(public_values)})]
    proven = None
    if (work / "prove.json").exists():
        proven = json.loads((work / "prove.json").read_text())
        by_count = {a["range_count"]: a for a in aggregates}
        if proven["aggregate"]["publicValues"] != by_count[PROVEN_RANGES]["public_values"]:
            raise SystemExit("the proven aggregate committed other bytes than the executed one")
        if proven["aggregate"]["vkey"] != hex0x(aggregation_vkey):
            raise SystemExit("the aggregate was proven with another aggregation program")
    out = {
        "comment": "scripts/make-aggregate-fixture.py: consecutive ranges of a devnet run, executed by the SP1 range guest, "
        "aggregated by the SP1 aggregation program (executed; `proven` records the compressed STARKs made on this machine)",
        "chain_id": record["chain_id"],
        "range_vkey": record["range_vkey"],
        "range_vkey_words": hex0x(words),
        "aggregation_vkey": hex0x(aggregation_vkey),
        "ranges": record["ranges"],
        "aggregates": aggregates,
        "proven": proven,
        "inbox": record["inbox"],
    }
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {OUT}: {len(record['ranges'])} ranges, aggregates of {[a['range_count'] for a in aggregates]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("devnet", "prove", "fixture"))
    parser.add_argument("work", type=Path)
    args = parser.parse_args()
    {"devnet": devnet, "prove": prove, "fixture": fixture}[args.step](args.work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
