"""Win-rate gating (SPEC D4) over the last 50 closed trades; a win is PnL after fees > 0 (H1)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accountbuilder.domain.reasons import Denial, ReasonCode

WINDOW = 50
SOFT_FROM_N = 10
HARD_FROM_N = 30
BACKTEST_MIN = Decimal("0.55")
SOFT_MIN = Decimal("0.40")
HARD_MIN = Decimal("0.45")
SOFT_SIZE_FACTOR = Decimal("0.5")


def is_win(pnl_after_fees_btc: Decimal) -> bool:
    """H1: a closed trade is a win when its PnL after fees (BTC) is above 0."""
    return pnl_after_fees_btc > 0


@dataclass(frozen=True, slots=True)
class WinRateAssessment:
    """D4's verdict: ``denial`` refuses the entry, ``halt`` asks for a manual HALT,
    ``size_factor`` scales the size multiplier (0.5 under the soft gate)."""

    n: int
    live_rate: Decimal | None
    phase: str  # "backtest" (N < 10), "soft" (10 ≤ N < 30), "hard" (N ≥ 30)
    denial: Denial | None = None
    warning: ReasonCode | None = None
    size_factor: Decimal = Decimal(1)
    halt: bool = False

    def figures(self) -> dict[str, object]:
        out: dict[str, object] = {"n": self.n, "phase": self.phase}
        if self.live_rate is not None:
            out["live_winrate"] = self.live_rate
        if self.size_factor != 1:
            out["size_factor"] = self.size_factor
        return out


@dataclass(frozen=True, slots=True)
class WinRate:
    """Closed-trade count N, the last 50 outcomes (oldest first) and the stored backtest rate."""

    closed: int = 0
    recent: tuple[bool, ...] = ()
    backtest_winrate: Decimal | None = None

    def on_trade_closed(self, pnl_after_fees_btc: Decimal) -> WinRate:
        """Record one closed trade (H1 decides win or loss)."""
        recent = (*self.recent, is_win(pnl_after_fees_btc))[-WINDOW:]
        return WinRate(self.closed + 1, recent, self.backtest_winrate)

    @property
    def live_rate(self) -> Decimal | None:
        if not self.recent:
            return None
        return Decimal(sum(self.recent)) / Decimal(len(self.recent))

    def assess(self) -> WinRateAssessment:
        """D4: N < 10 → backtest ≥ 55%; 10 ≤ N < 30 → live < 40% warns and halves the size;
        N ≥ 30 → live < 45% refuses and asks for a manual HALT."""
        n, rate = self.closed, self.live_rate
        if n < SOFT_FROM_N:
            return self._backtest_phase(n, rate)
        if n < HARD_FROM_N:
            if rate is not None and rate < SOFT_MIN:
                return WinRateAssessment(
                    n,
                    rate,
                    "soft",
                    warning=ReasonCode.WINRATE_SOFT_WARNING,
                    size_factor=SOFT_SIZE_FACTOR,
                )
            return WinRateAssessment(n, rate, "soft")
        if rate is not None and rate < HARD_MIN:
            denial = Denial(
                ReasonCode.WINRATE_HARD_GATE, {"n": n, "live_winrate": rate, "need": HARD_MIN}
            )
            return WinRateAssessment(n, rate, "hard", denial=denial, halt=True)
        return WinRateAssessment(n, rate, "hard")

    def _backtest_phase(self, n: int, rate: Decimal | None) -> WinRateAssessment:
        bt = self.backtest_winrate
        if bt is None:
            denial = Denial(ReasonCode.WINRATE_BACKTEST_MISSING, {"n": n, "need": BACKTEST_MIN})
            return WinRateAssessment(n, rate, "backtest", denial=denial)
        if bt < BACKTEST_MIN:
            denial = Denial(
                ReasonCode.WINRATE_BACKTEST_TOO_LOW,
                {"n": n, "backtest_winrate": bt, "need": BACKTEST_MIN},
            )
            return WinRateAssessment(n, rate, "backtest", denial=denial)
        return WinRateAssessment(n, rate, "backtest")

    def to_dict(self) -> dict[str, Any]:
        return {
            "closed": self.closed,
            "recent": [int(w) for w in self.recent],
            "backtest_winrate": None
            if self.backtest_winrate is None
            else str(self.backtest_winrate),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WinRate:
        bt = data.get("backtest_winrate")
        return cls(
            closed=int(data["closed"]),
            recent=tuple(bool(w) for w in data["recent"]),
            backtest_winrate=None if bt is None else Decimal(bt),
        )
