"""The emergency rules as pure functions: each looks at its inputs and returns findings.

E1 (price moves, with the short mirror), E2 (latency), E3 (balance anomaly), E6 (liquidation
warning or event), H3 (equity below $80), F3 (WS DEGRADED too long), and E4's calm test.
``EmergencyChecker`` feeds them; they hold no state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Protocol

from accountbuilder.constants import (
    E1_DROP_1M_LIMIT,
    E1_DROP_5M_LIMIT,
    E4_CALM_1M_LIMIT,
    E4_CALM_5M_LIMIT,
    HARD_STOP_EQUITY_USD,
)
from accountbuilder.domain.enums import HaltKind, Side
from accountbuilder.domain.events import PositionLiquidated
from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.domain.reasons import Denial, ReasonCode
from accountbuilder.emergency.actions import EntryBlock, halt_block
from accountbuilder.emergency.windows import Moves
from accountbuilder.health.latency import LatencyStatus
from accountbuilder.health.ws_health import WsStatus

LIQ_WARNING_MIN_PCT = Decimal("0.10")  # SPEC E6 default; config may only widen it


@dataclass(frozen=True, slots=True)
class Finding:
    """One emergency condition: its reason, the HALT kind (None: a block, not a halt), what it
    does to the entry side, and the figures that led to it."""

    reason: ReasonCode
    kind: HaltKind | None
    action: EntryBlock
    figures: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "figures", MappingProxyType(dict(self.figures)))

    @property
    def is_halt(self) -> bool:
        return self.kind is not None

    def __str__(self) -> str:
        kind = self.kind.value if self.kind else "block"
        return f"{Denial(self.reason, self.figures)} [{kind}]"


def halt(reason: ReasonCode, kind: HaltKind, figures: Mapping[str, Any]) -> Finding:
    return Finding(reason, kind, halt_block(reason), figures)


class PositionView(Protocol):
    """What E1's mirror and E6 read of a position (``Position`` or ``ExchangePosition``)."""

    side: Side | None
    contracts: int
    liq_price: Decimal | None


def is_short_open(position: PositionView | None) -> bool:
    return position is not None and position.contracts > 0 and position.side is Side.SHORT


@dataclass(frozen=True, slots=True)
class WorstMoves:
    """The most extreme moves since the previous check, each with the mark that made it."""

    drop_1m: Moves
    drop_5m: Moves
    rise_1m: Moves
    rise_5m: Moves

    @classmethod
    def of(cls, moves: Moves) -> WorstMoves:
        return cls(moves, moves, moves, moves)

    def merge(self, m: Moves) -> WorstMoves:
        return WorstMoves(
            drop_1m=m if m.drop_1m < self.drop_1m.drop_1m else self.drop_1m,
            drop_5m=m if m.drop_5m < self.drop_5m.drop_5m else self.drop_5m,
            rise_1m=m if m.rise_1m > self.rise_1m.rise_1m else self.rise_1m,
            rise_5m=m if m.rise_5m > self.rise_5m.rise_5m else self.rise_5m,
        )


@dataclass(frozen=True, slots=True)
class E1Limits:
    """E1 halt thresholds; config may only tighten them (a looser value is clamped back)."""

    drop_1m: Decimal = E1_DROP_1M_LIMIT
    drop_5m: Decimal = E1_DROP_5M_LIMIT

    @classmethod
    def tightened(cls, drop_1m: Decimal, drop_5m: Decimal) -> E1Limits:
        return cls(max(drop_1m, E1_DROP_1M_LIMIT), max(drop_5m, E1_DROP_5M_LIMIT))


def _move_figures(name: str, value: Decimal, limit: Decimal, m: Moves, ref: str) -> dict:
    ref_price = getattr(m, ref)
    return {name: value, "limit": limit, "mark": m.mark, ref: ref_price, "at_ms": m.ts_ms}


def e1_findings(
    worst: WorstMoves, limits: E1Limits, *, short_open: bool, mirror: bool
) -> list[Finding]:
    """E1: drop_1m <= -10% / drop_5m <= -20%; the +10% / +20% mirror while a short is open."""
    found = []
    checks = [
        (ReasonCode.DROP_1M, "drop_1m", worst.drop_1m, limits.drop_1m, "high_1m"),
        (ReasonCode.DROP_5M, "drop_5m", worst.drop_5m, limits.drop_5m, "high_5m"),
    ]
    if short_open and mirror:
        checks += [
            (ReasonCode.RISE_1M, "rise_1m", worst.rise_1m, -limits.drop_1m, "low_1m"),
            (ReasonCode.RISE_5M, "rise_5m", worst.rise_5m, -limits.drop_5m, "low_5m"),
        ]
    for reason, name, moves, limit, ref in checks:
        value = getattr(moves, name)
        breached = value <= limit if limit < 0 else value >= limit
        if breached:
            found.append(
                halt(reason, HaltKind.TEMPORARY, _move_figures(name, value, limit, moves, ref))
            )
    return found


def market_calm(worst: WorstMoves | None, *, short_open: bool, mirror: bool) -> tuple[bool, dict]:
    """E4's calm test: drop_1m > -5% and drop_5m > -10% (and the mirror while a short is open).

    No mark yet means the market cannot be shown calm.
    """
    if worst is None:
        return False, {"mark": None}
    d1, d5 = worst.drop_1m.drop_1m, worst.drop_5m.drop_5m
    figures: dict[str, Any] = {"drop_1m": d1, "drop_5m": d5}
    calm = d1 > E4_CALM_1M_LIMIT and d5 > E4_CALM_5M_LIMIT
    if short_open and mirror:
        r1, r5 = worst.rise_1m.rise_1m, worst.rise_5m.rise_5m
        figures.update(rise_1m=r1, rise_5m=r5)
        calm = calm and r1 < -E4_CALM_1M_LIMIT and r5 < -E4_CALM_5M_LIMIT
    return calm, figures


def e2_finding(status: LatencyStatus) -> Finding | None:
    """E2: latency >= 5 s -> cancel entry orders and block entries (not a HALT)."""
    block = status.block()
    if block is None:
        return None
    return Finding(ReasonCode.LATENCY_HIGH, None, block, status.figures())


def e3_h3_findings(account: AccountSnapshot | Denial, mark: Decimal | None) -> list[Finding]:
    """E3: a balance anomaly halts (manual). H3: equity_usd < 80 halts (manual)."""
    if isinstance(account, Denial):
        return [halt(ReasonCode.BALANCE_ANOMALY, HaltKind.MANUAL, account.figures)]
    if mark is None:
        return []
    equity_usd = account.equity_usd(mark)
    if equity_usd < HARD_STOP_EQUITY_USD:
        figures = {
            "equity_usd": equity_usd,
            "limit": HARD_STOP_EQUITY_USD,
            "equity_btc": account.equity_btc,
            "mark": mark,
        }
        return [halt(ReasonCode.EQUITY_BELOW_80, HaltKind.MANUAL, figures)]
    return []


def liq_distance(side: Side, mark: Decimal, liq_price: Decimal) -> Decimal:
    """How far the mark is from liquidation, as a fraction of the mark (<= 0: beyond it)."""
    gap = mark - liq_price if side is Side.LONG else liq_price - mark
    return gap / mark


def e6_findings(
    position: PositionView | None,
    mark: Decimal | None,
    warning_pct: Decimal,
    liquidations: Sequence[PositionLiquidated] = (),
) -> list[Finding]:
    """E6: mark within ``warning_pct`` of the exchange's liqPrice, or a liquidation/ADL event."""
    found = []
    if liquidations:
        last = liquidations[-1]
        figures = {"events": len(liquidations), "side": last.side.value, "price": last.price}
        found.append(halt(ReasonCode.LIQUIDATION_EVENT, HaltKind.MANUAL, figures))
    if position is None or position.contracts <= 0 or position.side is None or mark is None:
        return found
    liq = position.liq_price
    if liq is None or liq <= 0:  # Bybit sends "" when the price would be out of range
        return found
    limit = max(warning_pct, LIQ_WARNING_MIN_PCT)
    distance = liq_distance(position.side, mark, liq)
    if distance <= limit:
        figures = {"distance": distance, "limit": limit, "mark": mark, "liq_price": liq}
        found.append(halt(ReasonCode.LIQUIDATION_WARNING, HaltKind.MANUAL, figures))
    return found


def f3_finding(ws: WsStatus | None) -> Finding | None:
    """F3: DEGRADED for 60 s in a row -> HALT (temporary)."""
    if ws is None or not ws.halt_due:
        return None
    return halt(ReasonCode.WS_DEGRADED_TIMEOUT, HaltKind.TEMPORARY, ws.figures())
