"""What the report remembers of a replay (runner/reporting/collector.py): the equity path from
the exchange ledger (SPEC A1, A2) and decisions collapsed into runs (SPEC D, I3)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.core.kit import Outbox
from accountbuilder.domain.enums import Side, Stage
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.exchange.sim.ledger import Ledger
from accountbuilder.marketdata.candles import candles_from_columns
from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder.records.examples import example_entry, example_exit
from accountbuilder_runner.reporting.collector import Collector, DecisionRuns

MIN = 60_000


def test_a1_a2_equity_path_rebuilds_the_inverse_upnl_at_every_close():
    # flat 0.002 BTC until the close at 2 min; then long 100 contracts at 50,000
    # (value 100 / 50,000 = 0.002 BTC): at a close of 55,000 the uPnL is
    # 0.002 − 100 / 55,000 = 0.000181818… → equity 0.002181818… BTC = $120.00
    closes = np.array([50_000.0, 50_000.0, 50_000.0, 55_000.0])
    arrays = candles_from_columns(np.arange(4) * MIN, closes, closes, closes, closes, np.ones(4))
    ledger = Ledger(wallet_btc=Decimal("0.002"), leverage=Decimal(3))
    c = Collector()
    c.bind(ledger, 0)
    c.on_tick(MIN, None)
    ledger.side, ledger.contracts, ledger.value_btc = Side.LONG, 100, Decimal("0.002")
    c.on_tick(2 * MIN, None)  # the position exists from the close at 2 min on

    path = c.equity_path(arrays, 0)

    assert path.ts_ms.tolist() == [MIN, 2 * MIN, 3 * MIN, 4 * MIN]
    assert path.equity_btc[:2].tolist() == [0.002, 0.002]
    assert path.equity_btc[2] == pytest.approx(0.002)  # at 50,000 the uPnL is 0
    assert path.equity_btc[3] == pytest.approx(0.002 + 0.002 - 100 / 55_000)
    assert path.equity_usd[3] == pytest.approx(120.0)


def test_a2_equity_path_of_a_short_gains_when_the_price_falls():
    # short 100 at 50,000 (value 0.002 BTC); at 40,000: 100 / 40,000 − 0.002 = +0.0005 BTC
    closes = np.array([50_000.0, 40_000.0])
    arrays = candles_from_columns(np.arange(2) * MIN, closes, closes, closes, closes, np.ones(2))
    ledger = Ledger(
        wallet_btc=Decimal("0.002"),
        leverage=Decimal(3),
        side=Side.SHORT,
        contracts=100,
        value_btc=Decimal("0.002"),
    )
    c = Collector()
    c.bind(ledger, 0)

    assert c.equity_path(arrays, 0).equity_btc[1] == pytest.approx(0.0025)


def _rejection(ts, reason=ReasonCode.MARGIN_INSUFFICIENT, contracts=308):
    return DecisionRecord(ts, False, reason, Stage.S1, contracts, Side.LONG, "sig")


def test_i3_identical_consecutive_rejections_share_a_row_with_a_count():
    runs = DecisionRuns()
    for d in (
        _rejection(1),
        _rejection(2),
        _rejection(3),  # one run of 3
        _rejection(4, contracts=310),  # other contracts: a new row
        DecisionRecord(5, True, None, Stage.S1, 310, Side.LONG, "sig"),
        DecisionRecord(6, True, None, Stage.S1, 310, Side.LONG, "sig"),  # acceptances: alone
        _rejection(7),
        _rejection(8, ReasonCode.EV_TOO_LOW),
    ):
        runs.add(d)

    rows = [(r.ts_ms, r.last_ts_ms, r.count, r.accepted, r.reason, r.contracts) for r in runs.rows]
    assert rows == [
        (1, 3, 3, False, "MARGIN_INSUFFICIENT", 308),
        (4, 4, 1, False, "MARGIN_INSUFFICIENT", 310),
        (5, 5, 1, True, "", 310),
        (6, 6, 1, True, "", 310),
        (7, 7, 1, False, "MARGIN_INSUFFICIENT", 308),
        (8, 8, 1, False, "EV_TOO_LOW", 308),
    ]
    assert runs.rejects == {"MARGIN_INSUFFICIENT": 5, "EV_TOO_LOW": 1}
    assert (runs.accepts, runs.total) == (2, 8)


def test_i1_exit_is_paired_with_its_entry_record():
    c = Collector()
    entry, exit_ = example_entry(), example_exit()
    out = Outbox()
    out.trades += [entry]
    c.on_outbox(entry.ts_ms, out, None)
    out = Outbox()
    out.trades += [exit_]
    c.on_outbox(exit_.ts_ms, out, None)

    assert len(c.closed) == 1 and c.closed[0].entry is entry and c.open_entry is None
    assert c.closed[0].entry_ts_ms == entry.ts_ms


REASONS = (ReasonCode.MARGIN_INSUFFICIENT, ReasonCode.EV_TOO_LOW, None)


@given(st.lists(st.tuples(st.sampled_from(REASONS), st.integers(1, 3)), max_size=60))
def test_i3_decision_runs_expand_back_to_the_evaluations(items):
    # None stands for an acceptance; rows expanded by their counts give back every evaluation
    records = [
        DecisionRecord(i, reason is None, reason, Stage.S1, contracts, Side.LONG, "sig")
        for i, (reason, contracts) in enumerate(items)
    ]
    runs = DecisionRuns()
    for d in records:
        runs.add(d)

    expanded = [(r.accepted, r.reason, r.contracts) for r in runs.rows for _ in range(r.count)]
    assert expanded == [
        (d.accepted, d.reason.value if d.reason else "", d.contracts) for d in records
    ]
    assert all(r.count == 1 for r in runs.rows if r.accepted)
    assert all(
        a.key() != b.key() or a.accepted for a, b in zip(runs.rows, runs.rows[1:], strict=False)
    )
