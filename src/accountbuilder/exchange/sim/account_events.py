"""What the simulated exchange reports about the account: the position and wallet events as
Bybit's streams carry them, and the price levels the next scan must stop at."""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

from accountbuilder.domain.enums import OrderSide, Side
from accountbuilder.domain.events import PositionUpdated, WalletUpdated
from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.exchange.sim.ledger import Ledger
from accountbuilder.exchange.sim.orders import SimOrder


def dec(x: float) -> Decimal:
    """A float price as the Decimal of its shortest repr (58720.45 → Decimal('58720.45'))."""
    return Decimal(repr(x))


def shown_liq(liq_price: Decimal | None) -> Decimal | None:
    """``liqPrice`` as Bybit shows it: empty (None) when flat or unreachable."""
    lp = liq_price
    return lp if lp is not None and lp.is_finite() and lp > 0 else None


def position_event(
    lg: Ledger, liq_price: Decimal | None, position_idx: int | str, ts: int, mark_f: float
) -> PositionUpdated:
    return PositionUpdated(
        exchange_ts_ms=ts,
        local_ts_ms=ts,
        side=lg.side,
        contracts=lg.contracts,
        entry_price=lg.entry_price,
        liq_price=shown_liq(liq_price),
        unrealized_pnl_btc=lg.unrealised_btc(dec(mark_f)),
        leverage=lg.leverage,
        position_idx=position_idx,
    )


def account_snapshot(lg: Ledger, ts: int, mark_f: float) -> AccountSnapshot:
    return AccountSnapshot(ts, lg.wallet_btc, lg.unrealised_btc(dec(mark_f)))


def wallet_event(lg: Ledger, ts: int, mark_f: float) -> WalletUpdated:
    return WalletUpdated(
        exchange_ts_ms=ts, local_ts_ms=ts, account=account_snapshot(lg, ts, mark_f)
    )


def price_levels(
    open_orders: Iterable[SimOrder], side: Side | None, liq_f: float
) -> tuple[float, float]:
    """(highest level the price can fall to, lowest level it can rise to): the next trigger,
    resting limit or liquidation price on each side (the engine's scan stops there)."""
    below, above = -math.inf, math.inf
    for o in open_orders:
        if o.is_untriggered:
            if o.falling:
                below = max(below, o.trigger_f)
            else:
                above = min(above, o.trigger_f)
        elif o.side is OrderSide.BUY:
            below = max(below, o.price_f)
        else:
            above = min(above, o.price_f)
    if side is Side.LONG:
        below = max(below, liq_f)
    elif side is Side.SHORT:
        above = min(above, liq_f)
    return below, above
