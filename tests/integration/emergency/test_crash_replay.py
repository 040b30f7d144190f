"""E1/E4 on real crash days: the real path must not halt; the path scaled x1.5 must halt at the
first minute that crosses a threshold and then recover exactly as E4 says.

How a 1-minute candle becomes mark updates: four marks at +0 s, +15 s, +30 s and +45 s of the
candle: open, high, low, close. High before low is the adverse order for E1's drop (the whole
range of the minute counts as a fall), so "the real path does not halt" holds for any order
inside the candle. The checker runs once per candle, at +45 s, after its four marks: it judges
the worst moves since the previous check, so the low at +30 s is never missed.

The expected minutes are computed independently here with numpy (sliding max/min over the same
inclusive windows), not with the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pytest
from tests.unit.emergency.halt_rig import Rig

from accountbuilder.domain.enums import HaltKind, Side, Stage
from accountbuilder.domain.models import AccountSnapshot, Position
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.checker import EmergencyChecker
from accountbuilder.emergency.halts import COOLDOWN_MS, HaltLogEvent, HaltPhase

MARK_OFFSETS_MS = (0, 15_000, 30_000, 45_000)  # open, high, low, close
CHECK_OFFSET_MS = 45_000
MIN = 60_000
RICH = AccountSnapshot(0, D("1"))  # 1 BTC: far above H3's $80 at any 2021/2022 price


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def load(shared_data: Path, name: str, start: str, end: str) -> np.ndarray:
    rows = np.loadtxt(shared_data / name, delimiter=",", skiprows=1)
    ts = rows[:, 0]
    return rows[(ts >= ms(start)) & (ts < ms(end))]


def mark_path(candles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candle rows (ts, o, h, l, c, v) -> mark times and prices, 4 per candle (o, h, l, c)."""
    ts = candles[:, 0].astype(np.int64)
    times = np.stack([ts + off for off in MARK_OFFSETS_MS], axis=1).ravel()
    prices = candles[:, [1, 2, 3, 4]].ravel()
    return times, prices


def sliding(times: np.ndarray, prices: np.ndarray, window_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Max and min over each mark's inclusive window [t - window, t] (brute force)."""
    first = np.searchsorted(times, times - window_ms, side="left")
    hi = np.array([prices[a : i + 1].max() for i, a in enumerate(first)])
    lo = np.array([prices[a : i + 1].min() for i, a in enumerate(first)])
    return hi, lo


def oracle(times: np.ndarray, prices: np.ndarray) -> dict[str, np.ndarray]:
    hi1, lo1 = sliding(times, prices, MIN)
    hi5, lo5 = sliding(times, prices, 5 * MIN)
    return {
        "drop_1m": prices / hi1 - 1,
        "drop_5m": prices / hi5 - 1,
        "rise_1m": prices / lo1 - 1,
        "rise_5m": prices / lo5 - 1,
    }


def per_minute(flags: np.ndarray) -> np.ndarray:
    """True for a minute when any of its four marks is flagged."""
    return flags.reshape(-1, len(MARK_OFFSETS_MS)).any(axis=1)


def replay(candles: np.ndarray, prices: np.ndarray, position: Position | None = None):
    """Feed the marks, check once per candle, step the halt state; return the timeline."""
    checker = EmergencyChecker()
    rig = Rig()
    phases, log = [], []
    marks = prices.reshape(-1, len(MARK_OFFSETS_MS))
    for ts, four in zip(candles[:, 0].astype(np.int64), marks, strict=True):
        for off, price in zip(MARK_OFFSETS_MS, four, strict=True):
            checker.on_mark(int(ts) + off, D(f"{price:.2f}"))
        now = int(ts) + CHECK_OFFSET_MS
        report = checker.check(now, RICH, position)
        entries = rig.check(now, report.findings, report.calm, report.calm_figures)
        phases.append(rig.phase)
        log += entries
    return phases, log


def short_position() -> Position:
    return Position(Side.SHORT, 100, D(40_000), Stage.S1, D(3))


@pytest.fixture(scope="module")
def may_2021(shared_data: Path) -> np.ndarray:
    # 2021-05-18 00:00 to the end of the file (2021-05-20 20:40): the 2021-05-19 crash.
    return load(shared_data, "btcusd_1m_2021-04_2021-05.csv.gz", "2021-05-18", "2021-05-21")


def test_e1_real_2021_05_19_crash_does_not_halt(may_2021):
    times, prices = mark_path(may_2021)
    moves = oracle(times, np.round(prices, 2))
    # The slice holds the crash: worst drop_5m about -12%, which breaks E4's calm bounds.
    assert moves["drop_5m"].min() < -0.11 and (moves["drop_1m"] <= -0.05).any()

    phases, log = replay(may_2021, prices)

    assert log == [] and set(phases) == {HaltPhase.NORMAL}


def test_e1_real_2021_05_19_crash_does_not_trip_the_short_mirror(may_2021):
    times, prices = mark_path(may_2021)
    rises = oracle(times, np.round(prices, 2))
    assert 0.09 < rises["rise_1m"].max() < 0.10  # close to, but under, +10%

    phases, log = replay(may_2021, prices, short_position())

    assert log == []


def test_e1_real_2022_06_celsius_days_do_not_halt(shared_data):
    candles = load(shared_data, "btcusd_1m_2022-05_2022-06.csv.gz", "2022-06-12", "2022-06-19")
    assert len(candles) == 7 * 1440  # no gaps in this slice

    phases, log = replay(candles, mark_path(candles)[1])

    assert log == [] and set(phases) == {HaltPhase.NORMAL}


def scaled(candles: np.ndarray, start: str, factor: float) -> np.ndarray:
    """Each price from ``start`` on becomes ref + factor x (price - ref), ref = that minute's open.

    Before ``start`` nothing changes, so the path is continuous at the seam.
    """
    out = candles.copy()
    from_row = int(np.searchsorted(candles[:, 0], ms(start)))
    ref = candles[from_row, 1]
    out[from_row:, 1:5] = np.round(ref + factor * (candles[from_row:, 1:5] - ref), 2)
    return out


def test_e1_e4_scaled_crash_halts_at_first_crossing_minute_then_recovers(may_2021):
    candles = scaled(may_2021, "2021-05-19T00:00", 1.5)
    times, prices = mark_path(candles)
    moves = oracle(times, prices)
    d1, d5 = moves["drop_1m"], moves["drop_5m"]
    for values, bound in ((d1, -0.10), (d5, -0.20), (d1, -0.05), (d5, -0.10)):
        assert np.abs(values - bound).min() > 1e-9  # float vs Decimal cannot disagree
    breach = (d1 <= -0.10) | (d5 <= -0.20)
    first_mark = int(np.argmax(breach))
    halt_minute = first_mark // 4
    calm = ~per_minute(~((d1 > -0.05) & (d5 > -0.10)))
    # E4: the first minute that closes 5 calm minutes (6 calm checks: calm_since .. +5 min).
    runs = np.convolve(calm.astype(int), np.ones(6, dtype=int), mode="valid")
    cool_minute = halt_minute + 5 + int(np.argmax(runs[halt_minute:] == 6))
    lift_minute = cool_minute + COOLDOWN_MS // MIN
    assert breach.any() and not per_minute(breach)[cool_minute : lift_minute + 1].any()
    check_ts = candles[:, 0].astype(np.int64) + CHECK_OFFSET_MS

    phases, log = replay(candles, prices)

    first = log[0]
    assert (first.event, first.kind) == (HaltLogEvent.RAISED, HaltKind.TEMPORARY)
    assert first.ts_ms == check_ts[halt_minute] and first.figures["at_ms"] == times[first_mark]
    assert first.reason in (ReasonCode.DROP_1M, ReasonCode.DROP_5M)
    assert set(phases[:halt_minute]) == {HaltPhase.NORMAL}
    assert set(phases[halt_minute:cool_minute]) == {HaltPhase.HALT}
    assert set(phases[cool_minute:lift_minute]) == {HaltPhase.COOLDOWN}
    assert set(phases[lift_minute:]) == {HaltPhase.NORMAL}
    cooldown = next(e for e in log if e.event is HaltLogEvent.COOLDOWN_STARTED)
    assert cooldown.ts_ms == check_ts[cool_minute]
    assert cooldown.figures["calm_since_ms"] == check_ts[cool_minute - 5]
    assert log[-1].event is HaltLogEvent.LIFTED and log[-1].ts_ms == check_ts[lift_minute]
    assert {e.event for e in log} <= {
        HaltLogEvent.RAISED,
        HaltLogEvent.CALM_STARTED,
        HaltLogEvent.COOLDOWN_STARTED,
        HaltLogEvent.LIFTED,
    }
