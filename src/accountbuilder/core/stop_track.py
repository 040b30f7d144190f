"""What the stop supervisor remembers about the exchange-side stop (SPEC G6-G8): data only.

The decisions (place, look up, retry, close, HALT) are the stop_status machine's; these are
the facts its guards read and the ids and figures the commands need.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any


@dataclass
class StopTrack:
    client_id: str | None = None  # the current stop order's client id
    attempt: int = 0  # next stop attempt number (client id suffix)
    trigger: Decimal | None = None  # the trigger the current stop was placed or amended to
    qty: int = 0  # the stop's qty as the exchange last showed it
    pending_since_ms: int | None = None  # when the current PENDING began (send or amend)
    tries: int = 0  # 5-second checks of the current PENDING without evidence (G8)
    worked: bool = False  # the current stop order was seen working
    retry_at_ms: int | None = None  # ERROR backoff (G8)
    errors: int = 0  # consecutive failures (the backoff grows)
    amend_in_flight: bool = False
    amend_target_qty: int | None = None
    amend_target_trigger: Decimal | None = None
    amend_retry_at_ms: int | None = None  # a refused amend waits this long (G7)
    amend_errors: int = 0
    last_amend_ms: int | None = None
    amend_seq: int = 0
    unprotected_since_ms: int | None = None  # position open without an ACTIVE stop since
    close_attempt: int = 0
    close_cid: str | None = None  # the close order in flight (CLOSING)
    close_retry_at_ms: int | None = None  # a refused close is sent again from then
    close_errors: int = 0
    halt_raised: bool = False  # the 10-second rule's manual HALT for this position

    def reset(self) -> None:
        """A new position: forget everything but the attempt counters (G2: ids never reused)."""
        attempt, close_attempt, amend_seq = self.attempt, self.close_attempt, self.amend_seq
        self.__init__()  # type: ignore[misc]
        self.attempt, self.close_attempt, self.amend_seq = attempt, close_attempt, amend_seq

    def new_stop(self, cid: str, trigger: Decimal, qty: int, now_ms: int) -> None:
        self.client_id, self.trigger, self.qty = cid, trigger, qty
        self.pending_since_ms, self.tries, self.worked = now_ms, 0, False
        self.amend_in_flight, self.amend_target_qty, self.amend_target_trigger = False, None, None

    def confirmed(self, qty: int, trigger: Decimal | None) -> None:
        self.qty = qty
        self.trigger = trigger or self.trigger
        self.worked, self.tries, self.errors, self.retry_at_ms = True, 0, 0, None
        self.pending_since_ms = None
        if self.amend_in_flight:
            self.amend_in_flight, self.amend_errors = False, 0
            self.amend_target_qty = self.amend_target_trigger = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("trigger", "amend_target_trigger"):
            d[k] = None if d[k] is None else str(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StopTrack:
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        for k in ("trigger", "amend_target_trigger"):
            if kw.get(k) is not None:
                kw[k] = Decimal(kw[k])
        return cls(**kw)
