"""Execute the core's commands against an exchange port; turn each outcome into an event.

Every REST call passes the F1 budget first (protective calls may use the reserve); a call that
does not fit before its deadline is never sent and comes back as ``BudgetExhausted``. Typed
port errors become ``CommandFailed`` with the error's class name; a timeout is
``OutcomeUnknown``, never "rejected" (SPEC G2). Round trips are reported for E2.
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
    RestRoundTrip,
)
from accountbuilder.domain.models import Order
from accountbuilder.exchange.errors import ExchangeError
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
        intent, cid, protective, call = self._plan(command)
        now = self.clock()
        deadline = now + (PROTECTIVE_DEADLINE_MS if protective and self.wait_for_budget else 0)
        calls = 2 if isinstance(command, Reconcile) else 1
        for _ in range(calls):
            grant = await acquire(self.budget, self.clock, self.sleep, protective, deadline)
            if not isinstance(grant, Grant):
                return [self._failed(intent, cid, "BudgetExhausted", str(grant))]
        start = self.clock()
        self.sent += calls
        try:
            result = await call()
        except ExchangeError as e:
            return [self._trip(start, command), self._failed(intent, cid, type(e).__name__, str(e))]
        except TimeoutError as e:
            return [self._trip(start, command), self._failed(intent, cid, "OutcomeUnknown", str(e))]
        if isinstance(command, PlaceOrder | AmendOrder | CancelOrder):
            failpoints.hit("after_send")
        return [self._trip(start, command), self._succeeded(command, intent, cid, result)]

    def _plan(self, command: AnyCommand):
        port = self.port
        if isinstance(command, PlaceOrder):
            spec = command.spec
            protective = spec.role.is_protective
            return command.intent_id, spec.client_id, protective, lambda: port.place_order(spec)
        if isinstance(command, AmendOrder):

            def call():
                return port.amend_order(
                    command.client_id, qty=command.qty, trigger_price=command.trigger_price
                )

            return command.intent_id, command.client_id, command.protective, call
        if isinstance(command, CancelOrder):
            return (
                command.intent_id,
                command.client_id,
                command.protective,
                lambda: port.cancel_order(command.client_id),
            )
        if isinstance(command, LookupOrder):
            return (
                f"{command.client_id}:lookup",
                command.client_id,
                True,
                lambda: port.fetch_order(command.client_id),
            )
        if isinstance(command, SetLeverage):
            return command.intent_id, "", False, lambda: port.set_leverage(command.leverage)
        if isinstance(command, Reconcile):
            # Reads never take the protective reserve: F3's 1 s reconcile (2 calls) would exceed
            # F1's 80 ordinary calls a minute, and the budget wins (it is never exceeded).
            return f"reconcile:{command.reason}", "", False, self._fetch_truth
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

    def _failed(self, intent: str, cid: str, kind: str, message: str) -> CommandFailed:
        now = self.clock()
        return CommandFailed(
            exchange_ts_ms=now,
            local_ts_ms=now,
            intent_id=intent,
            client_id=cid,
            kind=kind,
            message=message,
        )

    def _succeeded(self, command: AnyCommand, intent: str, cid: str, result: Any) -> ExchangeEvent:
        now = self.clock()
        if isinstance(command, Reconcile):
            position, orders = result
            return ExchangeSnapshotFetched(
                exchange_ts_ms=now, local_ts_ms=now, position=position, open_orders=orders
            )
        order = result if isinstance(result, Order) else None  # an OrderAck is not evidence
        return CommandSucceeded(
            exchange_ts_ms=now, local_ts_ms=now, intent_id=intent, client_id=cid, order=order
        )
