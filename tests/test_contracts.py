"""Specification of clobnode.l1.contracts: forge artifacts, deployment and the Deployment record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from clobnode.da import kzg
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import (
    ContractsError,
    Deployment,
    artifacts_dir,
    deploy,
    deploy_devnet,
    load_artifact,
)
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address


def _artifacts_built() -> bool:
    try:
        return artifacts_dir().joinpath("Inbox.sol", "Inbox.json").is_file()
    except ContractsError:
        return False


pytestmark = pytest.mark.skipif(not _artifacts_built(), reason="contract artifacts not built (make contracts)")

GENESIS = bytes.fromhex("11" * 32)


def _genesis(chain_id: int, inbox: str, vault: str, markets: list[dict[str, Any]]) -> bytes:
    assert chain_id == 31337 and inbox != vault and len(markets) == 1
    return GENESIS


def test_missing_artifact_raises() -> None:
    with pytest.raises(ContractsError, match="not found"):
        load_artifact("NoSuchContract")


def test_deployment_json_round_trips() -> None:
    dep = Deployment(
        chain_id=31337,
        inbox=to_checksum_address("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"),
        vault=to_checksum_address("0x75537828f2ce51be7289709686A69CbFDbB714F1"),
        rollup=to_checksum_address("0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9"),
        verifier=to_checksum_address("0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"),
        base_token=to_checksum_address("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        quote_token=to_checksum_address("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"),
        deploy_block=3,
        genesis_state_root=GENESIS,
    )
    assert Deployment.from_json(dep.to_json()) == dep
    with pytest.raises(ContractsError):
        Deployment.from_json("{}")


@pytest.mark.devnet
def test_deploy_devnet_wires_inbox_vault_rollup_and_tokens(l1: L1Client, dev_account: LocalAccount) -> None:
    dep = deploy_devnet(l1, dev_account, _genesis)
    assert load_artifact("Inbox").at(l1, dep.inbox).functions.vault().call() == dep.vault
    rollup = load_artifact("Rollup").at(l1, dep.rollup)
    assert bytes(rollup.functions.stateRoot().call()) == GENESIS
    token = load_artifact("DevToken").at(l1, dep.quote_token)
    assert token.functions.decimals().call() == 6
    assert dep.deploy_block == l1.block_number() - 3  # then MockVerifier, Rollup, Vault.bindRollup
    assert load_artifact("Vault").at(l1, dep.vault).functions.rollup().call() == dep.rollup
    assert rollup.functions.owner().call() == dev_account.address


@pytest.mark.devnet
def test_propose_batch_records_versioned_hashes_of_attached_blobs(
    l1: L1Client, dev_account: LocalAccount, make_blob: Callable[[int], bytes]
) -> None:
    inbox_artifact = load_artifact("Inbox")
    inbox = deploy(l1, dev_account, "Inbox", 0, 0, dev_account.address)
    blobs = [make_blob(1), make_blob(2)]
    receipt = l1.send_blob_transaction(dev_account, inbox, inbox_artifact.encode_call("proposeBatch"), blobs)
    event = inbox_artifact.at(l1, inbox).events.EntryAppended().process_log(receipt.logs[0])
    assert event["args"]["kind"] == 4
    assert event["args"]["payload"] == b"".join(kzg.blob_versioned_hash(b) for b in blobs)
