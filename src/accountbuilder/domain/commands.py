"""Commands the core emits for the runner to execute (imperative).

Each names its ``RequestId`` (SPEC G2): what it does and the client id of the order it acts
on. Protective commands (stop place/amend, reduce-only close, cancel entry) may use the
reserved part of the REST budget (F1).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accountbuilder.domain.models import OrderSpec
from accountbuilder.domain.requests import Purpose, RequestId, RequestKind


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """Send a new order; its client id is the request id (a (signal, role, attempt) once, G2)."""

    spec: OrderSpec

    @property
    def request(self) -> RequestId:
        return RequestId.place(self.spec.client_id)

    @property
    def protective(self) -> bool:
        return self.spec.role.is_protective


@dataclass(frozen=True, slots=True)
class AmendOrder:
    """Change qty and/or trigger price of a resting order (SPEC G7: amend, never replace)."""

    client_id: str
    seq: int
    qty: int | None = None
    trigger_price: Decimal | None = None
    protective: bool = True
    purpose: Purpose = Purpose.SYNC

    @property
    def request(self) -> RequestId:
        return RequestId(RequestKind.AMEND, self.client_id, self.seq, self.purpose)


@dataclass(frozen=True, slots=True)
class CancelOrder:
    client_id: str
    seq: int
    purpose: Purpose
    protective: bool = False

    @property
    def request(self) -> RequestId:
        return RequestId(RequestKind.CANCEL, self.client_id, self.seq, self.purpose)


@dataclass(frozen=True, slots=True)
class LookupOrder:
    """Look an order up by client id after a timeout, a silent ack or a restart (G2, F4)."""

    client_id: str
    protective: bool = False  # a stop's or a close's lookup may use the reserve (F1)

    @property
    def request(self) -> RequestId:
        return RequestId.lookup(self.client_id)


@dataclass(frozen=True, slots=True)
class Reconcile:
    """Fetch the exchange's truth by REST (SPEC F3, F4, F5)."""

    reason: str

    @property
    def request(self) -> RequestId:
        return RequestId(RequestKind.RECONCILE)

    @property
    def protective(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class SetLeverage:
    """Lower the leverage (SPEC B3: never increased); only sent with nothing open."""

    leverage: Decimal
    seq: int

    @property
    def request(self) -> RequestId:
        return RequestId(RequestKind.LEVERAGE, "", self.seq)

    @property
    def protective(self) -> bool:
        return False


Command = PlaceOrder | AmendOrder | CancelOrder | LookupOrder | Reconcile
AnyCommand = PlaceOrder | AmendOrder | CancelOrder | LookupOrder | Reconcile | SetLeverage
