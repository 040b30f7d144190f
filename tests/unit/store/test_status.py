"""What ``accountbuilder status`` reads: one consistent snapshot of the store (SPEC I1–I4)."""

from __future__ import annotations

from dataclasses import replace

from accountbuilder.domain.enums import OrderRole, OrderSide, OrderType
from accountbuilder.domain.lifecycle import OrderTransition
from accountbuilder.domain.models import OrderSpec
from accountbuilder.records.daily_metrics import roll_up
from accountbuilder.records.examples import (
    T0,
    example_entry,
    example_exit,
    example_halt,
    example_rejection,
)
from accountbuilder.store import SqliteStore
from accountbuilder.store.migrations import LATEST_VERSION


def _fill(store):
    store.save_session({"halt": {"reason": "DROP_1M"}}, T0 + 16 * 3_600_000)
    spec = OrderSpec(
        "3f9a1c2b7d4e_L_sl1", OrderRole.STOP, OrderSide.SELL, OrderType.MARKET, 323, None
    )
    store.record_order_moves([OrderTransition.created(spec, "3f9a1c2b7d4e", T0)])
    store.record_trade(example_entry())
    store.record_trade(example_exit())
    store.record_halt(example_halt())
    store.write_decisions([example_rejection(T0 + t) for t in range(3)])
    store.upsert_daily_metrics(roll_up([example_exit(), example_halt()]), T0)


def test_i4_status_view_holds_session_orders_trades_halts_decisions_metrics(store, db_path):
    _fill(store)

    with SqliteStore.open_readonly(db_path) as reader:
        view = reader.status("2024-03-01", n_decisions=2)

    assert view.schema_version == LATEST_VERSION
    assert view.session.doc == {"halt": {"reason": "DROP_1M"}}
    assert [o.client_id for o in view.live_orders] == ["3f9a1c2b7d4e_L_sl1"]
    assert view.trades_today == (example_entry(), example_exit())
    assert view.open_halts == view.recent_halts == (example_halt(),)
    assert [r.last_ts_ms for r in view.last_decisions] == [T0 + 2, T0 + 1]
    assert [(m.day, m.trades, m.halts) for m in view.daily_metrics] == [("2024-03-01", 1, 1)]


def test_i4_status_of_an_empty_store(store, db_path):
    with SqliteStore.open_readonly(db_path) as reader:
        view = reader.status("2024-03-01")

    assert view.session is None
    assert view.live_orders == view.trades_today == view.last_decisions == ()


def test_i4_a_read_snapshot_does_not_see_commits_made_after_it_began(store, db_path):
    store.save_session({"n": 1}, T0)

    with SqliteStore.open_readonly(db_path) as reader, reader.snapshot():
        first = reader.load_session()
        store.save_session({"n": 2}, T0 + 1)  # the writer is not blocked by the reader
        store.record_trade(example_entry())
        view = reader.status("2024-03-01")

        assert first == view.session.doc == {"n": 1}
        assert view.trades_today == ()

    assert reader_after(db_path) == {"n": 2}


def reader_after(db_path):
    with SqliteStore.open_readonly(db_path) as reader:
        return reader.load_session()


def test_i4_status_day_selects_that_days_trades(store, db_path):
    store.record_trade(replace(example_entry(), ts_ms=T0 - 1))  # 2024-02-29 23:59:59.999

    with SqliteStore.open_readonly(db_path) as reader:
        assert reader.status("2024-03-01").trades_today == ()
        assert len(reader.status("2024-02-29").trades_today) == 1
