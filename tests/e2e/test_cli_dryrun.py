"""``accountbuilder run --exchange bybit --dry-run`` as a real process against the fake (issue 20).

The fake serves the market only. The dry account starts with a 300-contract long opened by
hand (written to its account file before the start): the dry run adopts it and protects it at
once (F5, G8), as the live runner does on a real account, so the process is mid-trade within
seconds (an entry of its own would first need 30 s of healthy WS, F2; the in-process tests in
``tests/integration/exchange/test_dryrun.py`` cover entries). A canary key pair sits in the
environment: the dry run must neither read nor send it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from decimal import Decimal
from pathlib import Path

from tests.e2e.test_live_runner import wait_for
from tests.integration.exchange.bybit.livekit import MARK0, daily_bars

from accountbuilder.domain.enums import OrderRole, OrderSide, OrderType
from accountbuilder.domain.models import OrderSpec
from accountbuilder.exchange.sim import snapshot
from accountbuilder.exchange.sim.config import SimConfig
from accountbuilder.exchange.sim.faults import FaultPlan
from accountbuilder.exchange.sim.ticks import TickEngine
from accountbuilder.testing.fake_bybit.config import FakeConfig
from accountbuilder.testing.fake_bybit.server import FakeBybit
from accountbuilder_runner.dry_account_file import AccountFile, DryOrigin, account_path

CANARY_KEY = "canary-DRY-KEY-7a61c2"
CANARY_SECRET = "canary-DRY-SECRET-0b94e3"
POSITION = 300
TICK = Decimal("0.5")


class Market:
    """A live-looking market: the mark moves by a tick around ``base`` every 200 ms."""

    def __init__(self, server: FakeBybit) -> None:
        self.server, self.base = server, MARK0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        flip = False
        while not self.stop.is_set():
            flip = not flip
            self.server.set_mark_price(self.base + (TICK if flip else 0))
            await asyncio.sleep(0.2)


def seed_account(store: Path) -> Path:
    """A dry account holding a long the bot did not open (0.01 BTC wallet)."""
    now = int(time.time() * 1000)
    engine = TickEngine(SimConfig(start_balance_btc=Decimal("0.01")), FaultPlan(), lambda: now, MARK0)  # fmt: skip
    hand = OrderSpec("opened-by-hand", OrderRole.ENTRY, OrderSide.BUY, OrderType.MARKET, POSITION)
    engine.book.place(hand, now, float(MARK0))
    path = account_path(store)
    AccountFile(path, DryOrigin(Decimal(440), now)).save(snapshot.to_dict(engine))
    return path


def account(path: Path) -> dict:
    return json.loads(path.read_text())["account"]


def working(path: Path, role: str) -> list[dict]:
    doc = account(path)
    return [o for o in doc["orders"] if o["spec"]["client_id"] in doc["open"] and f"_{role}" in o["spec"]["client_id"]]  # fmt: skip


async def dry_run(server: FakeBybit, tmp: Path, err: Path):
    env = {**os.environ, "ACCOUNTBUILDER_API_KEY": CANARY_KEY,
           "ACCOUNTBUILDER_API_SECRET": CANARY_SECRET}  # fmt: skip
    with err.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "accountbuilder_runner", "run", "--exchange", "bybit",
            "--dry-run", "--exchange-url", server.url, "--state", str(tmp / "state" / "dry.sqlite"),
            "--log-dir", str(tmp / "logs"),
            cwd=tmp, env=env, stdout=asyncio.subprocess.PIPE, stderr=sink,
        )  # fmt: skip


async def status(tmp: Path, *extra: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "accountbuilder_runner", "status",
        "--state", str(tmp / "state" / "dry.sqlite"), *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def status_until(tmp: Path, done, timeout_s: float = 20.0) -> dict:
    """``status --json`` read until ``done(shown)`` (the runner writes as it ticks)."""
    deadline = time.monotonic() + timeout_s
    while True:
        shown = json.loads(await status(tmp, "--json"))
        if done(shown) or time.monotonic() > deadline:
            return shown
        await asyncio.sleep(0.3)


async def test_i4_g6_issue20_dry_run_cli_survives_sigkill_resumes_and_exits_at_the_stop(tmp_path):
    server = FakeBybit(FakeConfig(price=MARK0))
    await server.start()
    server.load_history(daily_bars(int(time.time() * 1000), MARK0))
    market = Market(server)
    ticker = asyncio.create_task(market.run())
    file = seed_account(tmp_path / "state" / "dry.sqlite")
    err = tmp_path / "dry.err"
    try:
        first = await dry_run(server, tmp_path, err)
        await wait_for(lambda: working(file, "sl") and working(file, "tp"), "stop and take-profit")
        first.send_signal(signal.SIGKILL)  # mid-trade: position, stop and take-profit working
        await first.wait()
        stop_before = working(file, "sl")[0]["spec"]

        second = await dry_run(server, tmp_path, err)
        await wait_for(lambda: b"session resumed" in err.read_bytes(), "the resumed session")
        shown = await status_until(tmp_path, lambda s: s["stop_status"] == "ACTIVE")
        stop_after = working(file, "sl")[0]["spec"]
        text = await status(tmp_path)

        market.base = Decimal(stop_before["trigger_price"]) - 100  # through the stop
        await wait_for(lambda: account(file)["ledger"]["contracts"] == 0, "the stop's fill")
        await asyncio.sleep(1.5)  # the runner ticks on the fill and records the exit
        second.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(second.communicate(), 20)
        after = json.loads(await status(tmp_path, "--json"))
    finally:
        market.stop.set()
        await ticker
        await server.stop()

    assert first.returncode == -signal.SIGKILL
    assert second.returncode == 0, err.read_text()
    assert stop_after == stop_before  # I4/G2: the same simulated stop, restored, not re-sent
    assert shown["dry_run"] is True and shown["runtime"]["mode"] == "dry-run"
    assert shown["state"] == "IN_POSITION" and shown["stop_status"] == "ACTIVE"
    assert text.startswith("DRY RUN")
    exits = [t for t in after["trades_today"] if t.get("exit_reason")]
    assert [t["exit_reason"] for t in exits] == ["stop"]
    assert Decimal(exits[0]["exit_price"]) == Decimal(stop_before["trigger_price"])
    assert out.decode().startswith("DRY RUN stopped")
    assert "DRY RUN" in (tmp_path / "logs" / "dryrun.log").read_text()
    # Nothing private was asked for, no key was sent, and the canary never left the process.
    assert {r.path for r in server.requests} <= {
        "/v5/market/time", "/v5/market/instruments-info", "/v5/market/tickers",
        "/v5/market/kline", "/v5/market/risk-limit",
        "/v5/market/mark-price-kline",  # the restart's missed minutes (when a minute closed)
    }  # fmt: skip
    assert not any(r.headers for r in server.requests)
    assert {m.path for m in server.ws_messages} == {"/v5/public/inverse"}
    wire = json.dumps([m.message for m in server.ws_messages]) + repr(server.requests)
    assert CANARY_KEY not in wire and CANARY_SECRET not in wire
    files = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert not any(CANARY_KEY.encode() in f or CANARY_SECRET.encode() in f for f in files)
    assert server.engine.position.size == 0 and not server.engine.orders  # the fake's account
