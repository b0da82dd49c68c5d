"""Logs are one line per record: text for a terminal, or JSON objects for a log pipeline."""

from __future__ import annotations

import io
import json
import logging

import pytest
from clobnode import logs


def test_json_logs_are_one_object_a_line_with_the_exception_inside() -> None:
    stream = io.StringIO()
    logs.configure(False, "json", stream)
    log = logging.getLogger("clobnode.test")
    log.info("derived block %d", 7)
    log.debug("not shown below INFO")
    try:
        raise ValueError("bad blob")
    except ValueError:
        log.exception("sync failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (first["level"], first["logger"], first["message"]) == ("info", "clobnode.test", "derived block 7")
    assert first["time"].endswith("Z") and "T" in first["time"]
    assert second["message"] == "sync failed" and "ValueError: bad blob" in second["exception"]


def test_text_logs_and_a_bad_format() -> None:
    stream = io.StringIO()
    logs.configure(True, "text", stream)
    logging.getLogger("clobnode.test").debug("shown when verbose")
    assert stream.getvalue().rstrip().endswith("DEBUG clobnode.test: shown when verbose")
    with pytest.raises(ValueError, match="text or json"):
        logs.configure(False, "xml")
    logs.configure(False, "text")
