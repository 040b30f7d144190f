"""The market view's volatility reads (SPEC D2 for the gate, G3 for the grid)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.events import MarkPriceUpdated
from accountbuilder.domain.models import Candle
from accountbuilder.marketdata.daily import DAY_MS
from accountbuilder.marketdata.view import MarketView


def _view() -> MarketView:
    view = MarketView()
    view.seed_daily(
        [
            Candle(i * DAY_MS, Decimal(40_000), Decimal(41_000), Decimal(39_000), Decimal(40_000))
            for i in range(14)
        ]
    )  # ATR 2,000 over a last daily close of 40,000 = 5 %
    return view


@given(marks=st.lists(st.integers(30_000, 50_000), min_size=1, max_size=30))
def test_g3_the_daily_volatility_stands_while_the_mark_moves_within_the_day(marks):
    view = _view()
    for i, mark in enumerate(marks):
        ts = 14 * DAY_MS + i * 1000
        view.apply(MarkPriceUpdated(exchange_ts_ms=ts, local_ts_ms=ts, mark_price=Decimal(mark)))
        assert view.atr_pct_daily() == Decimal("0.05")
        assert view.atr_pct_24h() == Decimal(repr(round(2_000 / mark, 8)))  # D2: over the mark
