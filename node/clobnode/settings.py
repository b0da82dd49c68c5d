"""Settings: a node's configuration from three layers, each over the one before: the TOML file
(`clobnode init` writes a commented one), `CLOBNODE_<SECTION>_<KEY>` environment variables, and
command-line flags. Every value is validated against the config's own types (pydantic over the
dataclasses of `config.py`); an unknown key or a bad value is one clear error.

Sections: `[node]` (data_dir, deployment), `[l1]`, `[store]`, `[proposer]`, `[prover]`,
`[settler]`, `[api]` and `[api.admission]`: the fields of `config.py`, whose comments are
the template's.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from clobnode.config import (
    AdmissionConfig,
    ApiConfig,
    L1Config,
    NodeConfig,
    ProposerConfig,
    ProverConfig,
    SettlerConfig,
    StoreConfig,
)
from clobnode.errors import ClobnodeError

ENV_PREFIX = "CLOBNODE_"


class SettingsError(ClobnodeError):
    """A configuration file, variable or flag that does not describe a node."""


@dataclasses.dataclass(frozen=True, slots=True)
class RunConfig:
    """Where the node keeps its data and which deployment it follows."""

    data_dir: Path = Path(".clobnode")
    deployment: Path | None = None  # the deployment file (`clobnode deploy`); none: an embedded devnet


#: Section name → its dataclass. `store.path` is derived from `node.data_dir`, and the keys of
#: proposer and settler come from keystores or the environment, not the file.
SECTIONS: dict[str, type] = {
    "node": RunConfig, "l1": L1Config, "store": StoreConfig, "proposer": ProposerConfig, "prover": ProverConfig,
    "settler": SettlerConfig, "api": ApiConfig, "api.admission": AdmissionConfig,
}
DERIVED = {("store", "path"), ("api", "admission")}
SECRET = {("proposer", "private_key"), ("settler", "private_key")}


def env_name(section: str, key: str) -> str:
    return ENV_PREFIX + f"{section.replace('.', '_')}_{key}".upper()


def _fields(section: str) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(SECTIONS[section]) if (section, f.name) not in DERIVED]


def _layer(raw: dict[str, Any], env: Mapping[str, str], flags: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    layered: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        table = raw
        for part in section.split("."):
            table = table.get(part, {}) if isinstance(table, dict) else {}
        known = {f.name for f in _fields(section)}
        nested = {name for name in SECTIONS if name.startswith(section + ".")}
        for key in table:
            if key not in known and f"{section}.{key}" not in nested:
                raise SettingsError(f"unknown setting [{section}] {key} (known: {', '.join(sorted(known))})")
            if (section, key) in SECRET:
                raise SettingsError(f"[{section}] {key}: keys do not belong in the file; use {env_name(section, key)} or [{section}] keystore")
        values = {k: v for k, v in table.items() if k in known}
        for name in known:
            if env_name(section, name) in env:
                values[name] = env[env_name(section, name)]
            if f"{section}.{name}" in flags and flags[f"{section}.{name}"] is not None:
                values[name] = flags[f"{section}.{name}"]
        layered[section] = values
    return layered


def _build(cls: type, section: str, values: dict[str, Any]) -> Any:
    try:
        return TypeAdapter(cls).validate_python(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "?"
        raise SettingsError(f"[{section}] {where}: {first['msg']} (got {first.get('input')!r})") from None


def load(path: Path | None, env: Mapping[str, str] | None = None, flags: Mapping[str, Any] | None = None) -> tuple[RunConfig, NodeConfig | None]:
    """The layered settings: the run config, and the node config when an L1 RPC URL is set
    (None: run an embedded devnet). `flags` are keyed "section.key"."""
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise SettingsError(f"no configuration file at {path} (`clobnode init` writes one)") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    unknown = set(raw) - {s.split(".")[0] for s in SECTIONS}
    if unknown:
        raise SettingsError(f"unknown section [{min(unknown)}] (known: {', '.join(sorted({s.split('.')[0] for s in SECTIONS}))})")
    layered = _layer(raw, os.environ if env is None else env, flags or {})
    run: RunConfig = _build(RunConfig, "node", layered["node"])
    if not layered["l1"].get("rpc_url"):
        return run, None
    store = {**layered["store"], "path": run.data_dir / "clobnode.sqlite"}
    admission = _build(AdmissionConfig, "api.admission", layered["api.admission"])
    try:
        config = NodeConfig(
            l1=_build(L1Config, "l1", layered["l1"]),
            store=_build(StoreConfig, "store", store),
            proposer=_build(ProposerConfig, "proposer", layered["proposer"]),
            prover=_build(ProverConfig, "prover", layered["prover"]),
            settler=_build(SettlerConfig, "settler", layered["settler"]),
            api=_build(ApiConfig, "api", {**layered["api"], "admission": admission}),
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    return run, config


def with_keys(config: NodeConfig) -> NodeConfig:
    """`config` with the proposer's and settler's keys read from their keystores, where given
    (password: $CLOBNODE_KEYSTORE_PASSWORD, else a prompt)."""
    from clobnode.trader.keys import load_account

    proposer, settler = config.proposer, config.settler
    if proposer.keystore and not proposer.private_key:
        proposer = dataclasses.replace(proposer, private_key=load_account(Path(proposer.keystore)).key.hex())
    if settler.keystore and not settler.private_key:
        settler = dataclasses.replace(settler, private_key=load_account(Path(settler.keystore)).key.hex())
    return dataclasses.replace(config, proposer=proposer, settler=settler)


# ---- the template -------------------------------------------------------------------------


def _comments(cls: type) -> dict[str, list[str]]:
    """Each field's comment lines in `config.py` (the block above it and the one after it)."""
    notes: dict[str, list[str]] = {}
    pending: list[str] = []
    for line in inspect.getsource(cls).splitlines()[1:]:
        stripped = line.strip()
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("# ").rstrip())
            continue
        match = re.match(r"(\w+):[^=#]*(?:=[^#]*)?(?:#\s*(.*))?$", stripped)
        if match and not stripped.startswith(('"""', "def ", "@")):
            notes[match.group(1)] = [*pending, *([match.group(2)] if match.group(2) else [])]
        pending = []
    return notes


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def template() -> str:
    """A commented `clobnode.toml` with every setting at its default (`clobnode init`)."""
    lines = [
        "# clobnode configuration. Each setting may also come from the environment as",
        "# CLOBNODE_<SECTION>_<KEY> (e.g. CLOBNODE_L1_RPC_URL, CLOBNODE_API_ADMISSION_RATE_PER_S),",
        "# and from `clobnode start` flags; flags win over the environment, which wins over this file.",
        "# Keys never go here: CLOBNODE_PROPOSER_PRIVATE_KEY / CLOBNODE_SETTLER_PRIVATE_KEY, or a",
        "# keystore file (`keystore = \"...\"`, password in CLOBNODE_KEYSTORE_PASSWORD).",
    ]
    for section, cls in SECTIONS.items():
        lines += ["", f"[{section}]"]
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        lines.append(f"# {doc}")
        notes = _comments(cls)
        for f in _fields(section):
            if (section, f.name) in SECRET:
                continue
            lines += [f"# {note}" for note in notes.get(f.name, [])]
            default = f.default if f.default is not dataclasses.MISSING else None
            if f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            if section == "l1" and f.name == "rpc_url":
                lines.append('# rpc_url = "https://…"   (required for a real L1; unset: an embedded anvil devnet)')
            elif default is None:
                lines.append(f"# {f.name} =")
            else:
                lines.append(f"{f.name} = {_toml(default)}")
    return "\n".join(lines) + "\n"
