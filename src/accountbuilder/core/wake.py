"""The core's next wake: until when, and while what mark, its ticks provably change nothing.

After a tick, ``next_wake`` says whether the ticks that follow would do nothing new as long
as the mark stays in a band and the clock before a time, and, for a standing refusal, which
decision record each of them would write. A replay jumps over such ticks (``runner.replay``);
live ticks every second regardless. Four states qualify, each from the rules' own standings
(``emergency.standing``, ``risk.standing``, the signal's ``standing``):

1. **A manual HALT with nothing open** (E5: nobody resets it in a replay): only a new E1 or
   H3 reason could be logged.
2. **A quiet position** (IN_POSITION, or a manual HALT keeping it, E7): the entry done, the
   stop ACTIVE and OPEN for the whole position, the take-profit resting for all of it, nothing
   else working. Stop supervision (G6-G8) and the take-profit (G9) wait for the exchange, so
   the exchange's own events (fills, funding) wake it too; E1 (with the short mirror), H3 and
   E6 bound the mark.
3. **A resting entry** (G3: ENTRY_PENDING, the PostOnly OPEN and not reached): it waits while
   its signal stands and no candle trades at its price (the replay's simulator finds a fill
   there too); E1/H3 bound the mark.
4. **A standing refusal** (FLAT, nothing working): the gate chain refused for a reason that
   stands (``risk.standing``), the signal keeps its side, level and spacing, and E1/H3 cannot
   fire; every skipped tick would record ``repeats`` again (with its own time).

The E1 band is computed from the mark windows, so they must hold at every tick what they would
hold tick by tick: a caller that skips ticks delivers, at the wake, the marks of the skipped
candles of the last ``MARK_WINDOW_MS`` (stamped with their own times) before the wake's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from accountbuilder.core.kit import Kit
from accountbuilder.core.state import SessionState
from accountbuilder.domain.enums import HaltKind, MainState, OrderRole, Side
from accountbuilder.domain.lifecycle import OrderPhase
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.domain.standing import Standing, next_utc_midnight, not_traded_at, until
from accountbuilder.emergency.halts import HaltPhase
from accountbuilder.emergency.rules import is_short_open
from accountbuilder.emergency.standing import WINDOW_MS, e1_standing, e6_standing, h3_standing
from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder.signal.source import SignalInputs

MARK_WINDOW_MS = WINDOW_MS


@dataclass(frozen=True, slots=True)
class Wake:
    """Nothing new happens while ``standing`` holds; ``repeats`` is recorded at every tick."""

    standing: Standing
    repeats: DecisionRecord | None = None
    quiet_position: bool = False  # the exchange's fills and funding wake it too
    catch_up: bool = False  # the refusal's signal may move: ``TradingCore.skipped`` replays it


@dataclass(frozen=True, slots=True)
class StandingRefusal:
    """The refusal a tick recorded at ``now_ms`` and how long it stands (set by the entry step)."""

    now_ms: int
    record: DecisionRecord
    gates: Standing  # the gate chain's answer
    signal: Standing | None  # while the signal keeps its key (None: it cannot say)


def next_wake(kit: Kit, s: SessionState, now_ms: int) -> Wake | None:
    """After the tick at ``now_ms``: the wake, or None when the next tick must run."""
    view = kit.view
    if kit.ws is not None or view.account is None or view.mark_price is None:
        return None
    if kit.checker.latency.status(now_ms).block() is not None:
        return None
    if _flat_manual_halt(kit, s):
        wake = Wake(_emergency(kit, s, now_ms))
    elif _quiet_position(kit, s) and not _entries_read_every_candle(kit, s):
        wake = Wake(_emergency(kit, s, now_ms), quiet_position=True)
    elif (resting := resting_entry(kit, s, now_ms)) is not None:
        wake = Wake(_emergency(kit, s, now_ms).meet(resting))
    else:
        refusal = s.refusal
        if refusal is None or refusal.now_ms != now_ms or not _flat_normal(kit, s):
            return None
        wake = _refusal_wake(kit, s, now_ms, refusal)
        if wake is None:
            return None
    return wake if wake.standing.holds(now_ms, float(view.mark_price)) else None


def _refusal_wake(kit: Kit, s: SessionState, now_ms: int, refusal: StandingRefusal) -> Wake | None:
    """A standing refusal: its signal is caught up over the skipped marks when the signal
    source can give its keys for a path and no maker timeout is counted (a plain key
    comparison then decides the standing signal); else the signal must keep its key."""
    base = _emergency(kit, s, now_ms).meet(refusal.gates)
    grid = kit.config.execution.grid
    catch_up = (
        s.maker.count == 0
        and s.maker.standing is not None
        and (kit.view.atr_pct_daily() is not None or grid.spacing_mode == "fixed")
        and getattr(kit.signal, "path_keys", None) is not None
        and len(grid.side_choices()) == 1
    )
    if catch_up:  # the keys are computed with today's ATR: the next daily candle wakes it
        return Wake(base.meet(until(next_utc_midnight(now_ms))), refusal.record, catch_up=True)
    if refusal.signal is None:
        return None
    return Wake(base.meet(refusal.signal), refusal.record)


def _emergency(kit: Kit, s: SessionState, now_ms: int) -> Standing:
    """E1 (and its mirror), H3 and E6: the mark band in which none can add a reason."""
    view, config, reasons = kit.view, kit.config.emergency, s.halt.reasons
    e1 = e1_standing(
        kit.checker.windows,
        now_ms,
        kit.checker.limits,
        short_open=is_short_open(view.position),
        mirror=config.mirror_for_short,
    )
    parts = [e1]
    if ReasonCode.EQUITY_BELOW_80 not in reasons:
        parts.append(h3_standing(view.account))
    if ReasonCode.LIQUIDATION_WARNING not in reasons:
        parts.append(e6_standing(view.position, config.liq_warning_pct))
    return e1.meet(*parts)


def resting_entry(kit: Kit, s: SessionState, now_ms: int) -> Standing | None:
    """G3: a PostOnly entry resting at its level, not reached yet, waits while its signal
    stands and no candle trades at its price (then the timeout clock starts, or it fills)."""
    trade, pos = s.trade, kit.view.position
    if trade is None or not trade.entry_working or trade.entry_touched_ms is not None:
        return None
    if s.halt.phase is not HaltPhase.NORMAL or s.main.state != MainState.ENTRY_PENDING.value:
        return None
    if pos is not None and pos.contracts != 0:
        return None
    live = s.orders.live()
    entry = live[0] if len(live) == 1 else None
    if entry is None or entry.client_id != trade.entry_cid or entry.role is not OrderRole.ENTRY:
        return None
    if entry.phase is not OrderPhase.OPEN or entry.filled_qty or entry.cancel_ms is not None:
        return None
    signal = _signal_standing(kit, s, now_ms)
    if signal is None:
        return None
    return signal.meet(not_traded_at(entry.spec.price, below=trade.side is Side.LONG))


def _signal_standing(kit: Kit, s: SessionState, now_ms: int) -> Standing | None:
    """While the signal source keeps proposing the standing signal (G3: the entry rests)."""
    standing_of = getattr(kit.signal, "standing", None)
    view = kit.view
    if standing_of is None or s.maker.standing is None:
        return None
    inputs = SignalInputs(now_ms, view.mark_price, view.atr_pct_daily(), view.mean_price_24h())
    if not s.maker.stands(kit.signal.propose(inputs)):
        return None
    return standing_of(inputs)


def _entries_read_every_candle(kit: Kit, s: SessionState) -> bool:
    """A later entry's signal reads what the view builds from every candle (the 24 h mean of
    ``direction: both``): a position that may be followed by entries is ticked in full. A
    manual HALT keeping its position is never followed by one in a replay (E5)."""
    if s.halt.phase is not HaltPhase.NORMAL:
        return False
    return getattr(kit.signal, "needs_every_candle", True)


def _flat(kit: Kit, s: SessionState) -> bool:
    pos = kit.view.position
    return s.trade is None and (pos is None or pos.contracts == 0) and not s.orders.live()


def _flat_normal(kit: Kit, s: SessionState) -> bool:
    return (
        s.halt.phase is HaltPhase.NORMAL and s.main.state == MainState.FLAT.value and _flat(kit, s)
    )


def _flat_manual_halt(kit: Kit, s: SessionState) -> bool:
    halt = s.halt
    return (
        halt.phase is HaltPhase.HALT
        and halt.kind is HaltKind.MANUAL
        and s.main.state == MainState.HALT.value
        and _flat(kit, s)
    )


def _halt_keeps_position(s: SessionState) -> bool:
    halt = s.halt
    if halt.phase is HaltPhase.NORMAL:
        return s.main.state == MainState.IN_POSITION.value
    return (
        halt.phase is HaltPhase.HALT
        and halt.kind is HaltKind.MANUAL
        and s.main.state == MainState.HALT.value
    )


def _quiet_position(kit: Kit, s: SessionState) -> bool:
    """A position fully protected with nothing working (see the module doc)."""
    pos, trade, track = kit.view.position, s.trade, s.stop_track
    if trade is None or pos is None or pos.contracts <= 0 or not _halt_keeps_position(s):
        return False
    if trade.entry_working or trade.exit_qty or s.stop.state != "ACTIVE":
        return False
    if track.qty != pos.contracts or track.unprotected_since_ms is not None:
        return False
    live = s.orders.live()
    stops = [o for o in live if o.role is OrderRole.STOP]
    tps = [o for o in live if o.role is OrderRole.TAKE_PROFIT]
    if len(live) != len(stops) + len(tps) or len(stops) != 1:
        return False
    if stops[0].phase is not OrderPhase.OPEN or stops[0].client_id != track.client_id:
        return False
    if not kit.config.execution.take_profit:
        return not tps
    return (
        len(tps) == 1
        and tps[0].phase is OrderPhase.OPEN
        and tps[0].filled_qty == 0
        and tps[0].spec.qty == pos.contracts
    )
