"""Decision records and the collapsing of identical consecutive rejections (SPEC D, I3)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import Side, Stage
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.records.decision_log import (
    DecisionRecord,
    DecisionRun,
    collapse_runs,
    run_key,
)
from accountbuilder.records.examples import example_rejection


def _reject(ts, reason=ReasonCode.VOLATILITY_TOO_LOW, **figures):
    return DecisionRecord(ts, False, reason, Stage.S1, figures=figures)


def _accept(ts):
    return DecisionRecord(ts, True, None, Stage.S1, contracts=323, side=Side.LONG)


def test_i3_rejection_built_from_a_denial_keeps_reason_and_figures():
    denial = Denial(
        ReasonCode.LIQ_DISTANCE_TOO_SMALL, {"liq_distance_pct": D("0.241"), "need": D("0.3")}
    )

    record = DecisionRecord.rejected(7, denial, stage=Stage.S2, contracts=40, side=Side.SHORT)

    assert record.to_dict() == {
        "record": "decision",
        "ts_ms": 7,
        "accepted": False,
        "reason": "LIQ_DISTANCE_TOO_SMALL",
        "stage": "s2",
        "contracts": 40,
        "side": "short",
        "signal_id": "",
        "figures": {"liq_distance_pct": "0.241", "need": "0.3"},
    }


def test_i3_a_rejection_without_a_reason_is_refused():
    with pytest.raises(ValueError, match="reason"):
        DecisionRecord(1, False)


def test_i3_decision_round_trips_through_its_dict():
    record = example_rejection()

    assert DecisionRecord.from_dict(record.to_dict()) == record


def test_i3_identical_consecutive_rejections_collapse_into_one_run():
    records = [_reject(t, atr=D("0.021")) for t in (1000, 2000, 3000)]

    runs = list(collapse_runs(records))

    assert [(r.count, r.first_ts_ms, r.last_ts_ms) for r in runs] == [(3, 1000, 3000)]


def test_i3_changed_figures_collapse_unless_figures_are_compared():
    records = [_reject(1, atr=D("0.021")), _reject(2, atr=D("0.022"))]

    loose = list(collapse_runs(records))
    strict = list(collapse_runs(records, compare_figures=True))

    assert [r.count for r in loose] == [2]
    assert loose[0].record.figures == {"atr": "0.022"}  # the latest figures are kept
    assert [r.count for r in strict] == [1, 1]


def test_i3_acceptances_never_collapse_and_break_a_run():
    records = [_reject(1), _reject(2), _accept(3), _accept(4), _reject(5)]

    runs = list(collapse_runs(records))

    assert [(r.count, r.record.accepted) for r in runs] == [
        (2, False),
        (1, True),
        (1, True),
        (1, False),
    ]


def test_i3_a_different_reason_starts_a_new_run():
    records = [_reject(1), _reject(2, ReasonCode.EV_TOO_LOW), _reject(3)]

    assert [r.count for r in collapse_runs(records)] == [1, 1, 1]


def test_i3_run_dict_has_count_and_first_and_last_time():
    run = DecisionRun(_reject(9), count=4, first_ts_ms=3)

    d = run.to_dict()

    assert (d["count"], d["first_ts_ms"], d["last_ts_ms"], d["ts_ms"]) == (4, 3, 9, 9)


def test_i3_empty_run_is_refused():
    with pytest.raises(ValueError):
        DecisionRun(_reject(1), count=0)


_reasons = st.sampled_from([ReasonCode.EV_TOO_LOW, ReasonCode.VOLATILITY_TOO_LOW, None])


@given(st.lists(_reasons, max_size=200))
def test_i3_collapse_keeps_every_decision_and_leaves_no_two_equal_neighbours(reasons):
    records = [_accept(i) if r is None else _reject(i, r) for i, r in enumerate(reasons)]

    runs = list(collapse_runs(records))

    assert sum(r.count for r in runs) == len(records)
    assert [r.last_ts_ms for r in runs] == sorted(r.last_ts_ms for r in runs)
    for a, b in zip(runs, runs[1:], strict=False):
        key = run_key(a.record)
        assert key is None or key != run_key(b.record)
    # expanding each run gives back the reasons in order
    expanded = [r.record.reason for r in runs for _ in range(r.count)]
    assert expanded == reasons


def test_i3_non_finite_indicator_figure_does_not_break_the_record():
    record = _reject(1, atr=float("nan"))

    assert record.figures == {"atr": "nan"}
