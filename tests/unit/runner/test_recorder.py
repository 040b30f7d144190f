"""One recorder for live and paper (runner/recorder.py): intents (SPEC G2), session (I4)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pytest
from tests.unit.runner.slices import BUNDLED, config

from accountbuilder.core.kit import Outbox
from accountbuilder.core.orders import Phase, TrackedOrder
from accountbuilder.domain.commands import (
    AmendOrder,
    CancelOrder,
    LookupOrder,
    PlaceOrder,
    Reconcile,
    SetLeverage,
)
from accountbuilder.domain.enums import OrderRole, OrderSide, OrderStatus, OrderType, TimeInForce
from accountbuilder.domain.events import CommandFailed, CommandSucceeded
from accountbuilder.domain.models import Order, OrderSpec
from accountbuilder.marketdata.candles import load_candles, parse_utc_date_ms
from accountbuilder.store import IntentAction, IntentRecord, IntentStatus, SqliteStore
from accountbuilder_runner.recorder import Recorder, intent_of, settled
from accountbuilder_runner.replay import Replay, plan_replay

CID = "0123456789abcdef0123_L_en0"
STOP = "0123456789abcdef0123_L_sl0"
SPEC = OrderSpec(
    CID,
    OrderRole.ENTRY,
    OrderSide.BUY,
    OrderType.LIMIT,
    100,
    price=Decimal("50000"),
    time_in_force=TimeInForce.POST_ONLY,
)
S = IntentStatus


@cache
def bundled():
    return load_candles(BUNDLED)


@pytest.fixture
async def core():
    """A real core on the simulator, as paper trading builds it."""
    start = parse_utc_date_ms("2021-05-01")
    plan = plan_replay(bundled(), config(), Decimal(100), from_ms=start, to_ms=start + 3_600_000)
    return (await Replay.open(plan)).core


@pytest.fixture
def store():
    with SqliteStore.open(":memory:", now_ms=0) as opened:
        yield opened


def statuses(store: SqliteStore, intent_id: str) -> list[str]:
    return [to for _, to, _ in store.intent_history(intent_id)]


def answer(ok: bool, kind: str = "", order: Order | None = None):
    if ok:
        return CommandSucceeded(
            exchange_ts_ms=1, local_ts_ms=1, intent_id=CID, client_id=CID, order=order
        )
    return CommandFailed(
        exchange_ts_ms=1, local_ts_ms=1, intent_id=CID, client_id=CID, kind=kind, message="m"
    )


def test_g2_order_commands_become_intents_and_reads_do_not():
    place = intent_of(PlaceOrder(SPEC, CID))
    amend = intent_of(AmendOrder(CID, f"{CID}:amend3", qty=90))
    cancel = intent_of(CancelOrder(CID, f"{CID}:cancel:timeout4", protective=True))

    assert place[:4] == (CID, CID, "en", IntentAction.PLACE) and place[4]["qty"] == 100
    assert amend[:4] == (f"{CID}:amend3", CID, "en", IntentAction.AMEND)
    assert amend[4]["qty"] == 90
    assert cancel[:4] == (f"{CID}:cancel:timeout4", CID, "en", IntentAction.CANCEL)
    for read in (LookupOrder(CID), Reconcile("degraded"), SetLeverage(Decimal(2), "lev:1")):
        assert intent_of(read) is None


async def test_i4_g2_the_session_is_committed_before_the_intent(core, store, monkeypatch):
    calls: list[str] = []
    for name in ("save_session", "record_intent"):
        real = getattr(store, name)

        def spy(*a, _real=real, _name=name, **kw):
            calls.append(_name)
            return _real(*a, **kw)

        monkeypatch.setattr(store, name, spy)
    recorder = Recorder(store, mode="paper")
    out = Outbox()
    out.commands.append(PlaceOrder(SPEC, CID))

    recorder.on_outbox(1_000, out, core)

    # A crash between the two leaves an order the restarted core knows (and looks up), never
    # an intent it does not know.
    assert calls == ["save_session", "record_intent"]
    assert out.commands == [PlaceOrder(SPEC, CID)]
    assert store.intent(CID).status is S.RECORDED
    runtime = store.load_session()["runtime"]
    assert runtime["mode"] == "paper" and runtime["updated_ms"] == 1_000


async def test_g2_a_placement_that_has_an_intent_is_never_sent_again(core, store):
    recorder = Recorder(store)
    first = Outbox()
    first.commands.append(PlaceOrder(SPEC, CID))
    recorder.on_outbox(1_000, first, core)
    carried = Outbox()
    carried.commands.append(PlaceOrder(SPEC, CID))
    recorder.on_outbox(2_000, carried, core)  # committed, not sent yet (carried over): kept
    recorder.on_results(2_000, PlaceOrder(SPEC, CID), [answer(False, "OutcomeUnknown")])
    again = Outbox()
    again.commands.append(PlaceOrder(SPEC, CID))

    recorder.on_outbox(3_000, again, core)

    assert len(carried.commands) == 1
    assert again.commands == [] and recorder.duplicates == [CID]  # sent before: dropped
    assert statuses(store, CID) == ["recorded", "sent", "unknown"]


@pytest.mark.parametrize(
    ("events", "path"),
    [
        ([answer(True)], ["recorded", "sent", "acked"]),
        ([answer(False, "DuplicateClientId")], ["recorded", "sent", "acked"]),  # already placed
        ([answer(False, "OutcomeUnknown")], ["recorded", "sent", "unknown"]),  # look it up
        ([answer(False, "PostOnlyWouldTake")], ["recorded", "sent", "rejected"]),
        ([answer(False, "BudgetExhausted")], ["recorded", "resolved"]),  # never sent (F1)
        ([], ["recorded"]),  # no answer (the process died): stays recorded
    ],
)
def test_g2_answers_move_a_place_intent_along_its_lifecycle(store, events, path):
    recorder = Recorder(store)
    store.record_intent(CID, CID, "en", {}, 0)

    recorder.on_results(1, PlaceOrder(SPEC, CID), events)

    assert statuses(store, CID) == path


def test_g2_an_answered_amend_is_resolved_and_a_lookup_settles_an_unknown_place(store):
    recorder = Recorder(store)
    amend = AmendOrder(CID, f"{CID}:amend1", qty=90)
    store.record_intent(amend.intent_id, CID, "en", {}, 0, action=IntentAction.AMEND)
    store.record_intent(CID, CID, "en", {}, 0)
    store.mark_intent(CID, S.SENT, 0)
    store.mark_intent(CID, S.UNKNOWN, 0)
    found = Order.from_spec(SPEC, "oid-1", OrderStatus.NEW)

    recorder.on_results(1, amend, [answer(True)])
    recorder.on_results(1, LookupOrder(CID), [answer(True, order=found)])

    assert statuses(store, amend.intent_id) == ["recorded", "sent", "acked", "resolved"]
    assert statuses(store, CID) == ["recorded", "sent", "unknown", "acked"]  # found: adopted


def test_g2_i4_restart_turns_recorded_intents_into_unknown(store):
    store.record_intent(CID, CID, "en", {}, 0)  # committed, maybe sent before the crash
    store.record_intent(STOP, STOP, "sl", {}, 0)
    store.mark_intent(STOP, S.SENT, 0)
    store.mark_intent(STOP, S.ACKED, 0)  # answered: nothing to look up

    assert Recorder(store).restart(5) == [CID]
    assert store.intent(CID).status is S.UNKNOWN and store.intent(STOP).status is S.ACKED


def intent(status: IntentStatus, action: IntentAction = IntentAction.PLACE) -> IntentRecord:
    return IntentRecord(CID, CID, action, OrderRole.ENTRY, {}, status, None, 0, 0)


def tracked(phase: Phase, order_id: str = "") -> TrackedOrder:
    return TrackedOrder(SPEC, 0, phase=phase, order_id=order_id)


@pytest.mark.parametrize(
    ("record", "order", "path"),
    [
        # unknown after a restart: the restarted core found the order (snapshot or lookup)
        (intent(S.UNKNOWN), tracked(Phase.OPEN, "oid"), (S.ACKED,)),
        (intent(S.UNKNOWN), tracked(Phase.FILLED, "oid"), (S.ACKED, S.RESOLVED)),
        # ... or looked it up and found nothing: it never reached the book
        (intent(S.UNKNOWN), tracked(Phase.REJECTED), (S.RESOLVED,)),
        (intent(S.UNKNOWN), tracked(Phase.UNKNOWN), ()),  # lookup still under way
        (intent(S.UNKNOWN), None, ()),  # an order the core does not know: left for a human
        (intent(S.UNKNOWN, IntentAction.AMEND), tracked(Phase.OPEN, "oid"), (S.RESOLVED,)),
        (intent(S.ACKED), tracked(Phase.OPEN, "oid"), ()),  # still working
        (intent(S.ACKED), tracked(Phase.CANCELLED, "oid"), (S.RESOLVED,)),
        (intent(S.REJECTED), tracked(Phase.REJECTED), (S.RESOLVED,)),
        (intent(S.RECORDED), tracked(Phase.INTENT), ()),  # not sent yet
    ],
)
def test_g2_settled_intents_follow_what_the_core_knows_of_their_order(record, order, path):
    assert settled(record, order)[0] == path
