"""Load bench (`clobnode bench load`): a population of bots drives a node at rising rates.

By default it starts its own devnet: an anvil that mines a block every `block_time_s` (the L1
slot of this bench) and a node in a process of its own (`clobnode start` on that anvil, mock
proofs, admission's per-client rate limit lifted, since every bot shares one IP). Bots are
funded from a seed. Each step's actions are generated (population.py) and signed before the
step's timed window; then they are sent at their times over HTTP keep-alive connections.

It reports per step: the API's intake (admitted/s, acknowledgement latency), end-to-end
latency of a sample of orders through their stages (polled: `GET /orders/{id}`), WebSocket
fan-out (clients subscribed to the book and trades, messages/s), and for the run: blobs per L1
block, blob bytes per order, derivation and execution rate from L1 (a fresh follower derives
the whole run again), whether every acknowledged order was accounted for, and whether the
node's state root equals the Rollup's once everything is settled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from eth_account import Account

from clobnode.da import kzg
from clobnode.dev import bot_traders, demo
from clobnode.dev.bench_derive import (
    BLOB_BYTES,
    blobs_per_block,
    derive,
    fresh_follower,
)
from clobnode.dev.devnet import Anvil, AnvilConfig, free_port
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment, load_artifact
from clobnode.roles.proposer import take_batch
from clobnode.trader.bots import population
from clobnode.trader.bots.replay import sign_actions
from clobnode.trader.bots.wallet import Wallet
from clobnode.trader.client import Client

#: Stages an API order passes through, in order (docs/API.md); `matched` is `included`: the
#: node applies a block's entries with the engine in the step that derives them.
BATCH_WINDOW_S = 0.005  # with --batch: how long the sender gathers orders before a request
STAGES = ("submitted", "posted", "included", "proven", "settled")


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """What the bench offers and for how long."""

    rates: tuple[float, ...] = (250.0, 500.0, 1000.0, 2000.0, 4000.0)
    step_s: float = 5.0
    traders: int = 32
    seed: int = 1
    arrivals: str = "poisson"
    block_time_s: float = 2.0  # the devnet's L1 slot
    sample: int = 20  # orders a step whose stages are timestamped
    ws_clients: int = 20
    connections: int = 32  # concurrent HTTP requests at most
    batch: int = 1  # 1: one request an order; more: the orders due at once go in one POST /orders/batch, at most this many
    settle_timeout_s: float = 180.0
    account_all: bool = True  # check every acknowledged order's fate (one GET each)
    derive_again: bool = True  # a fresh follower derives the run from L1, timed
    api_url: str | None = None  # drive this node (with rpc_url and deployment) instead of a devnet
    rpc_url: str | None = None
    deployment: Path | None = None


@dataclass(slots=True)
class Target:
    """The node under load: its API, its L1 and its deployment."""

    api_url: str
    l1: L1Client
    dep: Deployment


# ---- the devnet ---------------------------------------------------------------------------------


@contextlib.contextmanager
def devnet(config: LoadConfig, keys: list[str], work: Path) -> Iterator[Target]:
    """An anvil, contracts, funded bots and a node process; anvil mines on a timer once the
    node has derived the deposits."""
    with Anvil(AnvilConfig()) as anvil:
        l1 = L1Client(anvil.url)
        dep = demo.deploy(l1)
        bot_traders.fund(l1, dep, keys)
        (work / "deployment.json").write_text(dep.to_json())
        port = free_port()
        env = {
            **os.environ, "CLOBNODE_PROPOSER_PRIVATE_KEY": demo.PROPOSER_KEY, "CLOBNODE_SETTLER_PRIVATE_KEY": demo.SETTLER_KEY,
            "CLOBNODE_API_ADMISSION_RATE_PER_S": "1000000000", "CLOBNODE_API_ADMISSION_BURST": "1000000000",
            "CLOBNODE_API_ADMISSION_MAX_PENDING_PER_TRADER": "1000000", "CLOBNODE_L1_POLL_INTERVAL_S": "0.1",
            "CLOBNODE_L1_SECONDS_PER_SLOT": str(max(1, round(config.block_time_s))),  # the proposer spreads its txs over it
        }
        command = [sys.executable, "-m", "clobnode.cli", "start", "--rpc-url", anvil.url, "--deployment", str(work / "deployment.json"),
                   "--data-dir", str(work / "node"), "--api-port", str(port)]
        with open(work / "node.log", "wb") as log, subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT) as node:
            try:
                api = f"http://127.0.0.1:{port}"
                _wait_ready(api, node, work / "node.log")
                bot_traders.wait_derived(Client(api), [Account.from_key(k).address for k in keys])
                l1.rpc("evm_setAutomine", [False])
                l1.rpc("evm_setIntervalMining", [max(1, round(config.block_time_s))])
                yield Target(api, l1, dep)
            finally:
                node.terminate()
                try:
                    node.wait(20)
                except subprocess.TimeoutExpired:
                    node.kill()


def _wait_ready(api: str, node: subprocess.Popen[bytes], log: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if node.poll() is not None:
            raise bot_traders.BotFundingError(f"the node exited with {node.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(Exception):
            if Client(api, timeout_s=2).get("/health")["ready"]:
                return
        time.sleep(0.2)
    raise bot_traders.BotFundingError(f"the node at {api} was not ready within {timeout_s:g} s")


# ---- one step of load ---------------------------------------------------------------------------


@dataclass(slots=True)
class StepRecord:
    """What one step sent and saw."""

    rate: float
    sent: int = 0
    admitted: list[int] = field(default_factory=list)  # submission ids
    refused: Counter[str] = field(default_factory=Counter)
    ack_ms: list[float] = field(default_factory=list)
    send_window_s: float = 0.0
    signing_per_s: float = 0.0
    ws_messages: int = 0
    ws_clients: int = 0
    samples: dict[int, dict[str, float]] = field(default_factory=dict)  # id -> stage -> seconds after submit


async def _post(session: aiohttp.ClientSession, api: str, envelope: bytes, record: StepRecord, sample: bool, sent_at: dict[int, float]) -> None:
    start = time.monotonic()
    try:
        async with session.post(api + "/orders", json={"envelope": "0x" + envelope.hex()}) as response:
            answer = await response.json(content_type=None)
            status = response.status
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        record.refused[f"CLIENT_{type(exc).__name__}"] += 1
        return
    record.ack_ms.append((time.monotonic() - start) * 1000)
    if status == 202:
        record.admitted.append(int(answer["id"]))
        if sample:
            record.samples[int(answer["id"])] = {}
            sent_at[int(answer["id"])] = start
    else:
        record.refused[str(answer.get("reason") or status)] += 1


async def _post_batch(session: aiohttp.ClientSession, api: str, numbered: list[tuple[int, bytes]], record: StepRecord, every: int, sent_at: dict[int, float]) -> None:
    """`_post` of several orders in one `POST /orders/batch`: each gets the request's latency."""
    start = time.monotonic()
    try:
        async with session.post(api + "/orders/batch", json={"orders": [{"envelope": "0x" + e.hex()} for _, e in numbered]}) as response:
            answer = await response.json(content_type=None)
            status = response.status
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        record.refused[f"CLIENT_{type(exc).__name__}"] += len(numbered)
        return
    if status != 200:
        record.refused[str(answer.get("reason") or status)] += len(numbered)
        return
    elapsed_ms = (time.monotonic() - start) * 1000
    for (i, _), result in zip(numbered, answer["results"], strict=True):
        record.ack_ms.append(elapsed_ms)
        if result["code"] == 202:
            order_id = int(result["accepted"]["id"])
            record.admitted.append(order_id)
            if i % every == 0:
                record.samples[order_id] = {}
                sent_at[order_id] = start
        else:
            record.refused[str((result.get("refused") or {}).get("reason") or result["code"])] += 1


async def _watch_feed(api: str, record: StepRecord, clients: int, stop: asyncio.Event) -> None:
    """`clients` WebSocket clients on market 0's book and trades; counts what they receive."""
    async def one(session: aiohttp.ClientSession) -> None:
        async with session.ws_connect(api.replace("http", "ws", 1) + "/ws") as ws:
            record.ws_clients += 1
            for channel in ("book", "trades"):
                await ws.send_json({"op": "subscribe", "channel": channel, "market": 0})
            while not stop.is_set():
                with contextlib.suppress(asyncio.TimeoutError):
                    message = await asyncio.wait_for(ws.receive(), 0.5)
                    if message.type != aiohttp.WSMsgType.TEXT:
                        return
                    record.ws_messages += 1

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(one(session) for _ in range(clients)), return_exceptions=True)


async def _run_step(api: str, signed: list[bytes], times: list[float], record: StepRecord, config: LoadConfig, sent_at: dict[int, float]) -> None:
    stop = asyncio.Event()
    feed = asyncio.create_task(_watch_feed(api, record, config.ws_clients, stop)) if config.ws_clients else None
    every = max(1, len(signed) // max(1, config.sample))
    limit = asyncio.Semaphore(config.connections)
    connector = aiohttp.TCPConnector(limit=config.connections)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        async def send(numbered: list[tuple[int, bytes]]) -> None:
            async with limit:
                if config.batch > 1:
                    await _post_batch(session, api, numbered, record, every, sent_at)
                else:
                    await _post(session, api, numbered[0][1], record, numbered[0][0] % every == 0, sent_at)

        await asyncio.sleep(0.5)  # the feed's clients connect and take their snapshots first
        start, tasks, i = time.monotonic(), [], 0
        while i < len(signed):
            delay = start + times[i] - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if config.batch > 1:
                await asyncio.sleep(BATCH_WINDOW_S)  # what arrives meanwhile joins the request, as in a client's gateway
            due = time.monotonic() - start
            numbered = [(i, signed[i])]
            i += 1
            while i < len(signed) and len(numbered) < config.batch and times[i] <= due:
                numbered.append((i, signed[i]))
                i += 1
            tasks.append(asyncio.create_task(send(numbered)))
            record.sent += len(numbered)
        await asyncio.gather(*tasks)
        record.send_window_s = time.monotonic() - start
    stop.set()
    if feed is not None:
        await feed


# ---- following orders to L1 ----------------------------------------------------------------------


async def _follow_samples(api: str, records: list[StepRecord], sent_at: dict[int, float], steps_done: asyncio.Event, timeout_s: float) -> None:
    """While the steps run and after, polls each sampled order until it is settled (or dropped),
    noting when each stage was first seen."""
    deadline = None
    async with aiohttp.ClientSession() as session:
        while deadline is None or time.monotonic() < deadline:
            if deadline is None and steps_done.is_set():
                deadline = time.monotonic() + timeout_s
            open_ = [(r, i) for r in records for i, stages in list(r.samples.items()) if "settled" not in stages and "dropped" not in stages]
            if not open_ and steps_done.is_set():
                return
            for record, order_id in open_:
                async with session.get(f"{api}/orders/{order_id}") as response:
                    answer = await response.json()
                now = time.monotonic() - sent_at[order_id]
                stage = str(answer.get("stage", answer.get("status")))
                reached = STAGES[: STAGES.index(stage) + 1] if stage in STAGES else (stage,)
                for name in reached:
                    record.samples[order_id].setdefault(name, now)
            await asyncio.sleep(0.2)


async def _load(config: LoadConfig, api: str, wallets: list[Wallet], market: int) -> tuple[list[StepRecord], list[bytes]]:
    """Every step in turn, the sampled orders followed all along; returns the steps' records and
    the largest step's envelopes."""
    records: list[StepRecord] = []
    sent_at: dict[int, float] = {}
    largest: list[bytes] = []
    steps_done = asyncio.Event()
    follower = asyncio.create_task(_follow_samples(api, records, sent_at, steps_done, config.settle_timeout_s))
    for number, rate in enumerate(config.rates):
        actions = population.actions(config.seed * 1_000 + number, len(wallets), rate, config.step_s, arrivals=config.arrivals)
        started = time.perf_counter()
        signed = await asyncio.to_thread(sign_actions, actions, wallets, market)
        record = StepRecord(rate, signing_per_s=len(actions) / max(time.perf_counter() - started, 1e-9))
        records.append(record)
        await _run_step(api, [e for _, e in signed], [a.at_s for a in actions], record, config, sent_at)
        largest = max(largest, [e for _, e in signed], key=len)
    steps_done.set()
    await follower
    return records, largest


def account_for(client: Client, ids: list[int], timeout_s: float) -> dict[str, Any]:
    """Every acknowledged submission's fate: included (with its outcome: accepted, rejected with a
    reason, ...) or dropped with a reason; waits while any is still on its way to L1."""
    deadline = time.monotonic() + timeout_s
    fates: dict[int, str] = {}
    waiting = list(ids)
    while waiting and time.monotonic() < deadline:
        still = []
        for order_id in waiting:
            answer = client.submission(order_id)
            if answer["status"] == "dropped" and answer.get("reason"):
                fates[order_id] = "dropped:" + str(answer["reason"])
            elif answer.get("inboxIndex") is not None and answer.get("outcome"):
                first = answer["outcome"][0]
                fates[order_id] = "included:" + str(first["type"]) + (":" + str(first["reason"]) if first["type"] == "rejected" else "")
            else:
                still.append(order_id)
        waiting = still
        if waiting:
            time.sleep(0.5)
    return {"acknowledged": len(ids), "accounted": len(fates), "unaccounted": waiting[:20], "fates": dict(Counter(f.split(":", 2)[0] + ":" + f.split(":", 2)[1] for f in fates.values()))}


def wait_settled(target: Target, timeout_s: float) -> dict[str, Any]:
    """Until the Rollup has verified every inbox entry the node derived; then both roots."""
    rollup = load_artifact("Rollup").at(target.l1, target.dep.rollup)
    client = Client(target.api_url)
    deadline = time.monotonic() + timeout_s
    while True:
        status = client.status()
        settled = int(rollup.functions.nextInboxIndex().call())
        if settled >= int(status["inboxCount"]) == int(status["inboxNextIndex"]) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    l1_root = "0x" + bytes(rollup.functions.stateRoot().call()).hex()
    return {"nodeRoot": status["stateRoot"], "rollupRoot": l1_root, "rootsEqual": status["stateRoot"] == l1_root,
            "inboxCount": int(status["inboxCount"]), "rollupNextInboxIndex": settled}


def warm_up(client: Client, wallet: Wallet, market: int, timeout_s: float = 60.0) -> None:
    """One order through to inclusion before the timed steps: the node's first blob batch loads
    the KZG trusted setup (seconds, once a process)."""
    _, envelope = wallet.order(market, "buy", 1, 1, expiry=int(time.time()) + 300, time_in_force="post_only")
    order_id = int(client.submit(envelope)["id"])
    deadline = time.monotonic() + timeout_s
    while client.submission(order_id).get("inboxIndex") is None and time.monotonic() < deadline:
        time.sleep(0.2)


def full_blob(envelopes: list[bytes]) -> dict[str, Any]:
    """Orders in one full blob, and blob bytes per order, for this run's envelopes (the
    proposer's own cut: the core's encoder, DEFLATE when shorter)."""
    fits = len(take_batch(list(enumerate(envelopes)), 1))
    if fits == len(envelopes):
        return {"ordersPerBlob": None, "bytesPerOrder": None, "note": f"all {fits} orders fit one blob"}
    return {"ordersPerBlob": fits, "bytesPerOrder": round(BLOB_BYTES / fits, 1)}


def blob_usage(l1: L1Client, first: int, last: int) -> dict[str, Any]:
    """Blobs in each L1 block of [first, last] (the header's blobGasUsed)."""
    counts = blobs_per_block(l1, first, last)
    with_blobs = [c for c in counts if c]
    return {"blocks": len(counts), "blocksWithBlobs": len(with_blobs), "blobs": sum(counts), "maxPerBlock": max(counts, default=0),
            "meanPerBlock": round(sum(counts) / len(counts), 2) if counts else 0}


def derive_again(target: Target, work: Path) -> dict[str, Any]:
    """A fresh follower (no proposer, no settler) derives every L1 block of the run: entries and
    messages per second, blobs fetched and checked, signatures verified, the engine applying."""
    node = fresh_follower(target.l1, target.dep, work)
    try:
        return derive(node, int(Client(target.api_url).status()["inboxNextIndex"]))
    finally:
        node.close()
        kzg.stop_worker()


# ---- the run ----------------------------------------------------------------------------------------


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)
    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)
    return {"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": round(ordered[-1], 1)}


def step_report(record: StepRecord) -> dict[str, Any]:
    window = record.send_window_s or 1.0
    stages = {name: _percentiles([s[name] * 1000 for s in record.samples.values() if name in s]) for name in STAGES}
    return {
        "offeredPerS": record.rate, "sentPerS": round(record.sent / window, 1), "admittedPerS": round(len(record.admitted) / window, 1),
        "admitted": len(record.admitted), "refused": dict(record.refused), "signingPerS": round(record.signing_per_s),
        "ackMs": _percentiles(record.ack_ms), "endToEndMs": stages, "sampled": len(record.samples),
        "ws": {"clients": record.ws_clients, "messagesPerS": round(record.ws_messages / window, 1)},
    }


def run(config: LoadConfig, out: Path | None = None) -> dict[str, Any]:
    keys = bot_traders.bot_keys(config.seed, config.traders)
    with tempfile.TemporaryDirectory(prefix="clobnode-load-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        if config.api_url is None:
            target = stack.enter_context(devnet(config, keys, work))
        else:
            target = _external(config, keys)
        return _drive(config, target, keys, work, out)


def _external(config: LoadConfig, keys: list[str]) -> Target:
    if config.rpc_url is None or config.deployment is None:
        raise bot_traders.BotFundingError("driving a node at an API URL needs its L1 (--rpc-url) and deployment file (--deployment) to fund the bots")
    l1 = L1Client(config.rpc_url)
    dep = Deployment.from_json(config.deployment.read_text())
    bot_traders.fund(l1, dep, keys)
    assert config.api_url is not None
    bot_traders.wait_derived(Client(config.api_url), [Account.from_key(k).address for k in keys])
    return Target(config.api_url, l1, dep)


def _drive(config: LoadConfig, target: Target, keys: list[str], work: Path, out: Path | None) -> dict[str, Any]:
    client = Client(target.api_url)
    market = client.markets()[0]
    wallets = [Wallet(k, target.dep.chain_id, target.dep.inbox, int(client.account_of(Account.from_key(k).address)["lastNonce"])) for k in keys]
    warm_up(client, wallets[0], int(market["id"]))
    first_block = target.l1.block_number()
    records, largest = asyncio.run(_load(config, target.api_url, wallets, int(market["id"])))
    admitted = [i for r in records for i in r.admitted]
    accounting = account_for(client, admitted, config.settle_timeout_s) if config.account_all else None
    settlement = wait_settled(target, config.settle_timeout_s)
    blobs = blob_usage(target.l1, first_block, target.l1.block_number())
    included = sum(v for k, v in (accounting or {}).get("fates", {}).items() if k.startswith("included")) or len(admitted)
    report: dict[str, Any] = {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "fastSigning": wallets[0].fast,
        "l1SlotS": config.block_time_s if config.api_url is None else None,
        "steps": [step_report(r) for r in records],
        "blobs": {**blobs, "ordersIncluded": included, "blobBytesPerOrder": round(blobs["blobs"] * BLOB_BYTES / included, 1) if included else None,
                  "fullBlob": full_blob(largest)},
        "accounting": accounting,
        "settlement": settlement,
    }
    if config.derive_again:
        report["derivation"] = derive_again(target, work)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "load.json").write_text(json.dumps(report, indent=2))
        report["plot"] = plot(report, out / "load.png")
        if (work / "node.log").exists():
            (out / "node.log").write_bytes((work / "node.log").read_bytes())
    return report


# ---- output -----------------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    """The steps as a text table, then the run's figures."""
    header = f"{'offered/s':>9} {'sent/s':>8} {'admitted/s':>10} {'ack p50/p99 ms':>15} {'posted p50/p99 s':>17} {'included p50/p99 s':>19} {'settled p50/p99 s':>18} {'ws clients':>10} {'ws msg/s':>9}"
    lines = [header]
    for s in report["steps"]:
        e2e = s["endToEndMs"]
        def pair(stage: str, scale: float = 1000.0, e2e: dict[str, Any] = e2e) -> str:
            p = e2e[stage]
            return "-" if p["p50"] is None else f"{p['p50'] / scale:.2f}/{p['p99'] / scale:.2f}"
        lines.append(f"{s['offeredPerS']:>9.0f} {s['sentPerS']:>8.0f} {s['admittedPerS']:>10.0f} {pair_ms(s['ackMs']):>15} {pair('posted'):>17} "
                     f"{pair('included'):>19} {pair('settled'):>18} {s['ws']['clients']:>10} {s['ws']['messagesPerS']:>9.0f}")
    b = report["blobs"]
    lines.append(f"blobs: {b['blobs']} in {b['blocks']} L1 blocks (max {b['maxPerBlock']} a block, mean {b['meanPerBlock']}); "
                 f"{b['blobBytesPerOrder']} blob bytes an order")
    if report.get("derivation"):
        d = report["derivation"]
        lines.append(f"derivation from L1: {d['entries']} entries, {d['messages']} signed messages, {d['events']} engine events in {d['seconds']} s "
                     f"({d['messagesPerS']} messages/s); {d['blocks']} L1 blocks read in {d['readS']} s ({d['readMsPerBlock']} ms a block), "
                     f"applied in {d['applyS']} s ({d['messagesPerApplyS']} messages/s)")
    if report.get("accounting"):
        a = report["accounting"]
        lines.append(f"accounted: {a['accounted']}/{a['acknowledged']} acknowledged orders {a['fates']}")
    st = report["settlement"]
    lines.append(f"roots equal: {st['rootsEqual']} (node {st['nodeRoot'][:18]}…, Rollup {st['rollupRoot'][:18]}…)")
    return "\n".join(lines)


def pair_ms(p: dict[str, Any]) -> str:
    return "-" if p["p50"] is None else f"{p['p50']:.1f}/{p['p99']:.1f}"


def plot(report: dict[str, Any], path: Path) -> str | None:
    """Admitted/s and latencies against offered load, as a PNG (needs matplotlib, the `bench` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    steps = report["steps"]
    offered = [s["offeredPerS"] for s in steps]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(offered, [s["admittedPerS"] for s in steps], "o-", label="admitted/s")
    left.plot(offered, offered, ":", color="grey", label="offered")
    left.set_xlabel("offered orders/s")
    left.set_ylabel("orders/s")
    left.set_title("API intake")
    left.legend()
    def series(values: list[float | None]) -> list[float]:
        return [v if v is not None else float("nan") for v in values]
    right.plot(offered, series([s["ackMs"]["p99"] for s in steps]), "o-", label="ack p99")
    for stage in ("posted", "included", "settled"):
        right.plot(offered, series([s["endToEndMs"][stage]["p99"] for s in steps]), "o-", label=f"{stage} p99")
    if report.get("l1SlotS"):
        right.axhline(2000 * report["l1SlotS"], color="grey", linestyle=":", label="two L1 slots")
    right.set_yscale("log")
    right.set_xlabel("offered orders/s")
    right.set_ylabel("ms after submit")
    right.set_title("latency")
    right.legend(fontsize=8)
    figure.suptitle(f"clobnode bench load ({report['machine']['cpus']} CPUs)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return str(path)


