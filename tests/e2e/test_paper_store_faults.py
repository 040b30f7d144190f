"""Two paper runs on one store, and a SIGKILLed paper run whose store the next run keeps
(issue 15 §3, §6; SPEC I4): the second run exits 2 naming the first and never touches its
open store; the kept ``.prev`` store holds every row the killed run had committed."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "accountbuilder"
TABLES = ("session", "orders", "order_transitions", "decisions", "trades", "halts")


def _paper(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(SCRIPT), "run", "--quiet", "--state", "state/paper.sqlite", *args],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _counts(path: Path) -> dict[str, int]:
    """Rows per table as SQLite reads them (through the WAL when there is one)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def _wait(done, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _rows(path: Path, table: str) -> int:
    try:
        return _counts(path)[table]
    except sqlite3.Error:
        return 0


def test_i4_a_second_paper_run_on_the_store_exits_2_and_leaves_the_first_alone(tmp_path):
    store = tmp_path / "state" / "paper.sqlite"
    first = _paper(tmp_path, "--speed", "20000", "--from", "2021-04-24")
    try:
        _wait(lambda: _rows(store, "session") > 0, "the first run's store")
        second = _paper(tmp_path, "--speed", "max", "--from", "2021-05-01")
        _, err = second.communicate(timeout=120)
        assert store.exists() and not Path(f"{store}.prev").exists()  # not rotated away
    finally:
        first.send_signal(signal.SIGINT)
        out, _ = first.communicate(timeout=120)

    assert second.returncode == 2, err
    assert f"is in use by pid {first.pid}" in err and "run --quiet --state" in err
    assert first.returncode == 130 and "paper run interrupted" in out
    assert _counts(store)["session"] > 0


def test_i4_sigkilled_paper_store_is_kept_with_every_committed_row(tmp_path):
    store = tmp_path / "state" / "paper.sqlite"
    killed = _paper(tmp_path, "--speed", "max", "--from", "2021-04-24")
    _wait(lambda: _rows(store, "trades") >= 2, "trades in the first run's store", 120)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    wal = Path(f"{store}-wal")
    assert wal.exists() and wal.stat().st_size > 0  # committed rows still only in the WAL
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    for suffix in ("", "-wal"):  # what the kill left, read by SQLite as committed
        (snapshot / f"paper.sqlite{suffix}").write_bytes(Path(f"{store}{suffix}").read_bytes())
    committed = _counts(snapshot / "paper.sqlite")

    again = _paper(tmp_path, "--speed", "max", "--from", "2021-05-10", "--to", "2021-05-11")
    out, err = again.communicate(timeout=180)

    assert again.returncode in (0, 1), err
    assert "previous paper store was kept as state/paper.sqlite.prev" in out
    assert _counts(Path(f"{store}.prev")) == committed
    assert not Path(f"{store}-wal.prev").exists()
    assert committed["trades"] >= 2 and committed["session"] > 0
