"""The live runner notifies its start and its clean stop (issue 12), against the fake Bybit and
a webhook receiver on 127.0.0.1; a dead second URL is only counted, and no URL token reaches
a log, the store or the output (SPEC I4)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from tests.e2e.test_live_runner import CANARY_KEY, CANARY_SECRET, market, read_until, started_fake
from tests.e2e.webhook import Receiver, dead_port

from accountbuilder_runner.notify.urls import ENV_URLS

REPO = Path(__file__).resolve().parents[2]
TOKEN = "tok3n-live"


def config_dir(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    for path in (REPO / "config").glob("*.yaml"):
        (config / path.name).write_text(path.read_text())
    (config / "notify_config.yaml").write_text("retries: 1\nretry_delay_s: 0.01\n")
    return config


async def live_runner(server, tmp: Path, urls: str):
    env = {
        **os.environ,
        "ACCOUNTBUILDER_API_KEY": CANARY_KEY,
        "ACCOUNTBUILDER_API_SECRET": CANARY_SECRET,
        ENV_URLS: urls,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "accountbuilder_runner", "run", "--exchange", "bybit",
        "--exchange-url", server.url, "--config", str(config_dir(tmp)),
        "--state", str(tmp / "state" / "bot.sqlite"), "--log-dir", str(tmp / "logs"),
        cwd=tmp, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def status_json(tmp: Path) -> dict:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "accountbuilder_runner", "status",
        "--state", str(tmp / "state" / "bot.sqlite"), "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    return json.loads(out)


async def test_i4_live_runner_notifies_start_and_clean_stop_and_never_leaks_a_url(tmp_path):
    server = await started_fake()
    stop_market = asyncio.Event()
    ticker = asyncio.create_task(market(server, stop_market))
    with Receiver() as receiver:
        dead = f"json://127.0.0.1:{dead_port()}/{TOKEN}-dead-3Q"
        try:
            proc = await live_runner(server, tmp_path, f"{receiver.url(TOKEN + '-9K')} {dead}")
            seen = await read_until(proc, b"session new")
            await asyncio.to_thread(receiver.wait_for, 1, 20.0)  # the start, while running
            running = receiver.titles()
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
            err = seen + err
        finally:
            stop_market.set()
            await ticker
            await server.stop()
        messages = receiver.messages()

    assert proc.returncode == 0, err.decode()
    assert running[0] == "[live] started"
    titles = [m["title"] for m in messages]
    assert titles[0] == "[live] started" and titles[-1] == "[live] stopped"
    assert all(t.startswith("[live] day ") for t in titles[1:-1]), titles  # the day so far
    start, stop = messages[0]["message"], messages[-1]["message"]
    assert start.startswith(f"started: live on {server.url}; session new\n")
    assert "position long 300 contracts" in start
    assert stop.startswith(
        "stopped: clean stop: entry orders cancelled, stop and take-profit left in place\n"
    )
    notify = (await status_json(tmp_path))["runtime"]["notify"]
    assert notify["urls"] == 2 and notify["sent"] == len(titles)  # the receiver took them all
    assert notify["dropped_by_cause"] == {"send_failed": len(titles)}  # the dead URL, each one
    log = (tmp_path / "logs" / "live.log").read_text()
    assert "notify: URL 2 (json) refused or unreachable (try 1 of 2)" in log
    texts = [out, err, *(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())]
    assert not any(TOKEN.encode() in t for t in texts)
