"""Skipping ticks the core says stand (core.wake, runner.wakes): the rules' standings, the
candle searches, and identical results with and without skipping on real slices (SPEC E1,
E5, E6, H3; F6: the same core in every mode)."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from tests.unit.runner.slices import BUNDLED, config, crash_csv, replay

from accountbuilder.core.wake import _flat_manual_halt, _quiet_position
from accountbuilder.domain.enums import Side
from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.domain.standing import Standing, not_traded_at
from accountbuilder.emergency.rules import E1Limits
from accountbuilder.emergency.standing import e1_standing, e6_standing, h3_standing
from accountbuilder.emergency.windows import MarkWindows
from accountbuilder.marketdata.candles import candles_from_columns, load_candles
from accountbuilder_runner.wakes import WakeFinder, funding_indices

MIN = 60_000


def _arrays(closes, step_ms=MIN, ts=None):
    closes = np.asarray(closes, dtype=float)
    ts = np.arange(closes.size, dtype=np.int64) * step_ms if ts is None else np.asarray(ts)
    return candles_from_columns(ts, closes, closes, closes, closes, np.ones(closes.size))


def _windows(marks):
    w = MarkWindows()
    for i, m in enumerate(marks):
        w.on_mark(i * MIN, Decimal(str(m)))
    return w, (len(marks) - 1) * MIN


class _Pos:
    def __init__(self, side, liq, contracts=100):
        self.side, self.liq_price, self.contracts = side, liq, contracts


# --- E1's band ---------------------------------------------------------------------------
def test_e1_band_keeps_every_move_within_90_percent_of_the_limit():
    w, now = _windows([100.0] * 6)
    band = e1_standing(w, now, E1Limits(), short_open=False, mirror=True)
    # reaches 4.5 % above; below: 104.5 × (1 − 0.09) = 95.095, a −9 % drop from 104.5
    assert band.high == pytest.approx(104.5)
    assert band.low == pytest.approx(104.5 * 0.91)
    assert band.low / band.high - 1 > -0.10 * 0.9 - 1e-12


def test_e1_band_counts_the_high_still_in_the_five_minute_window():
    # a 107 three minutes ago: the band's floor follows it, not the 104.5 above the mark
    w, now = _windows([100.0, 100.0, 107.0, 100.0, 100.0, 100.0])
    band = e1_standing(w, now, E1Limits(), short_open=False, mirror=True)
    assert band.low == pytest.approx(107.0 * 0.91)


def test_e1_band_is_empty_when_the_mark_is_already_near_the_limit():
    # −9.5 % from the 5-minute high: no mark band can show E1 will not fire
    w, now = _windows([100.0, 90.5])
    band = e1_standing(w, now, E1Limits(), short_open=False, mirror=True)
    assert not band.holds(now + MIN, 90.5) and not band.holds(now + MIN, 100.0)


def test_e1_band_follows_a_tightened_limit():
    w, now = _windows([100.0] * 3)
    tight = E1Limits.tightened(Decimal("-0.05"), Decimal("-0.20"))
    band = e1_standing(w, now, tight, short_open=False, mirror=True)
    assert band.low == pytest.approx(104.5 * (1 - 0.045))


def test_e1_mirror_bounds_the_rise_while_a_short_is_open():
    # lowest mark in the window 95: a rise to 95 × 1.09 = 103.55 is 90 % of the +10 % limit
    w, now = _windows([95.0, 100.0])
    band = e1_standing(w, now, E1Limits(), short_open=True, mirror=True)
    assert band.high == pytest.approx(95.0 * 1.09)
    assert e1_standing(w, now, E1Limits(), short_open=True, mirror=False).high == pytest.approx(
        104.5
    )


# --- H3 and E6 ---------------------------------------------------------------------------
def test_h3_band_is_the_mark_that_makes_equity_80_usd():
    account = AccountSnapshot(ts_ms=0, wallet_balance_btc=Decimal("0.002"))
    band = h3_standing(account)
    assert band.low == pytest.approx(40_000.0, rel=2e-6) and band.low > 40_000.0
    assert math.isinf(band.high)


def test_e6_band_for_a_long_and_a_short():
    # long, liq 40,000: E6 warns at (mark − 40,000) / mark ≤ 10 % ⇔ mark ≤ 44,444.44
    long_band = e6_standing(_Pos(Side.LONG, Decimal(40_000)), Decimal("0.10"))
    assert long_band.low == pytest.approx(40_000 / 0.9, rel=2e-6)
    # short, liq 60,000: warns at mark ≥ 60,000 / 1.1 = 54,545.45
    short_band = e6_standing(_Pos(Side.SHORT, Decimal(60_000)), Decimal("0.10"))
    assert short_band.high == pytest.approx(60_000 / 1.1, rel=2e-6)


def test_e6_band_never_looser_than_ten_percent():
    # a config may only widen E6's 10 %: 0.05 is read as 0.10
    band = e6_standing(_Pos(Side.LONG, Decimal(40_000)), Decimal("0.05"))
    assert band.low == pytest.approx(40_000 / 0.9, rel=2e-6)


# --- the replay's candle searches --------------------------------------------------------
def test_wake_finder_finds_the_first_close_outside_the_band_or_past_the_time():
    finder = WakeFinder(_arrays([100.0] * 5 + [106.0] + [100.0] * 4))
    assert finder.first_break(0, Standing(low=95.0, high=105.0)) == 5
    assert finder.first_break(0, Standing(until_ms=3 * MIN, low=95.0, high=105.0)) == 2
    assert finder.first_break(6, Standing(low=95.0, high=105.0)) == 9  # none: the last


def test_g3_wake_finder_wakes_where_a_candle_trades_at_a_resting_entry():
    # a buy resting at 95: candle 3's low reaches it (its close stays inside the band)
    closes = np.array([100.0] * 6)
    lows = np.array([99.0, 98.0, 97.0, 95.0, 99.0, 99.0])
    ts = np.arange(6, dtype=np.int64) * MIN
    arrays = candles_from_columns(ts, closes, closes, lows, closes, np.ones(6))
    band = Standing(low=90.0, high=110.0).meet(not_traded_at(Decimal(95), below=True))
    assert WakeFinder(arrays).first_break(0, band) == 3
    sell = Standing(low=90.0, high=110.0).meet(not_traded_at(Decimal(101), below=False))
    assert WakeFinder(arrays).first_break(0, sell) == 5  # highs never reach 101: the last


def test_wake_finder_stops_a_refusal_before_a_gap():
    # candles 0-3, then 10 minutes missing: every tick up to candle 3 has a fresh mark
    ts = [0, MIN, 2 * MIN, 3 * MIN, 14 * MIN, 15 * MIN]
    finder = WakeFinder(_arrays([100.0] * 6, ts=ts))
    assert finder.last_before_gap(0) == 3
    assert finder.last_before_gap(4) == 5


def test_a3_funding_indices_are_the_candle_of_each_8_hour_boundary():
    # hourly candles from 2021-01-01 00:00: funding at 00:00 (the first close at or after it
    # is the 00:00 candle's close at 01:00), 08:00 and 16:00 (closes at 08:00 and 16:00)
    hour = 3_600_000
    t0 = 1_609_459_200_000
    arrays = _arrays([100.0] * 24, step_ms=hour, ts=t0 + np.arange(24) * hour)
    assert funding_indices(arrays).tolist() == [0, 7, 15, 23]


# --- identical with and without skipping (real data) -------------------------------------
async def _both(arrays, usd, **window):
    cfg = config()
    slow, r_slow = await replay(arrays, cfg, usd, skip=False, **window)
    fast, r_fast = await replay(arrays, cfg, usd, skip=True, **window)
    return slow, r_slow, fast, r_fast


@pytest.fixture(scope="module")
def crash(shared_data, tmp_path_factory):
    return load_candles(crash_csv(shared_data, tmp_path_factory.mktemp("crash") / "crash.csv"))


async def test_e1_h3_skipping_gives_identical_records_on_the_scaled_crash(crash):
    # $100: H3 halts (manual) on 2021-05-17, then the skipped stretch must still wake for
    # the E1 drop of 2021-05-19 13:22 that adds DROP_1M to the halt
    slow, r_slow, fast, r_fast = await _both(crash, "100", from_date="2021-05-16")

    assert fast.records == slow.records
    reasons = [h["reason"] for h in slow.kinds("halt")]
    assert reasons == ["EQUITY_BELOW_80", "DROP_1M"]
    assert r_fast.skipped > 0.5 * r_slow.ticks  # most of the halted days were skipped
    assert r_fast.sim.ledger.wallet_btc == r_slow.sim.ledger.wallet_btc


async def test_e4_g8_temporary_halt_ticks_in_full_and_quiet_positions_skip(crash):
    # $400: 31 trades; the E1 halt is temporary (calm minutes, COOLDOWN, lifted), so every
    # minute from its raise to its lift is ticked; quiet positions are skipped to their fills
    cfg = config()
    slow, _ = await replay(crash, cfg, "400", skip=False, from_date="2021-05-16")
    ticked = []
    fast, r_fast = await replay(
        crash,
        cfg,
        "400",
        skip=True,
        from_date="2021-05-16",
        on_tick=lambda now_ms, core: ticked.append(now_ms),
    )

    assert fast.records == slow.records and len(slow.kinds("trade")) == 2 * 31
    halts = {h["event"]: h["ts_ms"] for h in slow.kinds("halt")}
    raised, lifted = halts["raised"], halts["lifted"]  # 13:22 → 13:58: 36 minutes
    assert [t for t in ticked if raised <= t <= lifted] == list(range(raised, lifted + 1, MIN))
    assert r_fast.skipped > r_fast.ticks  # most position minutes were quiet


async def test_b1_skipping_gives_identical_trades_on_the_bundled_slice():
    # 2021-05-09 → 05-13: trades, then H3 on 2021-05-12 (a manual halt skipped to the end)
    arrays = load_candles(BUNDLED)
    slow, _, fast, r_fast = await _both(arrays, "100", from_date="2021-05-09", to_date="2021-05-13")

    assert fast.records == slow.records
    assert len(slow.kinds("trade")) >= 4 and r_fast.skipped > 0


async def test_e5_g8_idle_states_are_a_flat_manual_halt_or_a_protected_position(crash):
    seen = set()

    def on_tick(now_ms, core):
        seen.add(
            (
                core.state.main.state,
                core.state.stop.state,
                _flat_manual_halt(core.kit, core.state),
                _quiet_position(core.kit, core.state),
            )
        )

    await replay(crash, config(), "100", skip=False, from_date="2021-05-16", on_tick=on_tick)

    assert ("HALT", "NO_POSITION", True, False) in seen
    assert ("IN_POSITION", "ACTIVE", False, True) in seen
    for main_state, stop, flat_idle, position_idle in seen:
        assert not flat_idle or main_state == "HALT"
        assert not position_idle or (main_state in ("IN_POSITION", "HALT") and stop == "ACTIVE")
    assert not any(flat and pos for _, _, flat, pos in seen)
