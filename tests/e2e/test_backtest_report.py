"""The figures a trader reads (issue 17), each checked against a value computed another way
from the run's own files (trades.csv, halts.csv) and the candles, never pinned to today's
trades: attribution, statistics, months and exposure on a real slice with wins and losses;
the two moments on the hourly file's day-2 halt; "why no trades" on a calm 2025 slice."""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import defaultdict
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pytest
from tests.unit.runner.slices import BUNDLED

from accountbuilder.marketdata.candles import load_candles
from accountbuilder_runner.cli import main

SAT = D("0.00000001")
MAKER, TAKER = D("0.0001"), D("0.0006")  # SPEC A3 defaults (config/execution_config.yaml)
HOURLY = "btcusd_1h_2017-08_2024-07.csv.gz"


def backtest(out: Path, data: Path, *args: str) -> dict:
    rc = main(["backtest", "--data", str(data), "--out", str(out), "--quiet", *args])
    assert rc in (0, 1)
    return json.loads((out / "report.json").read_text())


def trades_csv(out: Path) -> list[dict]:
    with (out / "trades.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> tuple[dict, list[dict], Path]:
    """2021-04-26 → 05-05 of the bundled slice: wins and losses, flat at the end."""
    out = tmp_path_factory.mktemp("mixed")
    f = backtest(out, BUNDLED, "--from", "2021-04-26", "--to", "2021-05-05", "--d4-winrate", "0.6")
    return f, trades_csv(out), out


@pytest.fixture(scope="module")
def cut(mixed, tmp_path_factory) -> tuple[dict, list[dict]]:
    """The same replay cut at its last exit: a backtest is causal, so it has the same trades
    up to there, and it ends flat (no open position's uPnL or time in the figures)."""
    _, trades, _ = mixed
    out = tmp_path_factory.mktemp("cut")
    f = backtest(
        out, BUNDLED, "--from", "2021-04-26", "--to", trades[-1]["exit_ts"], "--d4-winrate", "0.6"
    )
    return f, trades_csv(out)


def test_a1_attribution_sums_to_the_usd_change_and_trading_is_the_trades_pnl(mixed, cut):
    f, trades, _ = mixed
    assert {t["win"] for t in trades} == {"0", "1"}  # the slice has wins and losses
    for moment in ("end_of_trading", "end_of_data"):
        a = {k: D(v) for k, v in f[moment]["attribution"].items() if isinstance(v, str)}
        # exact: B₀ × (P − P₀) + (B − B₀) × P = B × P − B₀ × P₀
        assert a["price_effect_usd"] + a["trading_effect_usd"] == a["usd_change"]
        assert a["usd_change"] == a["btc"] * a["price"] - a["start_btc"] * a["start_price"]
        assert a["hold_btc_usd"] == a["start_btc"] * a["price"]
    # flat at the cut: the BTC trading added is the sum of the trades' pnl_btc, to the satoshi
    cut, cut_trades = cut
    last_exit = trades[-1]["exit_ts"]
    assert cut_trades == trades and cut["to"] == last_exit
    a = cut["end_of_data"]["attribution"]
    assert D(a["trading_pnl_btc"]) == sum(D(t["pnl_btc"]) for t in trades).quantize(SAT)
    # P₀ is the start mark, P the close of the candle ending at the last exit (the candles')
    candles = load_candles(BUNDLED)
    last = int(np.searchsorted(candles.ts_ms, ms(last_exit))) - 1
    assert D(a["price"]) == D(repr(float(candles.close[last])))
    assert a["start_price"] == cut["start_mark"]
    assert D(a["start_btc"]) == D(str(cut["start_equity_btc"]))


def test_h1_trade_statistics_from_trades_csv(mixed):
    f, trades, _ = mixed
    s = f["stats"]
    pnl = [D(t["pnl_btc"]) for t in trades]
    usd = [D(t["pnl_usd"]) for t in trades]
    wins, losses = [p for p in pnl if p > 0], [p for p in pnl if p <= 0]
    assert (s["trades"], s["wins"], s["losses"]) == (len(pnl), len(wins), len(losses))
    assert s["profit_factor"] == pytest.approx(float(sum(wins) / -sum(losses)), abs=1e-4)
    assert s["expectancy_btc"] == pytest.approx(float(sum(pnl) / len(pnl)), abs=1e-8)
    assert s["expectancy_usd"] == pytest.approx(float(sum(usd) / len(usd)), abs=0.01)
    assert s["avg_loss_btc"] == pytest.approx(float(sum(losses) / len(losses)), abs=1e-8)
    worst = min(trades, key=lambda t: D(t["pnl_btc"]))
    of_budget = -D(worst["pnl_btc"]) / D(worst["max_loss_btc"])
    assert s["largest_loss"]["of_budget"] == pytest.approx(float(of_budget), abs=1e-4)
    hours = [(ms(t["exit_ts"]) - ms(t["entry_ts"])) / 3_600_000 for t in trades]
    assert s["duration_hours"] == pytest.approx(
        {"mean": statistics.fmean(hours), "median": statistics.median(hours), "max": max(hours)},
        abs=0.01,
    )
    streak = max(len(run) for run in "".join(t["win"] for t in trades).split("1"))
    assert s["longest_losing_streak"] == streak


def test_h1_exposure_from_the_trade_times(cut):
    f, trades = cut
    start, end = ms(f["from"]), ms(f["end_of_trading"]["at"])
    held = sum(min(ms(t["exit_ts"]), end) - max(ms(t["entry_ts"]), start) for t in trades)
    assert f["stats"]["exposure"] == pytest.approx(held / (end - start), abs=1e-4)


def test_a3_fees_in_usd_and_the_maker_taker_split_from_contracts(mixed):
    f, trades, _ = mixed
    assert {t["entry_stage"] for t in trades} == {"s1"}  # S1 is maker-only: every entry a maker
    # A3: a leg's fee in USD is contracts × rate; the take-profit is a maker exit, a stop a taker
    exit_rate = {
        t["exit_reason"]: MAKER if t["exit_reason"] == "take_profit" else TAKER for t in trades
    }
    fees = sum(int(t["contracts"]) * (MAKER + exit_rate[t["exit_reason"]]) for t in trades)
    s = f["stats"]
    assert s["fees_usd"] == pytest.approx(float(fees), abs=0.01)
    takers = sum(1 for t in trades if t["exit_reason"] != "take_profit")
    assert (s["maker_fills"], s["taker_fills"]) == (2 * len(trades) - takers, takers)
    assert D(f["fees_btc"]).quantize(SAT) == sum(D(t["fee_btc"]) for t in trades).quantize(SAT)


def test_i3_the_month_table_sums_to_the_totals_month_by_month(mixed):
    f, trades, _ = mixed
    by_month = defaultdict(list)
    for t in trades:
        by_month[t["exit_ts"][:7]].append(t)
    rows = f["months"]
    assert [r["month"] for r in rows] == ["2021-04", "2021-05"]
    for r in rows:
        mine = by_month[r["month"]]
        assert (r["trades"], r["wins"]) == (len(mine), sum(int(t["win"]) for t in mine))
        assert D(r["pnl_btc"]).quantize(SAT) == sum(D(t["pnl_btc"]) for t in mine).quantize(SAT)
    total = f["month_totals"]
    assert total["trades"] == sum(r["trades"] for r in rows) == f["trades"]
    assert D(total["pnl_btc"]).quantize(SAT) == sum(D(r["pnl_btc"]) for r in rows).quantize(SAT)
    assert total["fees_usd"] == pytest.approx(f["stats"]["fees_usd"], abs=0.01)
    assert rows[-1]["end_equity_usd"] == f["end_of_trading"]["equity_usd"]


@pytest.fixture(scope="module")
def halted(shared_data, tmp_path_factory) -> tuple[dict, list[dict], Path]:
    """The whole hourly file at $100: H3 halts it on day 2, and BTC then rises 15×."""
    out = tmp_path_factory.mktemp("halted")
    return backtest(out, shared_data / HOURLY), trades_csv(out), out


def test_e5_figures_after_a_halt_are_the_end_of_data_never_the_end_of_trading(halted):
    f, trades, out = halted
    with (out / "halts.csv").open(newline="") as fh:
        manual = [h for h in csv.DictReader(fh) if h["kind"] == "manual"]
    halt_at = manual[0]["ts"]
    t, d = f["end_of_trading"], f["end_of_data"]
    assert t["at"] == halt_at and t["cause"] == f"HALT (manual): {manual[0]['reason']}"
    assert t["equity_usd"] < 80 < 1000 < d["equity_usd"]  # the collateral floated up afterwards
    assert d["at"] == f["to"] and d["label"] == "end of data" and t["label"] == "end of trading"
    assert t["trades"] == sum(1 for x in trades if x["exit_ts"] <= halt_at)
    assert d["trades"] == len(trades)
    after = [x for x in trades if x["exit_ts"] > halt_at]  # the position the HALT kept (E7)
    months = f["months"]
    tail = [m["trades"] for m in months if m["month"] == "after end of trading"]
    assert tail == ([len(after)] if after else [])  # its own row, only when there is one
    assert sum(m["trades"] for m in months) == len(trades)
    # drawdown, peak and minimum are measured up to the halt only
    assert f["drawdown"]["trough_at"] <= halt_at and f["peak_equity_usd"] < 200
    days = (ms(halt_at) - ms(f["from"])) / 86_400_000
    assert t["days"] == round(days, 2)
    assert f["outcome_line"].startswith(
        f"Hard stop: balance under $80 after {days:.1f} days ({halt_at[:10]}) ⇒ HALT"
    )
    assert f["plan"]["mark_12_months"]["days_left"] == round(365 - days, 2)
    assert f["plan"]["review_flag"] == {"raised": False}


def test_e5_every_output_labels_the_two_moments(halted):
    f, _, out = halted
    html = (out / "report.html").read_text()
    at = f["end_of_trading"]["at"][:16].replace("T", " ")
    assert f"end of trading: {at}" in html and "end of data: 2024-07-26 00:00" in html
    assert "max drawdown (trading period)" in html and "hold-BTC equity" in html
    assert (out / "equity.png").stat().st_size > 0


def wilder_atr_pct_max(arrays, start_ms: int, end_ms: int) -> float:
    """The highest ATR_pct_24h (SPEC D2) over [start, end): Wilder ATR(14) of the UTC days
    closed before each minute (seeded with the 30 days before the start) ÷ that minute's close."""
    day = arrays.ts_ms // 86_400_000
    first, last = start_ms // 86_400_000 - 30, end_ms // 86_400_000
    atr, prev, by_day = None, None, {}
    seed: list[float] = []
    for d in range(first, last):
        rows = np.flatnonzero(day == d)
        high, low = arrays.high[rows].max(), arrays.low[rows].min()
        tr = high - low if prev is None else max(high - low, abs(high - prev), abs(low - prev))
        prev = arrays.close[rows[-1]]
        if atr is None:
            seed.append(tr)
            atr = sum(seed) / 14 if len(seed) == 14 else None
        else:
            atr = (atr * 13 + tr) / 14
        by_day[d + 1] = atr  # known from the next day on
    inside = np.flatnonzero((arrays.ts_ms >= start_ms) & (arrays.ts_ms < end_ms))
    return max(by_day[int(day[i])] / arrays.close[i] for i in inside)


def test_d2_why_no_trades_on_a_calm_2025_slice(shared_data, tmp_path):
    data = shared_data / "btcusd_1m_2025-05_2025-08.csv.gz"
    f = backtest(tmp_path / "out", data, "--from", "2025-07-10", "--to", "2025-07-11", "--no-plot")

    why = f["why_no_trades"]
    assert f["trades"] == 0 and why["binding_reason"] == "VOLATILITY_TOO_LOW" and why["dominates"]
    found = re.match(r"ATR_pct_24h (\d+\.\d) % never above S1's 3\.0 % \(D2\) — ", why["text"])
    assert found, why["text"]
    mine = wilder_atr_pct_max(load_candles(data), ms(f["from"]), ms(f["to"])) * 100
    assert abs(float(found.group(1)) - mine) <= 0.1 and mine < 3.0
    assert why["by_gate"] == [
        {
            "gate": "volatility",
            "rules": "D2",
            "count": why["evaluations"],
            "reasons": {"VOLATILITY_TOO_LOW": why["evaluations"]},
        }
    ]
    assert why["evaluations"] == f["evaluations"] == 2 * 1440  # FLAT: one evaluation a minute
