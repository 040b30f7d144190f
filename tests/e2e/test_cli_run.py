"""``accountbuilder run`` (paper) end to end: offline on the bundled slice, the live status
line, the summary, exit codes, and Ctrl-C persisting first (SPEC F6, I4, E5)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accountbuilder.store import SqliteStore
from accountbuilder_runner import paper
from accountbuilder_runner.cli import main

SCRIPT = Path(sys.executable).parent / "accountbuilder"
OFFLINE = {
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "PATH": "/usr/bin:/bin",
    "HOME": "/nonexistent",
}


def test_f6_run_paper_trades_the_bundled_slice_offline_with_a_status_line(tmp_path):
    # no --data: the slice shipped in the package; 2021-04-24 → 04-26 (a stop, two wins)
    done = subprocess.run(
        [str(SCRIPT), "run", "--speed", "max", "--from", "2021-04-24", "--to", "2021-04-26"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=OFFLINE,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    err = done.stderr
    assert "paper trading btcusd_1m_2021-04-09_2021-05-20.csv.gz (1m)" in err
    assert "D4 backtest win rate: shipped measurement: 63.0%" in err
    status = [line for line in err.splitlines() if line.startswith("paper ") and "% 2021-" in line]
    assert len(status) >= 5  # one line per 10 % when stderr is not a terminal
    for part in ("stop=", " BTC $", " S1 | last ", "trades ", "halts none"):
        assert part in status[-1]
    assert "ENTRY long" in err and "EXIT take_profit" in err
    out = done.stdout
    assert "paper run finished: RUNNING" in out and "trades, wins: 3, 2 (66.7 %)" in out
    assert "halts raised: none" in out and "refusals by gate, in SPEC D's chain order:" in out
    assert "\x1b[" not in out + err  # not a terminal: plain text
    with SqliteStore.open_readonly(tmp_path / "state" / "paper.sqlite") as store:
        main_state = store.load_session()["machines"]["main"]
        records = [type(t).__name__ for t in store.trades_between(0, 2**62)]
    # three round trips and a fourth entry still open when the data ends
    assert main_state == "IN_POSITION"
    assert records.count("TradeExitRecord") == 3 and records.count("TradeEntryRecord") == 4
    assert (tmp_path / "state" / "paper-logs" / "trades.jsonl").read_text().count("\n") == 7


def test_e5_run_ending_in_a_manual_halt_exits_1(shared_data, tmp_path, capsys):
    rc = main(
        [
            "run",
            "--speed",
            "max",
            "--quiet",
            "--state",
            str(tmp_path / "p.sqlite"),
            "--data",
            str(shared_data / "btcusd_1m_2022-05_2022-06.csv.gz"),
            "--from",
            "2022-06-11",
            "--to",
            "2022-06-14",
        ]
    )

    assert rc == 1
    out = capsys.readouterr()
    assert "HALTED — manual HALT since 2022-06-12T22:54:00Z: EQUITY_BELOW_80" in out.out
    assert "halts raised: EQUITY_BELOW_80 1" in out.out
    assert out.err == ""  # --quiet: the summary only


def test_f6_run_with_bad_data_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("ts_ms,open,high,low,close\n1,1,1,1,1\n")

    assert main(["run", "--data", str(bad), "--state", str(tmp_path / "p.sqlite")]) == 2
    assert "bad.csv line 1: header must be" in capsys.readouterr().err


def test_i4_ctrl_c_persists_the_session_then_exits_130(tmp_path):
    # paced at 20,000x the 27 days take about 2 minutes: interrupt after 3 seconds
    proc = subprocess.Popen(
        [str(SCRIPT), "run", "--speed", "20000", "--state", str(tmp_path / "p.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=OFFLINE,
    )
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == 130, err
    assert "paper run interrupted" in out
    with SqliteStore.open_readonly(tmp_path / "p.sqlite") as store:
        revision = store.load_session_revision()
    assert revision is not None and revision.ts_ms < 1_621_543_260_000  # before the data's end


async def test_f6_speed_paces_simulated_time_against_the_wall_clock(monkeypatch):
    # speed 3600: one simulated hour per wall second; at +2 h the pacer sleeps until wall +2 s
    clock = {"now": 100.0}
    slept = []

    async def fake_sleep(s):
        slept.append(s)
        clock["now"] += s

    monkeypatch.setattr(paper.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(paper.asyncio, "sleep", fake_sleep)
    refreshed = []
    pace = paper.pacer(3600, start_ms=0, refresh=refreshed.append)

    await pace(2 * 3_600_000)

    assert sum(slept) == pytest.approx(2.0) and max(slept) <= paper.WAIT_STEP_S
    # the status line is redrawn while waiting, at the simulated time reached: 6 min per 0.1 s
    assert len(refreshed) == len(slept) and refreshed[0] == 360_000
    assert refreshed[-1] == pytest.approx(2 * 3_600_000)
