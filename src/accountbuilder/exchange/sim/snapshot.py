"""The simulated account as a JSON-able document, and back (a dry run's account, issue 20).

A dry run's exchange must outlive the process as a real one does: the wallet, the position,
every working order and the orders a restart may look up (the last ``KEEP_FINISHED`` finished
ones) are written after each change and read back at start. Decimals are exact strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accountbuilder.core.codec import spec_from_dict, spec_to_dict
from accountbuilder.domain.enums import MarginMode, OrderStatus, Side
from accountbuilder.exchange.sim.book import SimBook
from accountbuilder.exchange.sim.orders import SimOrder
from accountbuilder.exchange.sim.ticks import TickEngine

VERSION = 1
KEEP_FINISHED = 200
_LEDGER_DECIMALS = (
    "wallet_btc",
    "leverage",
    "value_btc",
    "realised_btc",
    "fees_btc",
    "funding_btc",
)


class SnapshotError(ValueError):
    """The document is not a simulated account this version can read."""


def to_dict(engine: TickEngine) -> dict[str, Any]:
    """The account, its orders and the engine's clock marks."""
    book = engine.book
    lg = book.ledger
    ledger: dict[str, Any] = {name: str(getattr(lg, name)) for name in _LEDGER_DECIMALS}
    ledger.update(margin_mode=lg.margin_mode.value, contracts=lg.contracts,
                  side=None if lg.side is None else lg.side.value)  # fmt: skip
    return {
        "version": VERSION,
        "ledger": ledger,
        "orders": [_order_to_dict(o) for o in _kept(book)],
        "open": list(book.open),
        "one_way": book.one_way,
        "seq": book._seq,
        "exec_seq": book._exec_seq,
        "executions": book.executions,
        "mark": repr(engine.mark_f),
        "last": repr(engine.last_f),
        "funded_ms": engine.funded_ms,
        "seen_ms": engine.seen_ms,
    }


def restore(engine: TickEngine, doc: dict[str, Any]) -> None:
    """Put a saved account into a new engine's book (``SnapshotError`` if unreadable)."""
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise SnapshotError(f"not a version-{VERSION} simulated account")
    try:
        _restore(engine, doc)
    except (KeyError, TypeError, ValueError, ArithmeticError) as e:
        raise SnapshotError(f"unreadable simulated account: {type(e).__name__}: {e}") from e


def _restore(engine: TickEngine, doc: dict[str, Any]) -> None:
    book, d = engine.book, doc["ledger"]
    lg = book.ledger
    for name in _LEDGER_DECIMALS:
        setattr(lg, name, Decimal(d[name]))
    lg.margin_mode, lg.contracts = MarginMode(d["margin_mode"]), int(d["contracts"])
    lg.side = None if d["side"] is None else Side(d["side"])
    book.orders = {o.spec.client_id: o for o in map(_order_from_dict, doc["orders"])}
    book.open = {cid: book.orders[cid] for cid in doc["open"]}
    book.one_way = bool(doc["one_way"])
    book._seq, book._exec_seq = int(doc["seq"]), int(doc["exec_seq"])
    book.executions = int(doc["executions"])
    engine.mark_f, engine.last_f = float(doc["mark"]), float(doc["last"])
    engine.funded_ms = int(doc["funded_ms"])
    engine.seen_ms = int(doc.get("seen_ms", engine.seen_ms))  # older files: nothing to walk
    book.refresh_liq()


def _kept(book: SimBook) -> list[SimOrder]:
    """Every open order and the most recent finished ones, oldest first."""
    finished = [o for cid, o in book.orders.items() if cid not in book.open]
    keep = {id(o) for o in finished[-KEEP_FINISHED:]} | {id(o) for o in book.open.values()}
    return [o for o in book.orders.values() if id(o) in keep]


def _order_to_dict(o: SimOrder) -> dict[str, Any]:
    return {
        "spec": spec_to_dict(o.spec),
        "order_id": o.order_id,
        "seq": o.seq,
        "status": o.status.value,
        "qty": o.qty,
        "created_ts_ms": o.created_ts_ms,
        "updated_ts_ms": o.updated_ts_ms,
        "trigger_price": None if o.trigger_price is None else str(o.trigger_price),
        "filled_qty": o.filled_qty,
        "value_btc": str(o.value_btc),
        "reject_reason": o.reject_reason,
    }


def _order_from_dict(d: dict[str, Any]) -> SimOrder:
    spec = spec_from_dict(d["spec"])
    trigger = None if d["trigger_price"] is None else Decimal(d["trigger_price"])
    return SimOrder(
        spec=spec,
        order_id=str(d["order_id"]),
        seq=int(d["seq"]),
        status=OrderStatus(d["status"]),
        qty=int(d["qty"]),
        created_ts_ms=int(d["created_ts_ms"]),
        updated_ts_ms=int(d["updated_ts_ms"]),
        trigger_price=trigger,
        filled_qty=int(d["filled_qty"]),
        value_btc=Decimal(d["value_btc"]),
        reject_reason=str(d["reject_reason"]),
        price_f=float(spec.price) if spec.price is not None else float("nan"),
        trigger_f=float(trigger) if trigger is not None else float("nan"),
    )
