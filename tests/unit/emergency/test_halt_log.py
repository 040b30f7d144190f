"""I2/E5: the halt log entry's persisted format."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.halt_log import HaltLogEntry, HaltLogEvent

T0 = 1_700_000_000_000


def test_i2_entry_to_dict_is_plain_json_with_exact_decimals():
    entry = HaltLogEntry(
        T0,
        HaltLogEvent.RAISED,
        ReasonCode.DROP_1M,
        HaltKind.TEMPORARY,
        figures={"drop_1m": D("-0.10536"), "limit": D("-0.10"), "at_ms": T0 - 15_000},
        context={"market": {"mark": D("30000.5")}, "orders": [{"role": "en"}]},
    )

    data = entry.to_dict()

    assert data == {
        "ts_ms": T0,
        "event": "raised",
        "reason": "DROP_1M",
        "kind": "temporary",
        "figures": {"drop_1m": "-0.10536", "limit": "-0.10", "at_ms": T0 - 15_000},
        "context": {"market": {"mark": "30000.5"}, "orders": [{"role": "en"}]},
        "who": "",
        "why": "",
    }
    assert json.loads(json.dumps(data)) == data


def test_i2_entry_round_trips_through_from_dict():
    entry = HaltLogEntry(
        T0,
        HaltLogEvent.RESET,
        ReasonCode.EQUITY_BELOW_80,
        HaltKind.MANUAL,
        figures={"previous_reasons": "EQUITY_BELOW_80"},
        who="alice",
        why="deposit arrived",
    )

    again = HaltLogEntry.from_dict(json.loads(json.dumps(entry.to_dict())))

    assert again == entry


def test_e5_reset_entry_without_who_or_why_is_refused():
    with pytest.raises(ValueError):
        HaltLogEntry(T0, HaltLogEvent.RESET, ReasonCode.DROP_1M, HaltKind.TEMPORARY, who="alice")
