"""The G6 stop order and the G7 amend debounce."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accountbuilder.domain.enums import OrderSide, OrderType, Side, TriggerBy, TriggerDirection
from accountbuilder.execution.stop import close_spec, mark_beyond_trigger, should_amend, stop_spec


def test_g6_long_stop_is_a_reduce_only_market_sell_triggered_falling_by_mark():
    spec = stop_spec(Side.LONG, 37, Decimal("38800"), "abc_L_sl0", TriggerBy.MARK_PRICE)

    assert (spec.side, spec.order_type, spec.qty) == (OrderSide.SELL, OrderType.MARKET, 37)
    assert spec.trigger_direction is TriggerDirection.FALLING and spec.trigger_direction.value == 2
    assert spec.reduce_only and spec.position_idx == 0 and spec.trigger_by is TriggerBy.MARK_PRICE
    assert spec.price is None


def test_g6_short_stop_triggers_rising():
    spec = stop_spec(Side.SHORT, 5, Decimal("41200"), "abc_S_sl0", TriggerBy.MARK_PRICE)

    assert spec.side is OrderSide.BUY and spec.trigger_direction.value == 1


def test_g6_close_is_reduce_only_market_opposite_side():
    spec = close_spec(Side.SHORT, 9, "abc_S_cl0")

    assert (spec.side, spec.order_type, spec.reduce_only, spec.trigger_price) == (
        OrderSide.BUY,
        OrderType.MARKET,
        True,
        None,
    )


@pytest.mark.parametrize(
    ("side", "mark", "beyond"),
    [
        (Side.LONG, "38800", True),
        (Side.LONG, "38800.5", False),
        (Side.SHORT, "41200", True),
        (Side.SHORT, "41199.5", False),
    ],
)
def test_g6_mark_beyond_trigger_means_close_at_once(side, mark, beyond):
    trigger = Decimal("38800") if side is Side.LONG else Decimal("41200")

    assert mark_beyond_trigger(side, Decimal(mark), trigger) is beyond


def test_g7_small_change_is_debounced():
    # 100 -> 119 is a 19% change: below the 20% threshold.
    assert not should_amend(100, 119, None, 10_000, final_sync=False).amend


def test_g7_change_of_20pct_amends_when_2s_have_passed():
    assert should_amend(100, 120, 0, 2_000, final_sync=False).amend


def test_g7_change_of_20pct_waits_for_2s_since_the_last_amend():
    decision = should_amend(100, 150, 1_000, 2_999, final_sync=False)

    assert not decision.amend and "1999 ms" in decision.why


def test_g5_g7_final_sync_is_exempt_from_the_debounce():
    assert should_amend(100, 101, 2_999, 3_000, final_sync=True).amend


def test_g7_no_amend_when_in_sync():
    assert not should_amend(40, 40, None, 0, final_sync=True).amend
