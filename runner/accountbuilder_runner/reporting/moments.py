"""Two moments that are never mixed: the end of trading and the end of the data.

The **end of trading** is the moment the account stopped trading for good: the manual HALT
(E5: nobody resets it in a replay), the SUCCESS moment (H2: $1,000 reached, no new entries)
or the FAILURE moment (the 18-month failure HALT, or 548 days without $1,000). A run still
trading when the data ends has no such moment: both are the end of the data. After the end of
trading the collateral only floats with BTC's price; figures measured there say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accountbuilder.constants import FAILURE_AFTER_DAYS
from accountbuilder.domain.enums import Outcome
from accountbuilder_runner.reporting.attribution import Attribution

DAY_MS = 86_400_000
END_OF_TRADING, END_OF_DATA = "end of trading", "end of data"


@dataclass(frozen=True, slots=True)
class TradingEnd:
    """When and why trading ended; ``ts_ms`` None: the account was still trading at the end."""

    ts_ms: int | None
    outcome: Outcome
    cause: str


def trading_end(
    outcome: Outcome,
    start_ms: int,
    first_manual_halt: tuple[int, str] | None,
    reached_1000_ms: int | None,
) -> TradingEnd:
    """The end-of-trading moment for a run whose outcome (SPEC H2/E5) is ``outcome``."""
    if outcome is Outcome.SUCCESS and reached_1000_ms is not None:
        return TradingEnd(reached_1000_ms, outcome, "SUCCESS: equity reached $1,000 (H2)")
    if outcome is Outcome.FAILURE:
        deadline = start_ms + FAILURE_AFTER_DAYS * DAY_MS
        at = deadline if first_manual_halt is None else min(first_manual_halt[0], deadline)
        return TradingEnd(at, outcome, f"FAILURE: {FAILURE_AFTER_DAYS} days without $1,000 (H2)")
    if outcome is Outcome.HALTED and first_manual_halt is not None:
        at, reason = first_manual_halt
        return TradingEnd(at, outcome, f"HALT (manual): {reason}")
    return TradingEnd(None, outcome, "still trading when the data ended")


@dataclass(frozen=True, slots=True)
class Moment:
    """Figures at one moment: equity (exact BTC, USD at the close), trades closed by then, and
    the attribution of the USD change since the start."""

    label: str
    ts_ms: int
    start_ms: int
    trades: int
    attribution: Attribution

    @property
    def days(self) -> float:
        """Days since the account's start."""
        return (self.ts_ms - self.start_ms) / DAY_MS

    @property
    def equity_btc(self) -> Decimal:
        return self.attribution.btc

    @property
    def equity_usd(self) -> Decimal:
        return self.attribution.usd

    def to_json(self, iso) -> dict[str, Any]:
        return {
            "label": self.label,
            "at": iso(self.ts_ms),
            "days": round(self.days, 2),
            "equity_usd": float(round(self.equity_usd, 2)),
            "equity_btc": float(round(self.equity_btc, 8)),
            "price": str(self.attribution.price),
            "trades": self.trades,
            "attribution": self.attribution.to_json(),
        }
