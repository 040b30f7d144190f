"""SPEC G3 on real candles (issue 14): a grid entry rests at its level while its signal stands.

Before issue 14 the entry was cancelled 60 s after it was placed, whether or not the market had
come near its level, and re-placed every minute: the $300 benchmark year placed 2,438 PostOnly
entries for 60 trades. This replays a real 1-minute file through the whole core and watches
every entry the core places and every entry it cancels, from the outside:

- a cancel for the maker timeout comes only after the market traded at the entry price (the
  last candle's low/high, or the mark) and the order stayed unfilled the whole timeout since;
- a cancel because the signal changed comes only when the signal at that moment is no longer
  the one the entry was placed for (side, level or spacing);
- any other entry cancel happens only in HALT or COOLDOWN (E7) or at E2's latency halt;
- PostOnly entries placed per trade stay a handful (the grid's spacing is the day's, so the
  signal does not flicker with the mark).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from accountbuilder.config import load_config
from accountbuilder.core.steps.entry import propose
from accountbuilder.domain.commands import CancelOrder, PlaceOrder
from accountbuilder.domain.enums import OrderRole, OrderSide, Side, TimeInForce
from accountbuilder.domain.requests import Purpose
from accountbuilder.execution.entry import touched
from accountbuilder.marketdata.candles import load_candles
from accountbuilder.records.trade_log import TradeExitRecord
from accountbuilder_runner.replay import Replay, plan_replay
from accountbuilder_runner.winrate_file import with_winrate

FILE = "btcusd_1m_2021-04_2021-05.csv.gz"


@dataclass
class Resting:
    price: Decimal
    side: Side
    key: tuple  # the (side, level, spacing) of the signal it was placed for
    touched_ms: int | None = None


def _key(signal) -> tuple | None:
    return None if signal is None else (signal.side, signal.level, signal.grid_spacing_pct)


class EntryWatch:
    """Sees every committed round: the entries placed, the touches, and every entry cancel."""

    def __init__(self, timeout_ms: int):
        self.timeout_ms = timeout_ms
        self.resting: dict[str, Resting] = {}
        self.placed_post_only = 0
        self.exits = 0
        self.cancels: dict[Purpose, int] = {}
        self.violations: list[str] = []

    def __call__(self, now_ms: int, out, core) -> None:
        self._touch(now_ms, core)
        for command in out.commands:
            if isinstance(command, PlaceOrder) and command.spec.role is OrderRole.ENTRY:
                self._placed(command, core)
            elif isinstance(command, CancelOrder) and command.client_id in self.resting:
                self._cancelled(now_ms, command, core)
        self.exits += sum(isinstance(t, TradeExitRecord) for t in out.trades)

    def _placed(self, command: PlaceOrder, core) -> None:
        spec = command.spec
        if spec.time_in_force is not TimeInForce.POST_ONLY:
            return  # G4's IOC ends by itself
        self.placed_post_only += 1
        side = Side.LONG if spec.side is OrderSide.BUY else Side.SHORT
        self.resting[spec.client_id] = Resting(spec.price, side, _key(core.state.maker.standing))

    def _touch(self, now_ms: int, core) -> None:
        view = core.kit.view
        candle, mark = view.last_candle, view.mark_price
        for entry in self.resting.values():
            if entry.touched_ms is None and (
                (candle is not None and touched(entry.side, entry.price, candle.low, candle.high))
                or (mark is not None and touched(entry.side, entry.price, mark, mark))
            ):
                entry.touched_ms = now_ms

    def _cancelled(self, now_ms: int, command: CancelOrder, core) -> None:
        entry = self.resting.pop(command.client_id)
        purpose = command.purpose
        self.cancels[purpose] = self.cancels.get(purpose, 0) + 1
        at = f"{command.client_id} at {now_ms}"
        if purpose is Purpose.TIMEOUT:
            if entry.touched_ms is None or now_ms - entry.touched_ms < self.timeout_ms:
                self.violations.append(f"{at}: timed out, touched at {entry.touched_ms}")
        elif purpose is Purpose.SIGNAL_CHANGED:
            if _key(propose(core.kit, now_ms)) == entry.key:
                self.violations.append(f"{at}: cancelled while its signal {entry.key} stands")
        elif purpose is Purpose.HALT:
            if core.state.main.state not in ("HALT", "COOLDOWN"):
                self.violations.append(f"{at}: halt cancel in {core.state.main.state}")
        elif purpose is not Purpose.LATENCY:
            self.violations.append(f"{at}: cancelled for {purpose.value!r}")


@pytest.mark.slow
async def test_g3_entries_rest_at_their_level_while_the_signal_stands_on_real_data(shared_data):
    config = with_winrate(load_config(), Decimal(1))
    watch = EntryWatch(config.execution.maker_timeout_s * 1000)
    plan = plan_replay(load_candles(shared_data / FILE), config, Decimal(300))
    replay = await Replay.open(plan, on_outbox=watch)
    await replay.run()

    assert watch.exits >= 10  # the window trades: the check below is not vacuous
    assert watch.violations == []
    assert watch.cancels.get(Purpose.SIGNAL_CHANGED, 0) > 0  # the signal did move meanwhile
    # G3: an entry waits for its level, so a trade costs a placement or two, not ~20: with the
    # grid spacing read over the mark, every 0.01 % flicker re-drew the grid (780 PostOnly
    # entries for 36 trades here); over the day's close it stands (77 for 47)
    assert watch.placed_post_only <= 3 * watch.exits, (watch.placed_post_only, watch.exits)
