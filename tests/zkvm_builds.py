"""Which zkVM builds a test needs: without them the test skips, unless CLOBNODE_REQUIRE_ZKVM=1
(set by scripts/run-tests.sh, after `make zkvm`), where a missing build is a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def require_built(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        message = f"SP1 build missing (make zkvm): {', '.join(missing)}"
        if os.environ.get("CLOBNODE_REQUIRE_ZKVM") == "1":
            pytest.fail(message)
        pytest.skip(message)
