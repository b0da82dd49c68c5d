"""Specification of blob transactions through clobnode.l1.client against a real anvil L1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import rlp  # type: ignore[import-untyped]  # ships no stubs
from clobnode.da import kzg
from clobnode.da.kzg import SidecarForm
from clobnode.dev.devnet import Anvil, AnvilConfig
from clobnode.l1.client import GAS_PER_BLOB, L1Client, L1Error, wrap_blob_transaction
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

SINK = "0x000000000000000000000000000000000000dEaD"
# Creation code that reverts with the 4 bytes 0xdeadbeef.
REVERTING_INITCODE = bytes.fromhex("63deadbeef6000526004601cfd")


def _assert_blobs_come_back(l1: L1Client, url: str, blobs: list[bytes], tx_hash: bytes, block: int) -> None:
    hashes = [kzg.blob_versioned_hash(b) for b in blobs]
    assert [l1.get_blob(h) for h in hashes] == blobs
    assert list(l1.get_blobs_by_transaction(tx_hash)) == blobs
    assert l1.get_blobs_from_beacon(url, block, hashes) == dict(zip(hashes, blobs, strict=True))


def test_wrap_blob_transaction_keeps_hash_and_body(
    dev_account: LocalAccount, make_blob: Callable[[int], bytes]
) -> None:
    sidecar = kzg.build_sidecar([make_blob(1)], SidecarForm.EIP4844)
    tx: dict[str, Any] = {
        "type": 3, "chainId": 31337, "nonce": 0, "maxPriorityFeePerGas": 1, "maxFeePerGas": 2, "gas": 21000,
        "to": SINK, "value": 0, "data": b"", "accessList": [], "maxFeePerBlobGas": 1,
        "blobVersionedHashes": list(sidecar.versioned_hashes),
    }
    signed = dev_account.sign_transaction(tx)
    payload = bytes(signed.raw_transaction)
    network = wrap_blob_transaction(payload, sidecar)
    assert network[0] == 3
    body, blobs, commitments, proofs = rlp.decode(network[1:])
    assert b"\x03" + rlp.encode(body) == payload
    assert keccak(payload) == bytes(signed.hash)
    assert (blobs, commitments, proofs) == (list(sidecar.blobs), list(sidecar.commitments), list(sidecar.proofs))
    cell_form = wrap_blob_transaction(payload, kzg.build_sidecar([make_blob(1)], SidecarForm.EIP7594))
    body7594, version, _, _, cell_proofs = rlp.decode(cell_form[1:])
    assert (body7594, version, len(cell_proofs)) == (body, b"\x01", 128)


def test_wrap_blob_transaction_rejects_mismatched_sidecar(
    dev_account: LocalAccount, make_blob: Callable[[int], bytes]
) -> None:
    tx: dict[str, Any] = {
        "type": 3, "chainId": 31337, "nonce": 0, "maxPriorityFeePerGas": 1, "maxFeePerGas": 2, "gas": 21000,
        "to": SINK, "value": 0, "data": b"", "accessList": [], "maxFeePerBlobGas": 1,
        "blobVersionedHashes": [kzg.blob_versioned_hash(make_blob(2))],
    }
    payload = bytes(dev_account.sign_transaction(tx).raw_transaction)
    with pytest.raises(L1Error):
        wrap_blob_transaction(payload, kzg.build_sidecar([make_blob(3)], SidecarForm.EIP4844))


@pytest.mark.devnet
def test_sidecar_form_is_eip7594_on_default_anvil(l1: L1Client) -> None:
    assert l1.sidecar_form() is SidecarForm.EIP7594


@pytest.mark.devnet
@pytest.mark.parametrize("hardfork", ["cancun", "prague"])
def test_sidecar_form_is_eip4844_before_osaka(hardfork: str) -> None:
    with Anvil(AnvilConfig(hardfork=hardfork)) as node:
        assert L1Client(node.url).sidecar_form() is SidecarForm.EIP4844


@pytest.mark.devnet
def test_blob_transaction_in_auto_form_is_included_and_blobs_come_back(
    anvil: Anvil, l1: L1Client, dev_account: LocalAccount, make_blob: Callable[[int], bytes]
) -> None:
    blobs = [make_blob(10), make_blob(11)]
    receipt = l1.send_blob_transaction(dev_account, SINK, b"", blobs)
    assert receipt.status == 1
    assert receipt.blob_gas_used == 2 * GAS_PER_BLOB
    assert receipt.blob_gas_price >= 1
    tx = l1.rpc("eth_getTransactionByHash", ["0x" + receipt.tx_hash.hex()])
    assert tx["type"] == "0x3"
    assert [bytes.fromhex(h[2:]) for h in tx["blobVersionedHashes"]] == [kzg.blob_versioned_hash(b) for b in blobs]
    block = l1.get_block(receipt.block_number)
    assert block["blobGasUsed"] == 2 * GAS_PER_BLOB
    _assert_blobs_come_back(l1, anvil.url, blobs, receipt.tx_hash, receipt.block_number)


@pytest.mark.devnet
def test_blob_transaction_in_eip4844_form_on_cancun_anvil(
    cancun_anvil: Anvil, dev_account: LocalAccount, make_blob: Callable[[int], bytes]
) -> None:
    l1 = L1Client(cancun_anvil.url)
    blobs = [make_blob(20), make_blob(21)]
    receipt = l1.send_blob_transaction(dev_account, SINK, b"", blobs, sidecar="eip4844")
    assert receipt.status == 1
    assert receipt.blob_gas_used == 2 * GAS_PER_BLOB
    _assert_blobs_come_back(l1, cancun_anvil.url, blobs, receipt.tx_hash, receipt.block_number)


@pytest.mark.devnet
def test_prebuilt_sidecar_is_reused_for_consecutive_nonces(
    l1: L1Client, dev_account: LocalAccount, make_blob: Callable[[int], bytes]
) -> None:
    sidecar = kzg.build_sidecar([make_blob(30)], l1.sidecar_form())
    first = l1.submit_blob_transaction(dev_account, SINK, b"", sidecar)
    second = l1.submit_blob_transaction(dev_account, SINK, b"", sidecar)
    assert l1.wait_for_receipt(first).status == 1
    assert l1.wait_for_receipt(second).status == 1


@pytest.mark.devnet
def test_unknown_blob_raises(l1: L1Client, make_blob: Callable[[int], bytes]) -> None:
    with pytest.raises(L1Error):
        l1.get_blob(kzg.blob_versioned_hash(make_blob(40)))


@pytest.mark.devnet
def test_reverting_transaction_raises_with_revert_data(l1: L1Client, dev_account: LocalAccount) -> None:
    with pytest.raises(L1Error) as estimated:
        l1.send_transaction(dev_account, None, REVERTING_INITCODE)
    assert estimated.value.revert_data == bytes.fromhex("deadbeef")
    with pytest.raises(L1Error) as mined:
        l1.send_transaction(dev_account, None, REVERTING_INITCODE, gas=100_000)
    assert mined.value.revert_data == bytes.fromhex("deadbeef")
    assert mined.value.tx_hash is not None


@pytest.mark.devnet
def test_nonces_are_tracked_locally_across_unmined_sends(l1: L1Client, dev_account: LocalAccount) -> None:
    other = Account.create()
    hashes = [l1.submit_transaction(dev_account, other.address, value=1) for _ in range(3)]
    assert all(l1.wait_for_receipt(h).status == 1 for h in hashes)
    assert l1.balance(other.address) == 3


@pytest.mark.devnet
def test_blob_base_fee_and_chain_reads(l1: L1Client) -> None:
    assert l1.chain_id() == 31337
    assert l1.blob_base_fee() >= 1
    assert l1.block_number() == 0
    assert l1.get_logs(0, 0) == []


@pytest.mark.devnet
def test_anvil_rejects_a_sidecar_with_a_wrong_proof(
    cancun_anvil: Anvil, dev_account: LocalAccount, make_blob: Callable[[int], bytes]
) -> None:
    good = kzg.build_sidecar([make_blob(50)], SidecarForm.EIP4844)
    other = kzg.build_sidecar([make_blob(51)], SidecarForm.EIP4844)
    forged = kzg.BlobSidecar(good.form, good.blobs, good.commitments, other.proofs, good.versioned_hashes)
    with pytest.raises(L1Error, match="(?i)kzg"):
        L1Client(cancun_anvil.url).send_blob_transaction(dev_account, SINK, b"", forged)
