"""What every driver shares: its one ``Rounds`` loop, and the events and commands waiting in it."""

from __future__ import annotations

from accountbuilder.core.rounds import Rounds
from accountbuilder.domain.commands import AnyCommand
from accountbuilder.domain.events import ExchangeEvent


class RoundsView:
    """``pending`` (events fed to the next tick) and ``carried`` (commands left after
    ``MAX_ROUNDS``) of the driver's ``rounds``."""

    rounds: Rounds

    @property
    def pending(self) -> list[ExchangeEvent]:
        return self.rounds.pending

    @pending.setter
    def pending(self, events: list[ExchangeEvent]) -> None:
        self.rounds.pending = list(events)

    @property
    def carried(self) -> list[AnyCommand]:
        return self.rounds.carried
