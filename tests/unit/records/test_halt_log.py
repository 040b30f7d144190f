"""Halt log records (SPEC I2, E5): reason, kind, event, figures and a five-part context."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.records.examples import example_halt
from accountbuilder.records.halt_log import CONTEXT_PARTS, HaltEvent, HaltRecord


def test_i2_context_always_has_market_account_position_orders_health():
    record = HaltRecord(
        1,
        ReasonCode.BALANCE_ANOMALY,
        HaltKind.MANUAL,
        HaltEvent.RAISED,
        context={"account": {"equity_btc": None}},
    )

    assert tuple(record.context) == CONTEXT_PARTS
    assert record.context["account"] == {"equity_btc": None}
    assert record.context["market"] is None


def test_i2_context_and_figures_are_stored_as_json_values():
    d = example_halt().to_dict()

    assert d["figures"] == {"drop_1m": "-0.105", "threshold": "-0.10"}
    # drop_1m = 44750 / 50000 - 1 = -0.105 (SPEC E1)
    assert D(d["context"]["market"]["mark_price"]) / D(d["context"]["market"]["high_1m"]) - 1 == D(
        "-0.105"
    )
    assert d["context"]["health"]["latency_ms"] == 180


def test_i2_record_round_trips_through_its_dict():
    record = example_halt()

    assert HaltRecord.from_dict(record.to_dict()) == record


def test_i2_builds_from_the_emergency_modules_plain_dict():
    # the shape of emergency.halt_log.HaltLogEntry.to_dict() (not imported: it is another module)
    entry = {
        "ts_ms": 1_000,
        "event": "reset",
        "reason": "EQUITY_BELOW_80",
        "kind": "manual",
        "figures": {"equity_usd": "79.5"},
        "context": {"account": {"equity_btc": "0.0013"}},
        "who": "alice",
        "why": "deposit made, equity back to 150 USD",
    }

    record = HaltRecord.from_dict(entry)

    assert (record.event, record.reason, record.kind) == (
        HaltEvent.RESET,
        ReasonCode.EQUITY_BELOW_80,
        HaltKind.MANUAL,
    )
    assert (record.who, record.why) == ("alice", "deposit made, equity back to 150 USD")
    assert record.figures == {"equity_usd": "79.5"}
    assert record.extra == {}


def test_i2_from_dict_accepts_other_spellings_and_keeps_unknown_keys():
    record = HaltRecord.from_dict(
        {
            "now_ms": 5,
            "reason_code": ReasonCode.LATENCY_HIGH,
            "halt_kind": HaltKind.TEMPORARY,
            "event": HaltEvent.RAISED,
            "snapshot": {"health": {"latency_s": "5.2"}},
            "tick": 42,
        }
    )

    assert (record.ts_ms, record.reason, record.kind) == (
        5,
        ReasonCode.LATENCY_HIGH,
        HaltKind.TEMPORARY,
    )
    assert record.context["health"] == {"latency_s": "5.2"}
    assert record.extra == {"tick": 42}


def test_i2_from_dict_names_what_is_missing():
    with pytest.raises(ValueError, match="lacks kind, event"):
        HaltRecord.from_dict({"ts_ms": 1, "reason": "DROP_1M"})


def test_i2_unknown_reason_code_is_refused():
    with pytest.raises(ValueError):
        HaltRecord.from_dict({"ts_ms": 1, "reason": "NOPE", "kind": "manual", "event": "raised"})


@pytest.mark.parametrize(("who", "why"), [("", "because"), ("bob", ""), ("  ", "  ")])
def test_e5_reset_record_requires_who_and_why(who, why):
    with pytest.raises(ValueError, match="who did it and why"):
        HaltRecord(
            1, ReasonCode.EQUITY_BELOW_80, HaltKind.MANUAL, HaltEvent.RESET, who=who, why=why
        )


def test_e5_raise_needs_no_who():
    record = replace(example_halt(), event=HaltEvent.ESCALATED, kind=HaltKind.MANUAL)

    assert record.event is HaltEvent.ESCALATED


def test_i2_events_that_open_and_close_a_halt():
    assert {e for e in HaltEvent if e.opens} == {HaltEvent.RAISED, HaltEvent.ESCALATED}
    assert {e for e in HaltEvent if e.closes} == {
        HaltEvent.COOLDOWN_STARTED,
        HaltEvent.LIFTED,
        HaltEvent.RESET,
    }


def test_e3_balance_anomaly_snapshot_with_nan_is_still_recorded():
    record = HaltRecord(
        1,
        ReasonCode.BALANCE_ANOMALY,
        HaltKind.MANUAL,
        HaltEvent.RAISED,
        figures={"equity_btc": float("nan")},
        context={"account": {"wallet_balance": float("-inf"), "raw": b"garbage"}},
    )

    assert record.figures == {"equity_btc": "nan"}
    assert record.to_dict()["context"]["account"] == {"wallet_balance": "-inf", "raw": "b'garbage'"}
