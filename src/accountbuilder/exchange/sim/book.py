"""The simulator's order book and account actions: place, amend, cancel, fill, trigger, liquidate.

Every action that changes the exchange emits its events (order, execution, position, wallet)
through ``emit``; the caller passes the exchange time and the mark price at that moment.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

from accountbuilder.domain.enums import (
    Liquidity,
    MarginMode,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    TriggerDirection,
)
from accountbuilder.domain.events import (
    ExchangeEvent,
    FundingApplied,
    OrderFilled,
    OrderUpdated,
    PositionLiquidated,
    PositionUpdated,
    WalletUpdated,
)
from accountbuilder.domain.models import AccountSnapshot, Fill, Order, OrderSpec
from accountbuilder.exchange.errors import (
    DuplicateClientId,
    InsufficientBalance,
    OrderNotFound,
    PostOnlyWouldTake,
    ReduceOnlyViolation,
    Rejected,
    TriggerWrongSide,
)
from accountbuilder.exchange.sim.account_events import (
    account_snapshot,
    dec,
    position_event,
    price_levels,
    wallet_event,
)
from accountbuilder.exchange.sim.config import SimConfig
from accountbuilder.exchange.sim.faults import FaultPlan
from accountbuilder.exchange.sim.ledger import Ledger
from accountbuilder.exchange.sim.orders import (
    BYBIT_PARAM_ERROR,
    SimOrder,
    check_price,
    check_qty,
    check_spec,
    round_to_tick,
)

POST_ONLY_REASON = "EC_PostOnlyWillTakeLiquidity"  # Bybit rejectReason (reference §4.9)


class SimBook:
    """Orders (by client id, kept after they finish) and the ledger they act on."""

    def __init__(self, config: SimConfig, emit: Callable[[ExchangeEvent], None], faults: FaultPlan):
        self.config = config
        self.instrument = config.instrument
        self.tick_f = float(config.instrument.tick_size)
        self.ledger = Ledger(config.start_balance_btc, config.leverage, config.margin_mode)
        self.one_way = config.one_way
        self.orders: dict[str, SimOrder] = {}
        self.open: dict[str, SimOrder] = {}
        self.liq_price: Decimal | None = None
        self.liq_f = math.nan
        self._emit = emit
        self._faults = faults
        self._seq = 0
        self._exec_seq = 0
        self.executions = 0  # executions and liquidations so far

    # ------------------------------------------------------------------------------ place
    def place(self, spec: OrderSpec, ts: int, mark_f: float) -> Order:
        """Validate like Bybit, register, fill at once if marketable; return the ack."""
        if spec.client_id in self.orders:
            raise DuplicateClientId(f"orderLinkId {spec.client_id} already used", code=110072)
        check_spec(spec, self.instrument, self.one_way)
        if spec.reduce_only:
            self._check_reduces(spec.side)
        if spec.is_conditional:
            self._check_trigger_side(spec.trigger_direction, spec.trigger_price, mark_f)
        order = self._new_order(spec, ts)
        refused = self._faults.take_post_only_refusal() if spec.time_in_force is TimeInForce.POST_ONLY else False  # fmt: skip
        if spec.time_in_force is TimeInForce.POST_ONLY and (refused or self._crosses(spec, mark_f)):
            self.orders[spec.client_id] = order
            self._finish(order, OrderStatus.CANCELLED, ts, POST_ONLY_REASON)
            raise PostOnlyWouldTake(f"PostOnly {spec.side} at {spec.price} would take liquidity")
        if not spec.reduce_only and not spec.is_conditional:
            self._check_margin(spec.side, spec.qty, self._cost_price(spec, mark_f), mark_f)
        self.orders[spec.client_id] = order
        self.open[spec.client_id] = order
        self._emit_order(order, ts)
        ack = order.to_order()
        if not spec.is_conditional:
            self._match_on_arrival(order, ts, mark_f)
        return ack

    def _new_order(self, spec: OrderSpec, ts: int) -> SimOrder:
        self._seq += 1
        status = OrderStatus.UNTRIGGERED if spec.is_conditional else OrderStatus.NEW
        return SimOrder(
            spec=spec,
            order_id=f"sim-{self._seq}",
            seq=self._seq,
            status=status,
            qty=spec.qty,
            created_ts_ms=ts,
            updated_ts_ms=ts,
            trigger_price=spec.trigger_price,
            price_f=float(spec.price) if spec.price is not None else math.nan,
            trigger_f=float(spec.trigger_price) if spec.is_conditional else math.nan,
        )

    def _check_reduces(self, side: OrderSide) -> None:
        pos = self.ledger.side
        if pos is None or pos.entry_order_side is side:
            raise ReduceOnlyViolation(
                f"reduce-only {side} would not reduce the position ({pos or 'flat'})", code=110017
            )

    def _check_trigger_side(self, direction, trigger: Decimal, mark_f: float) -> None:
        t = float(trigger)
        if direction is TriggerDirection.RISING and t <= mark_f:
            raise TriggerWrongSide(f"rising trigger {trigger} not above mark {mark_f}", code=110092)
        if direction is TriggerDirection.FALLING and t >= mark_f:
            raise TriggerWrongSide(
                f"falling trigger {trigger} not below mark {mark_f}", code=110093
            )

    @staticmethod
    def _crosses(spec: OrderSpec, mark_f: float) -> bool:
        p = float(spec.price)
        return p >= mark_f if spec.side is OrderSide.BUY else p <= mark_f

    def _cost_price(self, spec: OrderSpec, mark_f: float) -> Decimal:
        return spec.price if spec.order_type is OrderType.LIMIT else dec(mark_f)

    def _check_margin(self, side: OrderSide, qty: int, price: Decimal, mark_f: float) -> None:
        opening = self.ledger.opening_qty(side, qty)
        if not opening:
            return
        cost = self.ledger.order_cost_btc(opening, price, self.config.fees.taker)
        available = self.available_btc(mark_f)
        if cost > available:
            raise InsufficientBalance(
                f"order cost {cost:.8f} BTC > available {available:.8f} BTC", code=110007
            )

    def available_btc(self, mark_f: float) -> Decimal:
        """Wallet less position margin and the cost reserved by resting opening orders."""
        lg = self.ledger
        taker = self.config.fees.taker
        reserved = sum(
            (
                lg.order_cost_btc(lg.opening_qty(o.side, o.leaves), o.spec.price, taker)
                for o in self.open.values()
                if o.is_resting_limit and not o.spec.reduce_only
            ),
            Decimal(0),
        )
        available = lg.wallet_btc - lg.position_margin_btc() - reserved
        if lg.margin_mode is MarginMode.CROSS and lg.contracts:
            available += min(lg.unrealised_btc(dec(mark_f)), Decimal(0))
        return available

    def taker_price(self, side: OrderSide, ref_f: float) -> Decimal:
        """A market execution at ``ref_f``: rounded to tick on the worse side, plus slippage."""
        return self.slipped(side, round_to_tick(dec(ref_f), self.instrument.tick_size, side))

    def slipped(self, side: OrderSide, price: Decimal) -> Decimal:
        """``price`` moved ``market_slippage_ticks`` ticks against the taker."""
        slip = self.instrument.tick_size * self.config.market_slippage_ticks
        if not slip:
            return price
        return (
            price + slip if side is OrderSide.BUY else max(price - slip, self.instrument.tick_size)
        )

    def _match_on_arrival(self, order: SimOrder, ts: int, mark_f: float) -> None:
        spec = order.spec
        px = self.taker_price(spec.side, mark_f)
        if spec.order_type is OrderType.LIMIT:
            if not self._crosses(spec, mark_f):
                if spec.time_in_force is TimeInForce.IOC:
                    self._finish(order, OrderStatus.CANCELLED, ts, "EC_NoImmediateQtyToFill")
                return
            px = min(px, spec.price) if spec.side is OrderSide.BUY else max(px, spec.price)
            px = self._beyond_limit(spec.side, px)
        if spec.reduce_only and not self.cap_reduce_only(order, ts):
            return
        self.execute(order, order.leaves, px, Liquidity.TAKER, ts, mark_f)

    def _beyond_limit(self, side: OrderSide, px: Decimal) -> Decimal:
        """An injected anomaly: a limit order filled beyond its limit (C3 must catch it)."""
        ticks = self._faults.take_beyond_limit_ticks()
        if not ticks:
            return px
        step = self.instrument.tick_size * ticks
        return px + step if side is OrderSide.BUY else px - step

    # ------------------------------------------------------------------------ amend/cancel
    def amend(
        self, client_id: str, qty: int | None, trigger: Decimal | None, ts: int, mark_f: float
    ) -> Order:
        """Change qty and/or trigger of an open order in place (SPEC G7)."""
        order = self._open_order(client_id)
        if qty is not None:
            check_qty(qty, self.instrument)
            if qty <= order.filled_qty:
                raise Rejected(
                    f"qty {qty} not above filled {order.filled_qty}", code=BYBIT_PARAM_ERROR
                )
            if qty > order.qty and order.is_resting_limit and not order.spec.reduce_only:
                self._check_margin(order.side, qty - order.qty, order.spec.price, mark_f)
        if trigger is not None:
            if not order.is_untriggered:
                raise Rejected(f"{client_id} has no trigger to amend", code=BYBIT_PARAM_ERROR)
            check_price("triggerPrice", trigger, self.instrument)
            self._check_trigger_side(order.spec.trigger_direction, trigger, mark_f)
        if qty is not None:
            order.qty = qty
        if trigger is not None:
            order.trigger_price, order.trigger_f = trigger, float(trigger)
        order.updated_ts_ms = ts
        self._emit_order(order, ts)
        return order.to_order()

    def cancel(self, client_id: str, ts: int, reason: str = "") -> Order:
        """Cancel an open order; ``OrderNotFound`` if unknown or finished."""
        return self.end(client_id, OrderStatus.CANCELLED, ts, reason)

    def end(self, client_id: str, status: OrderStatus, ts: int, reason: str = "") -> Order:
        """End an open order with ``status`` (cancelled, rejected, deactivated)."""
        order = self._open_order(client_id)
        self._finish(order, status, ts, reason)
        return order.to_order()

    def _open_order(self, client_id: str) -> SimOrder:
        order = self.open.get(client_id)
        if order is None:
            raise OrderNotFound(f"order {client_id} does not exist or is finished", code=110001)
        return order

    def _finish(self, order: SimOrder, status: OrderStatus, ts: int, reason: str = "") -> None:
        order.status, order.updated_ts_ms = status, ts
        if reason:
            order.reject_reason = reason
        self.open.pop(order.spec.client_id, None)
        self._emit_order(order, ts)

    # ---------------------------------------------------------------- executions & triggers
    def execute(
        self, order: SimOrder, qty: int, price: Decimal, liq: Liquidity, ts: int, mark_f: float
    ) -> None:
        """One execution of ``qty`` at ``price`` with its real fee; emits fill, order, position, wallet."""
        fees = self.config.fees
        rate = fees.maker if liq is Liquidity.MAKER else fees.taker
        res = self.ledger.apply_fill(order.side, qty, price, rate)
        order.filled_qty += qty
        order.value_btc += Decimal(qty) / price
        order.updated_ts_ms = ts
        self._exec_seq += 1
        self.executions += 1
        fill = Fill(
            exec_id=f"sim-exec-{self._exec_seq}",
            client_id=order.spec.client_id,
            order_id=order.order_id,
            side=order.side,
            price=price,
            qty=qty,
            fee_btc=res.fee_btc,
            fee_rate=rate,
            liquidity=liq,
            ts_ms=ts,
            role=order.spec.role,
            extra={
                "exec_type": "Trade",
                "closed_size": str(res.closed_qty),
                "realised_pnl_btc": str(res.realised_pnl_btc),
            },
        )
        self._emit(OrderFilled(exchange_ts_ms=ts, local_ts_ms=ts, fill=fill))
        if order.leaves:
            order.status = OrderStatus.PARTIALLY_FILLED
            self._emit_order(order, ts)
        else:
            self._finish(order, OrderStatus.FILLED, ts)
        self.position_changed(ts, mark_f)

    def cap_reduce_only(self, order: SimOrder, ts: int) -> int:
        """Truncate a reduce-only order to the position (Bybit); 0 → cancelled, nothing to close."""
        lg = self.ledger
        if lg.side is None or lg.side.entry_order_side is order.side:
            self._finish(order, OrderStatus.CANCELLED, ts, "EC_ReduceOnlyNoPosition")
            return 0
        if order.leaves > lg.contracts:
            order.qty = order.filled_qty + lg.contracts
        return order.leaves

    def trigger(self, order: SimOrder, fill_price: Decimal, ts: int, mark_f: float) -> None:
        """A conditional order's trigger was reached: it becomes a market order and fills."""
        order.status, order.updated_ts_ms = OrderStatus.TRIGGERED, ts
        self._emit_order(order, ts)
        if order.spec.reduce_only:
            if not self.cap_reduce_only(order, ts):
                return
        else:
            try:
                self._check_margin(order.side, order.leaves, fill_price, mark_f)
            except InsufficientBalance:
                self._finish(order, OrderStatus.REJECTED, ts, "EC_InsufficientMargin")
                return
        self.execute(order, order.leaves, fill_price, Liquidity.TAKER, ts, mark_f)

    def liquidate(self, ts: int, mark_f: float) -> None:
        """Cancel every order, close the position at bankruptcy, lose its margin (SPEC E6)."""
        for order in list(self.open.values()):
            self._finish(order, OrderStatus.CANCELLED, ts, "CancelAllBeforeLiq")
        liq = self.ledger.liquidate()
        self.executions += 1
        self._emit(
            PositionLiquidated(
                exchange_ts_ms=ts,
                local_ts_ms=ts,
                side=liq.side,
                contracts=liq.contracts,
                price=liq.price,
            )
        )
        self.position_changed(ts, mark_f)

    def apply_funding(self, rate: Decimal, ts: int, mark_f: float) -> None:
        """Charge or pay funding on the open position at ``mark_f`` (rate > 0: longs pay)."""
        if not self.ledger.contracts:
            return
        amount = self.ledger.apply_funding(rate, dec(mark_f))
        self._emit(FundingApplied(exchange_ts_ms=ts, local_ts_ms=ts, rate=rate, amount_btc=amount))
        self.refresh_liq()
        self._emit(self.wallet_event(ts, mark_f))

    # ------------------------------------------------------------------ levels & events
    def levels(self) -> tuple[float, float]:
        """(highest level the price can fall to, lowest level it can rise to) — see ``scan``."""
        return price_levels(self.open.values(), self.ledger.side, self.liq_f)

    def refresh_liq(self) -> None:
        self.liq_price = self.ledger.liq_price(self.instrument)
        self.liq_f = float(self.liq_price) if self.liq_price is not None else math.nan

    def position_changed(self, ts: int, mark_f: float) -> None:
        """Refresh the liquidation price, drop orphaned reduce-only limits, emit position+wallet."""
        self.refresh_liq()
        if not self.ledger.contracts:
            for order in [
                o for o in self.open.values() if o.spec.reduce_only and o.is_resting_limit
            ]:
                self._finish(order, OrderStatus.CANCELLED, ts, "CancelByReduceOnly")
        self._emit(self.position_event(ts, mark_f))
        self._emit(self.wallet_event(ts, mark_f))

    def _emit_order(self, order: SimOrder, ts: int) -> None:
        self._emit(OrderUpdated(exchange_ts_ms=ts, local_ts_ms=ts, order=order.to_order()))

    def position_idx(self) -> int | str:
        return "0" if self._faults.position_idx_as_string else 0

    def position_event(self, ts: int, mark_f: float) -> PositionUpdated:
        return position_event(self.ledger, self.liq_price, self.position_idx(), ts, mark_f)

    def account(self, ts: int, mark_f: float) -> AccountSnapshot:
        return account_snapshot(self.ledger, ts, mark_f)

    def wallet_event(self, ts: int, mark_f: float) -> WalletUpdated:
        return wallet_event(self.ledger, ts, mark_f)
