"""Fault injection for scenario tests: each fault is armed for the next N occurrences.

The simulator consults the plan at one place per kind; a fault never changes what the
exchange itself did except where said (an ``outcome_unknown`` order IS placed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accountbuilder.domain.enums import OrderRole
from accountbuilder.domain.events import ExchangeEvent

EventTypes = tuple[type[ExchangeEvent], ...]


@dataclass(slots=True)
class _Armed:
    """A counter of pending faults, optionally limited to some event types."""

    count: int = 0
    types: EventTypes | None = None
    delay_ms: int = 0

    def take(self, event: ExchangeEvent | None = None) -> bool:
        if self.count <= 0:
            return False
        if event is not None and self.types is not None and not isinstance(event, self.types):
            return False
        self.count -= 1
        return True


@dataclass(slots=True)
class FaultPlan:
    """Armed faults. Arm with the methods; the simulator consumes them.

    ``position_idx_as_string`` makes position answers and events carry ``positionIdx "0"``
    (a string), as some Bybit responses do (SPEC F7).
    """

    _reject: _Armed = field(default_factory=_Armed)
    _rate_limit: _Armed = field(default_factory=_Armed)
    _unknown: _Armed = field(default_factory=_Armed)
    _malformed_wallet: _Armed = field(default_factory=_Armed)
    _drop: _Armed = field(default_factory=_Armed)
    _delay: _Armed = field(default_factory=_Armed)
    _reject_amend: _Armed = field(default_factory=_Armed)
    _duplicate: _Armed = field(default_factory=_Armed)
    _gap: _Armed = field(default_factory=_Armed)
    _post_only: _Armed = field(default_factory=_Armed)
    _beyond_limit: _Armed = field(default_factory=_Armed)
    reject_roles: frozenset[OrderRole] | None = None  # reject_next_orders: only these roles
    beyond_limit_ticks: int = 0
    position_idx_as_string: bool = False

    def reject_next_orders(self, n: int = 1, roles: frozenset[OrderRole] | None = None) -> None:
        """The next ``n`` ``place_order`` calls (of ``roles``) are refused; nothing is placed."""
        self._reject.count = n
        self.reject_roles = roles

    def gap_next_events(self, n: int, types: EventTypes | None = None) -> None:
        """Lose the next ``n`` events (of ``types``) in stream gaps: each lost event is followed
        by a reconnect (``StreamReconnected``), as a real WS drop is: messages are lost only
        when the connection drops."""
        self._gap = _Armed(n, types)

    def duplicate_next_events(self, n: int, types: EventTypes | None = None) -> None:
        """Deliver the next ``n`` events (of ``types``) twice, as a replaying stream does."""
        self._duplicate = _Armed(n, types)

    def refuse_post_only_next(self, n: int = 1) -> None:
        """The next ``n`` PostOnly places are refused as taking liquidity (G3), whatever the price."""
        self._post_only.count = n

    def fill_beyond_limit_next(self, n: int, ticks: int) -> None:
        """The next ``n`` taker executions of limit orders fill ``ticks`` beyond their limit
        (an exchange anomaly: C3's post-fill check must catch it)."""
        self._beyond_limit.count, self.beyond_limit_ticks = n, ticks

    def reject_next_amends(self, n: int = 1) -> None:
        """The next ``n`` ``amend_order`` calls are refused (``Rejected``); nothing changes."""
        self._reject_amend.count = n

    def rate_limit_next_calls(self, n: int = 1) -> None:
        """The next ``n`` port calls (any endpoint) raise ``RateLimited``; nothing happens."""
        self._rate_limit.count = n

    def outcome_unknown_next(self, n: int = 1) -> None:
        """The next ``n`` place/amend/cancel calls take effect, then raise ``OutcomeUnknown``."""
        self._unknown.count = n

    def malformed_wallet_next(self, n: int = 1) -> None:
        """The next ``n`` ``fetch_account`` calls raise ``MalformedResponse``."""
        self._malformed_wallet.count = n

    def drop_next_events(self, n: int = 1, types: EventTypes | None = None) -> None:
        """Never deliver the next ``n`` events (of ``types``); the exchange still applied them."""
        self._drop = _Armed(n, types)

    def delay_next_events(self, n: int, delay_ms: int, types: EventTypes | None = None) -> None:
        """Deliver the next ``n`` events (of ``types``) ``delay_ms`` later than normal."""
        self._delay = _Armed(n, types, delay_ms)

    def disarm(self) -> None:
        """Forget every armed fault (a scenario's faults are over)."""
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, _Armed):
                setattr(self, name, _Armed())
        self.reject_roles = None

    # --------------------------------------------------------------- consumed by the sim
    def take_reject(self, role: OrderRole | None = None) -> bool:
        if self.reject_roles is not None and role not in self.reject_roles:
            return False
        return self._reject.take()

    def take_gap(self, event: ExchangeEvent) -> bool:
        """Lost in a gap (a reconnect follows it)?"""
        return self._gap.take(event)

    def take_duplicate(self, event: ExchangeEvent) -> bool:
        return self._duplicate.take(event)

    def take_post_only_refusal(self) -> bool:
        return self._post_only.take()

    def take_beyond_limit_ticks(self) -> int:
        return self.beyond_limit_ticks if self._beyond_limit.take() else 0

    def take_reject_amend(self) -> bool:
        return self._reject_amend.take()

    def take_rate_limit(self) -> bool:
        return self._rate_limit.take()

    def take_unknown(self) -> bool:
        return self._unknown.take()

    def take_malformed_wallet(self) -> bool:
        return self._malformed_wallet.take()

    def take_drop(self, event: ExchangeEvent) -> bool:
        return self._drop.take(event)

    def take_delay_ms(self, event: ExchangeEvent) -> int:
        return self._delay.delay_ms if self._delay.take(event) else 0
