"""``accountbuilder backtest`` end to end on short real slices: the report files, determinism,
a crash that halts on E1, bad data, other timeframes, the D4 win rate, and the HTML page."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.e2e.chromium import CHROMIUM, chromium, measure
from tests.unit.runner.slices import BUNDLED, CRASH_E1_CLOSE, crash_csv

from accountbuilder_runner.cli import main
from accountbuilder_runner.reporting.tables import DECISION_COLUMNS, HALT_COLUMNS, TRADE_COLUMNS

SCRIPT = Path(sys.executable).parent / "accountbuilder"
REPORT_KEYS = {
    "start_equity_usd",
    "start_equity_btc",
    "end_of_trading",
    "end_of_data",
    "plan",
    "outcome_line",
    "stats",
    "drawdown",
    "months",
    "month_totals",
    "why_no_trades",
    "trades",
    "wins",
    "winrate",
    "halts",
    "rejects",
    "reached_200_at",
    "reached_1000_at",
    "outcome",
    "candles",
    "elapsed_s",
    "gaps",
}
# 2021-04-24 → 04-27 of the bundled slice: a stop, then 2 take-profit wins, no halt (RUNNING)
WINDOW = ["--from", "2021-04-24", "--to", "2021-04-27"]


def backtest(out: Path, *args: str, data: Path = BUNDLED) -> int:
    return main(
        [
            "backtest",
            "--data",
            str(data),
            "--out",
            str(out),
            "--d4-winrate",
            "0.6",
            "--quiet",
            *args,
        ]
    )


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bt") / "out"
    assert backtest(out, *WINDOW) == 0
    return out


def test_i1_backtest_writes_every_report_file_with_the_issue_keys(report):
    figures = json.loads((report / "report.json").read_text())

    assert figures.keys() >= REPORT_KEYS
    assert figures["outcome"] == "RUNNING" and figures["trades"] == 3 and figures["wins"] == 2
    assert figures["winrate"] == 0.6667 and figures["halts"] == {}
    assert figures["candles"] == 4 * 1440 - 284  # four days less the 284-minute gap
    # B₀ × P₀ at the account's start: 0.00195598 BTC (floored to the satoshi) × 51,125.14
    assert figures["start_equity_usd"] == 100.0 and figures["start_equity_btc"] == 0.00195598
    assert figures["gaps"] == {
        "count": 1,
        "missing_bars": 284,
        "largest": {"from": "2021-04-25T04:01:00Z", "bars": 284, "minutes": 284},
    }
    for name in ("trades.csv", "halts.csv", "decisions.csv", "equity.png", "report.html"):
        assert (report / name).stat().st_size > 0


def test_i1_csv_files_have_the_documented_columns(report):
    for name, columns in (
        ("trades.csv", TRADE_COLUMNS),
        ("halts.csv", HALT_COLUMNS),
        ("decisions.csv", DECISION_COLUMNS),
    ):
        header = (report / name).read_text().splitlines()[0]
        assert header.split(",") == list(columns)
    trades = read_csv(report / "trades.csv")
    assert [t["exit_reason"] for t in trades] == ["stop", "take_profit", "take_profit"]
    assert all(t["entry_stage"] == "s1" for t in trades)
    assert [float(t["pnl_btc"]) > 0 for t in trades] == [False, True, True]
    decisions = read_csv(report / "decisions.csv")
    figures = json.loads((report / "report.json").read_text())
    assert sum(int(d["count"]) for d in decisions) == figures["evaluations"]


def test_i1_same_candles_give_byte_identical_trades(report, tmp_path):
    assert backtest(tmp_path / "again", *WINDOW, "--no-plot") == 0

    for name in ("trades.csv", "halts.csv", "decisions.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (report / name).read_bytes()


def test_e1_scaled_crash_day_halts_on_drop_1m(shared_data, tmp_path):
    data = crash_csv(shared_data, tmp_path / "crash.csv")

    rc = backtest(
        tmp_path / "out",
        "--from",
        "2021-05-16",
        "--start-equity-usd",
        "400",
        "--no-plot",
        data=data,
    )

    assert rc == 0  # a temporary HALT recovers (E4): the run ends RUNNING
    halts = read_csv(tmp_path / "out" / "halts.csv")
    assert halts == [
        {
            "ts": CRASH_E1_CLOSE,
            "reason": "DROP_1M",
            "kind": "temporary",
            "event": "raised",
            "lifted_ts": "2021-05-19T13:58:00Z",
            "cooldown_ts": "2021-05-19T13:28:00Z",
        }
    ]


def test_e5_installed_script_exits_1_when_the_run_ends_halted(shared_data, tmp_path):
    # 2022-06-11 → 06-14 at $100: the Celsius slide takes equity under $80 (H3, manual)
    done = subprocess.run(
        [
            str(SCRIPT),
            "backtest",
            "--data",
            str(shared_data / "btcusd_1m_2022-05_2022-06.csv.gz"),
            "--from",
            "2022-06-11",
            "--to",
            "2022-06-14",
            "--out",
            str(tmp_path / "out"),
            "--winrate-file",
            str(tmp_path / "wr.json"),
            "--no-plot",
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 1, done.stderr
    figures = json.loads((tmp_path / "out" / "report.json").read_text())
    assert figures["outcome"] == "HALTED" and figures["halts"] == {"EQUITY_BELOW_80": 1}
    assert "HALTED: manual HALT since 2022-06-12T22:54:00Z: EQUITY_BELOW_80" in done.stdout
    # not a terminal: plain progress lines, no rich escape codes
    assert "backtest 100.0% 2022-06-15T00:00:00Z HALT" in done.stderr
    assert "\x1b[" not in done.stderr + done.stdout
    stored = json.loads((tmp_path / "wr.json").read_text())  # D4: stored with its period
    assert (stored["trades"], stored["wins"], stored["from"]) == (2, 0, "2022-06-11T00:00:00Z")


def test_f6_five_minute_data_ticks_every_five_minutes(shared_data, tmp_path):
    rc = backtest(
        tmp_path / "out",
        "--from",
        "2020-03-01",
        "--to",
        "2020-03-02",
        "--no-plot",
        data=shared_data / "btcusd_5m_2019-11_2020-03.csv.gz",
    )

    figures = json.loads((tmp_path / "out" / "report.json").read_text())
    assert rc in (0, 1) and figures["data"]["timeframe"] == "5m"
    assert figures["candles"] == 2 * 288 and figures["ticks"] + figures["ticks_skipped"] == 576


def test_f6_hourly_data_ticks_every_hour(shared_data, tmp_path):
    rc = backtest(
        tmp_path / "out",
        "--from",
        "2021-01-01",
        "--to",
        "2021-01-07",
        "--no-plot",
        data=shared_data / "btcusd_1h_2017-08_2024-07.csv.gz",
    )

    figures = json.loads((tmp_path / "out" / "report.json").read_text())
    assert rc in (0, 1) and figures["data"]["timeframe"] == "1h" and figures["candles"] == 7 * 24


def _bad(tmp_path: Path, lines: list[str], name: str = "bad.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(["ts_ms,open,high,low,close,volume", *lines]) + "\n")
    return path


GOOD = [f"{1_600_000_000_000 + i * 60_000},10,11,9,10,1" for i in range(5)]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [GOOD[0], GOOD[2], GOOD[1], GOOD[3]],
            "bad.csv line 4 (ts_ms=1600000060000): timestamps not sorted",
        ),
        (
            [GOOD[0], GOOD[1], GOOD[1], GOOD[2]],
            "bad.csv line 4 (ts_ms=1600000060000): duplicate timestamp",
        ),
        (
            [GOOD[0], "1600000060000,10,11,9,nan,1", GOOD[2]],
            "bad.csv line 3 (ts_ms=1600000060000): close is NaN",
        ),
        ([GOOD[0], "1600000060000,10,11,9"], "bad.csv line 3: expected 6 columns"),
    ],
)
def test_i1_bad_data_exits_2_naming_the_file_and_row(tmp_path, capsys, lines, message):
    rc = backtest(tmp_path / "out", data=_bad(tmp_path, lines))

    assert rc == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_i1_wrong_columns_exit_2_with_the_expected_header(tmp_path, capsys):
    path = tmp_path / "cols.csv.gz"
    path.write_bytes(gzip.compress(b"time,open,high,low,close,volume\n1,1,1,1,1,1\n"))

    assert backtest(tmp_path / "out", data=path) == 2
    err = capsys.readouterr().err
    assert "cols.csv.gz line 1: header must be 'ts_ms,open,high,low,close,volume'" in err


def test_f6_a_range_after_the_data_exits_2(tmp_path, capsys):
    assert backtest(tmp_path / "out", "--from", "2030-01-01") == 2
    assert "no candles to replay" in capsys.readouterr().err


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_i1_report_html_renders_at_1280_px_with_no_overflow(report, tmp_path):
    shot = tmp_path / "report.png"
    done = chromium(tmp_path, (report / "report.html").as_uri(), f"--screenshot={shot}")

    assert done.returncode == 0, done.stderr
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] == 2000 and pixels.shape[1] == 1280
    # the inlined plot is drawn: many distinct colours, not a blank or error page
    distinct = {tuple(p) for p in (pixels[:, :, :3] * 255).astype(int).reshape(-1, 3)[::97]}
    assert len(distinct) > 50
    html = (report / "report.html").read_text()
    assert "data:image/png;base64," in html and "<script" not in html and "http" not in html

    layout = measure(tmp_path, html)
    assert layout["page"] <= layout["window"] == 1280  # nothing widens the page
    trades = next(b for b in layout["boxes"] if b[2].startswith("entry_ts"))
    assert trades[0] > trades[1]  # the trades table is wider than its box: it scrolls there
    assert trades[2].endswith("equity_usd_after")  # the last column is in the box, not cut


def test_d4_backtest_on_the_bundled_slice_stores_no_win_rate_unless_asked(tmp_path, monkeypatch):
    # No --data: the slice shipped in the package. No --save-winrate: `run`'s D4 input is
    # left alone (SPEC D4: a backtest stores its rate only when asked to).
    monkeypatch.chdir(tmp_path)
    rc = main(["backtest", "--out", "out", *WINDOW, "--no-plot", "--quiet"])

    assert rc == 0
    assert json.loads((tmp_path / "out" / "report.json").read_text())["trades"] == 3
    assert not list(tmp_path.rglob("backtest_winrate.json"))

    rc = main(["backtest", "--out", "out2", *WINDOW, "--no-plot", "--quiet", "--save-winrate"])

    assert rc == 0
    stored = json.loads((tmp_path / "state" / "backtest_winrate.json").read_text())
    assert (stored["trades"], stored["wins"]) == (3, 2)
