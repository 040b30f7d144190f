"""Inverse PnL, fees, funding and liquidation of the simulated account, worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from tests.unit.exchange.sim.scenarios import scenarios

from accountbuilder.domain.enums import MarginMode, OrderSide, Side
from accountbuilder.domain.events import (
    FundingApplied,
    OrderFilled,
    PositionLiquidated,
    WalletUpdated,
)
from accountbuilder.domain.inverse import pnl_btc
from accountbuilder.domain.models import Instrument
from accountbuilder.exchange.sim.ledger import Ledger

D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL
NO_FEE = D(0)
TINY = D("1e-18")  # far below a satoshi (1e-8): only Decimal rounding of 28 digits


def ledger(wallet="0.01", leverage=3, mode=MarginMode.ISOLATED) -> Ledger:
    return Ledger(D(wallet), D(leverage), mode)


def test_a2_long_realised_pnl_is_contracts_times_inverse_difference():
    lg = ledger()
    lg.apply_fill(BUY, 100, D(60000), NO_FEE)

    res = lg.apply_fill(SELL, 100, D(61000), NO_FEE)

    # 100 × (1/60000 − 1/61000) = 100 × 1000 / 3.66e9 = 0.0000273224...
    assert res.realised_pnl_btc == D(100) / D(60000) - D(100) / D(61000)
    assert abs(res.realised_pnl_btc - D("0.0000273224")) < D("1e-10")
    assert lg.wallet_btc == D("0.01") + res.realised_pnl_btc
    assert lg.contracts == 0 and lg.side is None


def test_a2_short_realised_pnl_gains_when_price_falls():
    lg = ledger()
    lg.apply_fill(SELL, 100, D(60000), NO_FEE)

    res = lg.apply_fill(BUY, 100, D(59000), NO_FEE)

    # 100 × (1/59000 − 1/60000) = 100 × 1000 / 3.54e9 = 0.0000282486
    assert abs(res.realised_pnl_btc - D("0.0000282486")) < D("1e-10")
    assert res.closed_qty == 100


def test_a2_average_entry_is_the_harmonic_mean():
    lg = ledger()
    lg.apply_fill(BUY, 100, D(50000), NO_FEE)
    lg.apply_fill(BUY, 100, D(60000), NO_FEE)

    # 200 / (100/50000 + 100/60000) = 200 / 0.0036666... = 54545.4545...
    assert abs(lg.entry_price - D("54545.4545454545")) < D("1e-9")
    assert lg.contracts == 200


def test_a2_partial_close_realises_its_share_only():
    lg = ledger()
    lg.apply_fill(BUY, 300, D(50000), NO_FEE)

    res = lg.apply_fill(SELL, 100, D(55000), NO_FEE)

    # 100/50000 − 100/55000 = 0.002 − 0.0018181818 = 0.0001818182
    assert abs(res.realised_pnl_btc - D("0.0001818182")) < D("1e-10")
    assert lg.contracts == 200 and lg.entry_price == D(50000)


def test_a2_opposite_fill_larger_than_position_flips_it():
    lg = ledger()
    lg.apply_fill(BUY, 100, D(50000), NO_FEE)

    res = lg.apply_fill(SELL, 150, D(55000), NO_FEE)

    assert (res.closed_qty, res.opened_qty) == (100, 50)
    assert lg.side is Side.SHORT and lg.contracts == 50 and lg.entry_price == D(55000)


def test_a3_fee_btc_is_contracts_times_rate_over_price():
    lg = ledger()

    res = lg.apply_fill(BUY, 1000, D(50000), D("0.0006"))

    # 1000 × 0.0006 / 50000 = 0.000012 BTC, taken from the wallet
    assert res.fee_btc == D("0.000012")
    assert lg.wallet_btc == D("0.009988")
    assert lg.fees_btc == D("0.000012")


def test_a3_negative_maker_rate_is_a_rebate():
    lg = ledger()

    res = lg.apply_fill(BUY, 1000, D(50000), D("-0.00025"))

    assert res.fee_btc == D("-0.000005")
    assert lg.wallet_btc == D("0.010005")


@pytest.mark.parametrize(
    ("side", "expected"),
    [(BUY, D("-0.000002")), (SELL, D("0.000002"))],
)
def test_a1_funding_positive_rate_longs_pay_shorts_receive(side, expected):
    lg = ledger()
    lg.apply_fill(side, 1000, D(40000), NO_FEE)

    amount = lg.apply_funding(D("0.0001"), D(50000))

    # position value at the mark: 1000 / 50000 = 0.02 BTC; × 0.0001 = 0.000002 BTC
    assert amount == expected
    assert lg.wallet_btc == D("0.01") + expected
    assert lg.funding_btc == expected


def test_c5_isolated_liq_price_is_bybit_formula_rounded_to_tick():
    lg = ledger(leverage=10)
    lg.apply_fill(BUY, 100, D(60000), NO_FEE)

    # reference §7: 100 @ 60,000, 10x, MMR 0.5% → E / (1 + 1/L − MMR) = 54,794.52 → tick 54,794.5
    assert lg.liq_price(Instrument()) == D("54794.5")


def test_c5_short_isolated_liq_price():
    lg = ledger(leverage=10)
    lg.apply_fill(SELL, 100, D(60000), NO_FEE)

    # E / (1 − 1/L + MMR) = 60000 / 0.905 = 66,298.34 → tick 66,298.5
    assert lg.liq_price(Instrument()) == D("66298.5")


def test_c5_cross_liq_price_uses_the_whole_wallet():
    lg = ledger(wallet="0.001", mode=MarginMode.CROSS)
    lg.apply_fill(BUY, 100, D(50000), NO_FEE)

    # Q / (Q/E + wallet − Q/E × MMR) = 100 / (0.002 + 0.001 − 0.00001) = 100 / 0.00299
    #   = 33,444.816 → tick 33,445.0
    assert lg.liq_price(Instrument()) == D("33445.0")


def test_e6_isolated_liquidation_loses_exactly_the_position_margin():
    lg = ledger(leverage=3)
    lg.apply_fill(BUY, 300, D(30000), NO_FEE)

    liq = lg.liquidate()

    # IM = 300 / 30000 / 3 = 0.00333...; closed at bankruptcy 30000 × 3 / 4 = 22,500
    assert liq.realised_pnl_btc == -(D(300) / D(30000) / D(3))
    assert liq.price == D(22500)
    assert lg.wallet_btc == D("0.01") - D(300) / D(30000) / D(3)
    assert lg.contracts == 0


def test_e6_cross_liquidation_loses_the_whole_wallet():
    lg = ledger(wallet="0.001", mode=MarginMode.CROSS)
    lg.apply_fill(BUY, 100, D(50000), NO_FEE)

    liq = lg.liquidate()

    # bankruptcy: wallet + 100/50000 − 100/P = 0 → P = 100 / 0.003 = 33,333.33
    assert lg.wallet_btc == 0
    assert abs(liq.price - D("33333.3333")) < D("0.0001")


def test_c4_order_cost_is_margin_plus_two_taker_fees():
    lg = ledger(leverage=3)

    cost = lg.order_cost_btc(300, D(30000), D("0.0006"))

    # value 0.01 BTC: margin 0.01/3 = 0.0033333; fees 2 × 0.01 × 0.0006 = 0.000012
    assert cost == D("0.01") / 3 + D("0.000012")


# ---------------------------------------------------------------- conservation (property)
class EventLedger:
    """An independent account rebuilt from the events alone (fills, funding, liquidation)."""

    def __init__(self, wallet: Decimal, leverage: Decimal, mode: MarginMode):
        self.wallet, self.leverage, self.mode = wallet, leverage, mode
        self.side: Side | None = None
        self.contracts, self.value = 0, D(0)

    def apply(self, event) -> None:
        if isinstance(event, OrderFilled):
            self._fill(event.fill)
        elif isinstance(event, FundingApplied):
            self.wallet += event.amount_btc
        elif isinstance(event, PositionLiquidated):
            loss = (
                self.value / self.leverage
                if self.mode is MarginMode.ISOLATED
                else max(self.wallet, 0)
            )
            self.wallet -= loss
            self.side, self.contracts, self.value = None, 0, D(0)

    def _fill(self, fill) -> None:
        self.wallet -= fill.fee_btc
        side = Side.LONG if fill.side is BUY else Side.SHORT
        qty = fill.qty
        if self.side not in (None, side):
            closed = min(qty, self.contracts)
            entry = D(self.contracts) / self.value
            self.wallet += pnl_btc(self.side, closed, entry, fill.price)
            self.value -= self.value * closed / self.contracts
            self.contracts -= closed
            qty -= closed
            if not self.contracts:
                self.side, self.value = None, D(0)
        if qty:
            self.side = side
            self.contracts += qty
            self.value += D(qty) / fill.price


@given(scenarios())
def test_a2_a3_btc_is_conserved_wallet_change_is_pnl_minus_fees_plus_funding(scenario):
    ex, log = scenario.run(skip=True)
    events = [e for e in log if not isinstance(e, str)]
    lg = ex.ledger
    rebuilt = EventLedger(D("0.01"), scenario.config["leverage"], scenario.config["margin_mode"])
    for event in events:
        rebuilt.apply(event)

    # exchange side: every satoshi of change is realised PnL, a fee or funding
    assert (
        abs((lg.wallet_btc - D("0.01")) - (lg.realised_btc - lg.fees_btc + lg.funding_btc)) < TINY
    )
    # client side: the events alone give the same wallet and position
    assert abs(rebuilt.wallet - lg.wallet_btc) < TINY
    assert (rebuilt.side, rebuilt.contracts) == (lg.side, lg.contracts)
    wallets = [e.account.wallet_balance_btc for e in events if isinstance(e, WalletUpdated)]
    assert not wallets or wallets[-1] == lg.wallet_btc
