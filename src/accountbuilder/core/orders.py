"""The core's own orders, each moved only through the lifecycle table (SPEC G2, G8, I4).

``OwnOrders.apply`` is the one way an order's phase changes; every accepted change is kept in
``moves`` for the store (the runner persists them before the next send), and a move the table
refuses (a FILLED order seen ``New`` again …) is counted and reported, never applied. A
(signal, role, attempt) is placed at most once (G2): a second intent for a client id raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from accountbuilder.core.codec import spec_from_dict, spec_to_dict
from accountbuilder.domain.enums import OrderRole
from accountbuilder.domain.lifecycle import (
    IllegalMove,
    OrderEvent,
    OrderPhase,
    OrderTransition,
    PhaseMove,
    apply,
    evidence_event,
)
from accountbuilder.domain.models import Fill, Order, OrderSpec

Move = PhaseMove | IllegalMove


@dataclass
class TrackedOrder:
    spec: OrderSpec
    signal_id: str
    attempt: int
    created_ms: int
    phase: OrderPhase = OrderPhase.INTENT
    acked_ms: int | None = None  # when the place request was answered (F4: 5 s to be seen)
    seen_ms: int | None = None  # the first exchange evidence
    order_id: str = ""
    filled_qty: int = 0
    fees_btc: Decimal = Decimal(0)
    notional_btc: Decimal = Decimal(0)  # Σ qty/price of fills, for the average (harmonic) price
    exec_qty: int = 0  # Σ qty of the executions seen
    reject_reason: str = ""
    updated_ms: int = 0
    lookups: int = 0  # lookups asked while unseen (G2, F4)
    lookup_ms: int | None = None  # the last lookup asked
    cancel_ms: int | None = None  # the last cancel asked (not asked again for 5 s)

    @property
    def client_id(self) -> str:
        return self.spec.client_id

    @property
    def role(self) -> OrderRole:
        return self.spec.role

    @property
    def is_live(self) -> bool:
        return self.phase.is_live

    @property
    def avg_price(self) -> Decimal | None:
        """Inverse average price: contracts / Σ(qty_i / price_i)."""
        return Decimal(self.exec_qty) / self.notional_btc if self.notional_btc else None

    def to_dict(self) -> dict:
        return {
            "spec": spec_to_dict(self.spec),
            "signal_id": self.signal_id,
            "attempt": self.attempt,
            "created_ms": self.created_ms,
            "phase": self.phase.value,
            "acked_ms": self.acked_ms,
            "seen_ms": self.seen_ms,
            "order_id": self.order_id,
            "filled_qty": self.filled_qty,
            "fees_btc": str(self.fees_btc),
            "notional_btc": str(self.notional_btc),
            "exec_qty": self.exec_qty,
            "reject_reason": self.reject_reason,
            "updated_ms": self.updated_ms,
            "lookups": self.lookups,
            "lookup_ms": self.lookup_ms,
            "cancel_ms": self.cancel_ms,
        }

    @classmethod
    def from_dict(cls, d: dict) -> TrackedOrder:
        return cls(
            spec=spec_from_dict(d["spec"]),
            signal_id=d["signal_id"],
            attempt=int(d["attempt"]),
            created_ms=d["created_ms"],
            phase=OrderPhase(d["phase"]),
            acked_ms=d["acked_ms"],
            seen_ms=d["seen_ms"],
            order_id=d["order_id"],
            filled_qty=d["filled_qty"],
            fees_btc=Decimal(d["fees_btc"]),
            notional_btc=Decimal(d["notional_btc"]),
            exec_qty=d["exec_qty"],
            reject_reason=d["reject_reason"],
            updated_ms=d["updated_ms"],
            lookups=d.get("lookups", 0),
            lookup_ms=d.get("lookup_ms"),
            cancel_ms=d.get("cancel_ms"),
        )


@dataclass
class OwnOrders:
    """Every order this session created, by client id, and the moves not yet persisted."""

    by_cid: dict[str, TrackedOrder] = field(default_factory=dict)
    seen_exec_ids: set[str] = field(default_factory=set)
    moves: list[OrderTransition] = field(default_factory=list)  # drained into each outbox
    illegal: list[str] = field(default_factory=list)  # refused moves, drained into the notes
    illegal_total: int = 0

    def add_intent(
        self, spec: OrderSpec, signal_id: str, attempt: int, now_ms: int
    ) -> TrackedOrder:
        if spec.client_id in self.by_cid:
            raise ValueError(
                f"intent {spec.client_id} exists: a (signal, role, attempt) is sent once (G2)"
            )
        order = TrackedOrder(spec, signal_id, attempt, now_ms, updated_ms=now_ms)
        self.by_cid[spec.client_id] = order
        self.moves.append(OrderTransition.created(spec, signal_id, now_ms))
        return order

    def next_attempt(self, signal_id: str, role: OrderRole) -> int:
        """The next unused attempt number of ``role`` for ``signal_id`` (G1/G2)."""
        used = [
            o.attempt for o in self.by_cid.values() if o.signal_id == signal_id and o.role is role
        ]
        return max(used, default=-1) + 1

    def attempts(self, signal_id: str) -> int:
        """Client ids used by ``signal_id`` so far, every role."""
        return sum(1 for o in self.by_cid.values() if o.signal_id == signal_id)

    def get(self, cid: str) -> TrackedOrder | None:
        return self.by_cid.get(cid)

    def live(self, *roles: OrderRole) -> list[TrackedOrder]:
        return [
            o for o in self.by_cid.values() if o.phase.is_live and (not roles or o.role in roles)
        ]

    def latest(self, signal_id: str, role: OrderRole) -> TrackedOrder | None:
        """The most recent order of ``role`` for ``signal_id``."""
        found = [o for o in self.by_cid.values() if o.signal_id == signal_id and o.role is role]
        return max(found, key=lambda o: o.attempt, default=None)

    # ------------------------------------------------------------------------ the one mover
    def apply(self, cid: str, event: OrderEvent, now_ms: int, detail: str = "") -> Move | None:
        """Move ``cid`` by ``event`` if the lifecycle allows it; None for an unknown order."""
        tracked = self.by_cid.get(cid)
        if tracked is None:
            return None
        move = apply(tracked.phase, event)
        if isinstance(move, IllegalMove):
            self.illegal_total += 1
            self.illegal.append(
                f"order {cid}: {move} ({detail})" if detail else f"order {cid}: {move}"
            )
            return move
        if event is OrderEvent.CANCEL_REQUESTED:
            tracked.cancel_ms = now_ms
        if move.changed or event in _AUDITED:
            self.moves.append(
                OrderTransition(cid, tracked.role, move.source, move.target, event, detail, now_ms)
            )
        tracked.phase = move.target
        tracked.updated_ms = now_ms
        return move

    def on_answer(self, cid: str, event: OrderEvent, now_ms: int, detail: str = "") -> Move | None:
        """The place request's answer (ack, refusal, ambiguous, never sent)."""
        move = self.apply(cid, event, now_ms, detail)
        tracked = self.by_cid.get(cid)
        if isinstance(move, PhaseMove) and tracked is not None:
            tracked.acked_ms = tracked.acked_ms or now_ms
            if event is OrderEvent.REFUSED:
                tracked.reject_reason = detail or tracked.reject_reason
        return move

    def on_order(self, order: Order, now_ms: int) -> tuple[TrackedOrder, Move] | None:
        """Fold in exchange evidence; ``None`` for orders this session did not make.

        A refused move (a final order seen working again) changes nothing at all.
        """
        tracked = self.by_cid.get(order.client_id)
        if tracked is None:
            return None
        move = self.apply(
            tracked.client_id, evidence_event(order.status), now_ms, order.status.value
        )
        if isinstance(move, IllegalMove):
            return tracked, move
        tracked.seen_ms = tracked.seen_ms or now_ms
        tracked.order_id = order.order_id or tracked.order_id
        if order.qty > 0 and order.qty != tracked.spec.qty:
            # an accepted amend (G7, G9) or a reduce-only cap: the exchange's qty holds
            tracked.spec = replace(tracked.spec, qty=order.qty)
        tracked.filled_qty = max(tracked.filled_qty, order.filled_qty)
        tracked.reject_reason = order.reject_reason or tracked.reject_reason
        return tracked, move

    def on_fill(self, fill: Fill, now_ms: int) -> TrackedOrder | None:
        """Fold an execution in once (executions can be replayed after a reconnect)."""
        if fill.exec_id in self.seen_exec_ids:
            return None
        self.seen_exec_ids.add(fill.exec_id)
        tracked = self.by_cid.get(fill.client_id)
        if tracked is None:
            return None
        tracked.fees_btc += fill.fee_btc
        tracked.notional_btc += Decimal(fill.qty) / fill.price
        tracked.exec_qty += fill.qty
        tracked.filled_qty = max(tracked.filled_qty, tracked.exec_qty)
        tracked.updated_ms = now_ms
        return tracked

    def take_moves(self) -> list[OrderTransition]:
        moves, self.moves = self.moves, []
        return moves

    def take_illegal(self) -> list[str]:
        illegal, self.illegal = self.illegal, []
        return illegal

    def prune(self, keep_ms: int, now_ms: int, keep_signals: frozenset[str] = frozenset()) -> int:
        """Forget final orders older than ``keep_ms``, except those of ``keep_signals``.

        Safe for G2 when ``keep_ms`` exceeds the signal time bucket: a signal id contains its
        bucket, so an older signal can never be proposed again and its attempt numbers are
        never needed; the signals still in use (the open trade, a standing entry) are kept.
        """
        cutoff = now_ms - keep_ms
        old = [
            cid
            for cid, o in self.by_cid.items()
            if o.updated_ms < cutoff
            and not o.phase.is_live
            and o.phase is not OrderPhase.LOST
            and o.signal_id not in keep_signals
        ]
        for cid in old:
            del self.by_cid[cid]
        return len(old)

    def to_dict(self) -> dict:
        return {
            "orders": [o.to_dict() for o in self.by_cid.values()],
            "exec_ids": sorted(self.seen_exec_ids)[-500:],
            "illegal_total": self.illegal_total,
        }

    @classmethod
    def from_dict(cls, d: dict) -> OwnOrders:
        orders = [TrackedOrder.from_dict(o) for o in d["orders"]]
        return cls(
            {o.client_id: o for o in orders},
            set(d.get("exec_ids", [])),
            illegal_total=int(d.get("illegal_total", 0)),
        )


_AUDITED = frozenset({OrderEvent.AMEND_REQUESTED, OrderEvent.CANCEL_REQUESTED})
