"""Entry working state: PostOnly maker timeout (SPEC G3) and the taker fallback (G4)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from accountbuilder.domain.reasons import Denial, ReasonCode

DAY_MS = 86_400_000
MAKER_TIMEOUTS_FOR_TAKER = 3  # G4: 3 consecutive maker timeouts for the same signal
TAKER_EV_MULTIPLE = Decimal(5)  # G4: expected profit ≥ taker fee × 5
TAKER_FAILURE_BLOCK_MS = 3_600_000  # G4: a failed taker entry blocks entries for 1 h


@dataclass
class MakerTimeouts:
    """Counts consecutive maker timeouts (PostOnly rejections count too) per signal (G3/G4)."""

    signal_id: str | None = None
    count: int = 0
    taker_day: int | None = None  # UTC day index of the last taker entry
    counted: list[str] = field(default_factory=list)  # entry client ids already counted

    def count_once(self, client_id: str) -> bool:
        """True the first time ``client_id`` is counted (an answer and an event may both tell)."""
        if client_id in self.counted:
            return False
        self.counted = [*self.counted[-19:], client_id]
        return True

    def record_timeout(self, signal_id: str) -> int:
        if signal_id != self.signal_id:
            self.signal_id, self.count = signal_id, 0
        self.count += 1
        return self.count

    def record_fill(self, signal_id: str) -> None:
        if signal_id == self.signal_id:
            self.count = 0

    def taker_allowed(
        self, signal_id: str, expected_profit_usd: Decimal, taker_fee_usd: Decimal, now_ms: int
    ) -> Denial | None:
        """G4: one taker entry after 3 maker timeouts, if EV ≥ 5 × taker fee and none today."""
        if signal_id != self.signal_id or self.count < MAKER_TIMEOUTS_FOR_TAKER:
            return Denial(
                ReasonCode.TAKER_NOT_ALLOWED,
                {
                    "maker_timeouts": self.count if signal_id == self.signal_id else 0,
                    "need": MAKER_TIMEOUTS_FOR_TAKER,
                },
            )
        if self.taker_day == now_ms // DAY_MS:
            return Denial(ReasonCode.TAKER_NOT_ALLOWED, {"taker_used_today": True})
        need = taker_fee_usd * TAKER_EV_MULTIPLE
        if expected_profit_usd < need:
            return Denial(
                ReasonCode.TAKER_NOT_ALLOWED,
                {"expected_profit_usd": expected_profit_usd, "need": need},
            )
        return None

    def record_taker(self, now_ms: int) -> None:
        self.taker_day, self.count = now_ms // DAY_MS, 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> MakerTimeouts:
        return cls(**d)


def maker_timed_out(placed_ms: int, now_ms: int, timeout_s: int) -> bool:
    """G3: a PostOnly entry not filled within the maker timeout is cancelled."""
    return now_ms - placed_ms >= timeout_s * 1000
