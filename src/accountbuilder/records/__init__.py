"""Audit records (SPEC I1–I3) and their JSON-lines sinks, with secret redaction (SPEC I4).

Pure value types and aggregators; nothing here touches disk. ``accountbuilder.store`` persists
them and ``records.sinks`` gives the runner loguru sink configurations.
"""

from accountbuilder.records.daily_metrics import DailyMetrics, DailyRollup, EquitySample, utc_day
from accountbuilder.records.decision_log import DecisionRecord, DecisionRun, collapse_runs
from accountbuilder.records.halt_log import HaltEvent, HaltRecord
from accountbuilder.records.redact import Redactor, redact
from accountbuilder.records.trade_log import TradeEntryRecord, TradeExitRecord

__all__ = [
    "DailyMetrics",
    "DailyRollup",
    "DecisionRecord",
    "DecisionRun",
    "EquitySample",
    "HaltEvent",
    "HaltRecord",
    "Redactor",
    "TradeEntryRecord",
    "TradeExitRecord",
    "collapse_runs",
    "redact",
    "utc_day",
]
