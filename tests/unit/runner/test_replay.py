"""The replay loop (runner/replay.py): history and start, tick times, and the trading core's
invariants on every tick of a backtest over real (scaled) crash data (SPEC F6, D2, G8, D6, F1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.runner.slices import BUNDLED, config, crash_csv, replay

from accountbuilder.domain.commands import PlaceOrder
from accountbuilder.domain.enums import OrderRole
from accountbuilder.marketdata.candles import DAY_MS, load_candles, parse_utc_date_ms
from accountbuilder_runner.replay import HISTORY_DAYS, ReplayError, plan_replay

MIN = 60_000


@pytest.fixture(scope="module")
def bundled():
    return load_candles(BUNDLED)


def test_d2_warmup_days_seed_the_atr_and_are_not_traded(bundled):
    # the slice opens 2021-04-09 00:00; 15 warm-up days → the first replayed candle 04-24 00:00
    plan = plan_replay(bundled, config(), Decimal(100))

    assert plan.start_ms == parse_utc_date_ms("2021-04-24")
    assert plan.first_index == 15 * 1440 - 150  # 15 days of minutes less the 150-minute gap
    assert plan.end_ms == parse_utc_date_ms("2021-05-20") + (20 * 60 + 41) * MIN


def test_d2_from_date_keeps_at_most_31_days_of_history(bundled):
    plan = plan_replay(bundled, config(), Decimal(100), from_ms=parse_utc_date_ms("2021-05-15"))

    assert plan.start_ms == parse_utc_date_ms("2021-05-15")
    assert int(plan.arrays.ts_ms[0]) == plan.start_ms - HISTORY_DAYS * DAY_MS


def test_f6_nothing_to_replay_is_refused_with_the_file_name(bundled):
    with pytest.raises(ReplayError, match="btcusd_1m_2021-04-09_2021-05-20.csv.gz: no candles"):
        plan_replay(bundled, config(), Decimal(100), from_ms=parse_utc_date_ms("2021-06-01"))


def test_a1_start_balance_is_the_usd_equity_at_the_start_mark(bundled):
    # start mark = close of 2021-04-23 23:59 = 51,125.14; $100 / 51,125.14 = 0.00195598 BTC
    plan = plan_replay(bundled, config(), Decimal(100))

    assert plan.start_mark == Decimal("51125.14")
    assert (Decimal(100) / plan.start_mark).quantize(Decimal("1e-8")) == Decimal("0.00195598")


async def test_f6_every_timeframe_step_is_a_tick_gaps_included(bundled):
    # 2021-04-25 holds a 284-minute maintenance gap (04:01 → 08:44): still 1,440 ticks, and
    # inside it the mark goes stale (older than 2 candles) as it would live; nothing is filled
    gap_from = parse_utc_date_ms("2021-04-25") + (4 * 60 + 1) * MIN
    gap_to = gap_from + 284 * MIN
    stale = []

    def on_tick(now_ms, core):
        if gap_from < now_ms <= gap_to:
            stale.append(core.kit.view.staleness_denial(now_ms) is not None)

    _, r = await replay(
        bundled,
        config(),
        "100",
        skip=False,
        from_date="2021-04-25",
        to_date="2021-04-25",
        on_tick=on_tick,
    )

    assert r.ticks == 1440 and r.skipped == 0
    assert len(r.plan.arrays.ts_ms) - r.plan.first_index == 1440 - 284
    # the last candle before the gap closes at 04:01; 2 minutes later its mark is stale
    assert stale[:2] == [False, False] and all(stale[2:]) and len(stale) == 284


async def test_g8_d6_f1_core_invariants_hold_on_every_backtest_tick(shared_data, tmp_path):
    # $400 on the scaled crash: 31 trades, an E1 halt and its COOLDOWN, every tick checked:
    # a position has an ACTIVE stop at every tick's end (G8), no entry is sent while HALT,
    # COOLDOWN or a block runs (D6), and the REST budget is never exceeded (F1)
    arrays = load_candles(crash_csv(shared_data, tmp_path / "crash.csv"))
    seen = {"position_ticks": 0, "unprotected_ticks": 0}
    blocked_entries = []

    def on_tick(now_ms, core):
        pos = core.kit.view.position
        if pos is not None and pos.contracts > 0:
            seen["position_ticks"] += 1
            seen["unprotected_ticks"] += core.state.stop.state != "ACTIVE"

    def on_outbox(now_ms, out, core):
        s = core.state
        blocked = s.main.state in ("HALT", "COOLDOWN") or s.risk.blocks.active(now_ms)
        entries = [
            c
            for c in out.commands
            if isinstance(c, PlaceOrder) and c.spec.role in (OrderRole.ENTRY, OrderRole.TAKER_ENTRY)
        ]
        if blocked and entries:
            blocked_entries.append(now_ms)

    rec, r = await replay(
        arrays,
        config(),
        "400",
        skip=False,
        from_date="2021-05-16",
        on_tick=on_tick,
        on_outbox=on_outbox,
    )

    assert len(rec.kinds("trade")) == 2 * 31 and "DROP_1M" in str(rec.kinds("halt"))
    assert seen["position_ticks"] > 1000 and seen["unprotected_ticks"] == 0
    assert blocked_entries == []
    assert r.sim.max_rest_calls_in_window() <= 90
