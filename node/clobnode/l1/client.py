"""The node's L1 client: reads chain data and sends locally signed (blob) transactions over JSON-RPC."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypedDict, Unpack

import rlp  # ships no stubs (ignore_missing_imports in pyproject.toml)
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import BlockData, LogReceipt

from clobnode.da import kzg
from clobnode.da.kzg import BlobSidecar, SidecarForm
from clobnode.errors import ClobnodeError
from clobnode.hexbytes import from_hex, to_hex

BLOB_TX_TYPE: Final = 3
GAS_PER_BLOB: Final = 1 << 17
#: Floor of the default blob fee cap (1 gwei): only the actual blob base fee is charged.
MIN_BLOB_FEE_CAP: Final = 10**9
#: EIP-7594 (Osaka): at most 6 blobs per transaction, whatever the block's blob schedule.
MAX_BLOBS_PER_TX_OSAKA: Final = 6
#: Hardfork names (anvil_nodeInfo) at or after Osaka, where sidecars carry cell proofs (EIP-7594).
POST_OSAKA_FORKS: Final = frozenset({"osaka", "bpo1", "bpo2", "bpo3", "bpo4", "bpo5", "amsterdam"})
#: Hardfork names before Osaka that know blobs (EIP-4844 sidecars).
PRE_OSAKA_BLOB_FORKS: Final = frozenset({"cancun", "prague"})

SidecarChoice = Literal["auto", "eip4844", "eip7594"]


class L1Error(ClobnodeError):
    """An L1 request failed, a transaction reverted or timed out, or L1 returned a bad blob."""

    def __init__(
        self, message: str, *, revert_data: bytes | None = None, tx_hash: bytes | None = None
    ) -> None:
        super().__init__(message)
        self.revert_data = revert_data
        self.tx_hash = tx_hash


@dataclass(frozen=True, slots=True)
class Fees:
    """EIP-1559 fee caps for one transaction, in wei per gas."""

    max_fee_per_gas: int
    max_priority_fee_per_gas: int


@dataclass(frozen=True, slots=True)
class SignedTx:
    """A signed transaction not sent yet: its hash, its raw network form, its gas limit."""

    tx_hash: bytes
    raw: bytes
    gas: int


@dataclass(frozen=True, slots=True)
class L1Receipt:
    """What the node needs from an included transaction's receipt."""

    tx_hash: bytes
    block_number: int
    block_hash: bytes
    status: int
    gas_used: int
    effective_gas_price: int
    blob_gas_used: int
    blob_gas_price: int
    contract_address: ChecksumAddress | None
    logs: tuple[LogReceipt, ...]


def _revert_data(error: Mapping[str, Any]) -> bytes | None:
    data = error.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return from_hex(data)
    if isinstance(data, Mapping) and isinstance(data.get("data"), str):
        return from_hex(data["data"])
    return None


def wrap_blob_transaction(signed_payload: bytes, sidecar: BlobSidecar) -> bytes:
    """Re-wrap a signed type-3 payload `0x03 ‖ rlp(body)` in the network form with its sidecar.

    EIP-4844: `0x03 ‖ rlp([body, blobs, commitments, blob_proofs])`;
    EIP-7594: `0x03 ‖ rlp([body, 1, blobs, commitments, cell_proofs])`.
    The transaction hash (keccak of the signed payload) is unchanged.
    """
    if not signed_payload or signed_payload[0] != BLOB_TX_TYPE:
        raise L1Error("not a signed type-3 transaction payload")
    body = rlp.decode(signed_payload[1:])
    hashes = list(body[10])
    if hashes != list(sidecar.versioned_hashes):
        raise L1Error("the sidecar's versioned hashes differ from the transaction's")
    blobs, commitments, proofs = list(sidecar.blobs), list(sidecar.commitments), list(sidecar.proofs)
    if sidecar.form is SidecarForm.EIP4844:
        network = [body, blobs, commitments, proofs]
    else:
        network = [body, 1, blobs, commitments, proofs]
    encoded: bytes = rlp.encode(network)
    return bytes([BLOB_TX_TYPE]) + encoded


class BlobTxTerms(TypedDict, total=False):
    """The optional terms of `L1Client.sign_blob_transaction`, which the senders forward."""

    sidecar: SidecarChoice
    value: int
    gas: int | None
    nonce: int | None
    fees: Fees | None
    max_fee_per_blob_gas: int | None


class L1Client:
    """A JSON-RPC client for one L1 with local signing and per-sender nonce tracking."""

    def __init__(
        self,
        url: str,
        *,
        request_timeout: float = 30.0,
        receipt_timeout: float = 120.0,
        poll_interval: float = 0.1,
    ) -> None:
        self.url = url
        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": request_timeout}))
        self.request_timeout = request_timeout
        self.receipt_timeout = receipt_timeout
        self.poll_interval = poll_interval
        self._nonces: dict[str, int] = {}
        self._nonce_lock = threading.Lock()
        self._chain_id: int | None = None
        self._sidecar_form: SidecarForm | None = None

    # ------------------------------------------------------------------ raw JSON-RPC

    def rpc(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Call a JSON-RPC method and return its `result`; an RPC error raises L1Error."""
        try:
            response = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        except Exception as exc:  # transport errors: connection refused, timeouts, bad JSON
            raise L1Error(f"{method}: {exc}") from exc
        error = response.get("error")
        if error:
            err = dict(error) if isinstance(error, Mapping) else {"message": str(error)}
            raise L1Error(f"{method}: {err.get('message', err)}", revert_data=_revert_data(err))
        return response.get("result")

    # ------------------------------------------------------------------ chain reads

    def chain_id(self) -> int:
        """The L1 chain id (cached: it never changes under a running node)."""
        if self._chain_id is None:
            self._chain_id = int(self.rpc("eth_chainId"), 16)
        return self._chain_id

    def block_number(self) -> int:
        """The number of the latest L1 block."""
        return int(self.rpc("eth_blockNumber"), 16)

    def get_block(self, block_id: int | str | bytes, full_transactions: bool = False) -> BlockData:
        """A block by number, hash or tag ('latest', 'finalized', ...)."""
        try:
            return self.w3.eth.get_block(block_id, full_transactions)  # type: ignore[arg-type]
        except Exception as exc:
            raise L1Error(f"get_block({block_id!r}): {exc}") from exc

    def get_logs(
        self,
        from_block: int,
        to_block: int,
        address: str | Sequence[str] | None = None,
        topics: Sequence[Any] | None = None,
    ) -> list[LogReceipt]:
        """Logs in [from_block, to_block] (inclusive), optionally filtered by address and topics."""
        flt: dict[str, Any] = {"fromBlock": from_block, "toBlock": to_block}
        if address is not None:
            flt["address"] = address
        if topics is not None:
            flt["topics"] = list(topics)
        try:
            return list(self.w3.eth.get_logs(flt))  # type: ignore[arg-type]
        except Exception as exc:
            raise L1Error(f"get_logs({from_block}..{to_block}): {exc}") from exc

    def balance(self, address: str) -> int:
        """The latest balance of `address` in wei."""
        return int(self.rpc("eth_getBalance", [address, "latest"]), 16)

    def call(self, to: str, data: bytes, block: int | str = "latest") -> bytes:
        """eth_call; a revert raises L1Error carrying the revert data."""
        tag = hex(block) if isinstance(block, int) else block
        return from_hex(self.rpc("eth_call", [{"to": to, "data": to_hex(data)}, tag]))

    def blob_base_fee(self) -> int:
        """The blob base fee of the next block (eth_blobBaseFee), in wei per blob gas."""
        return int(self.rpc("eth_blobBaseFee"), 16)

    def suggest_fees(self) -> Fees:
        """EIP-1559 caps from the node: tip = eth_maxPriorityFeePerGas, cap = 2 × base fee + tip."""
        base_fee = int(self.get_block("latest").get("baseFeePerGas", 0))
        try:
            tip = int(self.rpc("eth_maxPriorityFeePerGas"), 16)
        except L1Error:
            tip = 10**9
        return Fees(max_fee_per_gas=2 * base_fee + tip, max_priority_fee_per_gas=tip)

    def blob_limit_per_tx(self) -> int | None:
        """How many blobs one transaction may carry, from `eth_config` (EIP-7910): the fork's
        blob schedule `max`, and at most 6 from Osaka on (EIP-7594's per-transaction limit).
        None when the L1 does not answer `eth_config`."""
        try:
            current = (self.rpc("eth_config") or {}).get("current", {})
        except L1Error:
            return None
        schedule = current.get("blobSchedule") if isinstance(current, Mapping) else None
        if not isinstance(schedule, Mapping) or "max" not in schedule:
            return None
        limit = int(schedule["max"])
        if self.sidecar_form() is SidecarForm.EIP7594:
            limit = min(limit, MAX_BLOBS_PER_TX_OSAKA)
        return limit

    def transaction_count(self, address: str, block: str = "latest") -> int:
        """The account's nonce as of `block` ("latest": transactions included so far)."""
        return int(self.rpc("eth_getTransactionCount", [address, block]), 16)

    # ------------------------------------------------------------------ sidecar form detection

    def sidecar_form(self) -> SidecarForm:
        """The sidecar form this L1 accepts: EIP-7594 from Osaka on, EIP-4844 before (cached).

        Asks `eth_config` (EIP-7910; Osaka is the fork that adds the P256VERIFY precompile,
        EIP-7951), then anvil's `anvil_nodeInfo` hardfork name; defaults to EIP-4844.
        """
        if self._sidecar_form is None:
            self._sidecar_form = self._detect_sidecar_form()
        return self._sidecar_form

    def _detect_sidecar_form(self) -> SidecarForm:
        try:
            config = self.rpc("eth_config")
            precompiles = (config or {}).get("current", {}).get("precompiles", {})
            if isinstance(precompiles, Mapping) and precompiles:
                return SidecarForm.EIP7594 if "P256VERIFY" in precompiles else SidecarForm.EIP4844
        except L1Error:
            pass
        try:
            fork = str((self.rpc("anvil_nodeInfo") or {}).get("hardFork", "")).lower()
            if fork in POST_OSAKA_FORKS:
                return SidecarForm.EIP7594
            if fork in PRE_OSAKA_BLOB_FORKS:
                return SidecarForm.EIP4844
        except L1Error:
            pass
        return SidecarForm.EIP4844

    def _resolve_form(self, sidecar: SidecarChoice) -> SidecarForm:
        if sidecar == "auto":
            return self.sidecar_form()
        try:
            return SidecarForm(sidecar)
        except ValueError:
            raise L1Error(f"sidecar must be 'auto', 'eip4844' or 'eip7594', got {sidecar!r}") from None

    # ------------------------------------------------------------------ nonces and gas

    def next_nonce(self, address: str) -> int:
        """The next nonce for `address`: the larger of the node's pending count and ours."""
        key = address.lower()
        with self._nonce_lock:
            pending = int(self.rpc("eth_getTransactionCount", [address, "pending"]), 16)
            nonce = max(pending, self._nonces.get(key, 0))
            self._nonces[key] = nonce + 1
            return nonce

    def reset_nonce(self, address: str) -> None:
        """Forget the tracked nonce of `address` (after a failed send); the node's count rules again."""
        with self._nonce_lock:
            self._nonces.pop(address.lower(), None)

    def estimate_gas(self, call: Mapping[str, Any]) -> int:
        """eth_estimateGas; a revert raises L1Error carrying the revert data."""
        return int(self.rpc("eth_estimateGas", [dict(call)]), 16)

    # ------------------------------------------------------------------ sending

    def _sign_and_submit(self, account: LocalAccount, tx: dict[str, Any], sidecar: BlobSidecar | None) -> bytes:
        tx_hash, raw = self._sign(account, tx, sidecar)
        try:
            self.send_raw_transaction(raw)
        except L1Error:
            self.reset_nonce(account.address)
            raise
        return tx_hash

    @staticmethod
    def _sign(account: LocalAccount, tx: dict[str, Any], sidecar: BlobSidecar | None) -> tuple[bytes, bytes]:
        """(hash, raw bytes in the network form) of `tx` signed by `account`."""
        signed = account.sign_transaction(tx)
        raw = bytes(signed.raw_transaction)
        return bytes(signed.hash), raw if sidecar is None else wrap_blob_transaction(raw, sidecar)

    def send_raw_transaction(self, raw: bytes) -> None:
        """eth_sendRawTransaction; sending again a transaction the node already holds is not an error."""
        try:
            self.rpc("eth_sendRawTransaction", [to_hex(raw)])
        except L1Error as exc:
            if "already known" not in str(exc).lower() and "already imported" not in str(exc).lower():
                raise

    def _base_tx(
        self,
        account: LocalAccount,
        to: str | None,
        data: bytes,
        value: int,
        nonce: int | None,
        fees: Fees | None,
    ) -> dict[str, Any]:
        fees = fees or self.suggest_fees()
        tx: dict[str, Any] = {
            "chainId": self.chain_id(),
            "nonce": nonce if nonce is not None else self.next_nonce(account.address),
            "maxFeePerGas": fees.max_fee_per_gas,
            "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
            "value": value,
            "data": bytes(data),
        }
        if to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        return tx

    def submit_transaction(
        self,
        account: LocalAccount,
        to: str | None,
        data: bytes = b"",
        *,
        value: int = 0,
        gas: int | None = None,
        nonce: int | None = None,
        fees: Fees | None = None,
    ) -> bytes:
        """Sign and send an EIP-1559 transaction (contract creation when `to` is None); return its hash.

        Gas is estimated (+20%) unless given; an estimate that reverts raises L1Error with the
        revert data before anything is sent.
        """
        if gas is None:
            call: dict[str, Any] = {"from": account.address, "data": to_hex(data), "value": hex(value)}
            if to is not None:
                call["to"] = to
            gas = self.estimate_gas(call) * 6 // 5
        tx = self._base_tx(account, to, data, value, nonce, fees)
        tx["type"] = 2
        tx["gas"] = gas
        return self._sign_and_submit(account, tx, None)

    def send_transaction(
        self,
        account: LocalAccount,
        to: str | None,
        data: bytes = b"",
        *,
        value: int = 0,
        gas: int | None = None,
        nonce: int | None = None,
        fees: Fees | None = None,
        timeout: float | None = None,
    ) -> L1Receipt:
        """submit_transaction, then wait for a successful receipt (a revert raises L1Error)."""
        tx_hash = self.submit_transaction(account, to, data, value=value, gas=gas, nonce=nonce, fees=fees)
        return self.wait_for_receipt(tx_hash, timeout)

    def submit_blob_transaction(
        self, account: LocalAccount, to: str, data: bytes, blobs: Sequence[bytes] | BlobSidecar, **terms: Unpack[BlobTxTerms],
    ) -> bytes:
        """Sign a type-3 transaction carrying `blobs` and send it in the network form; return its hash
        (`sign_blob_transaction`, then `send_raw_transaction`)."""
        signed = self.sign_blob_transaction(account, to, data, blobs, **terms)
        try:
            self.send_raw_transaction(signed.raw)
        except L1Error:
            self.reset_nonce(account.address)
            raise
        return signed.tx_hash

    def sign_blob_transaction(
        self,
        account: LocalAccount,
        to: str,
        data: bytes,
        blobs: Sequence[bytes] | BlobSidecar,
        *,
        sidecar: SidecarChoice = "auto",
        value: int = 0,
        gas: int | None = None,
        nonce: int | None = None,
        fees: Fees | None = None,
        max_fee_per_blob_gas: int | None = None,
    ) -> SignedTx:
        """A signed type-3 transaction carrying `blobs`, not sent (its hash, raw network form and
        gas limit), so that a caller can record it before it sends it.

        eth-account signs only the body (versioned hashes computed here with a setup loaded once);
        the sidecar is attached afterwards. Pass a prebuilt BlobSidecar to reuse its proofs
        (e.g. when replacing a stuck transaction); its form wins over `sidecar`.
        The blob fee cap defaults to max(2 × eth_blobBaseFee, 1 gwei).
        """
        built = blobs if isinstance(blobs, BlobSidecar) else kzg.build_sidecar(blobs, self._resolve_form(sidecar))
        hashes = [to_hex(h) for h in built.versioned_hashes]
        blob_fee_cap = max_fee_per_blob_gas
        if blob_fee_cap is None:
            blob_fee_cap = max(2 * self.blob_base_fee(), MIN_BLOB_FEE_CAP)
        if gas is None:
            gas = self.estimate_gas(
                {
                    "from": account.address,
                    "to": to,
                    "data": to_hex(data),
                    "value": hex(value),
                    "type": "0x3",
                    "blobVersionedHashes": hashes,
                    "maxFeePerBlobGas": hex(blob_fee_cap),
                }
            ) * 6 // 5
        tx = self._base_tx(account, to, data, value, nonce, fees)
        tx.update(
            type=BLOB_TX_TYPE,
            gas=gas,
            accessList=[],
            maxFeePerBlobGas=blob_fee_cap,
            blobVersionedHashes=list(built.versioned_hashes),
        )
        tx_hash, raw = self._sign(account, tx, built)
        return SignedTx(tx_hash, raw, gas)

    def send_blob_transaction(
        self, account: LocalAccount, to: str, data: bytes, blobs: Sequence[bytes] | BlobSidecar, *, timeout: float | None = None,
        **terms: Unpack[BlobTxTerms],
    ) -> L1Receipt:
        """submit_blob_transaction, then wait for a successful receipt (a revert raises L1Error)."""
        tx_hash = self.submit_blob_transaction(account, to, data, blobs, **terms)
        return self.wait_for_receipt(tx_hash, timeout)

    # ------------------------------------------------------------------ receipts

    def get_receipt(self, tx_hash: bytes) -> L1Receipt | None:
        """The receipt of an included transaction, or None while it is pending or unknown."""
        raw = self.rpc("eth_getTransactionReceipt", [to_hex(tx_hash)])
        if raw is None:
            return None
        formatted = self.w3.eth.get_transaction_receipt(to_hex(tx_hash))  # type: ignore[arg-type]
        return L1Receipt(
            tx_hash=bytes(tx_hash),
            block_number=int(raw["blockNumber"], 16),
            block_hash=from_hex(raw["blockHash"]),
            status=int(raw["status"], 16),
            gas_used=int(raw["gasUsed"], 16),
            effective_gas_price=int(raw.get("effectiveGasPrice") or "0x0", 16),
            blob_gas_used=int(raw.get("blobGasUsed") or "0x0", 16),
            blob_gas_price=int(raw.get("blobGasPrice") or "0x0", 16),
            contract_address=Web3.to_checksum_address(raw["contractAddress"]) if raw.get("contractAddress") else None,
            logs=tuple(formatted["logs"]),
        )

    def wait_for_receipt(self, tx_hash: bytes, timeout: float | None = None) -> L1Receipt:
        """Poll until the transaction is included; raise L1Error on timeout or revert (with revert data)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.receipt_timeout)
        delay = 0.005  # automining devnets answer within milliseconds; back off to poll_interval
        while True:
            receipt = self.get_receipt(tx_hash)
            if receipt is not None:
                break
            if time.monotonic() > deadline:
                raise L1Error(f"transaction {to_hex(tx_hash)} not included in time", tx_hash=bytes(tx_hash))
            time.sleep(delay)
            delay = min(delay * 2, self.poll_interval)
        if receipt.status != 1:
            raise L1Error(
                f"transaction {to_hex(tx_hash)} reverted in block {receipt.block_number}",
                revert_data=self.replay_revert_data(tx_hash, receipt.block_number),
                tx_hash=bytes(tx_hash),
            )
        return receipt

    def replay_revert_data(self, tx_hash: bytes, block_number: int) -> bytes | None:
        """Re-run a reverted transaction with eth_call on the parent block's state to get its revert data."""
        tx = self.rpc("eth_getTransactionByHash", [to_hex(tx_hash)])
        if tx is None:
            return None
        call = {k: tx[k] for k in ("from", "to", "input", "value", "gas") if tx.get(k) is not None}
        if tx.get("blobVersionedHashes"):
            call["blobVersionedHashes"] = tx["blobVersionedHashes"]
            call["maxFeePerBlobGas"] = tx.get("maxFeePerBlobGas")
        try:
            self.rpc("eth_call", [call, hex(max(block_number - 1, 0))])
        except L1Error as exc:
            return exc.revert_data
        return None

    # ------------------------------------------------------------------ blobs back from L1

    def get_blob(self, versioned_hash: bytes) -> bytes:
        """A blob by versioned hash from an anvil L1 (`anvil_getBlobByHash`), verified against the hash."""
        return self.get_blobs([versioned_hash])[versioned_hash]

    def get_blobs(self, versioned_hashes: Sequence[bytes]) -> dict[bytes, bytes]:
        """`get_blob` of each hash, the blobs checked together (on every KZG worker)."""
        blobs = {}
        for versioned_hash in versioned_hashes:
            result = self.rpc("anvil_getBlobByHash", [to_hex(versioned_hash)])
            if result is None:
                raise L1Error(f"L1 has no blob {to_hex(versioned_hash)}")
            blobs[bytes(versioned_hash)] = from_hex(result)
        checked = kzg.verify_blobs([(blob, versioned_hash) for versioned_hash, blob in blobs.items()])
        for versioned_hash, matches in zip(blobs, checked, strict=True):
            if not matches:
                raise L1Error(f"L1 returned a blob that does not match {to_hex(versioned_hash)}")
        return blobs

    def get_blobs_by_transaction(self, tx_hash: bytes) -> tuple[bytes, ...]:
        """The blobs of a type-3 transaction in order, each verified against its versioned hash."""
        tx = self.rpc("eth_getTransactionByHash", [to_hex(tx_hash)])
        if tx is None:
            raise L1Error(f"unknown transaction {to_hex(tx_hash)}")
        return tuple(self.get_blob(from_hex(h)) for h in tx.get("blobVersionedHashes") or [])

    def get_blobs_from_beacon(
        self, beacon_url: str, block_id: int | str, versioned_hashes: Sequence[bytes]
    ) -> dict[bytes, bytes]:
        """Blobs of a beacon block by versioned hash, verified; see `fetch_beacon_blobs`."""
        return fetch_beacon_blobs(beacon_url, block_id, versioned_hashes, timeout=self.request_timeout)


def _get_json(url: str, timeout: float) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
        except ValueError:
            body = None
        return exc.code, body
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise L1Error(f"GET {url}: {exc}") from exc


def beacon_genesis_time(beacon_url: str, timeout: float = 30.0) -> int:
    """The beacon chain's genesis time (`GET /eth/v1/beacon/genesis`), to turn timestamps into slots."""
    status, body = _get_json(f"{beacon_url.rstrip('/')}/eth/v1/beacon/genesis", timeout)
    try:
        return int(body["data"]["genesis_time"])
    except (TypeError, KeyError, ValueError):
        raise L1Error(f"beacon API at {beacon_url} gave no genesis time (HTTP {status})") from None


def fetch_beacon_blobs(
    beacon_url: str, block_id: int | str, versioned_hashes: Sequence[bytes], *, timeout: float = 30.0
) -> dict[bytes, bytes]:
    """Fetch the blobs with `versioned_hashes` of beacon block `block_id` from a beacon API.

    Tries `GET /eth/v1/beacon/blobs/{block_id}` (Fulu; anvil serves it on its
    RPC port, keyed by execution block number) and falls back to the older
    `GET /eth/v1/beacon/blob_sidecars/{block_id}`. Each blob returned is verified against its
    versioned hash; a missing or mismatching blob raises L1Error.
    """
    wanted = [bytes(h) for h in versioned_hashes]
    base = beacon_url.rstrip("/")
    # No `versioned_hashes` query filter: servers differ on array query parameters (anvil 1.7.1
    # honours one hash only), so fetch the block's blobs and match them here.
    status, body = _get_json(f"{base}/eth/v1/beacon/blobs/{block_id}", timeout)
    found: dict[bytes, bytes] = {}
    if status == 200 and isinstance(body, Mapping):
        for item in body.get("data") or []:
            blob = from_hex(item)
            found[kzg.blob_versioned_hash(blob)] = blob
    else:
        status, body = _get_json(f"{base}/eth/v1/beacon/blob_sidecars/{block_id}", timeout)
        if status != 200 or not isinstance(body, Mapping):
            raise L1Error(f"beacon API at {base} has no blobs for block {block_id} (HTTP {status})")
        for item in body.get("data") or []:
            blob = from_hex(item["blob"])
            claimed = kzg.versioned_hash(from_hex(item["kzg_commitment"]))
            if claimed in wanted and not kzg.verify_blob(blob, claimed):
                raise L1Error(f"beacon blob does not match its commitment {to_hex(claimed)}")
            found[claimed] = blob
    missing = [h for h in wanted if h not in found]
    if missing:
        raise L1Error(f"beacon block {block_id} lacks blobs {', '.join(to_hex(h) for h in missing)}")
    return {h: found[h] for h in wanted}
