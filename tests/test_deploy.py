"""`clobnode deploy`: an exchange on any L1 from the command line, and a node that follows its
deployment file (anvil as the L1; the MockVerifier deploys only on dev chains)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from clobnode.config import L1Config, NodeConfig, StoreConfig
from clobnode.dev.devnet import DEV_PRIVATE_KEYS, Anvil, AnvilConfig
from clobnode.exchange.markets import MarketCatalog
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment, check_deployment, deploy, load_artifact
from clobnode.node import Node
from eth_account import Account

pytestmark = pytest.mark.devnet

CLOBNODE = [sys.executable, "-m", "clobnode.cli"]
DEPLOYER = Account.from_key(DEV_PRIVATE_KEYS[0])


def _deploy(rpc_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLOBNODE_DEPLOYER_KEY": DEPLOYER.key.hex()}
    return subprocess.run([*CLOBNODE, "deploy", "--rpc-url", rpc_url, *args], check=False, capture_output=True, text=True, env=env, timeout=120)


def _tokens(l1: L1Client) -> tuple[str, str]:
    return deploy(l1, DEPLOYER, "DevToken", "Wrapped Ether", "WETH", 18), deploy(l1, DEPLOYER, "DevToken", "USD Coin", "USDC", 6)


def test_deploy_writes_a_deployment_file_a_node_follows(anvil: Any, tmp_path: Path) -> None:
    l1 = L1Client(anvil.url)
    base, quote = _tokens(l1)
    out = tmp_path / "deployment.json"
    result = _deploy(anvil.url, "--base-token", base, "--quote-token", quote, "--mock-verifier", "--out", str(out),
                     "--base-lot", str(10**16), "--quote-tick", "100", "--taker-fee-bps", "5", "--min-size", "2")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["insecure"] and summary["chainId"] == 31337
    dep = Deployment.from_json(out.read_text())
    check_deployment(l1, dep)
    (market,) = dep.markets
    assert (market["base_lot"], market["quote_tick"], market["taker_fee_bps"], market["min_size"]) == (10**16, 100, 5, 2)
    # A node started from the file has the Rollup's genesis root, and lists the market as deployed.
    node = Node(NodeConfig(l1=L1Config(rpc_url=anvil.url), store=StoreConfig(path=tmp_path / "node.sqlite")), dep, l1)
    rollup = load_artifact("Rollup").at(l1, dep.rollup)
    assert node.engine.state_root() == bytes(rollup.functions.stateRoot().call()) == dep.genesis_state_root
    node.sync()
    (view,) = MarketCatalog(node.engine, l1).markets()
    assert (view["symbol"], view["lot_size"], view["tick_size"], view["taker_fee_bps"]) == ("WETH/USDC", "0.01", "0.01", 5)


def test_deploy_refuses_what_would_not_work_in_one_line(anvil: Any, tmp_path: Path) -> None:
    l1 = L1Client(anvil.url)
    base, quote = _tokens(l1)
    tokens = ["--base-token", base, "--quote-token", quote, "--out", str(tmp_path / "d.json")]
    for args, words in (
        ((), "give either --verifier ADDRESS"),
        (("--verifier", base), "--verifier needs --program-vkey"),
        (("--mock-verifier", "--base-lot", "0"), "the market is not listable"),
    ):
        failed = _deploy(anvil.url, *tokens, *args)
        assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
        assert failed.stderr.strip().splitlines()[-1].startswith("clobnode: ") and words in failed.stderr, failed.stderr


def test_the_mock_verifier_does_not_deploy_on_a_real_chain_id(tmp_path: Path) -> None:
    with Anvil(AnvilConfig(chain_id=11155111)) as sepolia_like:
        l1 = L1Client(sepolia_like.url)
        base, quote = _tokens(l1)
        failed = _deploy(sepolia_like.url, "--base-token", base, "--quote-token", quote, "--mock-verifier", "--out", str(tmp_path / "d.json"))
    assert failed.returncode == 1 and "MockVerifierNotDevChain(chainId=11155111)" in failed.stderr.strip().splitlines()[-1], failed.stderr
