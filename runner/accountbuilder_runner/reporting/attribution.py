"""What came from trading and what from BTC's move, for a BTC-margined account (SPEC A1).

With ``B₀``, ``P₀`` (equity in BTC and the price) at the account's start and ``B``, ``P`` at
the moment measured, the USD change ``B×P − B₀×P₀`` splits exactly into

- the **price effect** ``B₀ × (P − P₀)``: what the starting BTC gained or lost with the price
  (the hold-BTC baseline ``B₀ × P`` minus the start), and
- the **trading effect** ``(B − B₀) × P``: the BTC that trading added or lost, at today's price.

Everything is exact ``Decimal`` arithmetic, so the two sum to the change to the last digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")
SATOSHI = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class Attribution:
    start_btc: Decimal  # B₀
    start_price: Decimal  # P₀
    btc: Decimal  # B
    price: Decimal  # P

    @property
    def start_usd(self) -> Decimal:
        return self.start_btc * self.start_price

    @property
    def usd(self) -> Decimal:
        return self.btc * self.price

    @property
    def usd_change(self) -> Decimal:
        return self.usd - self.start_usd

    @property
    def price_effect_usd(self) -> Decimal:
        return self.start_btc * (self.price - self.start_price)

    @property
    def trading_effect_usd(self) -> Decimal:
        return (self.btc - self.start_btc) * self.price

    @property
    def trading_pnl_btc(self) -> Decimal:
        """``B − B₀``: what trading added in BTC (closed trades plus an open one's uPnL)."""
        return self.btc - self.start_btc

    @property
    def hold_btc_usd(self) -> Decimal:
        """The equity had the account never traded: ``B₀ × P``."""
        return self.start_btc * self.price

    def share(self, effect: Decimal) -> Decimal | None:
        """``effect`` as a share of the USD change (None when nothing changed). The two shares
        sum to 1; one exceeds 1 when the other went the opposite way."""
        change = self.usd_change
        return None if change == 0 else effect / change

    def to_json(self) -> dict[str, Any]:
        price_share = self.share(self.price_effect_usd)
        trading_share = self.share(self.trading_effect_usd)
        return {
            "start_btc": str(self.start_btc),
            "start_price": str(self.start_price),
            "btc": str(self.btc),
            "price": str(self.price),
            "usd_change": str(self.usd_change),
            "price_effect_usd": str(self.price_effect_usd),
            "trading_effect_usd": str(self.trading_effect_usd),
            "price_share": None if price_share is None else float(round(price_share, 4)),
            "trading_share": None if trading_share is None else float(round(trading_share, 4)),
            "trading_pnl_btc": str(self.trading_pnl_btc),
            "hold_btc_usd": str(self.hold_btc_usd),
        }

    def line(self) -> str:
        """One line for a terminal: change = price effect + trading effect."""
        return (
            f"${_usd(self.usd_change)} = price ${_usd(self.price_effect_usd)}"
            f" + trading ${_usd(self.trading_effect_usd)}"
            f" ({_sat(self.trading_pnl_btc)} BTC); hold BTC ${self.hold_btc_usd.quantize(CENT)}"
        )


def _usd(x: Decimal) -> str:
    return f"{x.quantize(CENT):+,}"


def _sat(x: Decimal) -> str:
    return f"{x.quantize(SATOSHI):+}"
