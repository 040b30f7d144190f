"""A grid entry that waits for its level (SPEC G3) and the taker fallback (G4).

A signal *stands* while its side, level and spacing stay the same: its entry rests; a new
time bucket alone does not replace it (the bucket of G1 only names a new signal when no entry
is working). A **maker timeout** is counted when the market has traded at the entry price
and the order is still unfilled ``maker_timeout_s`` later (it is then cancelled), or when a
PostOnly is refused because the market already passed the level. While timeouts are counted
the signal stands through the level the market ran through (one grid step), so its PostOnly
refusals count against it; after 3 the one G4 taker entry is allowed: an IOC limit at
``mark × (1 ± taker_slippage_cap)``, sized from that worst acceptable price.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from accountbuilder.domain.enums import Side
from accountbuilder.signal.source import Signal

DAY_MS = 86_400_000
MAKER_TIMEOUTS_FOR_TAKER = 3  # G4: 3 consecutive maker timeouts for the same signal
TAKER_EV_MULTIPLE = Decimal(5)  # G4: expected profit ≥ taker fee × 5
TAKER_FAILURE_BLOCK_MS = 3_600_000  # G4: a failed taker entry blocks entries for 1 h


def _key(s: Signal) -> tuple[Side, Decimal, Decimal | None]:
    return s.side, s.level, s.grid_spacing_pct


def ran_through(standing: Signal, proposal: Signal) -> bool:
    """The market passed ``standing``'s level by one grid step (a long's level is now above)."""
    if proposal.side is not standing.side or proposal.grid_spacing_pct != standing.grid_spacing_pct:
        return False
    step = -1 if standing.side is Side.LONG else 1
    return proposal.level == standing.level + step


def touched(side: Side, price: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    """G3: the market traded at the entry price (a buy's at or below it, a sell's at or above)."""
    if side is Side.LONG:
        return low is not None and low <= price
    return high is not None and high >= price


def taker_price(side: Side, mark: Decimal, cap: Decimal, tick: Decimal) -> Decimal:
    """G4: the IOC limit ``mark × (1 ± cap)``, rounded inside the cap (a buy down, a sell up)."""
    raw = mark * (1 + cap) if side is Side.LONG else mark * (1 - cap)
    rounding = ROUND_FLOOR if side is Side.LONG else ROUND_CEILING
    return (raw / tick).to_integral_value(rounding=rounding) * tick


@dataclass
class MakerTimeouts:
    """The standing signal of G3 and its consecutive maker timeouts (G4)."""

    standing: Signal | None = None
    count: int = 0
    taker_day: int | None = None  # UTC day index of the last taker entry
    counted: list[str] = field(default_factory=list)  # entry client ids already counted

    @property
    def signal_id(self) -> str | None:
        return None if self.standing is None else self.standing.signal_id

    def adopt(self, proposal: Signal) -> Signal:
        """The signal to act on: the standing one while it stands, else ``proposal`` (G3)."""
        s = self.standing
        if s is not None and (
            _key(s) == _key(proposal) or (self.count and ran_through(s, proposal))
        ):
            return s
        self.standing, self.count = proposal, 0
        return proposal

    def replace_with(self, proposal: Signal) -> Signal:
        """A proposal of another key becomes the standing signal (what ``adopt`` does when
        no maker timeout is counted and the key changed)."""
        self.standing, self.count = proposal, 0
        return proposal

    def stands(self, proposal: Signal | None) -> bool:
        """G3: the resting entry's signal still stands (same side, level and spacing)."""
        return (
            proposal is not None
            and self.standing is not None
            and _key(self.standing) == _key(proposal)
        )

    def count_once(self, client_id: str) -> bool:
        """True the first time ``client_id`` is counted (an answer and an event may both tell)."""
        if client_id in self.counted:
            return False
        self.counted = [*self.counted[-19:], client_id]
        return True

    def record_timeout(self, client_id: str) -> int:
        """G3: one maker timeout of the standing signal (once per entry order)."""
        if self.count_once(client_id):
            self.count += 1
        return self.count

    def record_fill(self, signal_id: str) -> None:
        if signal_id == self.signal_id:
            self.count = 0

    def record_taker(self, now_ms: int) -> None:
        self.taker_day, self.count = now_ms // DAY_MS, 0

    def taker_due(self, signal: Signal) -> bool:
        """G4: 3 maker timeouts for this signal (EV, the daily limit and D3 are the gates')."""
        return self.signal_id == signal.signal_id and self.count >= MAKER_TIMEOUTS_FOR_TAKER

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["standing"] = None if self.standing is None else _signal_to_dict(self.standing)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MakerTimeouts:
        standing = d.get("standing")
        return cls(
            standing=None if standing is None else _signal_from_dict(standing),
            count=int(d.get("count", 0)),
            taker_day=d.get("taker_day"),
            counted=list(d.get("counted", [])),
        )


def _signal_to_dict(s: Signal) -> dict[str, Any]:
    return {
        "signal_id": s.signal_id,
        "side": s.side.value,
        "entry_price": str(s.entry_price),
        "take_profit_price": str(s.take_profit_price),
        "grid_spacing_pct": None if s.grid_spacing_pct is None else str(s.grid_spacing_pct),
        "level": str(s.level),
        "ts_ms": s.ts_ms,
    }


def _signal_from_dict(d: dict[str, Any]) -> Signal:
    spacing = d["grid_spacing_pct"]
    return Signal(
        d["signal_id"],
        Side(d["side"]),
        Decimal(d["entry_price"]),
        Decimal(d["take_profit_price"]),
        None if spacing is None else Decimal(spacing),
        Decimal(d["level"]),
        int(d["ts_ms"]),
    )


def maker_timed_out(since_ms: int, now_ms: int, timeout_s: int) -> bool:
    """G3: unfilled ``timeout_s`` after the market first traded at the entry price."""
    return now_ms - since_ms >= timeout_s * 1000
