"""Scenario harness: the whole core on the simulated exchange over a scripted price path.

Invariants checked after every tick of every scenario (issues 6 and 13):
- a position (the exchange's) never goes more than 10 s of simulated time without an ACTIVE stop
  unless a reduce-only close has been sent and a manual HALT raised (G8); nor more than 15 s
  without a stop the exchange really holds (a stop lost silently, its event lost in a stream
  gap, is found by the reconcile after the reconnect); while every event is held back the
  clocks wait: the core cannot know;
- no tracked order moves backward: an order's phase changes only along the lifecycle table;
- no signal uses more than 100 client-id attempts (G1/G2);
- no entry order sent while HALT/COOLDOWN or while a block runs (D6, E7);
- the REST budget (90 calls in any rolling 60 s) is never exceeded (F1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from accountbuilder.config import load_config
from accountbuilder.constants import STOP_MISSING_MAX_MS
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.domain.commands import PlaceOrder
from accountbuilder.domain.enums import HaltKind, OrderRole, OrderStatus
from accountbuilder.domain.events import PongReceived
from accountbuilder.domain.lifecycle import TRANSITIONS, OrderPhase
from accountbuilder.domain.models import Candle
from accountbuilder.exchange.sim import SimConfig, SimExchange
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.machines.listeners import TransitionRecorder
from accountbuilder.marketdata.candles import candles_from_columns
from accountbuilder.marketdata.view import Staleness
from accountbuilder.signal.grid import level_price
from accountbuilder_runner.bootstrap import start_core
from accountbuilder_runner.drivers.sim import SimDriver
from accountbuilder_runner.executor import CommandExecutor

DAY0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC
MIN = 60_000
DAY = 86_400_000
SPACING = Decimal("0.03")
K = 50  # grid level 50 at 3% spacing from 10,000: 43,839.0...
ENTRY_LEVEL = float(level_price(K, SPACING))  # the long entry when the mark sits just above it
TP_LEVEL = float(level_price(K + 1, SPACING))
MARK0 = ENTRY_LEVEL * 1.004  # start 0.4% above the entry level


def rows_flat(price: float, n: int, spread: float = 5.0) -> list[tuple[float, float, float, float]]:
    return [(price, price + spread, price - spread, price)] * n


def rows_move(a: float, b: float, n: int) -> list[tuple[float, float, float, float]]:
    """A straight walk from ``a`` to ``b`` over ``n`` candles (high/low cover each step)."""
    pts = np.linspace(a, b, n + 1)
    return [
        (float(o), float(max(o, c)) + 1, float(min(o, c)) - 1, float(c))
        for o, c in zip(pts[:-1], pts[1:], strict=True)
    ]


# A stop lost without a word (its event lost in a stream gap) is found by the reconcile that
# follows the reconnect, paced 1 s apart and retried when a read is refused: the exchange's
# truth may be unprotected this much longer than the core's own G8 clock.
DETECTION_SLACK_MS = 5_000


# At most this many places of a role in one tick: one entry, one take-profit; a stop may be
# replaced once within the tick it ended in, a close retried once.
PLACES_PER_TICK_MAX = {OrderRole.STOP.value: 2, OrderRole.CLOSE.value: 2}


class _FiredEverywhere:
    """Every (machine, source, event, target) any scenario of this run fired (the meta test)."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, str, str]] = set()

    def after_transition(self, event: str, source, target, machine=None) -> None:
        name = "main" if source.value in MAIN_STATES else "stop_status"
        self.seen.add((name, source.value, str(event), target.value))


MAIN_STATES = {"FLAT", "ENTRY_PENDING", "IN_POSITION", "EXIT_PENDING", "HALT", "COOLDOWN"}
FIRED = _FiredEverywhere()


@dataclass
class Invariants:
    unprotected_ms_max: int = 0  # longest stretch without an ACTIVE stop, closed or not
    unguarded_ms_max: int = 0  # ... without an ACTIVE stop and without close + manual HALT
    truth_unguarded_ms_max: int = 0  # ... without a stop the exchange holds, ditto
    entries_while_blocked: list[str] = field(default_factory=list)
    budget_max: int = 0
    backward_moves: list[str] = field(default_factory=list)
    attempts_max: int = 0
    # places of each role within one tick (all its rounds): a refused order re-sent round after
    # round spends its ids and REST calls (a refused entry went out 9 times in one minute)
    places_per_tick: dict[str, int] = field(default_factory=dict)


class Scenario:
    """Build with price rows (open, high, low, close) per minute; run ticks; inspect."""

    def __init__(
        self,
        rows,
        *,
        start_equity_usd: float = 100,
        tick_ms: int = MIN,
        atr_pct: float = 0.05,
        config: dict | None = None,
        sim: dict | None = None,
        with_ws: bool = False,
        volume: float = 1e6,
    ):
        cols = np.array([(*r, volume) for r in rows], dtype=np.float64)
        ts = DAY0 + np.arange(len(rows), dtype=np.int64) * MIN
        self.arrays = candles_from_columns(ts, *cols.T, timeframe_ms=MIN)
        start_price = Decimal(repr(rows[0][0]))
        sim_kw = {
            "start_balance_btc": (Decimal(repr(start_equity_usd)) / start_price).quantize(
                Decimal("1e-8")
            ),
            "skip_quiet_candles": False,
        } | (sim or {})
        self.sim = SimExchange(SimConfig(**sim_kw), self.arrays)
        self.config = _config(config or {})
        self.tick_ms, self.atr_pct, self.with_ws = tick_ms, atr_pct, with_ws
        self.inv = Invariants()
        self.outboxes: list = []
        self.sent: list[tuple[int, object]] = []  # (tick time, command)
        self.core: TradingCore | None = None
        self._unprotected_since: int | None = None
        self._truth_since: int | None = None
        self._phases: dict[str, str] = {}
        self._places_tick: int | None = None
        self._places: dict[str, int] = {}
        self.heartbeat = with_ws  # a healthy WS answers pings: one pong per tick (F2)

    async def start(self) -> None:
        now = DAY0
        started = await start_core(
            self.sim,
            self.config,
            now,
            staleness=Staleness(mark_ms=2 * MIN, account_ms=10**12),
            with_ws=self.with_ws,
        )
        self.core = started.core
        self.record_transitions()
        price = Decimal(repr(float(self.arrays.close[0])))
        width = price * Decimal(repr(self.atr_pct))
        daily = [
            Candle(DAY0 - (15 - i) * DAY, price, price + width / 2, price - width / 2, price)
            for i in range(15)
        ]
        self.core.kit.view.seed_daily(daily)  # ATR(14) = atr_pct of the price
        self.executor = CommandExecutor(
            self.sim, RestBudget(), clock=lambda: self.sim.now_ms, wait_for_budget=False
        )
        self.driver = SimDriver(
            self.core, self.sim, self.executor, on_outbox=self._on_outbox, on_tick=self._check
        )
        self.driver.pending = list(started.startup_events)
        self.now = now

    @property
    def arrays_end_ms(self) -> int:
        return int(self.arrays.ts_ms[-1]) + MIN

    async def run_for(self, ms: int) -> None:
        end = self.now + ms
        while self.now < end:
            self.now += self.tick_ms
            if self.heartbeat:
                self.driver.pending.append(
                    PongReceived(exchange_ts_ms=self.now, local_ts_ms=self.now)
                )
            await self.driver.step(self.now)

    def record_transitions(self) -> None:
        """Keep every transition both machines take (``fired``) for the scenario and meta tests."""
        self.fired = getattr(self, "fired", TransitionRecorder())
        self.core.state.main.add_listener(self.fired.for_machine("main"), FIRED)
        self.core.state.stop.add_listener(self.fired.for_machine("stop_status"), FIRED)

    # ----------------------------------------------------------------------------- views
    @property
    def state(self):
        return self.core.state

    def trades(self, kind: str):
        return [t for o in self.outboxes for t in o.trades if type(t).__name__ == kind]

    def commands(self, cls=None, role: OrderRole | None = None):
        found = [c for o in self.outboxes for c in o.commands if cls is None or isinstance(c, cls)]
        if role is not None:
            found = [c for c in found if isinstance(c, PlaceOrder) and c.spec.role is role]
        return found

    def stop_cid(self) -> str | None:
        return self.core.state.stop_track.client_id

    def halts(self):
        return [h for o in self.outboxes for h in o.halts]

    def decisions(self):
        return [d for o in self.outboxes for d in o.decisions]

    # ----------------------------------------------------------------------------- invariants
    def _on_outbox(self, now_ms, out, core) -> None:
        self.outboxes.append(out)
        self.sent.extend((now_ms, c) for c in out.commands)
        self._count_places(now_ms, out)
        s = core.state
        blocked = s.main.state in ("HALT", "COOLDOWN") or s.risk.blocks.active(now_ms)
        for c in out.commands:
            if (
                isinstance(c, PlaceOrder)
                and c.spec.role in (OrderRole.ENTRY, OrderRole.TAKER_ENTRY)
                and blocked
            ):
                self.inv.entries_while_blocked.append(f"{now_ms}:{c.spec.client_id}:{s.main.state}")

    def _count_places(self, now_ms: int, out) -> None:
        if now_ms != self._places_tick:
            self._places_tick, self._places = now_ms, {}
        for c in out.commands:
            if isinstance(c, PlaceOrder):
                role = c.spec.role.value
                self._places[role] = self._places.get(role, 0) + 1
                most = self.inv.places_per_tick
                most[role] = max(most.get(role, 0), self._places[role])

    def exchange_protected(self) -> bool:
        """The exchange holds a working reduce-only stop (its truth, not the core's belief)."""
        return any(
            o.role is OrderRole.STOP and o.reduce_only and o.status is OrderStatus.UNTRIGGERED
            for o in self.sim.open_orders_now()
        )

    def _check(self, now_ms, core) -> None:
        pos = self.sim.ledger  # the exchange's truth, not the core's view of it
        open_ = pos.contracts > 0 and not self.sim.events_stalled  # held: the core cannot know
        guarded = self._closed_and_halted(core)
        active = core.state.stop.state == "ACTIVE"
        self._unprotected_since = self._clock(open_ and not active, self._unprotected_since, now_ms)
        self._truth_since = self._clock(
            open_ and not (active and self.exchange_protected()), self._truth_since, now_ms
        )
        if self._unprotected_since is not None:
            gap = now_ms - self._unprotected_since
            self.inv.unprotected_ms_max = max(self.inv.unprotected_ms_max, gap)
            if not guarded:
                self.inv.unguarded_ms_max = max(self.inv.unguarded_ms_max, gap)
        if self._truth_since is not None and not guarded:
            gap = now_ms - self._truth_since
            self.inv.truth_unguarded_ms_max = max(self.inv.truth_unguarded_ms_max, gap)
        self.inv.budget_max = max(self.inv.budget_max, self.sim.max_rest_calls_in_window())
        self._check_orders(core)

    @staticmethod
    def _clock(running: bool, since: int | None, now_ms: int) -> int | None:
        return (since if since is not None else now_ms) if running else None

    def _closed_and_halted(self, core) -> bool:
        """G8's way out: a reduce-only close sent and a manual HALT raised."""
        closes = [c for c in self.commands(PlaceOrder, OrderRole.CLOSE) if c.spec.reduce_only]
        manual = core.state.main.state == "HALT" and core.state.halt.kind is HaltKind.MANUAL
        return bool(closes) and manual

    def _check_orders(self, core) -> None:
        """No order moves backward (only along the lifecycle table); ≤ 100 ids per signal."""
        orders = core.state.orders
        per_signal: dict[str, int] = {}
        for cid, o in orders.by_cid.items():
            before = self._phases.get(cid)
            moved = before is not None and before != o.phase.value
            if moved and not _reachable(OrderPhase(before), o.phase):
                self.inv.backward_moves.append(f"{cid}: {before} -> {o.phase.value}")
            self._phases[cid] = o.phase.value
            per_signal[o.signal_id] = per_signal.get(o.signal_id, 0) + 1
        self.inv.attempts_max = max(self.inv.attempts_max, *per_signal.values(), 0)

    def assert_invariants(self, unprotected_limit_ms: int | None = None) -> None:
        """The invariants; ``unprotected_limit_ms`` also bounds any stretch without an ACTIVE
        stop (closed or not) for scenarios that must never get near the 10-second rule."""
        assert self.inv.unguarded_ms_max <= STOP_MISSING_MAX_MS, self.inv  # G8
        assert self.inv.truth_unguarded_ms_max <= STOP_MISSING_MAX_MS + DETECTION_SLACK_MS, self.inv
        if unprotected_limit_ms is not None:
            assert self.inv.unprotected_ms_max <= unprotected_limit_ms, self.inv
        assert self.inv.entries_while_blocked == [], self.inv
        assert self.inv.budget_max <= 90, self.inv
        assert self.inv.backward_moves == [], self.inv
        assert self.inv.attempts_max <= 100, self.inv
        for role, most in self.inv.places_per_tick.items():
            assert most <= PLACES_PER_TICK_MAX.get(role, 1), (role, self.inv)


def _reachable(source: OrderPhase, target: OrderPhase) -> bool:
    """``target`` is reachable from ``source`` through the lifecycle table (one or more moves)."""
    seen, frontier = {source}, [source]
    while frontier:
        phase = frontier.pop()
        for (p, _), t in TRANSITIONS.items():
            if p is phase and t not in seen:
                if t is target:
                    return True
                seen.add(t)
                frontier.append(t)
    return False


def _config(overrides: dict):
    cfg = load_config()
    execution = cfg.execution.model_copy(
        update={
            "grid": cfg.execution.grid.model_copy(
                update={"spacing_mode": "fixed", "spacing_pct": SPACING}
            )
        }
    )
    runner = cfg.runner.model_copy(update={"backtest_winrate": Decimal("0.6")})
    cfg = cfg.model_copy(update={"execution": execution, "runner": runner})
    for key, value in overrides.items():
        part = getattr(cfg, key)
        cfg = cfg.model_copy(update={key: part.model_copy(update=value)})
    return cfg
