"""``EmergencyChecker``: priority 0 of every tick (SPEC E1-E7, H3, F3).

Feed it every mark (``on_mark``) and every latency sample as they arrive; call ``check`` once
at the top of each tick. ``check`` judges the most extreme moves seen since the previous check
(not only the latest mark), so a spike between two ticks is never missed, and it says whether
the tick was calm for E4. Hand its report to ``halts.check_on``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from accountbuilder.config.models import EmergencyConfig
from accountbuilder.domain.events import PositionLiquidated
from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.domain.reasons import Denial
from accountbuilder.emergency.actions import EntryBlock
from accountbuilder.emergency.balance import assess_snapshot
from accountbuilder.emergency.rules import (
    E1Limits,
    Finding,
    PositionView,
    WorstMoves,
    e1_findings,
    e2_finding,
    e3_h3_findings,
    e6_findings,
    f3_finding,
    is_short_open,
    market_calm,
)
from accountbuilder.emergency.windows import MarkWindows, Moves
from accountbuilder.health.latency import LatencyTracker
from accountbuilder.health.ws_health import WsStatus

__all__ = ["CheckReport", "EmergencyChecker", "Finding"]


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What one check found, and whether the tick counts as calm for E4.

    ``calm`` is E4's market test (and its mirror while a short is open) AND, when a WS status
    was given, WS being healthy: a temporary halt recovers only after 5 minutes of both (F3).
    """

    now_ms: int
    findings: tuple[Finding, ...]
    calm: bool
    calm_figures: Mapping[str, Any] = field(default_factory=dict)
    mark: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "calm_figures", MappingProxyType(dict(self.calm_figures)))

    @property
    def halts(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_halt)

    @property
    def blocks(self) -> tuple[EntryBlock, ...]:
        """The non-halt blocks (E2) to apply to the entry side."""
        return tuple(f.action for f in self.findings if not f.is_halt)


class EmergencyChecker:
    """Holds the mark windows and the latency tracker; ``check`` applies the rules."""

    def __init__(self, config: EmergencyConfig | None = None) -> None:
        self.config = config if config is not None else EmergencyConfig()
        self.limits = E1Limits.tightened(self.config.drop_1m_halt, self.config.drop_5m_halt)
        self.windows = MarkWindows()
        self.latency = LatencyTracker.from_config(self.config)
        self._worst: WorstMoves | None = None

    def on_mark(self, now_ms: int, price: Decimal) -> Moves:
        """Record a mark price (E1, E4, E6 read it)."""
        moves = self.windows.on_mark(now_ms, price)
        self._worst = WorstMoves.of(moves) if self._worst is None else self._worst.merge(moves)
        return moves

    def on_rest_round_trip(self, now_ms: int, rtt_ms: float) -> None:
        self.latency.on_rest_round_trip(now_ms, rtt_ms)

    def on_ws_event_age(self, now_ms: int, age_ms: float) -> None:
        self.latency.on_ws_event_age(now_ms, age_ms)

    def check(
        self,
        now_ms: int,
        account: AccountSnapshot | Denial | None,
        position: PositionView | None,
        *,
        ws: WsStatus | None = None,
        liquidations: Sequence[PositionLiquidated] = (),
    ) -> CheckReport:
        """Apply E1, E2, E3, E6, H3 and F3 at ``now_ms``; call once per tick.

        ``account`` is a snapshot (checked again by E3's rules), the ``Denial`` that
        ``balance.assess_balance`` returned for a bad wallet answer, or None when none came.
        ``liquidations`` are the liquidation/ADL events received since the previous check.
        """
        worst = self._take_worst(now_ms)
        mark = self.windows.last_mark
        short_open = is_short_open(position)
        mirror = self.config.mirror_for_short
        if not isinstance(account, Denial):
            account = assess_snapshot(account, now_ms)

        findings: list[Finding] = []
        if worst is not None:
            findings += e1_findings(worst, self.limits, short_open=short_open, mirror=mirror)
        latency = e2_finding(self.latency.status(now_ms))
        findings += [latency] if latency else []
        findings += e3_h3_findings(account, mark)
        findings += e6_findings(position, mark, self.config.liq_warning_pct, liquidations)
        degraded = f3_finding(ws)
        findings += [degraded] if degraded else []

        calm, figures = market_calm(worst, short_open=short_open, mirror=mirror)
        if ws is not None:
            figures["ws_healthy"] = ws.healthy
            calm = calm and ws.healthy
        return CheckReport(now_ms, tuple(findings), calm, figures, mark)

    def _take_worst(self, now_ms: int) -> WorstMoves | None:
        """The worst moves since the last check, merged with the windows as they stand now."""
        current = self.windows.moves(now_ms)
        worst = self._worst
        self._worst = None
        if current is None:
            return worst
        return WorstMoves.of(current) if worst is None else worst.merge(current)
