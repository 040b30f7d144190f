"""The trade in progress: entry and exit fills, fees, funding, and the closed-trade figures (I1).

Inverse averages are harmonic: ``avg = Σqty / Σ(qty/price)``; realised PnL of the closed part
is ``exit_qty × entry_notional/entry_qty − exit_notional`` for a long (mirror for a short).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

from accountbuilder.domain.enums import ExitReason, Liquidity, Side, Stage
from accountbuilder.execution.budget import loss_at_stop_btc

CENT = Decimal("0.01")
_DECIMALS = {
    "leverage",
    "max_loss_btc",
    "stop_price",
    "take_profit_price",
    "est_fee_rate",
    "entry_notional_btc",
    "entry_fees_btc",
    "exit_notional_btc",
    "exit_fees_btc",
    "funding_btc",
    "equity_btc_at_entry",
    "equity_usd_at_entry",
    "estimated_fee_usd",
}
_OPTIONAL_DECIMALS = {"planned_stop_price"}


@dataclass
class OpenTrade:
    """One entry → exit cycle; ``entry_stage`` keeps its stage's rules until close (B1)."""

    signal_id: str
    side: Side
    entry_stage: Stage
    leverage: Decimal
    max_loss_btc: Decimal
    stop_price: Decimal
    take_profit_price: Decimal
    planned_contracts: int
    entry_cid: str
    liquidity: Liquidity
    est_fee_rate: Decimal
    estimated_fee_usd: Decimal
    equity_btc_at_entry: Decimal
    equity_usd_at_entry: Decimal
    created_ms: int
    opened_ms: int | None = None
    entry_qty: int = 0
    entry_notional_btc: Decimal = Decimal(0)
    entry_fees_btc: Decimal = Decimal(0)
    exit_qty: int = 0
    exit_notional_btc: Decimal = Decimal(0)
    exit_fees_btc: Decimal = Decimal(0)
    funding_btc: Decimal = Decimal(0)
    entry_working: bool = True  # G5: the entry order may still fill
    entry_touched_ms: int | None = None  # G3: the market first traded at the entry price
    planned_stop_price: Decimal | None = None  # C3: the stop before a fill moved it inward
    exit_reason: ExitReason | None = None
    closed_ms: int | None = None

    @property
    def open_qty(self) -> int:
        return self.entry_qty - self.exit_qty

    @property
    def entry_price(self) -> Decimal | None:
        return (
            Decimal(self.entry_qty) / self.entry_notional_btc if self.entry_notional_btc else None
        )

    @property
    def exit_price(self) -> Decimal | None:
        return Decimal(self.exit_qty) / self.exit_notional_btc if self.exit_notional_btc else None

    def add_entry_fill(self, qty: int, price: Decimal, fee_btc: Decimal, ts_ms: int) -> bool:
        """Return True for the first fill (B6 counts the trade then)."""
        first = self.entry_qty == 0
        self.entry_qty += qty
        self.entry_notional_btc += Decimal(qty) / price
        self.entry_fees_btc += fee_btc
        if first:
            self.opened_ms = ts_ms
        return first

    def add_exit_fill(self, qty: int, price: Decimal, fee_btc: Decimal, reason: ExitReason) -> None:
        self.exit_qty += qty
        self.exit_notional_btc += Decimal(qty) / price
        self.exit_fees_btc += fee_btc
        self.exit_reason = self.exit_reason or reason

    def loss_at_stop_btc(self) -> Decimal | None:
        """C3/I1: the exact loss of the filled entry if the stop fills at its trigger."""
        if not self.entry_qty:
            return None
        return loss_at_stop_btc(self.side, self.entry_qty, self.entry_notional_btc, self.stop_price)

    def gross_pnl_btc(self) -> Decimal:
        if not self.entry_qty:
            return Decimal(0)
        cost = Decimal(self.exit_qty) * self.entry_notional_btc / Decimal(self.entry_qty)
        diff = cost - self.exit_notional_btc
        return diff if self.side is Side.LONG else -diff

    def fees_btc(self) -> Decimal:
        return self.entry_fees_btc + self.exit_fees_btc

    def net_pnl_btc(self) -> Decimal:
        """PnL after fees and funding (H1: a win when > 0)."""
        return self.gross_pnl_btc() - self.fees_btc() + self.funding_btc

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in _DECIMALS:
            d[k] = str(d[k])
        for k in _OPTIONAL_DECIMALS:
            d[k] = None if d[k] is None else str(d[k])
        d["side"], d["entry_stage"], d["liquidity"] = (
            self.side.value,
            self.entry_stage.value,
            self.liquidity.value,
        )
        d["exit_reason"] = None if self.exit_reason is None else self.exit_reason.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OpenTrade:
        kw = {f.name: d[f.name] for f in fields(cls) if f.name in d}
        for k in _DECIMALS:
            kw[k] = Decimal(kw[k])
        for k in _OPTIONAL_DECIMALS:
            kw[k] = None if kw.get(k) is None else Decimal(kw[k])
        kw["side"], kw["entry_stage"], kw["liquidity"] = (
            Side(d["side"]),
            Stage(d["entry_stage"]),
            Liquidity(d["liquidity"]),
        )
        kw["exit_reason"] = None if d["exit_reason"] is None else ExitReason(d["exit_reason"])
        return cls(**kw)
