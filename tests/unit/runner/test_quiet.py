"""Skipping idle ticks (runner/quiet.py): the wake masks, and identical results with and
without skipping on real slices (SPEC E1, E5, H3; F6: the same core in every mode)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from tests.unit.runner.slices import BUNDLED, config, crash_csv, replay

from accountbuilder.config.models import EmergencyConfig
from accountbuilder.domain.enums import Side
from accountbuilder.marketdata.candles import candles_from_columns, load_candles
from accountbuilder_runner.quiet import (
    e1_rise_wake_mask,
    e1_wake_mask,
    e6_wake_mask,
    funding_mask,
    h3_wake_mask,
    idle_flat_manual_halt,
    idle_in_position,
)

MIN = 60_000


def _arrays(closes, step_ms=MIN, ts=None):
    closes = np.asarray(closes, dtype=float)
    ts = np.arange(closes.size, dtype=np.int64) * step_ms if ts is None else np.asarray(ts)
    return candles_from_columns(ts, closes, closes, closes, closes, np.ones(closes.size))


# --- the E1 mask -------------------------------------------------------------------------
def test_e1_wake_mask_keeps_a_deep_drop_and_the_five_minutes_before_it():
    # 100 for 8 minutes, one 90.9 (90.9 / 100 − 1 = −9.1 %, past 90 % of −10 %: −9 %), 100
    closes = [100.0] * 8 + [90.9] + [100.0] * 3
    wake = e1_wake_mask(_arrays(closes), EmergencyConfig())
    # the risky candle (8) and the 6 before it (the 5-minute window holds 6 marks: 2..7)
    assert np.flatnonzero(wake).tolist() == [2, 3, 4, 5, 6, 7, 8]


def test_e1_wake_mask_ignores_a_drop_short_of_the_margin():
    # −8.9 % is short of −9 %: E1 (−10 %) cannot fire there
    closes = [100.0] * 8 + [91.1] * 4
    assert not e1_wake_mask(_arrays(closes), EmergencyConfig()).any()


def test_e1_wake_mask_sees_a_fall_spread_over_five_minutes():
    # 100 → 95 → 90.5: each minute only −5 % / −4.7 %, but −9.5 % against the 5-minute high
    closes = [100.0, 100.0, 95.0, 90.5, 90.5]
    assert e1_wake_mask(_arrays(closes), EmergencyConfig())[3]


def test_e1_wake_mask_does_not_reach_across_a_gap():
    # the 100 close is 10 minutes before the 90 one (a gap): outside the 5-minute window
    ts = [0, MIN, 11 * MIN, 12 * MIN]
    wake = e1_wake_mask(_arrays([100.0, 100.0, 90.0, 90.0], ts=ts), EmergencyConfig())
    assert not wake.any()


def test_e1_wake_mask_follows_a_tightened_limit():
    # drop_1m_halt −0.05 → wake from 90 % of it: −4.5 %; a −4.6 % candle wakes
    closes = [100.0] * 6 + [95.4]
    tight = EmergencyConfig(drop_1m_halt=Decimal("-0.05"))
    assert e1_wake_mask(_arrays(closes), tight)[6]
    assert not e1_wake_mask(_arrays(closes), EmergencyConfig())[6]


def test_e1_rise_wake_mask_mirrors_the_drop_for_a_short():
    # 100 → 109.1: +9.1 % ≥ 90 % of +10 % (+9 %); the fall back to 100 is no rise
    closes = [100.0] * 6 + [109.1] + [100.0] * 2
    assert np.flatnonzero(e1_rise_wake_mask(_arrays(closes), EmergencyConfig())).tolist() == [
        0,
        1,
        2,
        3,
        4,
        5,
        6,
    ]


def test_e6_wake_mask_for_a_long_and_a_short():
    # long, liq 40,000: E6 warns at (mark − 40,000) / mark ≤ 10 % ⇔ mark ≤ 44,444.44;
    # with the 2 % margin the mask wakes at ≤ 45,333.33
    close = np.array([46_000.0, 45_300.0, 44_000.0])
    assert e6_wake_mask(close, Side.LONG, Decimal(40_000), Decimal("0.10")).tolist() == [
        False,
        True,
        True,
    ]
    # short, liq 60,000: warns at mark ≥ 60,000 / 1.1 = 54,545.45; margin: ≥ 53,475.94
    close = np.array([53_000.0, 53_500.0, 55_000.0])
    assert e6_wake_mask(close, Side.SHORT, Decimal(60_000), Decimal("0.10")).tolist() == [
        False,
        True,
        True,
    ]


def test_e6_wake_mask_never_looser_than_ten_percent():
    # a config may only widen E6's 10 %: 0.05 is read as 0.10
    close = np.array([45_300.0])
    assert e6_wake_mask(close, Side.LONG, Decimal(40_000), Decimal("0.05")).tolist() == [True]


def test_a3_funding_mask_marks_the_candle_of_each_8_hour_boundary():
    # hourly candles from 2021-01-01 00:00: funding at 00:00 (the first close at or after it
    # is the 00:00 candle's close at 01:00), 08:00 and 16:00 (closes at 08:00 and 16:00)
    hour = 3_600_000
    t0 = 1_609_459_200_000
    arrays = _arrays([100.0] * 24, step_ms=hour, ts=t0 + np.arange(24) * hour)
    assert np.flatnonzero(funding_mask(arrays)).tolist() == [0, 7, 15, 23]


# --- the H3 mask -------------------------------------------------------------------------
def test_h3_wake_mask_flags_closes_within_two_percent_of_80_usd():
    # 0.002 BTC: $80 × 1.02 / 0.002 = 40,800; 40,700 × 0.002 = $81.40 is inside the margin
    mask = h3_wake_mask(_arrays([41_000.0, 40_800.0, 40_700.0]), Decimal("0.002"))
    assert mask.tolist() == [False, False, True]


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
                idle_flat_manual_halt(core, pending=False),
                idle_in_position(core, pending=False),
            )
        )

    await replay(crash, config(), "100", skip=False, from_date="2021-05-16", on_tick=on_tick)

    assert ("HALT", "NO_POSITION", True, False) in seen
    assert ("IN_POSITION", "ACTIVE", False, True) in seen
    for main_state, stop, flat_idle, position_idle in seen:
        assert not flat_idle or main_state == "HALT"
        assert not position_idle or (main_state in ("IN_POSITION", "HALT") and stop == "ACTIVE")
    assert not any(flat and pos for _, _, flat, pos in seen)
