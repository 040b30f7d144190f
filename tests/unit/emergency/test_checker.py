"""EmergencyChecker: E1 (and mirror), E2, E3, E6, H3 and F3 findings, and E4's calm verdict."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from accountbuilder.config.models import EmergencyConfig
from accountbuilder.domain.enums import HaltKind, Side, Stage
from accountbuilder.domain.events import PositionLiquidated
from accountbuilder.domain.models import AccountSnapshot, Position
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.balance import assess_balance
from accountbuilder.emergency.checker import EmergencyChecker
from accountbuilder.exchange.port import ExchangePosition
from accountbuilder.health.ws_health import WsHealth

T0 = 1_700_000_000_000
S = 1_000
MIN = 60_000
RICH = AccountSnapshot(T0, D("0.01"))  # 0.01 BTC: $1,000 at a 100,000 mark


def reasons(report):
    return [f.reason for f in report.findings]


def checker_with(*marks, config=None):
    c = EmergencyChecker(config)
    for ts, price in marks:
        c.on_mark(ts, D(price))
    return c


def position(side: Side, liq: str | None = None, contracts: int = 100) -> Position:
    return Position(
        side=side,
        contracts=contracts,
        entry_price=D(100_000),
        entry_stage=Stage.S1,
        leverage=D(3),
        liq_price=None if liq is None else D(liq),
    )


# --- E1 ---------------------------------------------------------------------------------
def test_e1_drop_1m_at_exactly_minus_10pct_halts_temporary():
    # 100,000 -> 90,000 in 30 s: 90,000 / 100,000 - 1 = -0.10 <= -0.10.
    c = checker_with((T0, 100_000), (T0 + 30 * S, 90_000))

    report = c.check(T0 + 30 * S, RICH, None)

    finding = report.halts[0]
    assert reasons(report) == [ReasonCode.DROP_1M]
    assert finding.kind is HaltKind.TEMPORARY
    assert finding.figures["drop_1m"] == D("-0.1") and finding.figures["high_1m"] == D(100_000)
    assert finding.action.cancel_entry_orders and finding.action.until_ms is None


def test_e1_drop_just_above_limit_does_not_halt():
    # 100,000 -> 90,001: -0.09999 > -0.10.
    c = checker_with((T0, 100_000), (T0 + 30 * S, 90_001))

    assert c.check(T0 + 30 * S, RICH, None).halts == ()


def test_e1_drop_5m_halts_when_no_single_minute_reaches_10pct():
    # Five steps of about -4.4% each, one per minute: 100k, 95.6k, 91.4k, 87.4k, 83.6k, 79.9k.
    # drop_1m at the end = 79,900 / 83,600 - 1 = -0.0443 (no E1-1m),
    # drop_5m = 79,900 / 100,000 - 1 = -0.201 <= -0.20.
    path = [100_000, 95_600, 91_400, 87_400, 83_600, 79_900]
    c = checker_with(*[(T0 + i * MIN, p) for i, p in enumerate(path)])

    report = c.check(T0 + 5 * MIN, RICH, None)

    assert reasons(report) == [ReasonCode.DROP_5M]
    assert report.halts[0].figures["drop_5m"] == D("-0.201")


def test_e1_spike_between_two_checks_is_not_missed():
    # Tick at t0 sees 100k; within the next second the mark dips to 89k and bounces to 99k.
    # The check at t0+1s judges the worst move since the last check: 89,000/100,000 - 1 = -0.11.
    c = checker_with((T0, 100_000))
    c.check(T0, RICH, None)
    c.on_mark(T0 + 300, D(89_000))
    c.on_mark(T0 + 700, D(99_000))

    report = c.check(T0 + S, RICH, None)

    assert reasons(report) == [ReasonCode.DROP_1M]
    assert report.halts[0].figures["at_ms"] == T0 + 300
    assert c.check(T0 + 2 * S, RICH, None).halts == ()  # consumed: judged once


def test_e1_config_may_tighten_the_threshold():
    # drop_1m_halt -0.05: a 6% drop halts (94,000 / 100,000 - 1 = -0.06).
    c = checker_with(
        (T0, 100_000), (T0 + 10 * S, 94_000), config=EmergencyConfig(drop_1m_halt=D("-0.05"))
    )

    assert reasons(c.check(T0 + 10 * S, RICH, None)) == [ReasonCode.DROP_1M]


def test_e1_a_looser_threshold_is_clamped_back_to_spec():
    # Even a config built without validation cannot loosen E1: -0.15 is clamped to -0.10.
    loose = EmergencyConfig.model_construct(
        **(EmergencyConfig().model_dump() | {"drop_1m_halt": D("-0.15")})
    )
    c = checker_with((T0, 100_000), (T0 + 10 * S, 89_000), config=loose)

    assert reasons(c.check(T0 + 10 * S, RICH, None)) == [ReasonCode.DROP_1M]


def test_e1_mirror_rise_halts_only_while_a_short_is_open():
    # 100k -> 110k in 20 s: rise_1m = 0.10 >= +10%.
    marks = ((T0, 100_000), (T0 + 20 * S, 110_000))

    flat = checker_with(*marks).check(T0 + 20 * S, RICH, None)
    long = checker_with(*marks).check(T0 + 20 * S, RICH, position(Side.LONG))
    short = checker_with(*marks).check(T0 + 20 * S, RICH, position(Side.SHORT))

    assert flat.halts == () and long.halts == ()
    assert reasons(short) == [ReasonCode.RISE_1M]
    assert short.halts[0].figures["rise_1m"] == D("0.1")


def test_e1_mirror_rise_5m_and_mirror_switched_off():
    # 100k -> 120k over 4 minutes in 5% steps of the start: rise_5m = 0.20 >= +20%.
    path = [100_000, 105_000, 110_000, 115_000, 120_000]
    marks = [(T0 + i * MIN, p) for i, p in enumerate(path)]
    short = position(Side.SHORT)

    on = checker_with(*marks).check(T0 + 4 * MIN, RICH, short)
    off = checker_with(*marks, config=EmergencyConfig(mirror_for_short=False)).check(
        T0 + 4 * MIN, RICH, short
    )

    assert reasons(on) == [ReasonCode.RISE_5M]
    assert off.halts == ()


# --- E4 calm verdict --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("last", "calm"),
    [
        (95_001, True),  # -4.999% > -5%
        (95_000, False),  # -5% is not > -5%
    ],
)
def test_e4_calm_bounds_drop_1m(last, calm):
    c = checker_with((T0, 100_000), (T0 + 10 * S, last))

    report = c.check(T0 + 10 * S, RICH, None)

    assert report.calm is calm and report.halts == ()


def test_e4_calm_bounds_drop_5m():
    # 100k -> 96k -> 92k -> 90k one minute apart: each minute < 5%, but
    # drop_5m = 90,000/100,000 - 1 = -0.10, not > -10%: not calm.
    c = checker_with(
        (T0, 100_000), (T0 + MIN, 96_000), (T0 + 2 * MIN, 92_000), (T0 + 3 * MIN, 90_000)
    )

    report = c.check(T0 + 3 * MIN, RICH, None)

    assert report.calm is False
    assert report.calm_figures["drop_5m"] == D("-0.1")


def test_e4_no_mark_is_not_calm_and_short_mirror_counts_for_calm():
    assert EmergencyChecker().check(T0, RICH, None).calm is False
    # A 6% rise: calm when flat, not calm with a short open (rise_1m 0.06 >= 0.05).
    marks = ((T0, 100_000), (T0 + 10 * S, 106_000))
    assert checker_with(*marks).check(T0 + 10 * S, RICH, None).calm is True
    assert checker_with(*marks).check(T0 + 10 * S, RICH, position(Side.SHORT)).calm is False


def test_f3_calm_needs_a_healthy_ws():
    ws = WsHealth(T0)  # starts DEGRADED: no traffic yet
    c = checker_with((T0, 100_000))

    report = c.check(T0, RICH, None, ws=ws.status(T0))

    assert report.calm is False and report.calm_figures["ws_healthy"] is False


# --- E2 -----------------------------------------------------------------------------------
def test_e2_latency_finding_is_a_block_not_a_halt():
    c = checker_with((T0, 100_000))
    c.on_rest_round_trip(T0, 5_000)  # exactly 5.0 s: >= 5.0 s

    report = c.check(T0, RICH, None)

    assert reasons(report) == [ReasonCode.LATENCY_HIGH]
    assert report.halts == ()
    (block,) = report.blocks
    assert block.reason is ReasonCode.BLOCK_LATENCY and block.cancel_entry_orders
    assert block.until_ms == T0 + 60 * S  # no clean sample yet: at least now + 60 s


def test_e2_ws_event_age_counts_too():
    c = checker_with((T0, 100_000))
    c.on_ws_event_age(T0, 4_999)
    assert c.check(T0, RICH, None).findings == ()
    c.on_ws_event_age(T0 + S, 6_200)
    assert reasons(c.check(T0 + S, RICH, None)) == [ReasonCode.LATENCY_HIGH]


# --- E3 / H3 ------------------------------------------------------------------------------
def test_e3_balance_anomaly_halts_manual():
    c = checker_with((T0, 100_000))

    denial = assess_balance(T0, "", "0", "BTC")
    by_denial = c.check(T0, denial, None)
    by_missing = c.check(T0, None, None)
    by_nan = c.check(T0, AccountSnapshot(T0, D("NaN")), None)

    for report in (by_denial, by_missing, by_nan):
        assert reasons(report) == [ReasonCode.BALANCE_ANOMALY]
        assert report.halts[0].kind is HaltKind.MANUAL


def test_h3_equity_below_80_halts_manual():
    # 0.00079 BTC x 100,000 = $79 < $80; 0.0008 BTC x 100,000 = $80 is not below.
    c = checker_with((T0, 100_000))

    low = c.check(T0, AccountSnapshot(T0, D("0.00079")), None)
    at = c.check(T0, AccountSnapshot(T0, D("0.0008")), None)

    assert reasons(low) == [ReasonCode.EQUITY_BELOW_80]
    assert low.halts[0].kind is HaltKind.MANUAL
    assert low.halts[0].figures["equity_usd"] == D("79.00000")
    assert at.findings == ()


def test_h3_unrealized_loss_counts_in_equity():
    # wallet 0.001 BTC ($100) with uPnL -0.0003 BTC: equity 0.0007 BTC = $70 < $80.
    c = checker_with((T0, 100_000))

    report = c.check(T0, AccountSnapshot(T0, D("0.001"), D("-0.0003")), None)

    assert reasons(report) == [ReasonCode.EQUITY_BELOW_80]


# --- E6 -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("side", "liq", "warn"),
    [
        (Side.LONG, "90000", True),  # (100,000 - 90,000) / 100,000 = 0.10 <= 0.10
        (Side.LONG, "89999", False),  # 0.10001 > 0.10
        (Side.SHORT, "110000", True),  # (110,000 - 100,000) / 100,000 = 0.10
        (Side.SHORT, "110001", False),
        (Side.LONG, "101000", True),  # mark already beyond the long's liqPrice: -0.01
    ],
)
def test_e6_liquidation_warning_within_10pct_of_liq_price(side, liq, warn):
    c = checker_with((T0, 100_000))

    report = c.check(T0, RICH, position(side, liq))

    assert (ReasonCode.LIQUIDATION_WARNING in reasons(report)) is warn
    if warn:
        assert report.halts[0].kind is HaltKind.MANUAL


def test_e6_exchange_position_without_liq_price_gives_no_warning():
    # Bybit sends liqPrice "" when out of range; the adapter maps it to None.
    c = checker_with((T0, 100_000))
    pos = ExchangePosition(Side.LONG, 100, D(100_000), None, D(3))

    assert c.check(T0, RICH, pos).findings == ()


def test_e6_wider_warning_band_from_config():
    # liq_warning_pct 0.2: liq at 85,000 is 15% away -> warning.
    c = checker_with((T0, 100_000), config=EmergencyConfig(liq_warning_pct=D("0.2")))

    assert reasons(c.check(T0, RICH, position(Side.LONG, "85000"))) == [
        ReasonCode.LIQUIDATION_WARNING
    ]


def test_e6_liquidation_or_adl_event_halts_manual():
    c = checker_with((T0, 100_000))
    event = PositionLiquidated(
        exchange_ts_ms=T0, local_ts_ms=T0, side=Side.LONG, contracts=100, price=D(66_000)
    )

    report = c.check(T0, RICH, None, liquidations=[event])

    assert reasons(report) == [ReasonCode.LIQUIDATION_EVENT]
    assert report.halts[0].kind is HaltKind.MANUAL
    assert report.halts[0].figures["price"] == D(66_000)


# --- F3 -----------------------------------------------------------------------------------
def test_f3_degraded_60s_halts_temporary():
    ws = WsHealth(T0)
    c = checker_with((T0, 100_000))

    before = c.check(T0 + 59_999, RICH, None, ws=ws.status(T0 + 59_999))
    at = c.check(T0 + 60 * S, RICH, None, ws=ws.status(T0 + 60 * S))

    assert before.findings == ()
    assert reasons(at) == [ReasonCode.WS_DEGRADED_TIMEOUT]
    assert at.halts[0].kind is HaltKind.TEMPORARY
