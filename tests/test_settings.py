"""Settings come from a TOML file, CLOBNODE_<SECTION>_<KEY> variables and flags, in that order,
validated; `clobnode init` writes a commented file that reads back as the defaults."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from clobnode import settings
from clobnode.config import ApiConfig, L1Config, ProposerConfig
from clobnode.dev import demo
from clobnode.dev.devnet import free_port
from clobnode.l1.client import L1Client
from waiting import until

CLOBNODE = [sys.executable, "-m", "clobnode.cli"]


def test_init_writes_every_setting_with_its_comment_and_it_reads_back_as_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "clobnode.toml"
    subprocess.run([*CLOBNODE, "init", "--out", str(path)], check=True, capture_output=True)
    text = path.read_text()
    assert "# Which blocks count as settled enough to derive" in text and "[api.admission]" in text
    parsed = tomllib.loads(text)
    assert parsed["api"]["port"] == 7700 and parsed["l1"]["head"] == "latest"
    run, config = settings.load(path, env={}, flags={"l1.rpc_url": "http://l1", "node.deployment": "d.json"})
    assert config is not None and config.l1 == L1Config(rpc_url="http://l1") and config.api == ApiConfig()
    assert config.store.path == run.data_dir / "clobnode.sqlite" and config.proposer == ProposerConfig()
    again = subprocess.run([*CLOBNODE, "init", "--out", str(path)], capture_output=True, text=True, check=False)
    assert again.returncode == 1 and again.stderr.strip() == f"clobnode: {path} exists; --force overwrites it"


def test_the_environment_overrides_the_file_and_flags_override_both(tmp_path: Path) -> None:
    path = tmp_path / "clobnode.toml"
    path.write_text('[l1]\nrpc_url = "http://from-file"\nconfirmations = 3\n[api]\nport = 1111\n[api.admission]\nburst = 7\n')
    env = {"CLOBNODE_API_PORT": "2222", "CLOBNODE_API_ADMISSION_RATE_PER_S": "9.5", "CLOBNODE_PROPOSER_PRIVATE_KEY": "0xabc"}
    _, config = settings.load(path, env=env, flags={"api.port": 3333, "l1.confirmations": None})
    assert config is not None
    assert (config.l1.rpc_url, config.l1.confirmations, config.api.port) == ("http://from-file", 3, 3333)
    assert (config.api.admission.burst, config.api.admission.rate_per_s) == (7, 9.5)
    assert config.proposer.private_key == "0xabc"
    _, config = settings.load(path, env=env)
    assert config is not None and config.api.port == 2222


@pytest.mark.parametrize(
    "text, words",
    [
        ("[l1]\nrpc_url = \"x\"\nconfirmation = 3\n", "unknown setting [l1] confirmation"),
        ("[l2]\nx = 1\n", "unknown section [l2]"),
        ("[l1]\nrpc_url = \"x\"\n[api]\nport = \"abc\"\n", "[api] port: "),
        ("[proposer]\nprivate_key = \"0x12\"\n", "keys do not belong in the file"),
        ("[l1\n", "is not valid TOML"),
    ],
)
def test_a_bad_setting_is_one_clear_error(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "clobnode.toml"
    path.write_text(text)
    with pytest.raises(settings.SettingsError) as error:
        settings.load(path, env={})
    assert words in str(error.value) and "\n" not in str(error.value)


@pytest.mark.devnet
def test_a_node_starts_from_a_config_file_on_a_real_l1(anvil: Any, tmp_path: Path) -> None:
    deployment = tmp_path / "deployment.json"
    deployment.write_text(demo.deploy_and_fund(L1Client(anvil.url)).to_json())
    port = free_port()
    config = tmp_path / "clobnode.toml"
    config.write_text(f'[node]\ndata_dir = "{tmp_path / "data"}"\ndeployment = "{deployment}"\n[l1]\nrpc_url = "{anvil.url}"\n[api]\nport = 1\n')
    node = subprocess.Popen([*CLOBNODE, "start", "--config", str(config)], env={**_env(), "CLOBNODE_API_PORT": str(port)},
                            stdout=(tmp_path / "node.log").open("w"), stderr=subprocess.STDOUT, text=True)
    try:
        status = until(lambda: _status(f"http://127.0.0.1:{port}"), "the node's API")
        until(lambda: (s := _status(f"http://127.0.0.1:{port}")) and s["inboxNextIndex"] == 4, "the deposits")
        assert status["chainId"] == 31337 and (tmp_path / "data" / "clobnode.sqlite").is_file()
    finally:
        node.send_signal(signal.SIGINT)
        code = node.wait(timeout=30)
        assert code == 0, (tmp_path / "node.log").read_text()


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def _status(api: str) -> Any:
    try:
        with urllib.request.urlopen(api + "/status", timeout=5) as response:
            return json.loads(response.read())
    except OSError:
        return None
