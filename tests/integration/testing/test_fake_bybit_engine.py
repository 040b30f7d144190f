"""Matching model of the fake Bybit, driven directly (no HTTP): inverse math invariants."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.testing.fake_bybit.config import FakeConfig
from accountbuilder.testing.fake_bybit.engine import Engine
from accountbuilder.testing.fake_bybit.state import SAT


def _engine(wallet: str = "1000") -> tuple[Engine, list[tuple[str, object]]]:
    events: list[tuple[str, object]] = []
    cfg = FakeConfig(wallet_btc=Decimal(wallet))
    return Engine(cfg, clock=lambda: 0, emit=lambda topic, obj: events.append((topic, obj))), events


def _market(engine: Engine, side: str, qty: int) -> None:
    body = {"category": "inverse", "symbol": "BTCUSD", "side": side, "orderType": "Market", "qty": str(qty)}  # fmt: skip
    engine.create(body)


def test_a2_average_entry_is_harmonic_mean_of_fills():
    engine, _ = _engine()
    _market(engine, "Buy", 100)  # at 60,000
    engine.set_prices(Decimal(40_000), Decimal(40_000))
    _market(engine, "Buy", 100)
    # entry = 200 / (100/60,000 + 100/40,000) = 200 / 0.00416667 = 48,000
    assert engine.position.entry == Decimal(48_000)
    assert (engine.position.side, engine.position.size) == ("Buy", 200)


def test_a2_sell_through_a_long_flips_to_a_short_at_the_fill_price():
    engine, events = _engine()
    _market(engine, "Buy", 100)
    engine.set_prices(Decimal(50_000), Decimal(50_000))
    _market(engine, "Sell", 150)
    # closes 100: pnl = 100/60,000 − 100/50,000 = −0.00033333; then short 50 at 50,000
    assert (engine.position.side, engine.position.size, engine.position.entry) == ("Sell", 50, Decimal(50_000))  # fmt: skip
    last_fill = engine.executions[-1]
    assert (last_fill.closed_size, last_fill.pnl) == (100, Decimal("-0.00033333"))
    assert [topic for topic, _ in events[-4:]] == ["execution", "order", "position", "wallet"]


prices = st.integers(min_value=40_000, max_value=200_000).map(lambda n: Decimal(n) / 2)
fills = st.lists(st.tuples(st.sampled_from(["Buy", "Sell"]), st.integers(1, 5_000), prices), min_size=1, max_size=25)  # fmt: skip


@given(fills=fills, closing_price=prices)
def test_a2_flat_account_pnl_equals_inverse_cash_flows(fills, closing_price):
    """Once flat, Σ realised PnL = Σ_buys q/p − Σ_sells q/p (each fill's PnL rounded to 1 sat)."""
    engine, _ = _engine()
    signed = 0
    for side, qty, price in fills:
        engine.set_prices(price, price)
        _market(engine, side, qty)
        signed += qty if side == "Buy" else -qty
        expected_side = "Buy" if signed > 0 else "Sell" if signed < 0 else ""
        assert (engine.position.size, engine.position.side) == (abs(signed), expected_side)
    if signed:
        engine.set_prices(closing_price, closing_price)
        _market(engine, "Sell" if signed > 0 else "Buy", abs(signed))
    assert engine.position.size == 0
    flows = sum((e.qty / e.price if e.order["side"] == "Buy" else -e.qty / e.price) for e in engine.executions)  # fmt: skip
    fees = sum(e.fee for e in engine.executions)
    realised = engine.wallet_btc - Decimal(1000) + fees
    assert abs(realised - flows) <= SAT / 2 * len(engine.executions)


def test_g6_mark_price_stop_ignores_a_last_price_move():
    engine, _ = _engine()
    _market(engine, "Buy", 100)
    stop = {"category": "inverse", "symbol": "BTCUSD", "side": "Sell", "orderType": "Market", "qty": "100",
            "triggerPrice": "57000", "triggerDirection": 2, "triggerBy": "MarkPrice", "reduceOnly": True}  # fmt: skip
    order = engine.create(stop)
    engine.set_prices(last=Decimal(56_500))  # last trades below the trigger, mark stays 60,000
    assert order.status == "Untriggered"
    engine.set_prices(mark=Decimal(56_990))
    # fills at the last price 56,500 as taker once the mark crosses 57,000 (inside the 1 % band)
    assert (order.status, engine.executions[-1].price, engine.position.size) == ("Filled", Decimal(56_500), 0)  # fmt: skip


def test_g3_ioc_limit_that_cannot_fill_is_cancelled_without_fills():
    engine, _ = _engine()
    body = {"category": "inverse", "symbol": "BTCUSD", "side": "Buy", "orderType": "Limit", "qty": "10",
            "price": "59000", "timeInForce": "IOC"}  # fmt: skip
    order = engine.create(body)
    assert (order.status, order.reject_reason, order.cum_qty) == ("Cancelled", "EC_NoImmediateQtyToFill", 0)  # fmt: skip
    assert engine.executions == []
