"""JSON-lines sink configurations for loguru, one file per record kind, with redaction.

The library never adds sinks (``logger.disable("accountbuilder")``). The runner adds one per
``RecordKind``, passing ``sink_config(kind, log_dir, secrets=[api_key, api_secret])`` as the
keyword arguments of loguru's ``add``, then logs with
``log_record(logger, RecordKind.TRADES, trade_exit_record)`` (see docs/store.md).

Each line of ``trades.jsonl`` (and the others) is one record's ``to_dict()`` as JSON, masked
by ``redact``; a logged exception is added as ``"exception"`` (masked traceback text). Loguru's
``diagnose`` (variable values in tracebacks) is off, since it could print a key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from accountbuilder.records.codec import dumps, to_jsonable
from accountbuilder.records.redact import Redactor, exception_text

BIND_KEY = "record_kind"
PAYLOAD_KEY = "record_payload"
_LINE_KEY = "_ab_jsonl_line"
_MSG_KEY = "_ab_text_message"
_EXC_KEY = "_ab_text_exception"

DEFAULT_TEXT_TEMPLATE = "{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <8} | {name}:{line} | "


class RecordKind(StrEnum):
    """The audit files the runner writes (SPEC I1–I3, plus gate decisions)."""

    TRADES = "trades"
    HALTS = "halts"
    DECISIONS = "decisions"
    METRICS = "metrics"

    @property
    def filename(self) -> str:
        return f"{self.value}.jsonl"


def jsonl_format(secrets: Iterable[Any] = ()) -> Callable[[dict[str, Any]], str]:
    """Return a loguru ``format`` function that writes the bound payload as one JSON line."""
    redactor = Redactor(secrets)

    def fmt(record: dict[str, Any]) -> str:
        payload = record["extra"].get(PAYLOAD_KEY)
        body = dict(payload) if isinstance(payload, dict) else {"message": record["message"]}
        if record["exception"] is not None:
            body["exception"] = exception_text(record["exception"].value)
        record["extra"][_LINE_KEY] = _json_line(redactor(body))
        return "{extra[" + _LINE_KEY + "]}\n"

    return fmt


def _json_line(body: dict[str, Any]) -> str:
    # A format function must not raise: loguru would print the raw, unmasked record to stderr.
    return dumps(to_jsonable(body, strict=False))


def text_format(
    secrets: Iterable[Any] = (), template: str = DEFAULT_TEXT_TEMPLATE
) -> Callable[[dict[str, Any]], str]:
    """Return a loguru ``format`` function for a human log whose message and traceback are masked."""
    redactor = Redactor(secrets)

    def fmt(record: dict[str, Any]) -> str:
        record["extra"][_MSG_KEY] = redactor(record["message"])
        exc = record["exception"]
        record["extra"][_EXC_KEY] = "" if exc is None else redactor(exception_text(exc.value))
        return template + "{extra[" + _MSG_KEY + "]}\n{extra[" + _EXC_KEY + "]}"

    return fmt


def kind_filter(kind: RecordKind) -> Callable[[dict[str, Any]], bool]:
    """Return a loguru ``filter`` that passes only messages bound to ``kind``."""

    def keep(record: dict[str, Any]) -> bool:
        return record["extra"].get(BIND_KEY) == kind.value

    return keep


def sink_config(
    kind: RecordKind,
    log_dir: str | Path,
    *,
    secrets: Iterable[Any] = (),
    rotation: str | int | None = "100 MB",
    retention: str | int | None = None,
    compression: str | None = None,
) -> dict[str, Any]:
    """Return the keyword arguments of loguru's ``add`` for ``<log_dir>/<kind>.jsonl``.

    Audit files are kept by default (``retention=None``); rotation starts a new file at 100 MB.
    """
    return {
        "sink": str(Path(log_dir) / kind.filename),
        "level": 0,
        "format": jsonl_format(secrets),
        "filter": kind_filter(kind),
        "serialize": False,
        "rotation": rotation,
        "retention": retention,
        "compression": compression,
        "encoding": "utf-8",
        "colorize": False,
        "backtrace": False,
        "diagnose": False,
    }


def log_record(logger: Any, kind: RecordKind, record: Any) -> None:
    """Log ``record`` (anything with ``to_dict()``, or a dict) to the ``kind`` sink.

    Logged as from the caller's module (``opt(depth=1)``): records logged from inside the
    library would be dropped by ``logger.disable("accountbuilder")``.
    """
    payload = record.to_dict() if hasattr(record, "to_dict") else dict(record)
    bound = logger.opt(depth=1).bind(**{BIND_KEY: kind.value, PAYLOAD_KEY: payload})
    bound.info(kind.value)
