"""JSON-lines sinks for the runner (SPEC I1–I3) with redaction at the sink (SPEC I4)."""

from __future__ import annotations

import json

import pytest
from loguru import logger

from accountbuilder.records.examples import example_exit, example_halt, example_rejection
from accountbuilder.records.sinks import (
    RecordKind,
    log_record,
    sink_config,
    text_format,
)

KEY = "CANARYKEYq7Xw2Lm9"
SECRET = "CanarySecret0Zp4Rt8Vb3Nq6Hs1"


@pytest.fixture
def sinks(tmp_path):
    ids = [logger.add(**sink_config(kind, tmp_path, secrets=[KEY, SECRET])) for kind in RecordKind]
    yield tmp_path
    for handler_id in ids:
        logger.remove(handler_id)


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_i1_trade_record_is_one_json_line_in_trades_jsonl(sinks):
    log_record(logger, RecordKind.TRADES, example_exit())

    assert _lines(sinks / "trades.jsonl") == [json.loads(json.dumps(example_exit().to_dict()))]
    assert not (sinks / "halts.jsonl").read_text()


def test_i2_i3_each_kind_goes_to_its_own_file(sinks):
    log_record(logger, RecordKind.HALTS, example_halt())
    log_record(logger, RecordKind.DECISIONS, example_rejection())
    log_record(logger, RecordKind.METRICS, {"day": "2024-03-01", "trades": 2})

    assert [r["record"] for r in _lines(sinks / "halts.jsonl")] == ["halt"]
    assert [r["reason"] for r in _lines(sinks / "decisions.jsonl")] == ["EV_TOO_LOW"]
    assert _lines(sinks / "metrics.jsonl") == [{"day": "2024-03-01", "trades": 2}]


def test_i4_sink_masks_secrets_in_the_record_and_in_the_exception(sinks):
    try:
        raise PermissionError(f"bad signature for key {KEY}")
    except PermissionError:
        logger.bind(record_kind="halts", record_payload={"note": f"secret={SECRET}"}).exception("x")

    text = (sinks / "halts.jsonl").read_text(encoding="utf-8")
    (line,) = _lines(sinks / "halts.jsonl")
    assert KEY not in text and SECRET not in text
    assert line["note"] == "secret=***"
    assert "bad signature for key ***" in line["exception"]


def test_i4_log_record_is_not_dropped_by_the_disabled_library_logger(sinks):
    # accountbuilder/__init__.py disables the library's logger; log_record logs as its caller
    logger.disable("accountbuilder")
    log_record(logger, RecordKind.DECISIONS, example_rejection())

    assert len(_lines(sinks / "decisions.jsonl")) == 1


def test_i4_sink_config_turns_off_variable_dumps_in_tracebacks(tmp_path):
    config = sink_config(RecordKind.TRADES, tmp_path)

    assert config["diagnose"] is False
    assert config["sink"] == str(tmp_path / "trades.jsonl")
    assert config["retention"] is None


def test_i4_text_format_masks_message_and_traceback(tmp_path):
    path = tmp_path / "runner.log"
    handler_id = logger.add(str(path), format=text_format([KEY]), diagnose=False)
    try:
        logger.info("connecting with {}", KEY)
        try:
            raise ConnectionError(KEY)
        except ConnectionError:
            logger.exception("lost")
    finally:
        logger.remove(handler_id)

    text = path.read_text(encoding="utf-8")
    assert KEY not in text
    assert "connecting with ***" in text
    assert "ConnectionError: ***" in text


def test_i4_unserialisable_payload_is_written_masked_not_dropped(sinks):
    class Holder:
        def __str__(self):
            return f"Holder({KEY})"

    log_record(logger, RecordKind.METRICS, {"ratio": float("nan"), "who": Holder()})

    assert _lines(sinks / "metrics.jsonl") == [{"ratio": "nan", "who": "Holder(***)"}]
