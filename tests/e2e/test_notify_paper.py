"""Notifications of a paper run, end to end, against a webhook receiver on 127.0.0.1 (apprise
``json://``): exactly the expected messages, nothing changed by a dead receiver, no URL token
in any file the run writes (SPEC E5, H3, I1, I3, I4), none from a backtest; ``notify test``.

The window 2021-05-12 → 2021-05-13 of the bundled slice: two losing trades, then the May 2021
fall takes the $100 account under $80 at 23:37 — a manual HALT EQUITY_BELOW_80 (H3).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from tests.e2e.webhook import Receiver, dead_port

from accountbuilder_runner.cli import main
from accountbuilder_runner.notify.urls import ENV_URLS

REPO = Path(__file__).resolve().parents[2]
WINDOW = ["--speed", "max", "--quiet", "--from", "2021-05-12", "--to", "2021-05-13"]
END_DAY = "2021-05-14"  # the run ends at the close of 05-13's last candle


def config_dir(tmp_path: Path, notify_yaml: str) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    for path in (REPO / "config").glob("*.yaml"):
        (config / path.name).write_text(path.read_text())
    (config / "notify_config.yaml").write_text(notify_yaml)
    return config


def paper(state: Path, *extra: str) -> int:
    return main(["run", *WINDOW, "--state", str(state), *extra])


def records(state: Path, kind: str) -> list[dict]:
    text = (state.parent / f"{state.stem}-logs" / f"{kind}.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def status_json(state: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["status", "--state", str(state), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def trade_title(t: dict) -> str:
    if t["record"] == "trade_entry":
        return f"[paper] ENTRY {t['side']} {t['contracts']} @ {Decimal(t['entry_price']):.1f}"
    return (
        f"[paper] EXIT {t['exit_reason']} {t['side']} {t['contracts']} "
        f"@ {Decimal(t['exit_price']):.1f}"
    )


def halt_title(h: dict) -> str:
    return f"[paper] HALT {h['reason']} ({h['kind']})"


def test_e5_h3_i3_paper_run_with_a_halt_sends_exactly_the_expected_messages(
    tmp_path, monkeypatch, capsys
):
    config = config_dir(
        tmp_path, "events: [halt, recovery, stop, trade, daily, target, lifecycle]\n"
    )
    state = tmp_path / "p.sqlite"
    with Receiver() as receiver:
        monkeypatch.setenv(ENV_URLS, receiver.url("hook"))
        rc = paper(state, "--config", str(config))
        posts = list(receiver.posts)

    assert rc == 1  # ended HALTED
    trades, halts, days = (records(state, k) for k in ("trades", "halts", "metrics"))
    assert [h["reason"] for h in halts] == ["EQUITY_BELOW_80"] and len(trades) == 4
    # in time order; in one round an exit is told before the HALT its loss caused
    told = sorted([*trades, *halts], key=lambda r: (r["ts_ms"], r["record"] == "halt"))
    expected = [
        "[paper] started",
        *(trade_title(r) if r["record"] != "halt" else halt_title(r) for r in told),
        *(f"[paper] day {d['day']}{' (so far)' if d['day'] == END_DAY else ''}" for d in days),
        "[paper] stopped",
    ]
    assert [body["title"] for _, body in posts] == expected
    assert {path for path, _ in posts} == {"/hook"}
    halt = posts[len(trades) + 1][1]
    assert halt["title"] == "[paper] HALT EQUITY_BELOW_80 (manual)"
    assert halt["type"] == "failure"
    equity_line, position_line = halt["message"].splitlines()[1:3]
    shown = re.fullmatch(r"(\d+\.\d{8}) BTC = \$(\d+\.\d{2})", equity_line)
    assert shown is not None and Decimal(shown[2]) < 80  # the H3 HALT: equity under $80
    assert position_line.endswith("state HALT")
    notify = status_json(state, capsys)["runtime"]["notify"]
    assert notify == {
        "urls": 1,
        "sent": len(expected),
        "dropped": 0,
        "dropped_by_cause": {},
        "queued": 0,
    }
    assert main(["status", "--state", str(state)]) == 0
    assert (
        f"notify       sent {len(expected)}  dropped 0  queued 0  urls 1\n"
        in capsys.readouterr().out
    )


def test_f6_a_dead_receiver_changes_nothing_in_the_trading_outcome(tmp_path, monkeypatch, capsys):
    config = config_dir(tmp_path, "retries: 1\nretry_delay_s: 0.01\n")
    quiet, dead = tmp_path / "quiet" / "p.sqlite", tmp_path / "dead" / "p.sqlite"
    monkeypatch.delenv(ENV_URLS, raising=False)
    rc_quiet = paper(quiet, "--config", str(config))
    out_quiet = capsys.readouterr().out
    monkeypatch.setenv(ENV_URLS, f"json://127.0.0.1:{dead_port()}/hook")
    rc_dead = paper(dead, "--config", str(config))
    out_dead = capsys.readouterr().out

    assert rc_quiet == rc_dead == 1
    assert out_dead.replace(str(dead), "STATE") == out_quiet.replace(str(quiet), "STATE")
    for kind in ("trades", "halts", "decisions", "metrics"):
        assert records(dead, kind) == records(quiet, kind), kind
    notify = status_json(dead, capsys)["runtime"]["notify"]
    # started, the HALT, three days (05-12, 05-13, 05-14 so far: the halted 05-13 has its
    # roll-up as when every minute is ticked), stopped: every one tried twice, none taken
    assert notify["sent"] == 0 and notify["dropped_by_cause"] == {"send_failed": 6}
    assert "notify" not in status_json(quiet, capsys)["runtime"]
    assert main(["status", "--state", str(dead)]) == 0
    assert "notify       sent 0  dropped 6 (send_failed 6)  queued 0" in capsys.readouterr().out


def test_i4_a_canary_token_in_the_urls_never_reaches_a_file_the_run_writes(
    tmp_path, monkeypatch, capsys
):
    state = tmp_path / "state" / "p.sqlite"
    config = config_dir(tmp_path, "retries: 1\nretry_delay_s: 0.01\n")
    with Receiver() as receiver:
        live = (
            f"json://tok3n-user:tok3n-pass-7Q@127.0.0.1:{receiver.port}"
            "/hook/tok3n-path-5Z?token=tok3n-query-3X"
        )
        dead = f"json://127.0.0.1:{dead_port()}/tok3n-dead-8W"
        monkeypatch.setenv(ENV_URLS, f"{live} {dead}")
        rc = paper(state, "--config", str(config))
        paths = [path for path, _ in receiver.posts]
    out = capsys.readouterr()

    assert rc == 1
    assert paths and set(paths) == {"/hook/tok3n-path-5Z"}  # the URL was used on the wire
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in written) and any(
        p.suffix == ".jsonl" for p in written
    )
    for text in [out.out.encode(), out.err.encode(), *(p.read_bytes() for p in written)]:
        assert b"tok3n" not in text


def test_backtests_never_notify(tmp_path, monkeypatch, capsys):
    with Receiver() as receiver:
        monkeypatch.setenv(ENV_URLS, receiver.url())
        rc = main(
            ["backtest", "--from", "2021-05-12", "--to", "2021-05-13", "--no-plot", "--quiet",
             "--out", str(tmp_path / "bt")]
        )  # fmt: skip

        assert rc == 1 and (tmp_path / "bt" / "halts.csv").is_file()
        assert receiver.posts == []


def test_the_cli_parser_does_not_import_apprise():
    probe = (
        "import sys; from accountbuilder_runner.cli import build_parser; build_parser(); "
        "print('apprise' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )

    assert (done.returncode, done.stdout.strip()) == (0, "False"), done.stderr


def test_notify_test_reports_each_url_and_exits_0_1_or_2(tmp_path, monkeypatch, capsys):
    with Receiver() as receiver:
        monkeypatch.setenv(ENV_URLS, receiver.url("ok"))
        all_sent = main(["notify", "test"])
        all_out = capsys.readouterr().out
        monkeypatch.setenv(ENV_URLS, f"{receiver.url('ok')},json://127.0.0.1:{dead_port()}/x")
        some_failed = main(["notify", "test"])
        some_out = capsys.readouterr().out
        titles = receiver.titles()
    monkeypatch.delenv(ENV_URLS)
    none = main(["notify", "test"])
    none_err = capsys.readouterr().err

    assert all_sent == 0 and all_out == "URL 1 (json): sent\n1 of 1 sent\n"
    assert some_failed == 1
    assert some_out == (
        "URL 1 (json): sent\nURL 2 (json): FAILED (refused or unreachable)\n1 of 2 sent\n"
    )
    assert titles == ["accountbuilder notify test"] * 2
    assert none == 2 and f"no notification URL configured: set {ENV_URLS}" in none_err


def test_notify_test_refuses_a_url_file_others_can_read(tmp_path, monkeypatch, capsys):
    urls = tmp_path / "urls"
    urls.write_text("json://127.0.0.1:9/canary-file-token\n")
    urls.chmod(0o644)
    config = config_dir(tmp_path, f"urls_file: {urls}\n")

    rc = main(["notify", "test", "--config", str(config)])

    err = capsys.readouterr().err
    assert rc == 2 and "has mode 0644; it must be 0600" in err and "canary" not in err
