"""One recorder for live and paper (runner/recorder.py): order moves (SPEC G2), session (I4)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pytest
from tests.unit.runner.slices import BUNDLED, config

from accountbuilder.core.kit import Outbox
from accountbuilder.core.rounds import CommitFailed
from accountbuilder.domain.commands import PlaceOrder
from accountbuilder.domain.enums import OrderRole, OrderSide, OrderType, TimeInForce
from accountbuilder.domain.lifecycle import OrderEvent, OrderPhase, OrderTransition
from accountbuilder.domain.models import OrderSpec
from accountbuilder.marketdata.candles import load_candles, parse_utc_date_ms
from accountbuilder.store import SqliteStore
from accountbuilder_runner.recorder import Recorder
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


def place(out: Outbox, spec: OrderSpec = SPEC, ts: int = 1_000) -> None:
    """What the core puts in an outbox when it sends an order: the command and its creation."""
    out.commands.append(PlaceOrder(spec))
    out.order_moves.append(OrderTransition.created(spec, spec.client_id[:20], ts))


async def test_i4_g2_the_session_and_the_orders_creation_are_committed_before_the_send(core, store):
    recorder = Recorder(store, mode="paper")
    out = Outbox()
    place(out)

    recorder.on_outbox(1_000, out, core)

    assert out.commands == [PlaceOrder(SPEC)]
    assert store.order(CID).phase is OrderPhase.INTENT
    runtime = store.load_session()["runtime"]
    assert runtime["mode"] == "paper" and runtime["updated_ms"] == 1_000


async def test_g2_a_placement_whose_client_id_is_stored_is_never_sent_again(core, store):
    recorder = Recorder(store)
    first = Outbox()
    place(first)
    recorder.on_outbox(1_000, first, core)
    again = Outbox()
    place(again, ts=3_000)  # a core that lost its memory proposes the same id again

    recorder.on_outbox(3_000, again, core)

    assert first.commands == [PlaceOrder(SPEC)]
    assert again.commands == [] and recorder.duplicates == [CID]  # sent before: dropped
    assert [to for _, to, _, _ in store.order_history(CID)] == ["intent"]


async def test_g2_the_recorder_persists_the_cores_moves_and_derives_none(core, store):
    recorder = Recorder(store)
    out = Outbox()
    place(out)
    recorder.on_outbox(1_000, out, core)
    later = Outbox()
    later.order_moves += [
        OrderTransition(CID, OrderRole.ENTRY, OrderPhase.INTENT, OrderPhase.UNKNOWN,
                        OrderEvent.AMBIGUOUS, "outcome_unknown", 2_000),
        OrderTransition(CID, OrderRole.ENTRY, OrderPhase.UNKNOWN, OrderPhase.OPEN,
                        OrderEvent.SEEN_WORKING, "New", 2_000),
    ]  # fmt: skip

    recorder.on_outbox(2_000, later, core)

    assert [(f, t, e) for f, t, e, _ in store.order_history(CID)] == [
        (None, "intent", None),
        ("intent", "unknown", "ambiguous"),
        ("unknown", "open", "seen_working"),
    ]


async def test_i4_a_store_that_cannot_commit_raises_commit_failed(core, store, monkeypatch):
    def full(*a, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "commit_round", full)
    recorder = Recorder(store)
    out = Outbox()
    place(out)

    with pytest.raises(CommitFailed, match="No space left"):
        recorder.on_outbox(1_000, out, core)
    assert recorder.commit_failures == 1
