#!/usr/bin/env python3
"""The API's intake cost per signed order, in process (no HTTP, no other load): envelope
decoding, the signature check, admission (the core's `preview`, the trader's waiting messages
summed up), and the durable write, either one transaction per order (one fsync each) or grouped as
the API's intake writes them. Prints JSON.

Run with the project venv: `.venv/bin/python scripts/bench-intake.py [--orders 4000] [--traders 32] [--group 32]`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import clobnode_core
from clobnode.api.admission import Admission
from clobnode.config import AdmissionConfig
from clobnode.dev.devnet import DEV_PRIVATE_KEYS
from clobnode.exchange.engine import Engine, devnet_markets
from clobnode.l1.derivation import KIND_DEPOSIT, InboxEntry
from clobnode.storage.store import ApiSubmission, Store
from clobnode.trader.bots.wallet import Wallet
from eth_account import Account

CHAIN_ID, INBOX_HEX = 31337, "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
INBOX = bytes.fromhex(INBOX_HEX[2:])
BASE, QUOTE = b"\x01" * 20, b"\x02" * 20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--traders", type=int, default=32)
    parser.add_argument("--group", type=int, default=32, help="orders per transaction in the grouped run")
    args = parser.parse_args()
    keys = [DEV_PRIVATE_KEYS[i] if i < len(DEV_PRIVATE_KEYS) else "0x" + bytes(Account.create(f"bench-{i}").key).hex() for i in range(args.traders)]
    wallets = [Wallet(k, CHAIN_ID, INBOX_HEX, last_nonce=0) for k in keys]
    engine = Engine.genesis(CHAIN_ID, INBOX, bytes(20), devnet_markets(BASE, QUOTE))
    for index, wallet in enumerate(wallets):
        payload = bytes.fromhex(wallet.address[2:]) + QUOTE + (10**15).to_bytes(32, "big")
        engine.apply([InboxEntry(index, KIND_DEPOSIT, bytes(20), 1, int(time.time()), payload, bytes(32))], {})
    envelopes = [wallets[i % len(wallets)].order(0, "buy", 100, 1, expiry=0)[1] for i in range(args.orders)]
    report: dict[str, object] = {"orders": args.orders, "traders": args.traders}
    for mode, group in (("one_fsync_per_order", 1), ("grouped", args.group)):
        with tempfile.TemporaryDirectory() as work:
            store = Store(Path(work) / "intake.sqlite")
            admission = Admission(engine, store, AdmissionConfig(max_pending_per_trader=args.orders))
            spent = {"decode": 0.0, "signature": 0.0, "admission": 0.0, "write": 0.0}
            batch: list[tuple[bytes, ApiSubmission]] = []

            def unwritten(trader: str, batch: list[tuple[bytes, ApiSubmission]] = batch) -> list[ApiSubmission]:
                return [s for _, s in batch if s.trader == trader]

            started = time.perf_counter()
            for envelope in envelopes:
                t0 = time.perf_counter()
                clobnode_core.decode_envelope(envelope)
                t1 = time.perf_counter()
                assert clobnode_core.verify_envelope(CHAIN_ID, INBOX, envelope)
                t2 = time.perf_counter()
                submission = admission.admit(envelope, unwritten)
                t3 = time.perf_counter()
                batch.append((envelope, submission))
                if len(batch) >= group:
                    for (order_id, _), (_, written) in zip(store.add_api_orders(batch), batch, strict=True):
                        admission.written(order_id, written)  # as the API's intake reports its writes
                    batch.clear()
                t4 = time.perf_counter()
                for key, seconds in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                    spent[key] += seconds
            if batch:
                store.add_api_orders(batch)
            total = time.perf_counter() - started
            store.close()
        report[mode] = {
            "orders_per_s": round(args.orders / total),
            "ms_per_order": {k: round(v / args.orders * 1e3, 4) for k, v in spent.items()} | {"total": round(total / args.orders * 1e3, 4)},
        }
    rates = [report[mode]["orders_per_s"] for mode in ("one_fsync_per_order", "grouped")]  # type: ignore[index]
    report["grouped_vs_one_fsync"] = round(rates[1] / rates[0], 2)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
