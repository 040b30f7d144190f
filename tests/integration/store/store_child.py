"""A second process for the store's crash and concurrency tests (run as a script).

``python store_child.py COMMAND DB [ARGS]``; it prints one word per line when it reaches a
point the parent waits for, then (for the crash cases) blocks until it is killed.
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

from accountbuilder.domain.enums import OrderRole, OrderSide, OrderType
from accountbuilder.domain.lifecycle import OrderEvent, OrderPhase, OrderTransition
from accountbuilder.domain.models import OrderSpec
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.records.decision_log import DecisionRecord
from accountbuilder.records.examples import T0
from accountbuilder.store import SqliteStore

BLOCK_S = 600  # far longer than any test; the parent kills or releases the child first


def say(word: str) -> None:
    print(word, flush=True)


def _reject(ts: int, batch: str) -> DecisionRecord:
    figures = {"atr_pct_24h": Decimal("0.021"), "filler": "x" * 200}
    return DecisionRecord(
        ts, False, ReasonCode.VOLATILITY_TOO_LOW, signal_id=batch, figures=figures
    )


CID = "3f9a1c2b7d4e_L_en1"


def intent(db: str) -> None:
    """Commit an order (created, then acked) with a session revision, say so, wait to be killed."""
    spec = OrderSpec(CID, OrderRole.ENTRY, OrderSide.BUY, OrderType.LIMIT, 323, Decimal(50_000))
    ack = OrderTransition(
        CID, OrderRole.ENTRY, OrderPhase.INTENT, OrderPhase.ACKED, OrderEvent.ACCEPTED, "", T0 + 2
    )
    store = SqliteStore.open(db, now_ms=T0)
    store.commit_round(
        {"halt": None, "leverage_in_force": Decimal("3")},
        [OrderTransition.created(spec, "3f9a1c2b7d4e", T0 + 1)],
        T0,
    )
    store.record_order_moves([ack])
    say("COMMITTED")
    time.sleep(BLOCK_S)


def mid_batch(db: str, committed: int, big: int) -> None:
    """Commit one batch, then stop inside a second, bigger one and wait to be killed."""
    store = SqliteStore.open(db, now_ms=T0)
    store.write_decisions(_reject(T0 + i, "first") for i in range(committed))
    say("FIRST_COMMITTED")

    def second():
        for i in range(big):
            yield _reject(T0 + committed + i, "second")
        say("MID_BATCH")  # every row of the batch is inserted, the commit has not happened
        time.sleep(BLOCK_S)

    store.write_decisions(second())


def batches(db: str, size: int) -> None:
    """Write batches b0, b1, ... of ``size`` decisions, one transaction each, until killed."""
    store = SqliteStore.open(db, now_ms=T0)
    say("STARTED")
    n = 0
    while True:
        store.write_decisions(_reject(T0 + n * size + i, f"b{n}") for i in range(size))
        n += 1


def hold(db: str) -> None:
    """Stop inside a write transaction until a line arrives on stdin, then commit."""
    store = SqliteStore.open(db, now_ms=T0)

    def held():
        yield _reject(T0 + 10, "held")
        say("IN_TRANSACTION")
        sys.stdin.readline()

    store.write_decisions(held())
    store.save_session({"n": "after"}, T0 + 11)
    say("COMMITTED")
    store.close()


def reader(db: str, target: int) -> None:
    """Read snapshots until the session's ``n`` reaches ``target``; check each one."""
    seen: list[int] = []
    with SqliteStore.open_readonly(db) as store:
        deadline = time.monotonic() + BLOCK_S
        while time.monotonic() < deadline:
            with store.snapshot():
                n = store.load_session()["n"]
                rows, _ = store.decision_count()
            # the writer commits decisions of step n before the session saying n
            if not 10 * n <= rows <= 10 * (n + 1):
                raise SystemExit(f"inconsistent snapshot: n={n} rows={rows}")
            if seen and n < seen[-1]:
                raise SystemExit(f"went back in time: {seen[-1]} then {n}")
            if not seen:
                say("READY")
            seen.append(n)
            if n >= target:
                break
    say(json.dumps({"reads": len(seen), "distinct": len(set(seen)), "last": seen[-1]}))


def main(argv: list[str]) -> None:
    command, db, *args = argv
    handlers = {"intent": intent, "mid_batch": mid_batch, "batches": batches, "hold": hold}
    handlers["reader"] = reader
    handlers[command](db, *map(int, args))


if __name__ == "__main__":
    main(sys.argv[1:])
