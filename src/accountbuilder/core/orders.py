"""The core's own orders, tracked from intent to final state (SPEC G2, I4).

The intent id of a place command is the order's client id: a (signal, role, attempt) is sent
at most once (G2). Amend and cancel intents get ``{client_id}:amend{n}`` / ``:cancel`` ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from accountbuilder.core.codec import spec_from_dict, spec_to_dict
from accountbuilder.domain.enums import OrderRole, OrderStatus
from accountbuilder.domain.models import Fill, Order, OrderSpec
from accountbuilder.signal.ids import parse_client_id


class Phase(StrEnum):
    INTENT = "intent"  # committed, not yet sent
    SENT = "sent"  # sent, no answer yet
    UNKNOWN = "unknown"  # timeout: look it up by client id (G2)
    OPEN = "open"  # resting / untriggered / partially filled
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_live(self) -> bool:
        """May still fill or still protect: not in a final phase."""
        return self in LIVE_PHASES


LIVE_PHASES = frozenset({Phase.INTENT, Phase.SENT, Phase.UNKNOWN, Phase.OPEN})

_FINAL = {
    OrderStatus.FILLED: Phase.FILLED,
    OrderStatus.CANCELLED: Phase.CANCELLED,
    OrderStatus.PARTIALLY_FILLED_CANCELED: Phase.CANCELLED,
    OrderStatus.DEACTIVATED: Phase.CANCELLED,
    OrderStatus.REJECTED: Phase.REJECTED,
}


@dataclass
class TrackedOrder:
    spec: OrderSpec
    created_ms: int
    phase: Phase = Phase.INTENT
    sent_ms: int | None = None
    order_id: str = ""
    filled_qty: int = 0
    fees_btc: Decimal = Decimal(0)
    notional_btc: Decimal = Decimal(0)  # Σ qty/price of fills, for the average (harmonic) price
    exec_qty: int = 0  # Σ qty of the executions seen
    reject_reason: str = ""
    updated_ms: int = 0

    @property
    def client_id(self) -> str:
        return self.spec.client_id

    @property
    def role(self) -> OrderRole:
        return self.spec.role

    @property
    def avg_price(self) -> Decimal | None:
        """Inverse average price: contracts / Σ(qty_i / price_i)."""
        return Decimal(self.exec_qty) / self.notional_btc if self.notional_btc else None

    def to_dict(self) -> dict:
        return {
            "spec": spec_to_dict(self.spec),
            "created_ms": self.created_ms,
            "phase": self.phase.value,
            "sent_ms": self.sent_ms,
            "order_id": self.order_id,
            "filled_qty": self.filled_qty,
            "fees_btc": str(self.fees_btc),
            "notional_btc": str(self.notional_btc),
            "exec_qty": self.exec_qty,
            "reject_reason": self.reject_reason,
            "updated_ms": self.updated_ms,
        }

    @classmethod
    def from_dict(cls, d: dict) -> TrackedOrder:
        return cls(
            spec=spec_from_dict(d["spec"]),
            created_ms=d["created_ms"],
            phase=Phase(d["phase"]),
            sent_ms=d["sent_ms"],
            order_id=d["order_id"],
            filled_qty=d["filled_qty"],
            fees_btc=Decimal(d["fees_btc"]),
            notional_btc=Decimal(d["notional_btc"]),
            exec_qty=d["exec_qty"],
            reject_reason=d["reject_reason"],
            updated_ms=d["updated_ms"],
        )


@dataclass
class OwnOrders:
    """Every order this session created, by client id."""

    by_cid: dict[str, TrackedOrder] = field(default_factory=dict)
    seen_exec_ids: set[str] = field(default_factory=set)

    def add_intent(self, spec: OrderSpec, now_ms: int) -> TrackedOrder:
        if spec.client_id in self.by_cid:
            raise ValueError(
                f"intent {spec.client_id} exists: a (signal, role, attempt) is sent once (G2)"
            )
        order = TrackedOrder(spec, now_ms, updated_ms=now_ms)
        self.by_cid[spec.client_id] = order
        return order

    def next_attempt(self, signal_id: str, role: OrderRole) -> int:
        """The next unused attempt number of ``role`` for ``signal_id`` (G1/G2)."""
        prefix = f"{signal_id}_"
        used = [
            parsed[3]
            for cid, o in self.by_cid.items()
            if o.role is role
            and cid.startswith(prefix)
            and (parsed := parse_client_id(cid)) is not None
            and parsed[0] == signal_id
        ]
        return max(used, default=-1) + 1

    def get(self, cid: str) -> TrackedOrder | None:
        return self.by_cid.get(cid)

    def live(self, *roles: OrderRole) -> list[TrackedOrder]:
        if not roles:
            return [o for o in self.by_cid.values() if o.phase in LIVE_PHASES]
        return [o for o in self.by_cid.values() if o.phase in LIVE_PHASES and o.role in roles]

    def on_order(self, order: Order, now_ms: int) -> TrackedOrder | None:
        """Fold an exchange order update in; ``None`` for orders this session did not make."""
        tracked = self.by_cid.get(order.client_id)
        if tracked is None:
            return None
        tracked.order_id = order.order_id or tracked.order_id
        if order.qty > 0 and order.qty != tracked.spec.qty:
            # an accepted amend (G7, G9): the order now rests with the exchange's qty
            tracked.spec = replace(tracked.spec, qty=order.qty)
        tracked.filled_qty = max(tracked.filled_qty, order.filled_qty)
        tracked.phase = _FINAL.get(order.status, Phase.OPEN)
        tracked.reject_reason = order.reject_reason or tracked.reject_reason
        tracked.updated_ms = now_ms
        return tracked

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

    def prune(self, keep_ms: int, now_ms: int, keep_signal: str | None = None) -> int:
        """Forget final orders older than ``keep_ms``, except those of ``keep_signal``.

        Safe for G2 when ``keep_ms`` exceeds the signal time bucket: a signal id contains its
        bucket, so an older signal can never be proposed again and its attempt numbers are
        never needed; the open trade's signal (its stop/TP attempts go on) is kept whole.
        """
        cutoff = now_ms - keep_ms
        keep_prefix = None if keep_signal is None else f"{keep_signal}_"
        old = [
            cid
            for cid, o in self.by_cid.items()
            if o.updated_ms < cutoff
            and o.phase not in LIVE_PHASES
            and (keep_prefix is None or not cid.startswith(keep_prefix))
        ]
        for cid in old:
            del self.by_cid[cid]
        return len(old)

    def to_dict(self) -> dict:
        return {
            "orders": [o.to_dict() for o in self.by_cid.values()],
            "exec_ids": sorted(self.seen_exec_ids)[-500:],
        }

    @classmethod
    def from_dict(cls, d: dict) -> OwnOrders:
        orders = [TrackedOrder.from_dict(o) for o in d["orders"]]
        return cls({o.client_id: o for o in orders}, set(d.get("exec_ids", [])))
