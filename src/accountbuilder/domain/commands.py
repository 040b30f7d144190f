"""Commands the core emits for the runner to execute (imperative)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accountbuilder.domain.models import OrderSpec


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    spec: OrderSpec
    intent_id: str  # the persisted intent this send belongs to (SPEC G2, I4)


@dataclass(frozen=True, slots=True)
class AmendOrder:
    """Change qty and/or trigger price of a resting order (SPEC G7: amend, never replace)."""

    client_id: str
    intent_id: str
    qty: int | None = None
    trigger_price: Decimal | None = None
    protective: bool = True


@dataclass(frozen=True, slots=True)
class CancelOrder:
    client_id: str
    intent_id: str
    protective: bool = False


@dataclass(frozen=True, slots=True)
class LookupOrder:
    """Look an order up by client id after a timeout or restart (SPEC G2)."""

    client_id: str


@dataclass(frozen=True, slots=True)
class Reconcile:
    """Fetch the exchange's truth by REST (SPEC F3, F4, F5)."""

    reason: str


Command = PlaceOrder | AmendOrder | CancelOrder | LookupOrder | Reconcile


@dataclass(frozen=True, slots=True)
class SetLeverage:
    """Lower the leverage (SPEC B3: never increased); only sent with nothing open."""

    leverage: Decimal
    intent_id: str


AnyCommand = PlaceOrder | AmendOrder | CancelOrder | LookupOrder | Reconcile | SetLeverage
