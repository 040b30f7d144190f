"""The fake account: wallet, the one BTCUSD position, margin figures and account settings.

``Engine`` (matching) builds on it. Figures are in BTC, rounded to 1 satoshi. The account is
UTA 2.0: the margin mode is account-wide, so ``set_margin_mode`` answers 3400045 with its
reasons while any position (BTCUSD or another symbol) or open order exists — the reasons
follow the docs' sample ("no positions", "no active orders").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accountbuilder.domain.enums import Side
from accountbuilder.domain.inverse import (
    liquidation_price_cross,
    liquidation_price_isolated,
    pnl_btc,
)
from accountbuilder.testing.fake_bybit.config import FakeConfig
from accountbuilder.testing.fake_bybit.params import ApiError, check_symbol, positive_decimal
from accountbuilder.testing.fake_bybit.state import SAT, Execution, FakeOrder, FakePosition, to_sat

MARGIN_MODES = frozenset({"ISOLATED_MARGIN", "REGULAR_MARGIN", "PORTFOLIO_MARGIN"})


def side_of(bybit_side: str) -> Side:
    return Side.LONG if bybit_side == "Buy" else Side.SHORT


class AccountState:
    """Wallet, position and orders of the one account; changes go out through ``emit``."""

    def __init__(
        self, cfg: FakeConfig, clock: Callable[[], int], emit: Callable[[str, Any], None]
    ) -> None:
        self.cfg, self.clock, self.emit = cfg, clock, emit
        self.mark = self.last = cfg.price
        self.orders: dict[str, FakeOrder] = {}
        self.executions: list[Execution] = []
        self.position = FakePosition(leverage=cfg.leverage)
        self.wallet_btc = cfg.wallet_btc
        self.margin_mode = cfg.margin_mode
        self.other_coins: dict[str, Decimal] = dict(cfg.other_coins)
        self.other_positions = list(cfg.other_positions)
        self.locked_btc = Decimal(0)  # margin held elsewhere on the account (test control)

    # ----- lookups and derived figures -------------------------------------------------
    def find(self, order_id: str | None = None, link_id: str | None = None) -> FakeOrder | None:
        """The order with this id (``orderId`` wins), newest first for ``orderLinkId``."""
        if order_id:
            return self.orders.get(order_id)
        matches = [o for o in self.orders.values() if link_id and o.link_id == link_id]
        return matches[-1] if matches else None

    def ref_price(self, trigger_by: str) -> Decimal:
        """Last price for ``LastPrice``, else the mark (index = mark here)."""
        return self.last if trigger_by == "LastPrice" else self.mark

    def upnl_btc(self) -> Decimal:
        """Unrealised PnL of the position at the mark price."""
        p = self.position
        return to_sat(pnl_btc(side_of(p.side), p.size, p.entry, self.mark)) if p.size else SAT * 0

    def position_im_btc(self) -> Decimal:
        """Initial margin of the position: ``size / entry / leverage``."""
        p = self.position
        return to_sat(p.size / p.entry / p.leverage) if p.size else SAT * 0

    def order_im_btc(self) -> Decimal:
        """Initial margin held by open, non-reduce-only, non-conditional orders."""
        held = sum(
            (o.leaves / (o.price or self.last) / self.position.leverage)
            for o in self.orders.values()
            if o.is_open and not o.reduce_only and not o.is_conditional
        )
        return to_sat(Decimal(held))

    def available_btc(self) -> Decimal:
        """Wallet minus position, order and locked margin, minus unrealised loss."""
        loss = min(self.upnl_btc(), Decimal(0))
        held = self.position_im_btc() + self.order_im_btc() + self.locked_btc
        return self.wallet_btc + loss - held

    def liq_price(self) -> Decimal | None:
        """Liquidation price on the tick grid (isolated or cross formula), None when flat."""
        p = self.position
        if not p.size:
            return None
        side = side_of(p.side)
        if self.margin_mode == "ISOLATED_MARGIN":
            lp = liquidation_price_isolated(side, p.size, p.entry, p.leverage, self.cfg.mmr)
        else:
            backing = self.wallet_btc - self.order_im_btc()
            lp = liquidation_price_cross(side, p.size, p.entry, backing, self.cfg.mmr)
        if not lp.is_finite() or lp <= 0:
            return None
        tick = self.cfg.tick_size
        return (lp / tick).to_integral_value(ROUND_HALF_UP) * tick

    # ----- account settings ------------------------------------------------------------
    def set_leverage(self, body: Mapping[str, Any]) -> None:
        """Handle ``/v5/position/set-leverage``; the same value again → 110043."""
        check_symbol(body)
        buy = positive_decimal(body.get("buyLeverage"), "buyLeverage")
        if buy != positive_decimal(body.get("sellLeverage"), "sellLeverage"):
            raise ApiError(10001, "buy leverage must equal sell leverage in one-way mode")
        if not 1 <= buy <= 100:
            raise ApiError(10001, "leverage invalid")
        if buy == self.position.leverage:
            raise ApiError(110043, "Set leverage has not been modified.")
        self.position.leverage = buy
        self.emit("position", self.position)

    def switch_mode(self, body: Mapping[str, Any]) -> None:
        """Handle ``/v5/position/switch-mode``: inverse on UTA 2.0 is one-way only."""
        check_symbol(body)
        mode = str(body.get("mode"))
        if mode == "0" and self.cfg.position_mode == "one-way":
            raise ApiError(110025, "Position mode has not been modified.")
        raise ApiError(110029 if mode == "3" else 10001, "position mode switching is not available for this symbol")  # fmt: skip

    def set_margin_mode(self, body: Mapping[str, Any]) -> None:
        """Handle ``/v5/account/set-margin-mode`` (account-wide on UTA 2.0)."""
        mode = body.get("setMarginMode")
        if mode not in MARGIN_MODES:
            raise ApiError(10001, "setMarginMode invalid")
        reasons = self._margin_mode_blockers()
        if reasons:
            raise ApiError(3400045, "Set margin mode failed", {"reasons": reasons})
        self.margin_mode = mode
        self.emit("position", self.position)

    def _margin_mode_blockers(self) -> list[dict[str, str]]:
        reasons = []
        if any(o.is_open for o in self.orders.values()):
            reasons.append({"reasonCode": "3400102", "reasonMsg": "Please ensure that there are no active orders in your account, including Limit, Market and Conditional orders"})  # fmt: skip
        if self.position.size or self.other_positions:
            reasons.append({"reasonCode": "3400101", "reasonMsg": "Please ensure that there are no positions in your account"})  # fmt: skip
        return reasons
