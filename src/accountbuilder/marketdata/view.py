"""The one place that keeps what the core reads about the market and the account.

Updated from exchange events (REST only at start and on F4's triggers). Each datum keeps the
time it was last refreshed, so stale data blocks entries instead of feeding a decision.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from accountbuilder.domain.events import (
    CandleClosed,
    ExchangeEvent,
    MarkPriceUpdated,
    PositionUpdated,
    WalletUpdated,
)
from accountbuilder.domain.models import AccountSnapshot, Candle
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.marketdata.atr import WilderAtr
from accountbuilder.marketdata.daily import DailyRoller

DAY_MS = 86_400_000


def atr_pct_at(atr: WilderAtr, mark: float) -> Decimal | None:
    """``ATR ÷ mark`` as the core reads it (8 decimals), for any mark."""
    pct = atr.pct_of(mark)
    return None if pct is None else Decimal(repr(round(pct, 8)))


@dataclass(frozen=True, slots=True)
class Staleness:
    """How old each datum may be before entries are blocked (ms)."""

    mark_ms: int = 10_000
    account_ms: int = 300_000


@dataclass
class MarketView:
    """Mark/last price, daily ATR, 24 h mean, account and position — with their ages."""

    staleness: Staleness = field(default_factory=Staleness)
    mark_price: Decimal | None = None
    last_price: Decimal | None = None
    mark_ts_ms: int | None = None
    account: AccountSnapshot | None = None
    account_ts_ms: int | None = None
    position: PositionUpdated | None = None
    position_ts_ms: int | None = None
    atr: WilderAtr = field(default_factory=WilderAtr)
    roller: DailyRoller = field(default_factory=DailyRoller)
    last_candle: Candle | None = None  # the last closed base candle (G3: touched the level?)
    _closes: deque = field(default_factory=deque)  # (ts_ms, close) of the last 24 h of minutes
    _close_sum: float = 0.0

    # --- updates ------------------------------------------------------------------------
    def apply(self, event: ExchangeEvent) -> None:
        """Fold one exchange event into the view (events it does not track are ignored)."""
        if isinstance(event, MarkPriceUpdated):
            self.mark_price, self.mark_ts_ms = event.mark_price, event.exchange_ts_ms
            if event.last_price is not None:
                self.last_price = event.last_price
        elif isinstance(event, CandleClosed):
            self._on_candle(event.interval, event.candle)
        elif isinstance(event, WalletUpdated):
            self.account, self.account_ts_ms = event.account, event.exchange_ts_ms
        elif isinstance(event, PositionUpdated):
            self.position, self.position_ts_ms = event, event.exchange_ts_ms

    def seed_daily(self, candles: list[Candle]) -> None:
        """Seed ATR(14) from closed daily candles fetched at start (oldest first)."""
        for c in candles:
            self.atr.update(c.ts_ms, float(c.high), float(c.low), float(c.close))

    def _on_candle(self, interval: str, c: Candle) -> None:
        if interval == "D":
            self.atr.update(c.ts_ms, float(c.high), float(c.low), float(c.close))
            return
        self.last_candle = c
        close = float(c.close)
        self._closes.append((c.ts_ms, close))
        self._close_sum += close
        while self._closes and self._closes[0][0] <= c.ts_ms - DAY_MS:
            self._close_sum -= self._closes.popleft()[1]
        finished = self.roller.add(c.ts_ms, float(c.open), float(c.high), float(c.low), close)
        if finished is not None and (
            self.atr.last_ts_ms is None or finished[0] > self.atr.last_ts_ms
        ):
            self.atr.update(finished[0], finished[2], finished[3], finished[4])

    # --- reads --------------------------------------------------------------------------
    def atr_pct_24h(self) -> Decimal | None:
        """Wilder ATR(14) of daily candles ÷ mark price (SPEC D2); ``None`` until known."""
        if self.mark_price is None:
            return None
        return atr_pct_at(self.atr, float(self.mark_price))

    def atr_pct_daily(self) -> Decimal | None:
        """Wilder ATR(14) of daily candles ÷ the last daily close: the day's volatility, fixed
        until the next daily candle. The grid spacing reads this, not ``atr_pct_24h`` (which
        moves with every mark), so a resting entry's signal stands all day (G3)."""
        pct = self.atr.pct_of_close()
        return None if pct is None else Decimal(repr(round(pct, 8)))

    def mean_price_24h(self) -> Decimal | None:
        if not self._closes:
            return None
        return Decimal(repr(round(self._close_sum / len(self._closes), 2)))

    def staleness_denial(self, now_ms: int) -> Denial | None:
        """``STALE_DATA`` naming the first datum that is missing or too old, else ``None``."""
        checks = (
            ("mark_price", self.mark_ts_ms, self.staleness.mark_ms),
            ("account", self.account_ts_ms, self.staleness.account_ms),
        )
        for name, ts, limit in checks:
            if ts is None:
                return Denial(ReasonCode.STALE_DATA, {"datum": name, "age_ms": "missing"})
            if now_ms - ts > limit:
                return Denial(
                    ReasonCode.STALE_DATA, {"datum": name, "age_ms": now_ms - ts, "max_ms": limit}
                )
        return None

    def to_dict(self) -> dict:
        return {
            "atr": self.atr.to_dict(),
            "roller": self.roller.to_dict(),
        }

    def restore(self, d: dict) -> None:
        self.atr = WilderAtr.from_dict(d["atr"])
        self.roller = DailyRoller.from_dict(d["roller"])
