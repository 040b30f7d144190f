"""What the stop supervisor remembers about the exchange-side stop (SPEC G6-G8)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any


@dataclass
class StopTrack:
    client_id: str | None = None  # the live stop order's client id
    attempt: int = 0  # next stop attempt number (client id suffix)
    trigger: Decimal | None = None
    qty: int = 0  # the stop's qty as sent/confirmed
    sent_ms: int | None = None  # when the current PENDING began (send or amend)
    tries: int = 0  # sends/checks of the current PENDING without confirmation
    retry_at_ms: int | None = None  # ERROR backoff
    errors: int = 0  # consecutive ERRORs (backoff grows)
    last_amend_ms: int | None = None
    amend_seq: int = 0
    amend_target_qty: int | None = None
    unprotected_since_ms: int | None = None  # position open without an ACTIVE stop since
    close_attempt: int = 0
    closing: bool = False  # a reduce-only close is under way (G6/G8)

    def reset(self) -> None:
        attempt, close_attempt = self.attempt, self.close_attempt
        self.__init__()  # type: ignore[misc]
        self.attempt, self.close_attempt = attempt, close_attempt

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["trigger"] = None if self.trigger is None else str(self.trigger)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StopTrack:
        kw = dict(d)
        kw["trigger"] = None if d["trigger"] is None else Decimal(d["trigger"])
        return cls(**kw)
