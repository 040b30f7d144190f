"""The per-month table (runner/reporting/months.py): trades by exit month, totals, equity."""

from __future__ import annotations

from decimal import Decimal as D

import numpy as np
import pytest

from accountbuilder.domain.enums import ExitReason, Liquidity
from accountbuilder_runner.reporting.collector import EquityPath
from accountbuilder_runner.reporting.facts import TradeFacts
from accountbuilder_runner.reporting.months import AFTER, month_table, totals

DAY = 86_400_000
JAN1 = 1_609_459_200_000  # 2021-01-01T00:00:00Z
FEB1 = JAN1 + 31 * DAY
MAR1 = FEB1 + 28 * DAY


def trade(exit_ms: int, pnl: str) -> TradeFacts:
    return TradeFacts(
        exit_ms - DAY,
        exit_ms,
        100,
        D("50000"),
        D("40000"),
        D(pnl),
        D("0.000002"),
        D("0.000003"),
        D("0.0002"),
        Liquidity.MAKER,
        ExitReason.TAKE_PROFIT,
    )


# equity: one close a day from Jan 1 to Mar 31; BTC 0.002 + day × 0.00001, price 40,000
DAYS = np.arange(90)
PATH = EquityPath(JAN1 + DAYS * DAY, np.full(90, 40_000.0), 0.002 + DAYS * 0.00001)
TRADES = [
    trade(JAN1 + 10 * DAY, "0.0001"),
    trade(JAN1 + 20 * DAY, "-0.0002"),
    trade(FEB1 + 5 * DAY, "0.0003"),
]


def test_i3_trades_go_to_their_exit_month_and_rows_sum_to_the_totals():
    rows = month_table(TRADES, PATH, JAN1, MAR1 + 9 * DAY)

    assert [r.month for r in rows] == ["2021-01", "2021-02", "2021-03"]
    assert [(r.trades, r.wins) for r in rows] == [(2, 1), (1, 1), (0, 0)]
    assert rows[0].pnl_btc == D("-0.0001") and rows[0].pnl_usd == D("-4")  # at 40,000
    # fees: 2 × (0.000002 + 0.000003) BTC; in USD each leg at its price: 2 × (0.1 + 0.12)
    assert rows[0].fees_btc == D("0.00001") and rows[0].fees_usd == D("0.44")
    total = totals(rows)
    assert (total.trades, total.wins, total.pnl_btc) == (3, 2, D("0.0002"))
    # equity at each month's last close: Jan 31 (day 30), Feb 28 (day 58), Mar 10 (end of trading)
    assert [r.end_equity_btc for r in rows] == pytest.approx([0.0023, 0.00258, 0.00268])


def test_e7_a_trade_closed_after_the_end_of_trading_gets_its_own_row():
    # trading ended on Jan 15 (a HALT kept the second and third positions open)
    rows = month_table(TRADES, PATH, JAN1, JAN1 + 14 * DAY)

    assert [r.month for r in rows] == ["2021-01", AFTER]
    assert (rows[0].trades, rows[1].trades) == (1, 2)
    assert rows[0].end_equity_btc == pytest.approx(0.00214)  # the end of trading, Jan 15
    assert rows[1].end_equity_btc == pytest.approx(0.00289)  # the end of the data
    assert totals(rows).trades == 3
