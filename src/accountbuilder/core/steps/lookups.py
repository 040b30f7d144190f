"""F4/G2: an order the exchange has not shown is looked up by client id, not re-sent.

An ack only says "accepted, processed asynchronously": if the order stream has not shown the
order 5 s after the ack, or the outcome of the send is unknown (timeout, restart), it is looked
up — again every 5 s while it stays unseen. The current stop is the stop_status machine's
(its own 5-second checks, G8), so it is left out here.
"""

from __future__ import annotations

from accountbuilder.core.kit import Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.domain.commands import LookupOrder
from accountbuilder.domain.lifecycle import OrderPhase

ACK_SILENCE_MS = 5_000  # F4: an ack not seen on the stream within 5 s
LOOKUP_INTERVAL_MS = 5_000  # an unseen order is looked up again after this


def due(phase: OrderPhase, acked_ms: int | None, lookup_ms: int | None, now_ms: int) -> bool:
    """Whether an order in ``phase`` is due for a lookup now."""
    if lookup_ms is not None and now_ms - lookup_ms < LOOKUP_INTERVAL_MS:
        return False
    if phase is OrderPhase.UNKNOWN:
        return True
    return (
        phase is OrderPhase.ACKED and acked_ms is not None and now_ms - acked_ms >= ACK_SILENCE_MS
    )


def run(s: SessionState, out: Outbox, now_ms: int) -> None:
    stop_cid = s.stop_track.client_id
    asked = {c.client_id for c in out.commands if isinstance(c, LookupOrder)}
    for o in s.orders.live():
        if o.client_id == stop_cid or o.client_id in asked:
            continue
        if due(o.phase, o.acked_ms, o.lookup_ms, now_ms):
            o.lookup_ms, o.lookups = now_ms, o.lookups + 1
            out.commands.append(LookupOrder(o.client_id, protective=o.role.is_protective))
