"""Matching model of the fake Bybit: BTCUSD inverse, one one-way position, one account.

Prices move only when a test (or a candle replay) sets them. An order is *marketable* when
a buy's price is above the last price or a sell's below it. Immediate matches go through
``taker.take`` (a configurable ladder, unlimited at the last price by default, inside the
order's limit or the market band): market orders and IOC limits fill what they find and the
rest is cancelled; FOK fills in full or not at all; a marketable GTC limit rests its rest; a
marketable PostOnly is accepted, then Cancelled with ``EC_PostOnlyWillTakeLiquidity``
(reference §4.9). Resting limits fill as maker at their own price once the last price trades
through them. Conditional orders wait ``Untriggered`` until their trigger price (per
``triggerBy``) is reached, then turn ``Triggered``; at that moment a conditional order without
``closeOnTrigger`` is cancelled when the account lacks the margin for it, while one with it
cancels the account's other open orders to make room and executes like a market order.
PnL, fees and margin are in BTC and rounded to 1 satoshi per fill. Funding, liquidation and
ADL: ``account_events.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from accountbuilder.domain.inverse import fee_btc, pnl_btc
from accountbuilder.testing.fake_bybit import taker
from accountbuilder.testing.fake_bybit.account_state import AccountState, side_of
from accountbuilder.testing.fake_bybit.params import (
    ApiError,
    check_symbol,
    parse_amend,
    parse_create,
)
from accountbuilder.testing.fake_bybit.state import Execution, FakeOrder, to_sat


class Engine(AccountState):
    """Exchange state plus the matching rules; reports changes through ``emit(topic, obj)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reserved_link_ids: set[str] = set()
        self.reject_next: list[str] = []  # reasons: the next creates are acked, then Rejected
        self.ladder: taker.Ladder = self.cfg.taker_ladder

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
        self._check_price_band(o.side, o.price)
        if o.is_conditional:
            self._check_conditional(o)
        elif o.reduce_only and not self._reducible(o.side):
            raise ApiError(110017, "current position is zero, cannot fix reduce-only order qty")
        elif not o.reduce_only:
            self._check_margin(o)
        self.orders[o.order_id] = o
        if self.reject_next:  # accepted by the gateway, refused by the matching engine
            self._close(o, "Rejected", reject=self.reject_next.pop(0))
        elif o.is_conditional:
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
        self._check_price_band(o.side, changes.get("price"))
        for name, value in changes.items():
            setattr(o, name, value)
        o.updated_ms = self.clock()
        if o.status != "Untriggered" and o.order_type == "Limit" and self._marketable(o.side, o.price):  # fmt: skip
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

    def reject_order(self, o: FakeOrder, reason: str) -> None:
        """Close an open order as ``Rejected`` by the exchange (test control)."""
        self._close(o, "Rejected", reject=reason)

    def fill_partially(self, o: FakeOrder, qty: int, price: Decimal | None = None) -> None:
        """Fill ``qty`` of a resting limit order as maker (test control)."""
        if o.status not in ("New", "PartiallyFilled") or not 0 < qty <= o.leaves:
            raise ValueError(f"cannot fill {qty} of order {o.link_id or o.order_id} ({o.status})")
        self._fill(o, qty, price or o.price or self.last, maker=True)

    # ----- checks ------------------------------------------------------------------------
    def _check_price_band(self, side: str, price: Decimal | None) -> None:
        """110003: a buy above ``mark × (1 + limit_band)``, a sell below ``mark × (1 − band)``."""
        band = self.cfg.limit_band
        if price is not None and (
            price > self.mark * (1 + band) if side == "Buy" else price < self.mark * (1 - band)
        ):
            raise ApiError(110003, f"Order price exceeds the allowable range (mark {self.mark}).")

    def _check_conditional(self, o: FakeOrder) -> None:
        assert o.trigger_price is not None
        self._check_trigger_side(o.trigger_direction, o.trigger_price, o.trigger_by)
        waiting = sum(1 for x in self.orders.values() if x.status == "Untriggered")
        if waiting >= self.cfg.max_conditional_orders:
            raise ApiError(110009, "The number of stop orders exceeds the maximum allowable limit.")  # fmt: skip

    def _check_trigger_side(self, direction: int, trigger: Decimal, trigger_by: str) -> None:
        ref = self.ref_price(trigger_by)
        if direction == 1 and trigger <= ref:
            raise ApiError(110092, f"expect Rising, but trigger_price[{trigger}] <= current[{ref}]")
        if direction == 2 and trigger >= ref:
            raise ApiError(110093, f"expect Falling, but trigger_price[{trigger}] >= current[{ref}]")  # fmt: skip

    def _check_margin(self, o: FakeOrder) -> None:
        opening = o.qty - self._reducible(o.side)
        if opening <= 0:
            return
        per_contract = 1 / self.position.leverage + self.cfg.taker_fee
        need = Decimal(opening) / (o.price or self.last) * per_contract
        if need > self.available_btc():
            raise ApiError(110007, "ab not enough for new order")

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

    def _trigger(self, o: FakeOrder) -> None:
        o.status, o.updated_ms = "Triggered", self.clock()
        self.emit("order", o)
        if o.close_on_trigger:  # make room: the account's other open orders are cancelled
            for other in [x for x in self.orders.values() if x.is_open and x is not o and not x.reduce_only and not x.is_conditional]:  # fmt: skip
                self._close(other, "Cancelled")
        elif self.available_btc() < fee_btc(o.qty, self.cfg.taker_fee, self.last):
            self._close(o, "Cancelled", reject="EC_Others")  # no margin at trigger time
            return
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
            return
        market = o.order_type == "Market"
        bound = taker.market_bound(o.side, self.mark, self.cfg.market_band) if market else o.price
        assert bound is not None
        fills = taker.take(o.side, o.leaves, bound, self.last, self.ladder)
        if o.tif == "FOK" and sum(q for _, q in fills) < o.leaves:
            self._close(o, "Cancelled", reject="EC_CancelForNoFullFill")
            return
        for price, qty in fills:
            if o.is_open:
                self._fill(o, min(qty, o.leaves), price, maker=False)
        if o.is_open and (market or o.tif == "IOC"):  # what found no liquidity is cancelled
            self._close(o, "Cancelled", reject="EC_NoImmediateQtyToFill")
        elif o.is_open and not fills:
            self.emit("order", o)

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
        closed, pnl = self.book(o.side, qty, price, fee)
        o.cum_qty, o.cum_value = o.cum_qty + qty, o.cum_value + Decimal(qty) / price
        o.cum_fee, o.closed_pnl = o.cum_fee + fee, o.closed_pnl + pnl
        o.status, o.updated_ms = ("Filled" if o.cum_qty >= o.qty else "PartiallyFilled"), self.clock()  # fmt: skip
        snapshot = {"order_id": o.order_id, "link_id": o.link_id, "side": o.side,
                    "order_type": o.order_type, "price": o.price, "qty": o.qty,
                    "leaves": o.leaves, "stop": "Stop" if o.is_conditional else ""}  # fmt: skip
        ex = Execution(str(uuid.uuid4()), snapshot, price, qty, fee, rate, maker, self.clock(), closed, pnl, self.mark)  # fmt: skip
        self.executions.append(ex)
        for topic, obj in (("execution", ex), ("order", o), ("position", self.position), ("wallet", None)):  # fmt: skip
            self.emit(topic, obj)
        self._drop_stale_reduce_only()

    def book(self, side: str, qty: int, price: Decimal, fee: Decimal) -> tuple[int, Decimal]:
        """Apply an execution to the position and the wallet; return (closed, realised PnL)."""
        closed, pnl = self._apply(side, qty, price)
        p = self.position
        self.wallet_btc += pnl - fee
        p.cum_realised += pnl - fee
        p.cur_realised += pnl - fee
        p.updated_ms, p.seq = self.clock(), p.seq + 1
        return closed, pnl

    def _apply(self, side: str, qty: int, price: Decimal) -> tuple[int, Decimal]:
        """Apply a fill to the one-way position; return (closed contracts, realised PnL)."""
        p = self.position
        closed, pnl = 0, Decimal(0)
        if p.size and p.side != side:
            closed = min(qty, p.size)
            pnl = to_sat(pnl_btc(side_of(p.side), closed, p.entry, price))
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
