"""``accountbuilder sweep`` end to end on a tiny real sweep: each run is the backtest of its
window, the aggregates match a count made from sweep.csv, a crashed run is an ERROR row,
Ctrl-C keeps what finished, Monte Carlo is reproducible, sweep.html renders."""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.e2e.chromium import CHROMIUM, chromium, measure

from accountbuilder_runner.cli import main

SCRIPT = Path(sys.executable).parent / "accountbuilder"
HOURLY = "btcusd_1h_2017-08_2024-07.csv.gz"
# 4 monthly starts (2021-01 → 04) of 2-month windows, cut at 2021-04-30, at $100 and $300
TINY = ["--every", "month", "--months", "2", "--from", "2021-01-01", "--to", "2021-04-30"]


def sweep_args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["sweep", "--data", str(data), *TINY, "--out", str(out), "--quiet", "--no-plot", *extra]


def read_rows(out: Path) -> list[dict]:
    with (out / "sweep.csv").open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def tiny(shared_data, tmp_path_factory) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("sweep") / "out"
    rc = main(
        sweep_args(shared_data / HOURLY, out, "--start-equity-usd", "100,300", "--workers", "2")
    )
    return rc, out


def test_sweep_writes_one_row_per_start_and_equity_and_the_three_files(tiny):
    rc, out = tiny
    rows = read_rows(out)
    assert rc == 0 and [(r["start"], r["start_equity_usd"]) for r in rows] == [
        (f"2021-0{m}-01", usd) for m in (1, 2, 3, 4) for usd in ("100", "300")
    ]
    # 2 months = 61 days (SPEC H2's months), cut at --to
    assert [r["window_to"] for r in rows[::2]] == [
        "2021-03-02",
        "2021-04-02",
        "2021-04-30",
        "2021-04-30",
    ]
    assert [r["window_complete"] for r in rows[::2]] == ["1", "1", "1", "0"]
    for name in ("sweep.json", "sweep.html"):
        assert (out / name).stat().st_size > 0
    assert all((out / r["report"] / "report.json").exists() for r in rows)
    assert not list(out.rglob("backtest_winrate.json"))  # D4: a sweep never stores the rate


def test_each_run_is_exactly_the_backtest_of_its_window(tiny, shared_data, tmp_path):
    _, out = tiny
    rc = main(
        [
            "backtest", "--data", str(shared_data / HOURLY), "--from", "2021-02-01",
            "--to", "2021-04-02", "--start-equity-usd", "100", "--out", str(tmp_path / "bt"),
            "--quiet", "--no-plot",
        ]
    )  # fmt: skip
    run = out / "runs/btcusd_1h_2017-08_2024-07/2021-02-01_100usd"
    assert rc in (0, 1)
    for name in ("trades.csv", "halts.csv", "decisions.csv"):
        assert (run / name).read_bytes() == (tmp_path / "bt" / name).read_bytes()
    mine, theirs = (json.loads((d / "report.json").read_text()) for d in (run, tmp_path / "bt"))
    for key in ("elapsed_s",):
        mine.pop(key), theirs.pop(key)
    assert mine == theirs


def wilson(k: int, n: int) -> list[float]:
    z = 1.959963984540054
    p, d = k / n, 1 + z * z / n
    c, h = (p + z * z / (2 * n)) / d, z / d * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [round(max(0, c - h), 4), round(min(1, c + h), 4)]


def test_h2_aggregates_match_a_count_made_from_sweep_csv(tiny):
    _, out = tiny
    rows = read_rows(out)
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["meta"]["planned"] == doc["meta"]["finished"] == 8
    for usd in ("100", "300"):
        mine = [r for r in rows if r["start_equity_usd"] == usd]
        s = doc["by_start_equity"][usd]
        # $200 by month 12: yes = reached by day 365; no = halted without it (every window is
        # shorter than 12 months, so a run still trading without $200 cannot tell)
        yes = [r for r in mine if r["reached_200_day"] and float(r["reached_200_day"]) <= 365]
        no = [r for r in mine if not r["reached_200_day"] and r["outcome"] in ("HALTED", "FAILURE")]
        got = s["reached_200_by_month_12"]
        assert (got["k"], got["n"]) == (len(yes), len(yes) + len(no))
        assert got["ci95"] == (wilson(len(yes), len(yes) + len(no)) if yes or no else None)
        halted = [r for r in mine if r["outcome"] == "HALTED"]
        assert s["reached_1000_by_month_18"]["n"] == len(halted) + sum(
            r["outcome"] == "SUCCESS" for r in mine
        )
        for reason in {r["halt_reason"] for r in halted}:
            k = sum(r["halt_reason"] == reason for r in halted)
            assert s["halted_by_reason"][reason] == {
                "share": round(k / len(mine), 4), "ci95": wilson(k, len(mine)), "k": k, "n": len(mine)
            }  # fmt: skip
        days = sorted(float(r["days_traded"]) for r in mine)
        assert s["median_days_traded"] == round((days[1] + days[2]) / 2, 2)  # 4 runs


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_sweep_html_renders_at_1280_px_with_no_overflow(tiny, tmp_path):
    _, out = tiny
    html = (out / "sweep.html").read_text()
    done = chromium(tmp_path, (out / "sweep.html").as_uri(), f"--screenshot={tmp_path / 's.png'}")
    assert done.returncode == 0, done.stderr
    layout = measure(tmp_path, html)
    assert layout["page"] <= layout["window"] == 1280
    assert "<script" not in html and "http" not in html and "data:image/png;base64," in html
    runs = next(b for b in layout["boxes"] if b[2].startswith("filestart"))
    assert runs[0] > runs[1]  # the runs table scrolls inside its box


def test_a_crashed_run_is_an_error_row_and_the_exit_code_counts_them(shared_data, tmp_path):
    # each worker process is killed at its 2nd run (SIGKILL, as a power cut): with one worker,
    # runs 2 and 4 die, a new worker takes over each time, runs 1 and 3 finish
    env = {**os.environ, "ACCOUNTBUILDER_FAILPOINT": "sweep_run:2"}
    args = sweep_args(shared_data / HOURLY, tmp_path / "out", "--workers", "1")
    done = subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )

    assert done.returncode == 102, done.stderr  # 100 + 2 crashed runs
    rows = read_rows(tmp_path / "out")
    assert [r["outcome"] == "ERROR" for r in rows] == [False, True, False, True]
    assert rows[1]["error"] == "worker process died (exit code -9)"
    assert "2 runs crashed" in done.stderr and "Traceback" not in done.stderr
    summary = json.loads((tmp_path / "out" / "sweep.json").read_text())["by_start_equity"]["100"]
    assert (summary["runs"], summary["errors"]) == (4, 2)


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in found]


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child nobody reaped yet is not running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _all_stopped(pids: list[int], within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s  # multiprocessing's resource tracker exits last
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not any(_running(p) for p in pids)


def test_ctrl_c_stops_the_sweep_and_writes_what_finished(shared_data, tmp_path):
    out = tmp_path / "out"
    args = sweep_args(shared_data / HOURLY, out, "--start-equity-usd", "100,300", "--workers", "1")
    proc = subprocess.Popen(
        [str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # one worker: run 2's report exists only after the parent took run 1's row and fed run 2
    deadline = time.monotonic() + 120
    while len(list(out.glob("runs/*/*/report.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)

    assert proc.returncode == 130, err
    rows = read_rows(out)
    meta = json.loads((out / "sweep.json").read_text())["meta"]
    assert meta["interrupted"] and meta["planned"] == 8 and meta["finished"] == len(rows)
    assert 1 <= len(rows) < 8 and all((out / r["report"] / "report.json").exists() for r in rows)
    assert workers and _all_stopped(workers)  # the worker (and its helper) are gone
    assert "Traceback" not in err


def test_monte_carlo_with_a_seed_is_reproducible(shared_data, tmp_path):
    mc = [
        "--paths",
        "2",
        "--block-days",
        "3",
        "--months",
        "1",
        "--workers",
        "2",
        "--no-plot",
        "--quiet",
    ]

    def run(seed: str, name: str) -> Path:
        out = tmp_path / name
        assert (
            main(
                [
                    "sweep",
                    "--data",
                    str(shared_data / HOURLY),
                    *mc,
                    "--seed",
                    seed,
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        return out

    a, b, c = run("11", "a"), run("11", "b"), run("12", "c")
    assert (a / "sweep.csv").read_bytes() == (b / "sweep.csv").read_bytes()
    rows = read_rows(a)
    assert [r["path"] for r in rows] == ["0", "1"] and rows[0]["start"] == "2017-09-18"
    for r in rows:
        assert (a / r["report"] / "trades.csv").read_bytes() == (
            b / r["report"] / "trades.csv"
        ).read_bytes()
    assert (a / "sweep.csv").read_bytes() != (c / "sweep.csv").read_bytes()
    assert json.loads((a / "sweep.json").read_text())["meta"]["monte_carlo"] == {
        "paths": 2, "block_days": 3.0, "seed": 11
    }  # fmt: skip
