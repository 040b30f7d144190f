"""SPEC B4/C3 with G4 (issue 14): for maker and taker entries alike, the exact loss at the
rounded stop fits ``max_loss_btc`` for ANY fill the order can get.

A maker entry fills at its limit (or better); the G4 taker entry is an IOC limit at the worst
acceptable price ``mark × (1 ± taker_slippage_cap)`` and may fill anywhere between the mark
and that price. Hypothesis draws mark prices, equity (hence stage and budget), the streak
multiplier, tick and lot, and the fill; the loss at the stop is computed exactly from the
contracts the gate chain accepted.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st
from tests.unit.risk.factories import baseline_state, make_context

from accountbuilder.domain.enums import Liquidity, Side
from accountbuilder.domain.models import Instrument
from accountbuilder.execution.entry import taker_price
from accountbuilder.risk.gates import evaluate_entry
from accountbuilder.risk.streak import Streak

CAP = D("0.002")  # G4 default


def _dec(lo: str, hi: str, places: int):
    return st.decimals(min_value=D(lo), max_value=D(hi), places=places)


def exact_loss(side: Side, contracts: int, fill: Fraction, stop: D) -> Fraction:
    """The inverse loss of ``contracts`` filled at ``fill`` if the stop fills at its trigger."""
    c, s = Fraction(contracts), Fraction(stop)
    return c / s - c / fill if side is Side.LONG else c / fill - c / s


@st.composite
def entries(draw):
    mark = draw(_dec("5000", "150000", 1))
    side = draw(st.sampled_from(Side))
    taker = draw(st.booleans())
    tick = draw(st.sampled_from([D("0.5"), D("0.1"), D(1)]))
    spacing = draw(_dec("0.01", "0.04", 4))
    level = mark * (1 - side.sign * draw(_dec("0", "0.04", 4)))  # a grid level at the market
    entry = taker_price(side, mark, CAP, tick) if taker else level
    tp = entry * (1 + side.sign * spacing * 2)
    state = replace(baseline_state("0.7"), streak=Streak(draw(_dec("0.25", "1", 2))))
    equity_usd = draw(_dec("80", "1100", 2))
    ctx = make_context(
        wallet=str((equity_usd / mark).quantize(D("0.00000001"))),
        mark=str(mark),
        atr="0.1",
        side=side,
        entry=str(entry),
        spacing=str(spacing),
        tp=str(tp),
        liquidity=Liquidity.TAKER if taker else Liquidity.MAKER,
        maker_timeouts=3 if taker else 0,
        state=state,
        instrument=Instrument(tick_size=tick, qty_step=1, min_qty=1),
    )
    # where the order can fill: a maker at its limit; the IOC anywhere from the mark to its cap
    u = Fraction(draw(st.integers(0, 1000)), 1000)
    return ctx, mark, u


@given(entries())
def test_b4_c3_g4_property_exact_loss_at_the_rounded_stop_fits_for_any_fill(drawn):
    ctx, mark, u = drawn
    decision = evaluate_entry(ctx)
    if not decision.accepted:
        return  # refused entries send nothing
    side, limit = decision.side, Fraction(decision.entry_price)
    if decision.liquidity is Liquidity.TAKER:
        fill = Fraction(mark) + u * (limit - Fraction(mark))  # between the mark and the cap
    else:
        fill = limit  # a resting maker order fills at its price
    loss = exact_loss(side, decision.contracts, fill, decision.stop_price)

    assert loss <= Fraction(decision.max_loss_btc), (decision.figures(), float(fill))
    assert (Fraction(decision.stop_price) - limit) * side.sign < 0  # the stop is on the loss side


def test_g4_an_s2_taker_entry_is_sized_from_its_worst_price_so_any_fill_fits():
    mark = D("50000")
    worst = taker_price(Side.LONG, mark, CAP, D("0.5"))  # 50,100.0
    ctx = make_context(
        wallet=str((D(400) / mark).quantize(D("0.00000001"))),  # $400: S2, taker allowed
        mark=str(mark),
        atr="0.1",
        entry=str(worst),
        spacing="0.02",
        tp=str(worst * D("1.04")),
        liquidity=Liquidity.TAKER,
        maker_timeouts=3,
        state=baseline_state("0.7"),
        instrument=Instrument(tick_size=D("0.5"), qty_step=1, min_qty=1),
    )

    decision = evaluate_entry(ctx)

    assert decision.accepted and decision.entry_price == worst
    for fill in (Fraction(mark), Fraction(worst)):  # the best and the worst fill it can get
        loss = exact_loss(Side.LONG, decision.contracts, fill, decision.stop_price)
        assert loss <= Fraction(decision.max_loss_btc)
    at_worst = exact_loss(Side.LONG, decision.contracts + 1, Fraction(worst), decision.stop_price)
    assert at_worst > Fraction(decision.max_loss_btc)  # one contract more would not fit


def test_g4_a_take_profit_not_beyond_the_taker_price_has_its_own_reason():
    mark = D("50000")
    worst = taker_price(Side.LONG, mark, CAP, D("0.5"))
    ctx = make_context(
        wallet=str((D(400) / mark).quantize(D("0.00000001"))),
        mark=str(mark),
        atr="0.1",
        entry=str(worst),
        spacing="0.02",
        tp=str(worst - 10),  # the market already ran past the next level
        liquidity=Liquidity.TAKER,
        maker_timeouts=3,
        state=baseline_state("0.7"),
    )

    decision = evaluate_entry(ctx)

    assert decision.reason.value == "TAKE_PROFIT_NOT_BEYOND_TAKER_PRICE"
