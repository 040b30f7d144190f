"""One sweep run (runner/sweep/worker.py): a run that raises is an ERROR row with its
traceback file, never an exception out of the worker."""

from __future__ import annotations

from decimal import Decimal

from tests.unit.runner.slices import BUNDLED

from accountbuilder.marketdata.candles import load_candles
from accountbuilder_runner.sweep.schedule import RunTask
from accountbuilder_runner.sweep.worker import run_one


def task(start: str, to: str) -> RunTask:
    return RunTask(
        f"runs/x/{start}_100usd", str(BUNDLED), BUNDLED.name, start, to, True, Decimal(100), False
    )


def test_a_run_that_raises_is_an_error_row_with_its_traceback(tmp_path):
    payload = {BUNDLED.name: load_candles(BUNDLED)}

    row = run_one(task("2030-01-01", "2030-02-01"), payload, str(tmp_path), None)

    assert row.outcome == "ERROR" and row.trades is None
    assert row.error.startswith("ReplayError: ") and "no candles" in row.error
    assert row.traceback == "runs/x/2030-01-01_100usd/traceback.txt"
    text = (tmp_path / row.traceback).read_text()
    assert text.startswith("Traceback (most recent call last):") and "ReplayError" in text


def test_a_run_that_finishes_writes_its_report_and_its_row(tmp_path):
    payload = {BUNDLED.name: load_candles(BUNDLED)}

    row = run_one(task("2021-04-24", "2021-04-27"), payload, str(tmp_path), None)

    assert row.outcome == "RUNNING" and row.error is None
    report = tmp_path / "runs/x/2021-04-24_100usd"
    assert (report / "report.json").exists() and (report / "trades.csv").exists()
    assert row.trades == len((report / "trades.csv").read_text().splitlines()) - 1
    assert not list(tmp_path.rglob("backtest_winrate.json"))  # D4: a sweep stores no rate
