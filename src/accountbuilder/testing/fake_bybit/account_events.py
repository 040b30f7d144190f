"""What Bybit does to the account by itself: funding, liquidation and ADL (reference §4.7, §7).

* **Funding** every 8 hours at 00:00, 08:00 and 16:00 UTC: a position open at that instant
  pays (rate > 0, long) or receives ``size / mark × rate`` BTC, as an execution
  ``execType Funding`` (``execFee`` the amount paid, negative when received; ``feeRate`` the
  rate). The fake has no timer: ``settle_funding`` books every funding time passed since the
  last call (the server calls it on each price move and each REST request).
* **Liquidation**: when the mark reaches ``liqPrice`` (or on ``liquidate``), the position row
  turns ``positionStatus Liq``, the open orders are cancelled (``CancelAllBeforeLiq``) and the
  position is closed by a ``BustTrade`` execution at the liquidation price; then the row is
  ``Normal`` and flat. **ADL** (``liquidate(engine, "Adl")``): ``positionStatus Adl`` and an
  ``AdlTrade`` at the mark. Both carry no order ids and no fee.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from accountbuilder.testing.fake_bybit.engine import Engine
from accountbuilder.testing.fake_bybit.state import Execution, to_sat

FUNDING_MS = 8 * 3_600_000  # 00:00, 08:00, 16:00 UTC
EXEC_OF_STATUS = {"Liq": "BustTrade", "Adl": "AdlTrade"}


def funding_times(after_ms: int, until_ms: int) -> list[int]:
    """Funding instants in ``(after_ms, until_ms]``."""
    first = after_ms - after_ms % FUNDING_MS + FUNDING_MS
    return list(range(first, until_ms + 1, FUNDING_MS))


def settle_funding(engine: Engine, after_ms: int, until_ms: int) -> int:
    """Book the funding of every funding time in ``(after_ms, until_ms]``; return how many."""
    times = funding_times(after_ms, until_ms)
    for at_ms in times:
        pay_funding(engine, at_ms)
    return len(times)


def pay_funding(engine: Engine, at_ms: int) -> Execution | None:
    """One funding payment of the open position (None when flat)."""
    p = engine.position
    if not p.size:
        return None
    rate = engine.cfg.funding_rate
    paid = to_sat(Decimal(p.size) / engine.mark * rate) * (1 if p.side == "Buy" else -1)
    engine.wallet_btc -= paid
    p.cum_realised -= paid
    p.cur_realised -= paid
    ex = _execution(engine, "Funding", p.side, p.size, engine.mark, at_ms, fee=paid, rate=rate)
    _publish(engine, ex)
    return ex


def liquidation_hit(engine: Engine) -> bool:
    """Whether the mark has reached the position's liquidation price."""
    p, liq = engine.position, engine.liq_price()
    if not p.size or liq is None:
        return False
    return engine.mark <= liq if p.side == "Buy" else engine.mark >= liq


def liquidate(engine: Engine, status: str = "Liq") -> Execution | None:
    """Close the position as Bybit's liquidation (``Liq``) or auto-deleveraging (``Adl``)."""
    p = engine.position
    if not p.size:
        return None
    price = (engine.liq_price() or engine.mark) if status == "Liq" else engine.mark
    p.status = status
    engine.emit("position", p)
    for o in [o for o in engine.orders.values() if o.is_open]:
        engine.cancel_order(o, "Cancelled", "CancelAllBeforeLiq" if status == "Liq" else "CancelAllBeforeAdl")  # fmt: skip
    closing = "Sell" if p.side == "Buy" else "Buy"
    size, now = p.size, engine.clock()
    closed, pnl = engine.book(closing, size, price, Decimal(0))
    ex = _execution(engine, EXEC_OF_STATUS[status], closing, size, price, now, closed=closed, pnl=pnl)  # fmt: skip
    p.status = "Normal"
    _publish(engine, ex)
    return ex


def _execution(
    engine: Engine, exec_type: str, side: str, qty: int, price: Decimal, at_ms: int, *,
    fee: Decimal = Decimal(0), rate: Decimal = Decimal(0), closed: int = 0,
    pnl: Decimal = Decimal(0),
) -> Execution:  # fmt: skip
    order = {"order_id": "", "link_id": "", "side": side, "order_type": "UNKNOWN",
             "price": None, "qty": qty, "leaves": 0, "stop": ""}  # fmt: skip
    ex = Execution(str(uuid.uuid4()), order, price, qty, fee, rate, False, at_ms, closed, pnl,
                   engine.mark, exec_type)  # fmt: skip
    engine.executions.append(ex)
    return ex


def _publish(engine: Engine, ex: Execution) -> None:
    for topic, obj in (("execution", ex), ("position", engine.position), ("wallet", None)):
        engine.emit(topic, obj)
