"""Which replay ticks can be skipped because the core provably does nothing on them.

One state is provably idle: a **manual HALT with nothing open** (flat, no live order, no
trade, nothing carried by the driver). A backtest has nobody to reset a manual HALT (E5), so
from there a tick can only add a new reason to the halt log:

- **E1** (``drop_Nm`` at or below its limit): found ahead of time with numpy over the candle
  closes (the sim's mark), with a 10 % safety margin; the tick of every such candle is kept,
  and so are the ticks of the 5 minutes before it, so the core's mark windows hold the same
  marks as in a tick-by-tick replay;
- **H3** (``equity_usd < 80``): flat, equity is the wallet, so ``close < 80 / wallet`` (2 %
  margin) finds it; not needed when the halt already has that reason;
- E2 (latency: the simulator answers at once), E3 (equity ≤ 0: the wallet is positive and
  flat), E6 (no position) and F3 (no WS in a replay) cannot fire.

Every other state (FLAT evaluates the entry gates every tick, a position is supervised,
a temporary HALT counts calm minutes, COOLDOWN times out) ticks on every candle.
``tests/unit/runner/test_quiet.py`` checks that decisions, trades and halts are identical with
and without skipping.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from accountbuilder.config.models import EmergencyConfig
from accountbuilder.constants import HARD_STOP_EQUITY_USD
from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.domain.enums import HaltKind
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.halts import HaltPhase
from accountbuilder.emergency.windows import FIVE_MINUTES_MS
from accountbuilder.marketdata.candles import CandleArrays

E1_MARGIN = 0.9  # wake when a move reaches 90 % of the E1 limit
H3_MARGIN = 1.02  # wake when equity is within 2 % of the $80 hard stop


def e1_wake_mask(arrays: CandleArrays, emergency: EmergencyConfig) -> np.ndarray:
    """Candles whose tick must run because E1 could fire there (or in the 5 minutes after).

    ``drop`` is each close against the highest close stamped within the 5 minutes before it
    (inclusive, as ``emergency.windows``); the 1-minute drop is never deeper, so one test with
    the looser of the two limits covers both. Only drops matter: rises (E1's mirror) need a
    short open, and an open position is never skipped.
    """
    close, ts = arrays.close, arrays.close_ts_ms
    lookback = FIVE_MINUTES_MS // arrays.timeframe_ms
    high = close.copy()
    for k in range(1, lookback + 1):
        within = (ts[k:] - ts[:-k]) <= FIVE_MINUTES_MS
        high[k:] = np.where(within, np.maximum(high[k:], close[:-k]), high[k:])
    limit = E1_MARGIN * float(max(emergency.drop_1m_halt, emergency.drop_5m_halt))
    risky = close / high - 1.0 <= limit
    wake = risky.copy()
    for k in range(1, lookback + 2):  # the marks of the window before a risky candle too
        wake[:-k] |= risky[k:]
    return wake


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


class QuietSchedule:
    """Pick the next tick: the next candle, or — when idle — the next candle that needs one."""

    def __init__(self, arrays: CandleArrays, emergency: EmergencyConfig):
        self.arrays = arrays
        self._e1 = e1_wake_mask(arrays, emergency)
        self._h3: tuple[Decimal, np.ndarray] | None = None

    def next_wake_index(self, after: int, core: TradingCore) -> int:
        """The first candle index > ``after`` whose tick may do something (else the last)."""
        last = len(self.arrays) - 1
        if after >= last:
            return last
        wake = self._e1[after + 1 :]
        if ReasonCode.EQUITY_BELOW_80 not in core.state.halt.reasons:
            wake = wake | self._h3_mask(core.kit.view.account.equity_btc)[after + 1 :]
        hits = np.flatnonzero(wake)
        return after + 1 + int(hits[0]) if hits.size else last

    def _h3_mask(self, equity_btc: Decimal) -> np.ndarray:
        if self._h3 is None or self._h3[0] != equity_btc:
            self._h3 = (equity_btc, h3_wake_mask(self.arrays, equity_btc))
        return self._h3[1]
