"""Durability settings of the store's connection (SPEC I4, G2)."""

from __future__ import annotations

import sqlite3
import threading
from decimal import Decimal

import pytest

from accountbuilder.domain.enums import OrderRole, OrderSide, OrderType
from accountbuilder.domain.lifecycle import OrderTransition
from accountbuilder.domain.models import OrderSpec
from accountbuilder.records.examples import T0, example_rejection
from accountbuilder.store import ReadOnlyStoreError, SqliteStore
from accountbuilder.store.connection import Database

FULL, NORMAL = 2, 1  # PRAGMA synchronous values


def _pragma(store, name):
    return store._db.conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_i4_store_journal_is_wal_with_foreign_keys_on(store):
    assert _pragma(store, "journal_mode") == "wal"
    assert _pragma(store, "foreign_keys") == 1


def test_g2_order_commit_is_synchronous_full(store):
    store.write_decisions([example_rejection()])
    assert _pragma(store, "synchronous") == NORMAL

    spec = OrderSpec("sig_L_en1", OrderRole.ENTRY, OrderSide.BUY, OrderType.LIMIT, 1, Decimal(1))
    store.record_order_moves([OrderTransition.created(spec, "sig", T0)])

    assert _pragma(store, "synchronous") == FULL


def test_i4_session_commit_is_synchronous_full(store):
    store.write_decisions([example_rejection()])

    store.save_session({"halt": None}, T0)

    assert _pragma(store, "synchronous") == FULL


def test_i4_decision_batch_is_synchronous_normal(store):
    store.save_session({"halt": None}, T0)

    store.write_decisions([example_rejection()])

    assert _pragma(store, "synchronous") == NORMAL


def test_i4_a_failing_write_rolls_back_the_whole_transaction(store):
    db: Database = store._db

    with pytest.raises(RuntimeError), db.write(durable=True) as conn:
        conn.execute(
            "INSERT INTO halts (ts_ms, day, reason, kind, event, context_json, record_json) VALUES (1, 'd', 'r', 'k', 'e', '{}', '{}')"
        )
        raise RuntimeError("boom")

    assert store.recent_halts() == []
    assert not db.conn.in_transaction


def test_i4_foreign_keys_refuse_a_transition_of_an_unknown_order(store):
    with pytest.raises(sqlite3.IntegrityError), store._db.write(durable=True) as conn:
        conn.execute(
            "INSERT INTO order_transitions (client_id, to_phase, ts_ms) VALUES ('nope', 'open', 1)"
        )


def test_i4_read_only_store_refuses_writes(store, db_path):
    store.save_session({"halt": None}, T0)

    with SqliteStore.open_readonly(db_path) as reader:
        with pytest.raises(ReadOnlyStoreError):
            reader.save_session({"halt": "x"}, T0 + 1)
        with pytest.raises(sqlite3.OperationalError):  # below the API, too
            reader._db.conn.execute("DELETE FROM session")
        assert reader.load_session() == {"halt": None}


def test_i4_store_is_used_from_the_thread_that_opened_it(store):
    errors = []

    def use():
        try:
            store.load_session()
        except sqlite3.ProgrammingError as e:
            errors.append(e)

    thread = threading.Thread(target=use)
    thread.start()
    thread.join()

    assert len(errors) == 1


def test_i4_in_memory_store_works_for_backtests():
    with SqliteStore.open(":memory:", now_ms=T0) as store:
        store.save_session({"n": 1}, T0)

        assert store.load_session() == {"n": 1}


def test_i4_close_flushes_buffered_decisions(db_path):
    db_path.parent.mkdir()
    store = SqliteStore.open(db_path, now_ms=T0)
    store.add_decision(example_rejection())

    store.close()

    with SqliteStore.open_readonly(db_path) as reader:
        assert reader.decision_count() == (1, 1)


def test_i4_integrity_check_reports_ok(store):
    assert store.integrity_check() == "ok"


def test_i4_open_creates_the_state_directory(tmp_path):
    path = tmp_path / "state" / "nested" / "accountbuilder.sqlite"

    with SqliteStore.open(path, now_ms=T0) as store:
        store.save_session({"n": 1}, T0)

    assert path.is_file()
