"""Decision writes: batched, all-or-none, optionally collapsing identical rejections (SPEC I3)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import Side, Stage
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.records.decision_log import DecisionRecord, collapse_runs
from accountbuilder.records.examples import T0, example_rejection
from accountbuilder.store import ReadOnlyStoreError, SqliteStore
from accountbuilder.store.decisions import DecisionWrite


def _reject(ts, reason=ReasonCode.VOLATILITY_TOO_LOW, atr="0.021"):
    return DecisionRecord(ts, False, reason, Stage.S1, figures={"atr_pct_24h": D(atr)})


def _accept(ts):
    return DecisionRecord(ts, True, None, Stage.S1, 323, Side.LONG, "sig")


@pytest.fixture
def collapsing(db_path):
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with SqliteStore.open(db_path, now_ms=T0, collapse_rejections=True) as store:
        yield store


def test_i3_buffered_decisions_are_written_by_flush(store):
    for t in range(3):
        store.add_decision(_reject(T0 + t))
    assert store.decision_count() == (0, 0)

    result = store.flush_decisions()

    assert result == DecisionWrite(decisions=3, rows_inserted=3, rows_extended=0)
    assert store.pending_decisions == 0
    assert store.decision_count() == (3, 3)


def test_i3_last_decisions_are_newest_first_and_read_back_exactly(store):
    records = [example_rejection(T0), _accept(T0 + 1), _reject(T0 + 2)]
    store.write_decisions(records)

    runs = store.last_decisions(2)

    assert [r.record for r in runs] == [records[2], records[1]]
    assert all(r.count == 1 for r in runs)


def test_i3_collapse_writes_one_row_per_run_of_identical_rejections(collapsing):
    records = [_reject(T0 + t) for t in range(5)] + [_accept(T0 + 5)] + [_reject(T0 + 6)]

    result = collapsing.write_decisions(records)

    assert result == DecisionWrite(decisions=7, rows_inserted=3, rows_extended=0)
    runs = collapsing.last_decisions(10)
    assert [(r.count, r.first_ts_ms, r.last_ts_ms) for r in runs] == [
        (1, T0 + 6, T0 + 6),
        (1, T0 + 5, T0 + 5),
        (5, T0, T0 + 4),
    ]


def test_i3_a_run_continues_across_flushes(collapsing):
    for tick in range(4):  # one flush per tick, as a backtest would
        collapsing.add_decision(_reject(T0 + tick * 1000, atr=f"0.02{tick}"))
        collapsing.flush_decisions()

    (run,) = collapsing.last_decisions(5)

    assert (run.count, run.first_ts_ms, run.last_ts_ms) == (4, T0, T0 + 3000)
    assert run.record.figures == {"atr_pct_24h": "0.023"}  # the latest figures


def test_i3_a_year_of_identical_rejections_is_one_row(collapsing):
    # one tick per minute for a year: 525 600 evaluations, flushed every 1 440 (a day)
    ticks = 525_600
    for day in range(ticks // 1440):
        collapsing.write_decisions(_reject(T0 + (day * 1440 + m) * 60_000) for m in range(1440))

    assert collapsing.decision_count() == (1, ticks)


def test_i3_without_collapse_every_decision_is_a_row(store):
    store.write_decisions([_reject(T0 + t) for t in range(4)])
    store.write_decisions([_reject(T0 + 4)])

    assert store.decision_count() == (5, 5)


def test_i3_empty_flush_writes_nothing(store):
    assert store.flush_decisions() == DecisionWrite()
    assert store.decision_count() == (0, 0)


def test_i3_a_failed_flush_keeps_the_buffer(store, db_path):
    with SqliteStore.open_readonly(db_path) as reader:
        reader.add_decision(_reject(T0))

        with pytest.raises(ReadOnlyStoreError):
            reader.flush_decisions()

        assert reader.pending_decisions == 1


def test_i3_a_batch_that_fails_midway_leaves_none_of_it(collapsing):
    collapsing.write_decisions([_reject(T0)])

    def batch():
        yield _accept(T0 + 1)
        yield _reject(T0 + 2, ReasonCode.EV_TOO_LOW)
        raise OSError("disk went away")

    with pytest.raises(OSError):
        collapsing.write_decisions(batch())
    collapsing.write_decisions([_reject(T0 + 3)])

    # the failed batch left nothing, and the run from before it continued
    assert [(r.count, r.first_ts_ms) for r in collapsing.last_decisions(5)] == [(2, T0)]


_kinds = st.sampled_from(["vol", "ev", "accept"])


@given(st.lists(st.lists(_kinds, max_size=30), max_size=8))
def test_i3_collapsed_store_holds_every_decision_in_maximal_runs(flushes):
    records, ts = [], T0
    with SqliteStore.open(":memory:", now_ms=T0, collapse_rejections=True) as store:
        for batch in flushes:
            chunk = []
            for kind in batch:
                ts += 1
                reason = ReasonCode.EV_TOO_LOW if kind == "ev" else ReasonCode.VOLATILITY_TOO_LOW
                chunk.append(_accept(ts) if kind == "accept" else _reject(ts, reason))
            records += chunk
            store.write_decisions(chunk)

        rows, decisions = store.decision_count()

    assert decisions == len(records)
    assert rows == len(list(collapse_runs(records)))  # as if written in one batch
