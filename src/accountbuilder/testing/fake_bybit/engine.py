"""Book-less matching model: BTCUSD inverse, one one-way position, one BTC wallet.

Prices move only when a test (or a candle replay) sets them. An order is *marketable* when
a buy's price is above the last price or a sell's below it (a zero-spread book at the last
price). Market orders and marketable GTC/IOC/FOK limits fill in full at the last price as
taker; a marketable PostOnly is accepted, then Cancelled with ``EC_PostOnlyWillTakeLiquidity``
(reference §4.9); resting limits fill as maker at their own price once the last price trades
through them. Conditional orders wait ``Untriggered`` until their trigger price (per
``triggerBy``) is reached, then turn ``Triggered`` and execute like a new order.
PnL, fees and margin are in BTC and rounded to 1 satoshi per fill.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accountbuilder.domain.enums import Side
from accountbuilder.domain.inverse import (
    fee_btc,
    liquidation_price_cross,
    liquidation_price_isolated,
    pnl_btc,
)
from accountbuilder.testing.fake_bybit.config import FakeConfig
from accountbuilder.testing.fake_bybit.params import (
    ApiError,
    check_symbol,
    parse_amend,
    parse_create,
    positive_decimal,
)
from accountbuilder.testing.fake_bybit.state import SAT, Execution, FakeOrder, FakePosition, to_sat

MARGIN_MODES = frozenset({"ISOLATED_MARGIN", "REGULAR_MARGIN", "PORTFOLIO_MARGIN"})


class Engine:
    """Exchange state plus the matching rules; reports changes through ``emit(topic, obj)``."""

    def __init__(
        self, cfg: FakeConfig, clock: Callable[[], int], emit: Callable[[str, Any], None]
    ) -> None:
        self.cfg = cfg
        self.clock = clock
        self.emit = emit
        self.mark = self.last = cfg.price
        self.orders: dict[str, FakeOrder] = {}
        self.reserved_link_ids: set[str] = set()
        self.executions: list[Execution] = []
        self.position = FakePosition(leverage=cfg.leverage)
        self.wallet_btc = cfg.wallet_btc
        self.margin_mode = cfg.margin_mode

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
        return to_sat(pnl_btc(_side(p.side), p.size, p.entry, self.mark)) if p.size else SAT * 0

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
        """Wallet minus position and order margin, minus unrealised loss."""
        loss = min(self.upnl_btc(), Decimal(0))
        return self.wallet_btc + loss - self.position_im_btc() - self.order_im_btc()

    def liq_price(self) -> Decimal | None:
        """Liquidation price on the tick grid (isolated or cross formula), None when flat."""
        p = self.position
        if not p.size:
            return None
        if self.margin_mode == "ISOLATED_MARGIN":
            lp = liquidation_price_isolated(
                _side(p.side), p.size, p.entry, p.leverage, self.cfg.mmr
            )
        else:
            backing = self.wallet_btc - self.order_im_btc()
            lp = liquidation_price_cross(_side(p.side), p.size, p.entry, backing, self.cfg.mmr)
        if not lp.is_finite() or lp <= 0:
            return None
        tick = self.cfg.tick_size
        return (lp / tick).to_integral_value(ROUND_HALF_UP) * tick

    # ----- price path --------------------------------------------------------------------
    def set_prices(self, mark: Decimal | None = None, last: Decimal | None = None) -> None:
        """Move the prices, then fire triggers and fill resting limits that were traded through."""
        self.mark = self.mark if mark is None else mark
        self.last = self.last if last is None else last
        for o in [o for o in self.orders.values() if o.status == "Untriggered"]:
            if o.status == "Untriggered" and self._trigger_hit(o):
                self._trigger(o)
        for o in [o for o in self.orders.values() if o.status in ("New", "PartiallyFilled")]:
            if o.is_open and o.order_type == "Limit" and self._marketable(o.side, o.price):
                self._fill(o, o.leaves, o.price, maker=True)

    # ----- order entry -------------------------------------------------------------------
    def create(self, body: Mapping[str, Any]) -> FakeOrder:
        """Handle ``/v5/order/create``: validate, store, then match as Bybit would."""
        now = self.clock()
        fields = parse_create(body, self.cfg)
        o = FakeOrder(str(uuid.uuid4()), status="Untriggered", created_ms=now, updated_ms=now,
                      price_on_created=self.last, **fields)  # fmt: skip
        if o.link_id and (o.link_id in self.reserved_link_ids or self.find(link_id=o.link_id)):
            raise ApiError(110072, "OrderLinkedID is duplicate")
        if o.is_conditional:
            self._check_trigger_side(o.trigger_direction, o.trigger_price, o.trigger_by)
        elif o.reduce_only and not self._reducible(o.side):
            raise ApiError(110017, "current position is zero, cannot fix reduce-only order qty")
        elif not o.reduce_only:
            self._check_margin(o)
        self.orders[o.order_id] = o
        if o.is_conditional:
            self.emit("order", o)
        else:
            self._activate(o)
        return o

    def amend(self, body: Mapping[str, Any]) -> FakeOrder:
        """Handle ``/v5/order/amend`` (qty, price, triggerPrice/triggerBy)."""
        check_symbol(body)
        o = self.find(body.get("orderId"), body.get("orderLinkId"))
        if o is None or not o.is_open:
            raise ApiError(110001, "order not exists or too late to replace")
        changes = parse_amend(body, o, self.cfg)
        if not changes:
            raise ApiError(10001, "The order remains unchanged as the parameters entered match the existing ones.")  # fmt: skip
        if "trigger_price" in changes:
            by = changes.get("trigger_by", o.trigger_by)
            self._check_trigger_side(o.trigger_direction, changes["trigger_price"], by)
        for name, value in changes.items():
            setattr(o, name, value)
        o.updated_ms = self.clock()
        if (
            o.status != "Untriggered"
            and o.order_type == "Limit"
            and self._marketable(o.side, o.price)
        ):
            self._take_or_cancel(o)
        else:
            self.emit("order", o)
        return o

    def cancel(self, body: Mapping[str, Any]) -> FakeOrder:
        """Handle ``/v5/order/cancel``; a closed or unknown order → 110001."""
        check_symbol(body)
        o = self.find(body.get("orderId"), body.get("orderLinkId"))
        if o is None or not o.is_open:
            raise ApiError(110001, "order not exists or too late to cancel")
        self.cancel_order(o)
        return o

    def cancel_all(self, body: Mapping[str, Any]) -> list[FakeOrder]:
        """Handle ``/v5/order/cancel-all`` with optional ``orderFilter`` Order | StopOrder."""
        check_symbol(body)
        kind = body.get("orderFilter")
        chosen = [
            o for o in self.orders.values()
            if o.is_open and (kind is None or (kind == "StopOrder") == o.is_conditional)
        ]  # fmt: skip
        for o in chosen:
            self.cancel_order(o)
        return chosen

    def cancel_order(
        self, o: FakeOrder, status: str | None = None, cancel_type: str = "CancelByUser"
    ) -> None:
        """Close an open order as cancelled (an untriggered one per ``stop_cancel_status``)."""
        default = self.cfg.stop_cancel_status if o.status == "Untriggered" else "Cancelled"
        self._close(o, status or default, cancel_type=cancel_type)

    def fill_partially(self, o: FakeOrder, qty: int, price: Decimal | None = None) -> None:
        """Fill ``qty`` of a resting limit order as maker (test control)."""
        if o.status not in ("New", "PartiallyFilled") or not 0 < qty <= o.leaves:
            raise ValueError(f"cannot fill {qty} of order {o.link_id or o.order_id} ({o.status})")
        self._fill(o, qty, price or o.price or self.last, maker=True)

    # ----- position settings -------------------------------------------------------------
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
        if mode == "0":
            raise ApiError(110025, "Position mode has not been modified.")
        raise ApiError(110029 if mode == "3" else 10001, "hedge mode is not available for this symbol")  # fmt: skip

    def set_margin_mode(self, body: Mapping[str, Any]) -> None:
        """Handle ``/v5/account/set-margin-mode`` (account-wide on UTA 2.0)."""
        mode = body.get("setMarginMode")
        if mode not in MARGIN_MODES:
            raise ApiError(10001, "setMarginMode invalid")
        self.margin_mode = mode
        self.emit("position", self.position)

    # ----- matching internals ------------------------------------------------------------
    def _marketable(self, side: str, price: Decimal | None) -> bool:
        return price is not None and (price > self.last if side == "Buy" else price < self.last)

    def _reducible(self, side: str) -> int:
        p = self.position
        return p.size if p.size and p.side != side else 0

    def _trigger_hit(self, o: FakeOrder) -> bool:
        ref = self.ref_price(o.trigger_by)
        assert o.trigger_price is not None
        return ref >= o.trigger_price if o.trigger_direction == 1 else ref <= o.trigger_price

    def _check_trigger_side(self, direction: int, trigger: Decimal, trigger_by: str) -> None:
        ref = self.ref_price(trigger_by)
        if direction == 1 and trigger <= ref:
            raise ApiError(110092, f"expect Rising, but trigger_price[{trigger}] <= current[{ref}]")
        if direction == 2 and trigger >= ref:
            raise ApiError(
                110093, f"expect Falling, but trigger_price[{trigger}] >= current[{ref}]"
            )

    def _check_margin(self, o: FakeOrder) -> None:
        opening = o.qty - self._reducible(o.side)
        if opening <= 0:
            return
        per_contract = 1 / self.position.leverage + self.cfg.taker_fee
        need = Decimal(opening) / (o.price or self.last) * per_contract
        if need > self.available_btc():
            raise ApiError(110007, "ab not enough for new order")

    def _trigger(self, o: FakeOrder) -> None:
        o.status, o.updated_ms = "Triggered", self.clock()
        self.emit("order", o)
        self._activate(o)

    def _activate(self, o: FakeOrder) -> None:
        o.status = "New"
        if o.order_type == "Market" or self._marketable(o.side, o.price):
            self._take_or_cancel(o)
        elif o.tif in ("IOC", "FOK"):
            self._close(o, "Cancelled", reject="EC_NoImmediateQtyToFill")
        else:
            self.emit("order", o)

    def _take_or_cancel(self, o: FakeOrder) -> None:
        if o.tif == "PostOnly":
            self._close(o, "Cancelled", reject="EC_PostOnlyWillTakeLiquidity")
        else:
            self._fill(o, o.leaves, self.last, maker=False)

    def _close(
        self, o: FakeOrder, status: str, reject: str = "EC_NoError", cancel_type: str = "UNKNOWN"
    ) -> None:
        o.status, o.reject_reason, o.cancel_type = status, reject, cancel_type
        o.updated_ms = self.clock()
        self.emit("order", o)

    def _fill(self, o: FakeOrder, qty: int, price: Decimal, maker: bool) -> None:
        if o.reduce_only:
            room = self._reducible(o.side)
            if not room:
                self._close(o, "Cancelled", cancel_type="CancelByReduceOnly")
                return
            if qty > room:  # Bybit shrinks a reduce-only order to the position size
                o.qty, qty = o.cum_qty + room, room
        rate = self.cfg.maker_fee if maker else self.cfg.taker_fee
        fee = to_sat(fee_btc(qty, rate, price))
        closed, pnl = self._apply(o.side, qty, price)
        now = self.clock()
        self.wallet_btc += pnl - fee
        p = self.position
        p.cum_realised += pnl - fee
        p.cur_realised += pnl - fee
        p.updated_ms, p.seq = now, p.seq + 1
        o.cum_qty, o.cum_value = o.cum_qty + qty, o.cum_value + Decimal(qty) / price
        o.cum_fee, o.closed_pnl = o.cum_fee + fee, o.closed_pnl + pnl
        o.status, o.updated_ms = ("Filled" if o.cum_qty >= o.qty else "PartiallyFilled"), now
        snapshot = {"order_id": o.order_id, "link_id": o.link_id, "side": o.side,
                    "order_type": o.order_type, "price": o.price, "qty": o.qty,
                    "leaves": o.leaves, "stop": "Stop" if o.is_conditional else ""}  # fmt: skip
        ex = Execution(str(uuid.uuid4()), snapshot, price, qty, fee, rate, maker, now, closed, pnl, self.mark)  # fmt: skip
        self.executions.append(ex)
        for topic, obj in (("execution", ex), ("order", o), ("position", p), ("wallet", None)):
            self.emit(topic, obj)
        self._drop_stale_reduce_only()

    def _apply(self, side: str, qty: int, price: Decimal) -> tuple[int, Decimal]:
        """Apply a fill to the one-way position; return (closed contracts, realised PnL)."""
        p = self.position
        closed, pnl = 0, Decimal(0)
        if p.size and p.side != side:
            closed = min(qty, p.size)
            pnl = to_sat(pnl_btc(_side(p.side), closed, p.entry, price))
            p.size, qty = p.size - closed, qty - closed
        if qty and p.size:  # harmonic mean entry (reference §7)
            p.entry = Decimal(p.size + qty) / (p.size / p.entry + qty / price)
            p.size += qty
        elif qty:
            p.side, p.size, p.entry = side, qty, price
            p.cur_realised, p.created_ms = Decimal(0), self.clock()
        elif not p.size:
            p.side, p.entry = "", Decimal(0)
        return closed, pnl

    def _drop_stale_reduce_only(self) -> None:
        for o in list(self.orders.values()):
            if o.is_open and o.reduce_only and not o.is_conditional and not self._reducible(o.side):
                self._close(o, "Cancelled", cancel_type="CancelByReduceOnly")


def _side(bybit_side: str) -> Side:
    return Side.LONG if bybit_side == "Buy" else Side.SHORT
