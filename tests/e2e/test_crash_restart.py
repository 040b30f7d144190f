"""Crash tests (issue 6): SIGKILL the live runner at a crash point, restart it, check G2/G6/G8/I4.

Each test starts the fake Bybit in the test process, runs ``python -m accountbuilder_runner run
--exchange bybit`` as a real subprocess and kills it with a real SIGKILL at one crash point:

- after a round's orders are committed and before they are sent (failpoint
  ``after_intent_commit``);
- after the send and before the answer is recorded (failpoint ``after_send``, or the fake
  holding the create answer while the test kills the runner);
- in the middle of a partial fill (the take-profit partly filled, the stop being resized).

Then it restarts the runner on the same store, lets it tick, stops it with SIGTERM and checks:
no ``orderLinkId`` created twice, every stored order maps to at most one order on the exchange,
exactly one conditional reduce-only MarkPrice stop sized to the position, no order left
``intent``/``unknown``, and the store (``accountbuilder status --json``) agreeing
with the exchange.

The crash points are reached on the position the fake's account already holds (the runner
adopts it and places its stop and take-profit at once, F5/G8): an entry of its own would
first need 30 s of healthy WS after each start (F2), too long for a crash test.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.test_live_runner import (
    CANARY_KEY,
    CANARY_SECRET,
    CREATE,
    POSITION,
    created_link_ids,
    market,
    open_orders,
    started_fake,
    wait_for,
)

from accountbuilder.testing.fake_bybit.server import FakeBybit

AMEND = "/v5/order/amend"
UNRESOLVED = {"intent", "unknown"}  # maybe sent, not yet settled (G2)


@dataclass
class Run:
    """One runner process and where its stderr goes."""

    proc: asyncio.subprocess.Process
    err: Path

    def log(self) -> str:
        return self.err.read_text(errors="replace")


@dataclass
class Crash:
    server: FakeBybit
    tmp: Path
    runs: int = 0

    @property
    def store(self) -> Path:
        return self.tmp / "state" / "bot.sqlite"

    async def start(self, failpoint: str | None = None) -> Run:
        """Start the runner on the shared store (stderr to a file: a pipe could fill up)."""
        self.runs += 1
        env = {
            **os.environ,
            "ACCOUNTBUILDER_API_KEY": CANARY_KEY,
            "ACCOUNTBUILDER_API_SECRET": CANARY_SECRET,
        }
        env.pop("ACCOUNTBUILDER_FAILPOINT", None)
        if failpoint is not None:
            env["ACCOUNTBUILDER_FAILPOINT"] = failpoint
        err = self.tmp / f"run{self.runs}.err"
        with err.open("wb") as sink:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "accountbuilder_runner", "run", "--exchange", "bybit",
                "--exchange-url", self.server.url, "--state", str(self.store),
                "--log-dir", str(self.tmp / "logs"),
                cwd=self.tmp, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=sink,
            )  # fmt: skip
        return Run(proc, err)

    async def killed(self, run: Run) -> None:
        """Wait for a failpoint's SIGKILL (fail if the process ends any other way)."""
        code = await asyncio.wait_for(run.proc.wait(), 20)
        assert code == -signal.SIGKILL, f"exit {code}: {run.log()}"

    async def restart_and_stop(self, ticks_s: float = 2.5) -> Run:
        """Restart on the same store, wait for a protected position, tick a while, SIGTERM."""
        run = await self.start()
        await wait_for(lambda: b"session resumed" in run.err.read_bytes(), "the resumed session")
        await wait_for(lambda: self.stop_status() == "ACTIVE", "an ACTIVE stop after restart")
        # the take-profit (G9) goes out after the stop, later still when its first try was lost
        # (back-off), and is ACKED until the exchange shows it: wait for that evidence too
        await wait_for(self.settled, "an open take-profit and evidence of every sent order")
        await asyncio.sleep(ticks_s)  # a few more ticks of the restarted runner
        run.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(run.proc.wait(), 20)
        assert code == 0, run.log()
        return run

    def orders(self) -> list[dict]:
        """Every order row of the store (read-only): the one persisted lifecycle."""
        with sqlite3.connect(f"file:{self.store}?mode=ro", uri=True) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT client_id, role, phase FROM orders")
            return [dict(r) for r in rows]

    def awaiting_evidence(self) -> list[dict]:
        """Orders sent and not yet seen on the exchange (acked, unknown) or not yet sent."""
        return [r for r in self.orders() if r["phase"] in ("intent", "acked", "unknown")]

    def settled(self) -> bool:
        rows = self.orders()
        tp_open = any(r["role"] == "tp" and r["phase"] == "open" for r in rows)
        return tp_open and not self.awaiting_evidence()

    def stop_status(self) -> str | None:
        if not self.store.exists():
            return None
        try:
            with sqlite3.connect(f"file:{self.store}?mode=ro", uri=True) as conn:
                row = conn.execute(
                    "SELECT doc_json FROM session ORDER BY revision DESC LIMIT 1"
                ).fetchone()
        except sqlite3.OperationalError:
            return None  # not created yet
        return None if row is None else json.loads(row[0])["machines"]["stop"]

    async def status(self) -> dict:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "accountbuilder_runner", "status", "--state", str(self.store),
            "--json", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0, err.decode()
        return json.loads(out)


@asynccontextmanager
async def crash_rig(tmp: Path) -> AsyncIterator[Crash]:
    """The fake with a 300-contract long (adopted by the runner) and a moving mark."""
    server = await started_fake()
    stop_market = asyncio.Event()
    ticker = asyncio.create_task(market(server, stop_market))
    try:
        yield Crash(server, tmp)
    finally:
        stop_market.set()
        await ticker
        await server.stop()


def bot_creates(server: FakeBybit) -> list[str]:
    """The client ids the runner created (the hand-opened position's order has none)."""
    return [cid for cid in created_link_ids(server) if cid]


def orders_with_link(server: FakeBybit, cid: str) -> list:
    return [o for o in server.engine.orders.values() if o.link_id == cid]


async def assert_consistent(
    rig: Crash, *, position: int = POSITION, state: str = "IN_POSITION"
) -> dict:
    """G2, G6/G8 and I4 after the restart; return ``status --json`` for more checks."""
    server = rig.server
    links = created_link_ids(server)
    assert len(links) == len(set(links)), f"an orderLinkId was created twice: {links}"
    rows = rig.orders()
    for row in rows:  # G2: one stored order, at most one order on the exchange
        assert len(orders_with_link(server, row["client_id"])) <= 1, row
    left = [r for r in rows if r["phase"] in UNRESOLVED]
    assert not left, f"orders left unresolved after the restart: {left}"
    assert server.engine.position.size == position
    stops = open_orders(server, "stop")
    assert len(stops) == 1, [(o.link_id, o.status) for o in stops]  # G6: one stop, in place
    stop = stops[0]
    assert (stop.qty, stop.trigger_by, stop.reduce_only) == (position, "MarkPrice", True)
    assert stop.trigger_direction == 2  # a long's stop triggers on a falling mark
    assert len(open_orders(server, "tp")) <= 1
    shown = await rig.status()
    assert (shown["state"], shown["stop_status"]) == (state, "ACTIVE")
    assert shown["runtime"]["position"]["contracts"] == position
    for live in shown["live_orders"]:  # still live: seen working, and it still works
        assert live["phase"] == "open", live
        assert any(o.is_open for o in orders_with_link(server, live["client_id"])), live
    assert [r["phase"] for r in rows if r["client_id"] == stop.link_id] == ["open"]
    return shown


async def test_i4_g2_sigkill_after_intent_commit_before_send_restart_looks_it_up_and_places_one_stop(
    tmp_path,
):
    async with crash_rig(tmp_path) as rig:
        first = await rig.start("after_intent_commit:1")  # the adopted position's stop intent
        await rig.killed(first)
        assert bot_creates(rig.server) == []  # committed, never sent
        recorded = [r for r in rig.orders() if r["phase"] == "intent"]
        # the round's orders are committed together: the stop (G6) and the take-profit (G9)
        assert sorted(r["role"] for r in recorded) == ["sl", "tp"]
        killed_cid = next(r["client_id"] for r in recorded if r["role"] == "sl")

        await rig.restart_and_stop()
        shown = await assert_consistent(rig)

    # G2: the restart looked the committed id up (not found) and never sent it; the stop in
    # place is a later attempt under a new id.
    assert killed_cid not in bot_creates(rig.server)
    lookups = rig.server.requests_to("/v5/order/realtime")
    assert any(r.params.get("orderLinkId") == killed_cid for r in lookups)
    assert open_orders(rig.server, "stop")[0].link_id != killed_cid
    assert {r["phase"] for r in rig.orders() if r["client_id"] == killed_cid} == {"lost"}
    assert shown["halt"]["phase"] == "normal"


async def test_i4_g2_sigkill_after_send_before_the_answer_is_recorded_adopts_the_stop(tmp_path):
    async with crash_rig(tmp_path) as rig:
        first = await rig.start("after_send:1")  # the stop is on the exchange, unrecorded
        await rig.killed(first)
        stop_cid = bot_creates(rig.server)[0]
        assert "_sl" in stop_cid and open_orders(rig.server, "stop")[0].link_id == stop_cid
        assert {r["client_id"]: r["phase"] for r in rig.orders()}[stop_cid] == "intent"

        await rig.restart_and_stop()
        await assert_consistent(rig)

    # G2: found by its client id and adopted; never created again, no second stop.
    assert bot_creates(rig.server).count(stop_cid) == 1
    assert [o.link_id for o in open_orders(rig.server, "stop")] == [stop_cid]


async def test_i4_g2_sigkill_while_the_exchange_holds_the_create_answer_adopts_the_order(
    tmp_path,
):
    async with crash_rig(tmp_path) as rig:
        rig.server.faults.delay_response(CREATE, seconds=30.0)  # processed, answered late
        first = await rig.start()
        await wait_for(lambda: bot_creates(rig.server), "the stop's create request")
        stop_cid = bot_creates(rig.server)[0]
        await wait_for(lambda: open_orders(rig.server, "stop"), "the stop on the exchange")
        first.proc.send_signal(signal.SIGKILL)  # the runner never saw the answer
        assert await first.proc.wait() == -signal.SIGKILL
        assert {r["client_id"]: r["phase"] for r in rig.orders()}[stop_cid] == "intent"
        rig.server.faults.clear()

        await rig.restart_and_stop()
        await assert_consistent(rig)

    assert bot_creates(rig.server).count(stop_cid) == 1
    assert [o.link_id for o in open_orders(rig.server, "stop")] == [stop_cid]


async def test_g5_g7_sigkill_mid_partial_fill_restart_keeps_one_stop_sized_to_the_position(
    tmp_path,
):
    filled = 100  # of the 300-contract take-profit: the position is 300 - 100 = 200
    async with crash_rig(tmp_path) as rig:
        # Sends: 1 the stop, 2 the take-profit, 3 the stop's amend to the partial position.
        first = await rig.start("after_send:3")
        await wait_for(
            lambda: open_orders(rig.server, "stop") and open_orders(rig.server, "tp"),
            "stop and take-profit",
        )
        tp_cid = open_orders(rig.server, "tp")[0].link_id
        rig.server.fill_partially(tp_cid, filled)
        await rig.killed(first)  # right after the amend was answered, before it was recorded
        assert [r.params["qty"] for r in rig.server.requests_to(AMEND)] == [str(POSITION - filled)]

        await rig.restart_and_stop()
        # G9: a partly filled take-profit is an exit under way: EXIT_PENDING, position open.
        await assert_consistent(rig, position=POSITION - filled, state="EXIT_PENDING")

    tp = rig.server.order(tp_cid)  # the partly filled take-profit still works, never re-sent
    assert (tp.status, tp.cum_qty, tp.qty) == ("PartiallyFilled", filled, POSITION)
    assert bot_creates(rig.server).count(tp_cid) == 1
