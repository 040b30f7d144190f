"""F5: compare the local and exchange views, with hysteresis before acting.

``compare`` turns the two views into a hashable ``Mismatch`` (or None when they agree), so
"the same mismatch" is plain equality. ``ReconcileHysteresis`` acts after 3 consecutive
reconciles show the SAME mismatch (a different one restarts the count); a missing stop on an
open position is acted on at once. Acting means local state takes the exchange's truth; the
verdict then carries a 5 s entry pause (F5).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accountbuilder.domain.enums import OrderRole, Side
from accountbuilder.domain.models import Order
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency.actions import EntryBlock

CONFIRMATIONS = 3  # SPEC F5: act after 3 consecutive reconciles show the mismatch
PAUSE_AFTER_CORRECTION_MS = 5_000  # SPEC F5: entries pause 5 s after a correction


@dataclass(frozen=True, slots=True)
class OrderView:
    """An open order as both sides can see it, keyed by client id (``orderLinkId``)."""

    client_id: str
    role: OrderRole
    qty: int

    @classmethod
    def of(cls, order: Order) -> OrderView:
        return cls(order.client_id, order.role, order.qty)


@dataclass(frozen=True, slots=True)
class BookView:
    """One side's view of the account: the position and the open orders."""

    side: Side | None
    contracts: int
    orders: frozenset[OrderView] = frozenset()

    @classmethod
    def of(cls, side: Side | None, contracts: int, orders: Iterable[Order]) -> BookView:
        """Build a view from open orders (closed ones are left out)."""
        views = frozenset(OrderView.of(o) for o in orders if o.status.is_open)
        return cls(side if contracts > 0 else None, contracts, views)

    @property
    def position_open(self) -> bool:
        return self.contracts > 0

    @property
    def stop_present(self) -> bool:
        return any(o.role is OrderRole.STOP for o in self.orders)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """How the local view differs from the exchange's (hashable: identical ones compare equal)."""

    local_position: tuple[Side | None, int] | None = None  # set when the positions differ
    exchange_position: tuple[Side | None, int] | None = None
    only_local: frozenset[str] = frozenset()  # client ids open locally, not on the exchange
    only_exchange: frozenset[str] = frozenset()  # open on the exchange, unknown locally
    differing: frozenset[tuple[OrderView, OrderView]] = frozenset()  # (local, exchange)
    stop_missing: bool = False  # the exchange has a position and no stop order

    def figures(self) -> dict[str, object]:
        return {
            "local_position": self.local_position,
            "exchange_position": self.exchange_position,
            "only_local": ",".join(sorted(self.only_local)),
            "only_exchange": ",".join(sorted(self.only_exchange)),
            "differing": ",".join(sorted(a.client_id for a, _ in self.differing)),
            "stop_missing": self.stop_missing,
        }


def compare(local: BookView, exchange: BookView) -> Mismatch | None:
    """The mismatch between the two views, or None when they agree."""
    by_local = {o.client_id: o for o in local.orders}
    by_exchange = {o.client_id: o for o in exchange.orders}
    both = by_local.keys() & by_exchange.keys()
    positions_differ = (local.side, local.contracts) != (exchange.side, exchange.contracts)
    mismatch = Mismatch(
        local_position=(local.side, local.contracts) if positions_differ else None,
        exchange_position=(exchange.side, exchange.contracts) if positions_differ else None,
        only_local=frozenset(by_local.keys() - both),
        only_exchange=frozenset(by_exchange.keys() - both),
        differing=frozenset(
            (by_local[c], by_exchange[c]) for c in both if by_local[c] != by_exchange[c]
        ),
        stop_missing=exchange.position_open and not exchange.stop_present,
    )
    return None if mismatch == Mismatch() else mismatch


@dataclass(frozen=True, slots=True)
class ReconcileVerdict:
    """One reconcile's outcome: act (take the exchange's truth) or keep watching."""

    mismatch: Mismatch | None
    seen: int  # consecutive reconciles that showed this same mismatch
    act: bool
    block: EntryBlock | None = None  # the 5 s entry pause that follows a correction


class ReconcileHysteresis:
    """Counts consecutive identical mismatches; says when to act."""

    def __init__(self, confirmations: int = CONFIRMATIONS) -> None:
        self.confirmations = confirmations
        self._last: Mismatch | None = None
        self._seen = 0

    def observe(self, now_ms: int, local: BookView, exchange: BookView) -> ReconcileVerdict:
        """Judge one reconcile; after acting the count starts over."""
        mismatch = compare(local, exchange)
        if mismatch is None:
            self._last, self._seen = None, 0
            return ReconcileVerdict(None, 0, act=False)
        self._seen = self._seen + 1 if mismatch == self._last else 1
        self._last = mismatch
        seen = self._seen
        if not (mismatch.stop_missing or seen >= self.confirmations):
            return ReconcileVerdict(mismatch, seen, act=False)
        self._last, self._seen = None, 0
        pause = EntryBlock(
            reason=ReasonCode.BLOCK_RECONCILE,
            until_ms=now_ms + PAUSE_AFTER_CORRECTION_MS,
            release="5 s after a reconcile correction (F5)",
        )
        return ReconcileVerdict(mismatch, seen, act=True, block=pause)
