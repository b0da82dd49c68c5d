"""The L1 contracts from the node's side: forge artifacts, deployment, and the deployed addresses."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract

from clobnode.errors import ClobnodeError
from clobnode.hexbytes import from_hex, to_hex
from clobnode.l1.client import L1Client, L1Error

#: Environment variable: the forge `out/` directory to load artifacts from.
ARTIFACTS_ENV: Final = "CLOBNODE_ARTIFACTS"
ZERO_BYTES32: Final = bytes(32)

#: Devnet Rollup timing (seconds): an unproven entry older than the escape deadline lets anyone
#: freeze the Rollup; a verifier change waits the (longer) upgrade delay. See docs/CONTRACTS.md.
DEVNET_ESCAPE_DEADLINE: Final = 7 * 24 * 3600
DEVNET_UPGRADE_DELAY: Final = 8 * 24 * 3600

#: The address fields of a market (hex in the deployment file, bytes in the engine).
MARKET_ADDRESSES = frozenset({"base", "quote", "fee_recipient"})
#: Builds the genesis state root from (chain_id, inbox, vault, markets in the engine's form).
GenesisRootFn = Callable[[int, str, str, list[dict[str, Any]]], bytes]


class ContractsError(ClobnodeError):
    """A contract artifact is missing or malformed, or a deployment failed."""


@dataclass(frozen=True, slots=True)
class Artifact:
    """A compiled contract: its ABI and creation bytecode (from forge's `out/<Name>.sol/<Name>.json`)."""

    name: str
    abi: tuple[Mapping[str, Any], ...]
    bytecode: bytes

    def _factory(self) -> type[Contract]:
        return Web3().eth.contract(abi=list(self.abi), bytecode=self.bytecode)

    def creation_data(self, *args: Any) -> bytes:
        """Creation bytecode followed by the ABI-encoded constructor arguments."""
        try:
            data = self._factory().constructor(*args).data_in_transaction
        except Exception as exc:
            raise ContractsError(f"{self.name} constructor{args!r}: {exc}") from exc
        return Web3.to_bytes(hexstr=data)

    def encode_call(self, function: str, *args: Any) -> bytes:
        """Calldata for `function(*args)` of this contract."""
        try:
            return Web3.to_bytes(hexstr=self._factory().encode_abi(function, args=list(args)))
        except Exception as exc:
            raise ContractsError(f"{self.name}.{function}{args!r}: {exc}") from exc

    def at(self, l1: L1Client, address: str) -> Contract:
        """A web3 contract object bound to `address` on `l1` (for views and event decoding)."""
        return l1.w3.eth.contract(address=Web3.to_checksum_address(address), abi=list(self.abi))


def _search_roots() -> list[Path]:
    roots = [Path.cwd().resolve(), Path(__file__).resolve().parent]
    return [d for root in roots for d in (root, *root.parents)]


def artifacts_dir() -> Path:
    """forge's `out/`: env CLOBNODE_ARTIFACTS, else the nearest `out/` beside a foundry.toml,
    searched upward from the working directory and from this package."""
    override = os.environ.get(ARTIFACTS_ENV)
    if override:
        return Path(override)
    for directory in _search_roots():
        if (directory / "foundry.toml").is_file():
            return directory / "out"
    raise ContractsError(f"no foundry.toml found; set {ARTIFACTS_ENV} to forge's out/ directory")


@functools.cache
def _load_artifact(directory: Path, name: str) -> Artifact:
    path = directory / f"{name}.sol" / f"{name}.json"
    try:
        raw = json.loads(path.read_text())
        bytecode = Web3.to_bytes(hexstr=raw["bytecode"]["object"])
    except FileNotFoundError:
        raise ContractsError(f"artifact {path} not found: run `make contracts` (forge build)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ContractsError(f"artifact {path} is malformed: {exc}") from exc
    return Artifact(name=name, abi=tuple(raw["abi"]), bytecode=bytecode)


def load_artifact(name: str) -> Artifact:
    """The artifact of contract `name` (cached per process)."""
    return _load_artifact(artifacts_dir(), name)


#: The contracts whose custom errors a revert may carry (ours and the OpenZeppelin ones they use).
ERROR_SOURCES = ("Inbox", "Vault", "Rollup", "DevToken", "MockVerifier")


def describe_revert(data: bytes | None) -> str:
    """A revert's data in words: `Error(string)`, `Panic(uint256)`, or a custom error of our
    contracts decoded by their ABIs (`InsufficientFee(required=…, paid=…)`)."""
    if not data or len(data) < 4:
        return "reverted without a reason"
    selector, body = data[:4], data[4:]
    errors = [("Error", [{"name": "reason", "type": "string"}]), ("Panic", [{"name": "code", "type": "uint256"}])]
    for name in ERROR_SOURCES:
        try:
            abi = load_artifact(name).abi
        except ContractsError:
            continue
        errors += [(str(item["name"]), list(item.get("inputs", []))) for item in abi if item.get("type") == "error"]
    for name, inputs in errors:
        types = [str(i["type"]) for i in inputs]
        if Web3.keccak(text=f"{name}({','.join(types)})")[:4] != selector:
            continue
        try:
            values = abi_decode(types, body)
        except (DecodingError, ValueError, OverflowError):  # a selector clash with undecodable data: say what we know
            return f"{name}(…)"
        shown = ", ".join(f"{i.get('name') or '_'}={v.hex() if isinstance(v, bytes) else v}" for i, v in zip(inputs, values))
        return f"{name}({shown})"
    return f"custom error 0x{selector.hex()} (not one of {', '.join(ERROR_SOURCES)})"


def check_deployment(l1: L1Client, deployment: Deployment) -> None:
    """That `deployment` is what this L1 holds: the chain id matches and every contract has code.
    Raises ContractsError (a mismatch) or L1Error (the RPC does not answer)."""
    chain_id = l1.chain_id()
    if chain_id != deployment.chain_id:
        raise ContractsError(f"the L1 RPC serves chain {chain_id}, the deployment file is for chain {deployment.chain_id}")
    for name in ("inbox", "vault", "rollup"):
        address = getattr(deployment, name)
        if l1.rpc("eth_getCode", [address, "latest"]) in (None, "0x", "0x0"):
            raise ContractsError(f"no contract at the deployment's {name} address {address} on chain {chain_id}: wrong deployment file or RPC?")


def deploy(l1: L1Client, account: LocalAccount, name: str, *args: Any) -> ChecksumAddress:
    """Deploy contract `name` with constructor `args` from `account`; return its address."""
    return _deploy(l1, account, name, *args)[0]


def _deploy(l1: L1Client, account: LocalAccount, name: str, *args: Any) -> tuple[ChecksumAddress, int]:
    data = load_artifact(name).creation_data(*args)
    try:
        receipt = l1.send_transaction(account, None, data)
    except L1Error as exc:
        raise ContractsError(f"deploying {name} failed: {describe_revert(exc.revert_data) if exc.revert_data else exc}") from exc
    if receipt.contract_address is None:
        raise ContractsError(f"deploying {name}: the receipt has no contract address")
    return receipt.contract_address, receipt.block_number


@dataclass(frozen=True, slots=True)
class Deployment:
    """Where one clobnode deployment lives on L1; `deploy_block` is the Inbox's creation block
    (no inbox entry is older, so a node derives from there)."""

    chain_id: int
    inbox: ChecksumAddress
    vault: ChecksumAddress
    rollup: ChecksumAddress
    verifier: ChecksumAddress
    base_token: ChecksumAddress
    quote_token: ChecksumAddress
    deploy_block: int
    genesis_state_root: bytes = ZERO_BYTES32
    program_vkey: bytes = ZERO_BYTES32
    # The markets listed at genesis (PROTOCOL.md section 5), addresses as 0x-hex; empty in files
    # written before markets were recorded: then the devnet market of base/quote.
    markets: tuple[dict[str, Any], ...] = ()

    def engine_markets(self) -> list[dict[str, Any]]:
        """The genesis markets as the engine takes them (addresses as bytes)."""
        if not self.markets:
            from clobnode.exchange.engine import devnet_markets

            return devnet_markets(from_hex(self.base_token), from_hex(self.quote_token))
        return [{k: from_hex(v) if k in MARKET_ADDRESSES else v for k, v in m.items()} for m in self.markets]

    def to_json(self) -> str:
        """The deployment file (docs/OPERATING.md): addresses checksummed, bytes as 0x-hex."""
        fields = asdict(self)
        for key in ("genesis_state_root", "program_vkey"):
            fields[key] = to_hex(fields[key])
        fields["markets"] = list(self.markets)
        return json.dumps(fields, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Deployment:
        """Parse `to_json` output (addresses are checksummed, bytes read from 0x-hex)."""
        try:
            raw = json.loads(text)
            addresses = {
                key: Web3.to_checksum_address(raw[key])
                for key in ("inbox", "vault", "rollup", "verifier", "base_token", "quote_token")
            }
            return cls(
                chain_id=int(raw["chain_id"]),
                deploy_block=int(raw["deploy_block"]),
                genesis_state_root=Web3.to_bytes(hexstr=raw.get("genesis_state_root", "0x" + "00" * 32)),
                program_vkey=Web3.to_bytes(hexstr=raw.get("program_vkey", "0x" + "00" * 32)),
                markets=tuple(dict(m) for m in raw.get("markets", [])),
                **addresses,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ContractsError(f"malformed deployment JSON: {exc}") from exc


def deploy_clobnode(
    l1: L1Client,
    deployer: LocalAccount,
    genesis_root_fn: GenesisRootFn,
    *,
    base_token: str,
    quote_token: str,
    verifier: str | None,
    markets: list[dict[str, Any]],
    program_vkey: bytes = ZERO_BYTES32,
    entry_fee: int = 0,
    blob_fee: int = 0,
    fee_recipient: str | None = None,
    owner: str | None = None,
    upgrade_delay: int = DEVNET_UPGRADE_DELAY,
    escape_deadline: int = DEVNET_ESCAPE_DEADLINE,
) -> Deployment:
    """Deploy the Inbox (and its Vault) and the Rollup on any L1, with the genesis root of
    `markets` (engine form, addresses as bytes) and the given verifier (None: a MockVerifier,
    which deploys on dev chains only), then bind the Vault."""
    chain_id = l1.chain_id()
    inbox, deploy_block = _deploy(l1, deployer, "Inbox", entry_fee, blob_fee, fee_recipient or deployer.address)
    vault = Web3.to_checksum_address(load_artifact("Inbox").at(l1, inbox).functions.vault().call())
    if verifier is None:
        verifier = deploy(l1, deployer, "MockVerifier")
    genesis = bytes(genesis_root_fn(chain_id, inbox, vault, markets))
    if len(genesis) != 32:
        raise ContractsError(f"genesis_root_fn returned {len(genesis)} bytes, not 32")
    rollup = deploy(
        l1, deployer, "Rollup", inbox, Web3.to_checksum_address(verifier), bytes(program_vkey), genesis,
        owner or deployer.address, upgrade_delay, escape_deadline,
    )
    try:
        l1.send_transaction(deployer, vault, load_artifact("Vault").encode_call("bindRollup", rollup))
    except L1Error as exc:
        raise ContractsError(f"binding the Vault to the Rollup failed: {describe_revert(exc.revert_data)}") from exc
    return Deployment(
        chain_id=chain_id, inbox=inbox, vault=vault, rollup=rollup, verifier=Web3.to_checksum_address(verifier),
        base_token=Web3.to_checksum_address(base_token), quote_token=Web3.to_checksum_address(quote_token),
        deploy_block=deploy_block, genesis_state_root=genesis, program_vkey=bytes(program_vkey),
        markets=tuple({k: to_hex(v) if k in MARKET_ADDRESSES else v for k, v in m.items()} for m in markets),
    )


def deploy_devnet(
    l1: L1Client,
    deployer: LocalAccount,
    genesis_root_fn: GenesisRootFn,
    *,
    program_vkey: bytes = ZERO_BYTES32,
    base_token: tuple[str, str, int] = ("Dev Wrapped Ether", "WETH", 18),
    quote_token: tuple[str, str, int] = ("Dev USD Coin", "USDC", 6),
) -> Deployment:
    """Deploy a full dev stack: base and quote DevTokens, the MockVerifier (dev chains only), and
    `deploy_clobnode` with zero anti-spam fees and the devnet market."""
    from clobnode.exchange.engine import devnet_markets

    base = deploy(l1, deployer, "DevToken", *base_token)
    quote = deploy(l1, deployer, "DevToken", *quote_token)
    return deploy_clobnode(
        l1, deployer, genesis_root_fn, base_token=base, quote_token=quote, verifier=None,
        markets=devnet_markets(from_hex(base), from_hex(quote)), program_vkey=program_vkey,
    )
