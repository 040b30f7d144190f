"""Bybit position rows → ``ExchangePosition``, believed only when well-formed (SPEC E3, F7).

An answer that cannot be the position is a ``MalformedResponse``, never "flat" (issue 15 §1):

* ``/v5/position/list?category=inverse&symbol=BTCUSD`` always holds a BTCUSD row, a flat one
  too (``size "0"``, ``side ""``). A missing or null ``list``, or a list without a BTCUSD row,
  is malformed.
* A BTCUSD row must hold whole, non-negative ``size``; ``side`` ``Buy``/``Sell`` when the size
  is above 0, ``""`` (or ``"None"``, older answers) when flat; a numeric ``positionIdx`` (the
  string ``"0"`` is kept as given, F7); numeric prices where present (``""`` means none).

REST rows carry ``avgPrice``, stream rows ``entryPrice`` (reference §5.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from accountbuilder.domain.enums import Side
from accountbuilder.domain.models import SYMBOL
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit.mapping import contracts, dec, opt_price
from accountbuilder.exchange.port import ExchangePosition

Row = Mapping[str, Any]
SIDES = {"Buy": Side.LONG, "Sell": Side.SHORT}
FLAT_SIDES = ("", "None")


def btcusd_rows(result: Row) -> list[Row]:
    """The BTCUSD rows of a ``position/list`` result (asked with ``symbol=BTCUSD``)."""
    listed = result.get("list")
    if not isinstance(listed, list):
        raise port_errors.MalformedResponse(f"position/list: list is {listed!r}, not a list")
    rows = [r for r in listed if isinstance(r, Mapping) and r.get("symbol") == SYMBOL]
    if not rows:
        symbols = sorted({str(r.get("symbol")) for r in listed if isinstance(r, Mapping)})
        raise port_errors.MalformedResponse(
            f"position/list: no {SYMBOL} row (rows for {symbols or 'nothing'})"
        )
    return rows


def position_side(row: Row, size: int) -> Side | None:
    """``Buy``/``Sell`` for an open position, None for a flat one; anything else is malformed."""
    raw = row.get("side")
    if size == 0 and (raw is None or raw in FLAT_SIDES):
        return None
    if size > 0 and raw in SIDES:
        return SIDES[raw]
    raise port_errors.MalformedResponse(f"position side {raw!r} with size {size}")


def position_idx(row: Row) -> int | str:
    """Keep ``"0"`` as the string it was (F7 accepts and logs it); numbers stay ints."""
    raw = row.get("positionIdx", 0)
    if isinstance(raw, str):
        if not raw.isdigit():
            raise port_errors.MalformedResponse(f"positionIdx {raw!r} is not a number")
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise port_errors.MalformedResponse(f"positionIdx {raw!r} is not a number")
    return raw


def position_from_row(row: Row, ts_ms: int) -> ExchangePosition:
    """A well-formed BTCUSD row of ``/v5/position/list`` or of the ``position`` stream."""
    if not isinstance(row, Mapping) or row.get("symbol") != SYMBOL:
        raise port_errors.MalformedResponse(f"position row is not {SYMBOL}")
    size = contracts(row, "size")
    side = position_side(row, size)
    entry_key = "entryPrice" if "entryPrice" in row else "avgPrice"
    return ExchangePosition(
        side=side,
        contracts=size,
        entry_price=opt_price(row, entry_key) if size else None,
        liq_price=opt_price(row, "liqPrice") if size else None,
        leverage=_optional(row, "leverage"),
        unrealized_pnl_btc=_optional(row, "unrealisedPnl"),
        position_idx=position_idx(row),
        ts_ms=_updated(row, ts_ms) if size else ts_ms,
    )


def _optional(row: Row, key: str) -> Decimal:
    return dec(row, key) if row.get(key) not in (None, "") else Decimal(0)


def _updated(row: Row, ts_ms: int) -> int:
    raw = row.get("updatedTime")
    return int(dec(row, "updatedTime")) if raw not in (None, "") else ts_ms
