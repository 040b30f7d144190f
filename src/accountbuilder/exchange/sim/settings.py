"""Account settings on the simulated exchange: leverage, margin mode, position mode."""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.domain.enums import MarginMode
from accountbuilder.exchange.errors import Rejected
from accountbuilder.exchange.sim.book import SimBook
from accountbuilder.exchange.sim.config import MAX_LEVERAGE
from accountbuilder.exchange.sim.orders import BYBIT_PARAM_ERROR

LEVERAGE_STEP = Decimal("0.01")


def set_leverage(book: SimBook, leverage: Decimal, ts: int, mark_f: float) -> None:
    """Any leverage in 1..min(100, tier max), step 0.01; an open position's margin and
    liquidation price follow. Lowering only is the caller's rule (SPEC B3), not the exchange's.
    """
    ledger = book.ledger
    cap = min(MAX_LEVERAGE, book.instrument.tier_for(ledger.contracts).max_leverage)
    if not Decimal(1) <= leverage <= cap or leverage != leverage.quantize(LEVERAGE_STEP):
        raise Rejected(f"leverage {leverage} outside 1..{cap} (step 0.01)", code=BYBIT_PARAM_ERROR)
    if leverage == ledger.leverage:
        return  # Bybit answers "not modified"; the port treats it as success
    ledger.leverage = leverage
    if ledger.contracts:
        book.position_changed(ts, mark_f)


def set_margin_mode(book: SimBook, mode: MarginMode) -> None:
    """Isolated/cross; refused while a position or an order is open."""
    if mode is book.ledger.margin_mode:
        return
    _require_nothing_open(book, "margin mode")
    book.ledger.margin_mode = mode
    book.refresh_liq()


def set_one_way(book: SimBook) -> None:
    """One-way mode; refused while a position or an order is open (SPEC F7)."""
    if book.one_way:
        return
    _require_nothing_open(book, "position mode")
    book.one_way = True


def _require_nothing_open(book: SimBook, what: str) -> None:
    if book.ledger.contracts:
        raise Rejected(f"cannot switch {what}: a position is open", code=110024)
    if book.open:
        raise Rejected(f"cannot switch {what}: open orders exist", code=110028)
