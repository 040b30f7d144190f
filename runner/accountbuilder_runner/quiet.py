"""Which replay ticks can be skipped because the core provably does nothing on them.

Two states are provably idle until the market reaches a level found ahead of time:

1. **A manual HALT with nothing open** (flat, no live order, no trade, nothing carried by the
   driver). A backtest has nobody to reset a manual HALT (E5), so from there a tick can only
   add a new reason to the halt log (see the list below).
2. **A quiet position**: IN_POSITION (or a manual HALT keeping its position, E7), the entry
   done, the stop ACTIVE for the whole position, the take-profit resting for the whole
   position, nothing else working. Stop supervision (G6-G8) and the take-profit (G9) then
   have nothing to do until the exchange reports something: the simulator is replayed up to
   the first candle with a fill (``advance(stop_at_fill=True)``), and the core also wakes at
   every funding time (wallet and liquidation price change), and where E1 (with its mirror
   for a short), H3 (equity from the last wallet update, as the checker reads it) or E6 (the
   mark within 10 % of the exchange's liqPrice, with a 2 % margin) could fire.

For the flat manual HALT a tick could only add a new reason:

- **E1** (``drop_Nm`` at or below its limit): found ahead of time with numpy over the candle
  closes (the sim's mark), with a 10 % safety margin; the tick of every such candle is kept,
  and so are the ticks of the 5 minutes before it, so the core's mark windows hold the same
  marks as in a tick-by-tick replay;
- **H3** (``equity_usd < 80``): flat, equity is the wallet, so ``close < 80 / wallet`` (2 %
  margin) finds it; not needed when the halt already has that reason;
- E2 (latency: the simulator answers at once), E3 (equity ≤ 0: the wallet is positive and
  flat), E6 (no position) and F3 (no WS in a replay) cannot fire.

Every other state (FLAT evaluates the entry gates every tick, an entry works, a stop is
pending, a temporary HALT counts calm minutes, COOLDOWN times out) ticks on every candle.
``tests/unit/runner/test_quiet.py`` checks that decisions, trades and halts are identical with
and without skipping.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from accountbuilder.config.models import EmergencyConfig
from accountbuilder.constants import HARD_STOP_EQUITY_USD
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.domain.enums import HaltKind, OrderRole, Side
from accountbuilder.domain.lifecycle import OrderPhase as Phase
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.halts import HaltPhase
from accountbuilder.emergency.rules import LIQ_WARNING_MIN_PCT
from accountbuilder.emergency.windows import FIVE_MINUTES_MS
from accountbuilder.exchange.sim.config import FUNDING_INTERVAL_MS
from accountbuilder.marketdata.candles import CandleArrays

E1_MARGIN = 0.9  # wake when a move reaches 90 % of the E1 limit
H3_MARGIN = 1.02  # wake when equity is within 2 % of the $80 hard stop
E6_MARGIN = 1.02  # wake when the mark is within 2 % of E6's warning distance


def _window_extreme(arrays: CandleArrays, pick) -> np.ndarray:
    """Each close's extreme (``np.maximum`` / ``np.minimum``) over the 5 minutes up to it."""
    close, ts = arrays.close, arrays.close_ts_ms
    out = close.copy()
    for k in range(1, FIVE_MINUTES_MS // arrays.timeframe_ms + 1):
        within = (ts[k:] - ts[:-k]) <= FIVE_MINUTES_MS
        out[k:] = np.where(within, pick(out[k:], close[:-k]), out[k:])
    return out


def _with_window_before(risky: np.ndarray, arrays: CandleArrays) -> np.ndarray:
    """Also wake the candles of the 5-minute window before each risky one, so the core's mark
    windows hold the same marks there as in a tick-by-tick replay."""
    wake = risky.copy()
    for k in range(1, FIVE_MINUTES_MS // arrays.timeframe_ms + 2):
        wake[:-k] |= risky[k:]
    return wake


def e1_wake_mask(arrays: CandleArrays, emergency: EmergencyConfig) -> np.ndarray:
    """Candles whose tick must run because E1 could fire there (or in the 5 minutes after).

    ``drop`` is each close against the highest close stamped within the 5 minutes before it
    (inclusive, as ``emergency.windows``); the 1-minute drop is never deeper, so one test with
    the looser of the two limits covers both.
    """
    high = _window_extreme(arrays, np.maximum)
    limit = E1_MARGIN * float(max(emergency.drop_1m_halt, emergency.drop_5m_halt))
    return _with_window_before(arrays.close / high - 1.0 <= limit, arrays)


def e1_rise_wake_mask(arrays: CandleArrays, emergency: EmergencyConfig) -> np.ndarray:
    """E1's mirror while a short is open: rises of +10 % / +20 % (90 % of them wakes)."""
    low = _window_extreme(arrays, np.minimum)
    limit = -E1_MARGIN * float(max(emergency.drop_1m_halt, emergency.drop_5m_halt))
    return _with_window_before(arrays.close / low - 1.0 >= limit, arrays)


def funding_mask(arrays: CandleArrays) -> np.ndarray:
    """The candle of each funding time (00/08/16 UTC): the first closing at or after it."""
    close_ts = arrays.close_ts_ms
    first = -(-int(arrays.ts_ms[0]) // FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS
    times = np.arange(first, int(close_ts[-1]) + 1, FUNDING_INTERVAL_MS, dtype=np.int64)
    mask = np.zeros(len(arrays), dtype=bool)
    mask[np.searchsorted(close_ts, times, "left")] = True
    return mask


def e6_wake_mask(close: np.ndarray, side: Side, liq: Decimal, warning_pct: Decimal) -> np.ndarray:
    """Closes where the mark is within (2 % more than) E6's warning distance of liqPrice.

    Long: ``(mark − liq) / mark ≤ w`` ⇔ ``mark ≤ liq / (1 − w)``; short: ``mark ≥ liq / (1 + w)``.
    """
    w = float(max(warning_pct, LIQ_WARNING_MIN_PCT))
    if side is Side.LONG:
        return close <= float(liq) / (1.0 - w) * E6_MARGIN
    return close >= float(liq) / (1.0 + w) / E6_MARGIN


def h3_wake_mask(arrays: CandleArrays, equity_btc: Decimal) -> np.ndarray:
    """Candles where a flat account's USD equity is within 2 % of the H3 hard stop."""
    if equity_btc <= 0:
        return np.ones(len(arrays), dtype=bool)
    threshold = float(HARD_STOP_EQUITY_USD) * H3_MARGIN / float(equity_btc)
    return arrays.close < threshold


def idle_flat_manual_halt(core: TradingCore, pending: bool) -> bool:
    """True when the core sits in a manual HALT with nothing open (the skippable state).

    ``pending``: the driver holds events or carried commands for the next tick.
    """
    s, view = core.state, core.kit.view
    return (
        not pending
        and s.halt.phase is HaltPhase.HALT
        and s.halt.kind is HaltKind.MANUAL
        and s.main.state == "HALT"
        and s.trade is None
        and (view.position is None or view.position.contracts == 0)
        and core.kit.ws is None
        and not s.orders.live()
        and view.account is not None
    )


def _halt_allows_position_idle(core: TradingCore) -> bool:
    s = core.state
    if s.halt.phase is HaltPhase.NORMAL:
        return s.main.state == "IN_POSITION"
    return (
        s.halt.phase is HaltPhase.HALT and s.halt.kind is HaltKind.MANUAL and s.main.state == "HALT"
    )


def idle_in_position(core: TradingCore, pending: bool) -> bool:
    """True when a position is fully protected and nothing is working (see the module doc)."""
    s, view = core.state, core.kit.view
    pos, trade, track = view.position, s.trade, s.stop_track
    if pending or core.kit.ws is not None or trade is None or pos is None or pos.contracts <= 0:
        return False
    if not _halt_allows_position_idle(core) or view.account is None or view.mark_price is None:
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
    if stops[0].phase is not Phase.OPEN or stops[0].client_id != track.client_id:
        return False
    if not core.kit.config.execution.take_profit:
        return not tps
    return (
        len(tps) == 1
        and tps[0].phase is Phase.OPEN
        and tps[0].filled_qty == 0
        and tps[0].spec.qty == pos.contracts
    )


class QuietSchedule:
    """Pick the next tick: the next candle, or — when idle — the next candle that needs one."""

    def __init__(self, arrays: CandleArrays, emergency: EmergencyConfig):
        self.arrays = arrays
        self.emergency = emergency
        self._e1 = e1_wake_mask(arrays, emergency)
        self._rise: np.ndarray | None = None  # built when a short is first open
        self._funding = funding_mask(arrays)
        self._h3: tuple[Decimal, np.ndarray] | None = None

    def next_wake_index(self, after: int, core: TradingCore) -> int:
        """Flat in a manual HALT: the first candle > ``after`` where E1 or H3 could fire."""
        wake = self._e1[after + 1 :]
        if ReasonCode.EQUITY_BELOW_80 not in core.state.halt.reasons:
            wake = wake | self._h3_mask(core.kit.view.account.equity_btc)[after + 1 :]
        return self._first(after, wake)

    def position_wake_index(self, after: int, core: TradingCore) -> int:
        """A quiet position: the first candle > ``after`` with funding, E1, H3 or E6 risk.

        Fills are found by the simulator itself (the replay advances with ``stop_at_fill``).
        """
        view, reasons = core.kit.view, core.state.halt.reasons
        pos = view.position
        wake = self._e1[after + 1 :] | self._funding[after + 1 :]
        if pos.side is Side.SHORT and self.emergency.mirror_for_short:
            if self._rise is None:
                self._rise = e1_rise_wake_mask(self.arrays, self.emergency)
            wake = wake | self._rise[after + 1 :]
        if ReasonCode.EQUITY_BELOW_80 not in reasons:
            wake = wake | self._h3_mask(view.account.equity_btc)[after + 1 :]
        if (
            pos.liq_price is not None
            and pos.liq_price > 0
            and (ReasonCode.LIQUIDATION_WARNING not in reasons)
        ):
            close = self.arrays.close[after + 1 :]
            wake = wake | e6_wake_mask(
                close, pos.side, pos.liq_price, self.emergency.liq_warning_pct
            )
        return self._first(after, wake)

    def _first(self, after: int, wake: np.ndarray) -> int:
        last = len(self.arrays) - 1
        if after >= last:
            return last
        hits = np.flatnonzero(wake)
        return after + 1 + int(hits[0]) if hits.size else last

    def _h3_mask(self, equity_btc: Decimal) -> np.ndarray:
        if self._h3 is None or self._h3[0] != equity_btc:
            self._h3 = (equity_btc, h3_wake_mask(self.arrays, equity_btc))
        return self._h3[1]
