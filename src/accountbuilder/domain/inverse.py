"""Inverse-contract arithmetic (SPEC A2, A3): exact, in Decimal."""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.domain.enums import Side


def pnl_btc(side: Side, contracts: int, entry: Decimal, exit_: Decimal) -> Decimal:
    """PnL in BTC: long ``C × (1/entry − 1/exit)``, short ``C × (1/exit − 1/entry)`` (A2)."""
    c = Decimal(contracts)
    if side is Side.LONG:
        return c / entry - c / exit_
    return c / exit_ - c / entry


def position_value_btc(contracts: int, price: Decimal) -> Decimal:
    """Position value in BTC: ``C / price``."""
    return Decimal(contracts) / price


def fee_usd(contracts: int, fee_rate: Decimal) -> Decimal:
    """Fee in USD: ``contracts × fee_rate`` (A3; price cancels)."""
    return Decimal(contracts) * fee_rate


def fee_btc(contracts: int, fee_rate: Decimal, price: Decimal) -> Decimal:
    """Fee in BTC: ``contracts × fee_rate / price`` (A3)."""
    return Decimal(contracts) * fee_rate / price
