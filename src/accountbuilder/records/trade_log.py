"""Trade log records (SPEC I1): one record per entry and one per exit.

Money and prices are ``Decimal`` (written as exact strings), contracts are ``int`` (1 = 1 USD).
``pnl_btc`` is after fees and the funding paid or received while the position was open, so a
trade is a win when it is > 0 (SPEC H1) — the same figure the D4 win rate and the D5 streak
count; ``pnl_usd`` is that PnL at the exit price, for display.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from accountbuilder.domain.enums import ExitReason, Liquidity, Side, Stage
from accountbuilder.records.codec import dec, dec_or_none, to_jsonable

_ENUMS: dict[str, type] = {
    "side": Side,
    "stage": Stage,
    "liquidity": Liquidity,
    "exit_reason": ExitReason,
}
_INTS = frozenset({"ts_ms", "contracts"})
_STRS = frozenset(
    {"signal_id", "client_id", "order_id", "entry_client_id", "stop_client_id", "tp_client_id"}
)


def _parse(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """Convert the stored values of ``data`` to the types of ``cls``'s fields."""
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue  # optional fields keep their default; a missing required one fails below
        raw = data[f.name]
        if f.name in _ENUMS:
            kwargs[f.name] = _ENUMS[f.name](raw)
        elif f.name in _INTS:
            kwargs[f.name] = int(raw)
        elif f.name in _STRS:
            kwargs[f.name] = str(raw)
        else:
            kwargs[f.name] = dec_or_none(raw)
    return kwargs


def _check_common(ts_ms: int, contracts: int, prices: Mapping[str, Decimal | None]) -> None:
    if not isinstance(ts_ms, int) or ts_ms < 0:
        raise ValueError(f"ts_ms must be a non-negative int, got {ts_ms!r}")
    if not isinstance(contracts, int) or isinstance(contracts, bool) or contracts < 1:
        raise ValueError(f"contracts must be an int >= 1 (SPEC A2), got {contracts!r}")
    for name, price in prices.items():
        if price is not None and not price > 0:
            raise ValueError(f"{name} must be > 0, got {price}")


@dataclass(frozen=True, slots=True)
class TradeEntryRecord:
    """An entry that filled (its first fill counts toward the day, SPEC B6)."""

    ts_ms: int
    signal_id: str
    client_id: str
    order_id: str
    side: Side
    contracts: int
    entry_price: Decimal
    stop_price: Decimal
    take_profit_price: Decimal | None
    stage: Stage
    leverage: Decimal
    equity_btc: Decimal
    equity_usd: Decimal
    max_loss_btc: Decimal
    estimated_fee_usd: Decimal
    estimated_fee_btc: Decimal
    actual_fee_btc: Decimal
    liquidity: Liquidity = Liquidity.MAKER
    liq_price: Decimal | None = None
    stop_client_id: str = ""
    tp_client_id: str = ""
    loss_at_stop_btc: Decimal | None = None  # C3: the exact loss at the stop from the fill
    planned_stop_price: Decimal | None = None  # C3: the stop before a fill moved it inward

    KIND = "trade_entry"

    def __post_init__(self) -> None:
        _check_common(
            self.ts_ms,
            self.contracts,
            {"entry_price": self.entry_price, "stop_price": self.stop_price},
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-ready values, tagged ``"record": "trade_entry"``."""
        out = {f.name: to_jsonable(getattr(self, f.name)) for f in fields(self)}
        return {"record": self.KIND, **out}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TradeEntryRecord:
        """Rebuild a record from ``to_dict()`` output (or any dict of the same fields)."""
        return cls(**_parse(cls, data))


@dataclass(frozen=True, slots=True)
class TradeExitRecord:
    """A closed trade: the whole round trip's prices, fees and PnL.

    ``gross_pnl_btc`` is the inverse PnL of the fills (SPEC A2); ``actual_fee_btc`` is the sum
    of the exchange's ``execFee`` for entry and exit (negative for a rebate); ``funding_btc``
    is the funding settled while the position was open (received > 0, paid < 0).
    """

    ts_ms: int
    signal_id: str
    client_id: str
    order_id: str
    entry_client_id: str
    side: Side
    contracts: int
    entry_price: Decimal
    exit_price: Decimal
    stop_price: Decimal | None
    take_profit_price: Decimal | None
    stage: Stage
    leverage: Decimal
    equity_btc: Decimal
    equity_usd: Decimal
    max_loss_btc: Decimal
    estimated_fee_usd: Decimal
    estimated_fee_btc: Decimal
    actual_fee_btc: Decimal
    gross_pnl_btc: Decimal
    exit_reason: ExitReason
    funding_btc: Decimal = Decimal(0)
    liquidity: Liquidity = Liquidity.MAKER  # how the entry filled (G3/G4)
    loss_at_stop_btc: Decimal | None = None  # C3: the exact planned loss from the fill

    KIND = "trade_exit"

    def __post_init__(self) -> None:
        _check_common(
            self.ts_ms,
            self.contracts,
            {"entry_price": self.entry_price, "exit_price": self.exit_price},
        )

    @property
    def pnl_btc(self) -> Decimal:
        """PnL after fees and funding, BTC (SPEC H1)."""
        return self.gross_pnl_btc - self.actual_fee_btc + self.funding_btc

    @property
    def pnl_usd(self) -> Decimal:
        """PnL after fees at the exit price, USD (display)."""
        return self.pnl_btc * self.exit_price

    @property
    def is_win(self) -> bool:
        """A win is PnL after fees > 0 (SPEC H1)."""
        return self.pnl_btc > 0

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-ready values, with ``pnl_btc``, ``pnl_usd`` and ``win``."""
        out = {f.name: to_jsonable(getattr(self, f.name)) for f in fields(self)}
        derived = {"pnl_btc": str(self.pnl_btc), "pnl_usd": str(self.pnl_usd), "win": self.is_win}
        return {"record": self.KIND, **out, **derived}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TradeExitRecord:
        """Rebuild a record from ``to_dict()`` output; derived keys are checked, not trusted."""
        record = cls(**_parse(cls, data))
        if "pnl_btc" in data and dec(data["pnl_btc"]) != record.pnl_btc:
            raise ValueError("pnl_btc does not equal gross_pnl_btc - actual_fee_btc + funding_btc")
        return record


TradeRecord = TradeEntryRecord | TradeExitRecord


def trade_from_dict(data: Mapping[str, Any]) -> TradeRecord:
    """Rebuild an entry or exit record from its ``to_dict()`` form (by its ``record`` tag)."""
    kind = data.get("record")
    if kind == TradeEntryRecord.KIND:
        return TradeEntryRecord.from_dict(data)
    if kind == TradeExitRecord.KIND:
        return TradeExitRecord.from_dict(data)
    raise ValueError(f"not a trade record: record={kind!r}")
