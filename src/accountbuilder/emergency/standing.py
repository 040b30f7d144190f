"""How long each emergency rule provably finds nothing new (SPEC E1, E6, H3): its ``Standing``.

Each function says while which marks its rule cannot fire, from what the checker holds now;
``core.wake`` meets them with the other rules' standings to find the core's next wake.

- **E1**: every mark inside ``(low, high)`` keeps ``drop_Nm`` above 90 % of its limit, given
  the highest mark still in the 5-minute window (and the mirror for an open short); the band
  reaches ``E1_BAND`` above the mark. Marks skipped over never reach the windows, so a caller
  that skips must replay the 5 minutes before a wake (``WINDOW_MS``) for the windows to hold
  the same marks as a tick-by-tick run there.
- **H3**: ``equity_usd = equity_btc × mark`` stays at or above $80 while the mark stays above
  ``80 / equity_btc`` (equity from the last wallet update, as the checker reads it).
- **E6**: the mark stays farther than the warning distance from the exchange's liqPrice
  (long: ``mark > liq / (1 − w)``, short: ``mark < liq / (1 + w)``).
"""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.constants import HARD_STOP_EQUITY_USD
from accountbuilder.domain.enums import Side
from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.domain.standing import ALWAYS, Standing, above, below
from accountbuilder.emergency.rules import LIQ_WARNING_MIN_PCT, E1Limits, PositionView
from accountbuilder.emergency.windows import FIVE_MINUTES_MS, MarkWindows

E1_SHARE = 0.9  # a band keeps every move within 90 % of E1's limit
E1_BAND = 0.045  # how far above the mark the band reaches (below 1 / (1 + 0.9 × limit) − 1)
WINDOW_MS = FIVE_MINUTES_MS
NOW = Standing(until_ms=0)  # cannot be shown to stand: the next tick runs


def e1_standing(
    windows: MarkWindows, now_ms: int, limits: E1Limits, *, short_open: bool, mirror: bool
) -> Standing:
    """E1 (and its mirror while a short is open) cannot fire while the mark stays in the band."""
    mark = windows.last_mark
    if mark is None:
        return NOW
    m = float(mark)
    high_5m, low_5m = windows.extremes_5m(now_ms)
    limit = float(max(limits.drop_1m, limits.drop_5m))  # the one closer to zero (negative)
    high = m * (1.0 + E1_BAND)
    low = max(high_5m, high) * (1.0 + E1_SHARE * limit)
    if short_open and mirror:
        high = min(high, min(low_5m, low) * (1.0 - E1_SHARE * limit))
    return Standing(low=low, high=high) if low < m < high else NOW


def h3_standing(account: AccountSnapshot | None) -> Standing:
    """H3 cannot fire while ``equity_btc × mark`` stays at or above $80."""
    if account is None:
        return NOW
    equity = account.equity_btc
    if equity <= 0:
        return NOW
    return above(HARD_STOP_EQUITY_USD / equity)


def e6_standing(position: PositionView | None, warning_pct: Decimal) -> Standing:
    """E6's warning cannot fire while the mark stays outside the warning distance."""
    if position is None or position.contracts <= 0 or position.side is None:
        return ALWAYS
    liq = position.liq_price
    if liq is None or liq <= 0:
        return ALWAYS
    w = max(warning_pct, LIQ_WARNING_MIN_PCT)
    if position.side is Side.LONG:
        return above(liq / (1 - w))
    return below(liq / (1 + w))
