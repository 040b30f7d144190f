"""Execute the core's commands against an exchange port; turn each outcome into events.

Every REST call passes the F1 budget first (protective calls may use the reserve); a call that
does not fit before its deadline is never sent and comes back as ``BUDGET_EXHAUSTED``. Port
errors become ``CommandFailed`` with their ``FailureKind`` (mapped once, in
``exchange.errors``); a timeout is ambiguous, never "rejected" (SPEC G2). A place, amend or
cancel that succeeds is an ack and nothing more (G8, F4); a lookup's answer is a REST read of
the order, delivered as ``OrderUpdated(via_rest=True)``. Round trips are reported for E2.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from accountbuilder.domain.commands import (
    AmendOrder,
    AnyCommand,
    CancelOrder,
    LookupOrder,
    PlaceOrder,
    Reconcile,
    SetLeverage,
)
from accountbuilder.domain.events import (
    CommandFailed,
    CommandSucceeded,
    ExchangeEvent,
    ExchangeSnapshotFetched,
    OrderUpdated,
    RestRoundTrip,
)
from accountbuilder.domain.requests import FailureKind, RequestId
from accountbuilder.exchange.errors import ExchangeError, failure_kind
from accountbuilder.exchange.port import ExchangePort
from accountbuilder.health.rest_budget import Grant, RestBudget, acquire
from accountbuilder_runner import failpoints

PROTECTIVE_DEADLINE_MS = 2_000


async def _no_sleep(_: float) -> None:
    return None


class CommandExecutor:
    """One executor per session; ``clock`` returns UTC ms (simulated time in paper/backtest)."""

    def __init__(
        self,
        port: ExchangePort,
        budget: RestBudget,
        clock: Callable[[], int],
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        wait_for_budget: bool = True,
    ):
        self.port, self.budget, self.clock = port, budget, clock
        self.sleep = sleep or _no_sleep
        self.wait_for_budget = wait_for_budget
        self.sent = 0

    async def execute(self, command: AnyCommand) -> list[ExchangeEvent]:
        request, call = command.request, self._call(command)
        now = self.clock()
        protective = command.protective
        deadline = now + (PROTECTIVE_DEADLINE_MS if protective and self.wait_for_budget else 0)
        calls = 2 if isinstance(command, Reconcile) else 1
        for _ in range(calls):
            grant = await acquire(self.budget, self.clock, self.sleep, protective, deadline)
            if not isinstance(grant, Grant):
                return [self.failed(request, FailureKind.BUDGET_EXHAUSTED, str(grant))]
        start = self.clock()
        self.sent += calls
        try:
            result = await call()
        except ExchangeError as e:
            return [self._trip(start, command), self.failed(request, failure_kind(e), str(e))]
        except TimeoutError as e:
            trip = self._trip(start, command)
            return [trip, self.failed(request, FailureKind.OUTCOME_UNKNOWN, str(e) or "timeout")]
        if isinstance(command, PlaceOrder | AmendOrder | CancelOrder):
            failpoints.hit("after_send")
        return [self._trip(start, command), *self._succeeded(command, request, result)]

    def _call(self, command: AnyCommand) -> Callable[[], Awaitable[Any]]:
        port = self.port
        if isinstance(command, PlaceOrder):
            return lambda: port.place_order(command.spec)
        if isinstance(command, AmendOrder):
            return lambda: port.amend_order(
                command.client_id, qty=command.qty, trigger_price=command.trigger_price
            )
        if isinstance(command, CancelOrder):
            return lambda: port.cancel_order(command.client_id)
        if isinstance(command, LookupOrder):
            return lambda: port.fetch_order(command.client_id)
        if isinstance(command, SetLeverage):
            return lambda: port.set_leverage(command.leverage)
        if isinstance(command, Reconcile):
            # Reads never take the protective reserve: F3's 1 s reconcile (2 calls) would exceed
            # F1's 80 ordinary calls a minute, and the budget wins (it is never exceeded).
            return self._fetch_truth
        raise TypeError(f"unknown command {command!r}")

    async def _fetch_truth(self):
        return await self.port.fetch_position(), tuple(await self.port.fetch_open_orders())

    def _trip(self, start: int, command: AnyCommand) -> RestRoundTrip:
        now = self.clock()
        return RestRoundTrip(
            exchange_ts_ms=now,
            local_ts_ms=now,
            endpoint=type(command).__name__,
            latency_ms=now - start,
        )

    def failed(self, request: RequestId, failure: FailureKind, message: str) -> CommandFailed:
        now = self.clock()
        return CommandFailed(
            exchange_ts_ms=now, local_ts_ms=now, request=request, failure=failure, message=message
        )

    def _succeeded(
        self, command: AnyCommand, request: RequestId, result: Any
    ) -> list[ExchangeEvent]:
        now = self.clock()
        if isinstance(command, Reconcile):
            position, orders = result
            return [
                ExchangeSnapshotFetched(
                    exchange_ts_ms=now, local_ts_ms=now, position=position, open_orders=orders
                )
            ]
        if isinstance(command, LookupOrder):
            found = result is not None
            answer = CommandSucceeded(
                exchange_ts_ms=now, local_ts_ms=now, request=request, found=found
            )
            if not found:
                return [answer]
            read = OrderUpdated(exchange_ts_ms=now, local_ts_ms=now, order=result, via_rest=True)
            return [read, answer]
        # An ack (SPEC G8, F4): only the order id, never the order's state.
        order_id = str(getattr(result, "order_id", "") or "")
        return [
            CommandSucceeded(
                exchange_ts_ms=now, local_ts_ms=now, request=request, order_id=order_id
            )
        ]
