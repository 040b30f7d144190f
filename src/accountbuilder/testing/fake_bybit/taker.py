"""Immediate (taker) matching of the fake Bybit: a ladder of liquidity inside price bands.

Each taker match — a market order, a marketable limit (GTC/IOC/FOK), a triggered stop — sees
the ladder afresh (levels are not used up between orders): ``(offset, contracts)`` levels
relative to the last price, asks above it for a buy and bids below it for a sell; ``None`` is
unlimited liquidity at the last price. A match takes levels while their price is within the
order's bound: its limit price, or for a market order (and a triggered market stop)
``mark × (1 ± market_band)`` (Bybit's slippage protection). The resting book on the other side
(its depth, queue position) is not modelled.
"""

from __future__ import annotations

from decimal import Decimal

Ladder = tuple[tuple[Decimal, int], ...] | None
UNLIMITED: tuple[tuple[Decimal, int | None], ...] = ((Decimal(0), None),)


def market_bound(side: str, mark: Decimal, band: Decimal) -> Decimal:
    """The worst price a market order may fill at (Bybit's market-order price protection)."""
    return mark * (1 + band) if side == "Buy" else mark * (1 - band)


def take(side: str, qty: int, bound: Decimal, last: Decimal, ladder: Ladder) -> list[tuple[Decimal, int]]:  # fmt: skip
    """``(price, contracts)`` fills for ``qty`` contracts, never beyond ``bound``."""
    fills: list[tuple[Decimal, int]] = []
    left = qty
    levels: tuple[tuple[Decimal, int | None], ...] = ladder if ladder is not None else UNLIMITED
    for offset, size in levels:
        price = last + offset if side == "Buy" else last - offset
        if price > bound if side == "Buy" else price < bound:
            break
        got = left if size is None else min(left, size)
        if got > 0:
            fills.append((price, got))
            left -= got
        if left == 0:
            break
    return fills
