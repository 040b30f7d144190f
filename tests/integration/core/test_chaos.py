"""The chaos property (issue 13): the safety rules hold whatever the exchange does.

Hypothesis drives the whole core on the simulated exchange with random sequences of faults —
the stop cancelled, rejected or deactivated elsewhere; refused places, amends and closes;
answers of unknown outcome; private events held, lost in a stream gap, duplicated and
reordered; price paths that gap through the trigger; partial fills — and the harness checks
after every tick (``Scenario._check``):

- a position never goes more than 10 s without a stop the exchange holds and the core sees
  ACTIVE, unless a reduce-only close has been sent and a manual HALT raised (G8);
- no tracked order moves backward (only along the lifecycle table);
- no signal uses more than 100 client-id attempts (G1/G2);
- the REST budget is never exceeded (F1); no entry is sent while blocked (D6, E7);
- a full disk (the store's commit failing for a while) changes none of that, and every trade
  and halt record the core produced is committed exactly once when the disk works again (I1,
  I2, I4).

At the end the faults stop, the market calms, and a reconcile (the restart path, I4) leaves
every tracked order matching the exchange. CI runs the ``ci`` profile (200 examples);
``HYPOTHESIS_PROFILE=thorough`` runs 5,000.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.integration.core.harness import ENTRY_LEVEL, MARK0, Scenario, rows_flat, rows_move

from accountbuilder.core.rounds import CommitFailed
from accountbuilder.domain.enums import OrderRole, OrderStatus
from accountbuilder.domain.events import (
    ExchangeSnapshotFetched,
    OrderFilled,
    OrderUpdated,
    PositionUpdated,
)
from accountbuilder.domain.lifecycle import OrderPhase

SEC = 1_000
PRIVATE = (OrderUpdated, OrderFilled, PositionUpdated)
CLOSE = frozenset({OrderRole.CLOSE})
STOP_PCT = 0.045  # C1: 3 % spacing x 1.5


@dataclass(frozen=True)
class Fault:
    at_s: int  # seconds after the position is first protected
    kind: str
    n: int


FAULTS = st.builds(
    Fault,
    at_s=st.integers(0, 90),
    kind=st.sampled_from(
        [
            "cancel_stop",
            "reject_stop",
            "deactivate_stop",
            "reject_places",
            "reject_closes",
            "reject_amends",
            "unknown",
            "hold",
            "gap",
            "duplicate",
            "reorder",
            "rate_limit",
            "disk_full",
        ]
    ),
    n=st.integers(1, 4),
)

# The market after the fill: minutes at a price relative to the entry level (a gap is one
# candle that jumps straight there). Below -4.5 % the stop's trigger is crossed.
LEGS = st.lists(
    st.tuples(st.sampled_from([-0.08, -0.05, -0.03, -0.01, 0.0, 0.01, 0.035]), st.booleans()),
    min_size=1,
    max_size=4,
)


def path(legs) -> list:
    rows = rows_flat(MARK0, 1) + rows_move(MARK0, ENTRY_LEVEL - 20, 1) + rows_flat(ENTRY_LEVEL, 1)
    price = ENTRY_LEVEL
    for rel, gap in legs:
        target = ENTRY_LEVEL * (1 + rel)
        rows += rows_move(price, target, 1 if gap else 2) + rows_flat(target, 1)
        price = target
    return rows + rows_flat(price, 5)


class FlakyDisk:
    """The store's commit hook, failing until ``until_ms`` (a full disk); it notes every record
    offered to it, committed or not, so the test can tell none was lost or written twice."""

    def __init__(self, inner) -> None:
        self.inner, self.until_ms, self.failed = inner, 0, 0
        self.offered: dict[int, object] = {}  # id -> record (kept alive: ids stay unique)
        self.committed: list[int] = []

    def __call__(self, now_ms, out, core) -> None:
        records = [*out.trades, *out.halts]
        self.offered.update((id(r), r) for r in records)
        if now_ms < self.until_ms:
            self.failed += 1
            raise CommitFailed("OperationalError: database or disk is full")
        self.inner(now_ms, out, core)
        self.committed += [id(r) for r in records]


def apply_fault(sc: Scenario, fault: Fault) -> None:
    sim, faults, stop = sc.sim, sc.sim.faults, sc.stop_cid()
    live_stop = stop is not None and any(o.client_id == stop for o in sim.open_orders_now())
    if fault.kind == "cancel_stop" and live_stop:
        sim.cancel_elsewhere(stop)
    elif fault.kind == "reject_stop" and live_stop:
        sim.end_elsewhere(stop, OrderStatus.REJECTED)
    elif fault.kind == "deactivate_stop" and live_stop:
        sim.end_elsewhere(stop, OrderStatus.DEACTIVATED)
    elif fault.kind == "reject_places":
        faults.reject_next_orders(fault.n)
    elif fault.kind == "reject_closes":
        faults.reject_next_orders(fault.n, roles=CLOSE)
    elif fault.kind == "reject_amends":
        faults.reject_next_amends(fault.n)
    elif fault.kind == "unknown":
        faults.outcome_unknown_next(fault.n)
    elif fault.kind == "gap":
        faults.gap_next_events(fault.n, types=PRIVATE)
    elif fault.kind == "duplicate":
        faults.duplicate_next_events(fault.n, types=PRIVATE)
    elif fault.kind == "reorder":
        faults.delay_next_events(fault.n, fault.n * 700, types=PRIVATE)
    elif fault.kind == "rate_limit":
        faults.rate_limit_next_calls(fault.n)
    elif fault.kind == "disk_full":
        sc.driver.rounds.commit.until_ms = sc.now + fault.n * 5 * SEC


async def hold(sc: Scenario, seconds: int) -> None:
    """Every event held back a few seconds, then delivered at once (a short WS stall)."""
    sc.sim.stall_events()
    await sc.run_for(seconds * SEC)
    sc.sim.resume_events()


async def run_chaos(legs, faults: list[Fault], partial: bool) -> Scenario:
    sim = {"participation": 1.0} if partial else {}
    sc = Scenario(
        path(legs),
        tick_ms=SEC,
        with_ws=True,
        volume=0.002 if partial else 1e6,
        sim=sim,
        config={"execution": {"maker_timeout_s": 600}},
    )
    await sc.start()
    sc.driver.rounds.commit = FlakyDisk(sc.driver.rounds.commit)
    sc.tick_ms = 15 * SEC  # to the dip quickly: the entry rests, then fills
    while sc.sim.ledger.contracts == 0 and sc.now < sc.arrays_end_ms:
        await sc.run_for(sc.tick_ms)
    sc.tick_ms = SEC
    for _ in range(30):  # the stop is placed and confirmed
        if sc.state.stop.state == "ACTIVE":
            break
        await sc.run_for(SEC)
    t = 0
    for fault in sorted(faults, key=lambda f: f.at_s):
        await sc.run_for(max(fault.at_s - t, 0) * SEC)
        t = max(t, fault.at_s)
        if fault.kind == "hold":
            await hold(sc, fault.n)
        else:
            apply_fault(sc, fault)
    sc.sim.faults.disarm()
    sc.driver.rounds.commit.until_ms = 0
    await sc.run_for(30 * SEC)  # the faults are over: the core settles
    return sc


async def reconcile_now(sc: Scenario) -> None:
    """The restart path's reconcile (I4): the exchange's truth is taken at once."""
    sc.sim.faults.disarm()
    position = await sc.sim.fetch_position()
    orders = tuple(sc.sim.open_orders_now())
    now = sc.now + SEC
    sc.driver.pending = [
        ExchangeSnapshotFetched(
            exchange_ts_ms=now,
            local_ts_ms=now,
            position=position,
            open_orders=orders,
            startup=True,
        )
    ]
    await sc.run_for(2 * SEC)


def assert_orders_match_the_exchange(sc: Scenario) -> None:
    on_exchange = {o.client_id for o in sc.sim.open_orders_now()}
    tracked = sc.state.orders.by_cid
    for cid, order in tracked.items():
        if order.phase is OrderPhase.OPEN:
            assert cid in on_exchange, (cid, order.phase)
    for cid in on_exchange:
        if cid in tracked:
            assert tracked[cid].phase.is_live, (cid, tracked[cid].phase)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(legs=LEGS, faults=st.lists(FAULTS, max_size=6), partial=st.booleans())
@example(  # found by the thorough run: with the disk full, the reconcile that finds a stop lost
    # in a stream gap was refused as "not stored", and the exchange held no stop for 18 s
    legs=[(-0.08, False)],
    faults=[
        Fault(at_s=0, kind="gap", n=3),
        Fault(at_s=0, kind="cancel_stop", n=1),
        Fault(at_s=0, kind="disk_full", n=3),
        Fault(at_s=15, kind="cancel_stop", n=1),
    ],
    partial=False,
)
async def test_g8_g2_f1_chaos_property_protection_and_order_invariants_hold(legs, faults, partial):
    sc = await run_chaos(legs, faults, partial)

    sc.assert_invariants()  # checked after every tick of the run
    await reconcile_now(sc)
    assert_orders_match_the_exchange(sc)
    sc.assert_invariants()
    disk = sc.driver.rounds.commit
    assert sorted(disk.committed) == sorted(disk.offered)  # I1/I2: every record, once
    assert sc.driver.rounds.unrecorded is None
