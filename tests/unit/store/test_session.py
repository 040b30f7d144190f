"""Session state document (SPEC I4): exact round trip, revisions, damage falls back."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import HaltKind, MainState, StopStatus
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.records.codec import to_jsonable
from accountbuilder.records.examples import T0
from accountbuilder.store import SessionCorruptError, SqliteStore


def _doc():
    return {
        "halt": {"active": True, "kind": HaltKind.MANUAL, "reason": ReasonCode.EQUITY_BELOW_80},
        "blocks": {"BLOCK_LATENCY": {"until_ms": T0 + 60_000}},
        "leverage_in_force": D("3"),
        "stage_history": [["s1", T0 - 5_000], ["s2", T0 - 1_000]],
        "counters": {"trades_today": 2, "taker_used_today": False},
        "multiplier": D("0.50"),
        "start_ms": T0 - 86_400_000,
        "machines": {"main": MainState.HALT, "stop_status": StopStatus.ACTIVE},
        "position": {
            "contracts": 323,
            "entry_price": D("50000.0"),
            "max_loss_btc": D("0.00020000"),
        },
    }


def _sql(path, statement, params=()):
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute(statement, params)


def test_i4_session_round_trip_keeps_decimals_as_exact_strings(store):
    store.save_session(_doc(), T0)

    doc = store.load_session()

    assert doc["multiplier"] == "0.50"
    assert doc["position"] == {
        "contracts": 323,
        "entry_price": "50000.0",
        "max_loss_btc": "0.00020000",
    }
    assert D(doc["position"]["max_loss_btc"]) == D("0.0002")
    assert doc["halt"] == {"active": True, "kind": "manual", "reason": "EQUITY_BELOW_80"}
    assert doc["machines"] == {"main": "HALT", "stop_status": "ACTIVE"}


def test_i4_no_session_yet_loads_none(store):
    assert store.load_session() is None
    assert store.load_session_revision() is None


def test_i4_each_save_is_a_new_revision_and_the_previous_is_kept(store):
    revisions = [store.save_session({"n": n}, T0 + n) for n in range(5)]

    latest = store.load_session_revision()

    assert revisions == [1, 2, 3, 4, 5]
    assert (latest.revision, latest.ts_ms, latest.doc) == (5, T0 + 4, {"n": 4})
    assert store.session_revisions() == [4, 5]  # the latest and the one before it


def test_i4_more_revisions_can_be_kept(db_path):
    db_path.parent.mkdir()
    with SqliteStore.open(db_path, now_ms=T0, keep_session_revisions=4) as store:
        for n in range(6):
            store.save_session({"n": n}, T0)

        assert store.session_revisions() == [3, 4, 5, 6]


def test_i4_a_damaged_latest_revision_falls_back_to_the_previous_one(store, db_path):
    store.save_session({"halt": "previous"}, T0)
    store.save_session({"halt": "latest"}, T0 + 1)
    # a torn / bit-rotted document: valid JSON, but not what was written
    _sql(db_path, 'UPDATE session SET doc_json = \'{"halt": "garbage"}\' WHERE revision = 2')

    found = store.load_session_revision()

    assert (found.revision, found.doc, found.skipped) == (1, {"halt": "previous"}, (2,))


def test_i4_all_revisions_damaged_is_an_error_not_a_fresh_start(store, db_path):
    store.save_session({"halt": "a"}, T0)
    store.save_session({"halt": "b"}, T0 + 1)
    _sql(db_path, "UPDATE session SET doc_sha256 = 'x'")

    with pytest.raises(SessionCorruptError, match="refusing to start as if fresh"):
        store.load_session()


def test_i4_save_machines_updates_the_document(store):
    store.save_session({"multiplier": D("1.0")}, T0)

    revision = store.save_machines(MainState.IN_POSITION, StopStatus.PENDING, T0 + 1)

    assert revision == 2
    assert store.load_session() == {
        "multiplier": "1.0",
        "machines": {"main": "IN_POSITION", "stop_status": "PENDING"},
    }


@pytest.mark.parametrize("doc", [["not", "a", "mapping"], {"x": float("nan")}, {3: "int key"}])
def test_i4_an_unstorable_document_is_refused_and_nothing_is_written(store, doc):
    store.save_session({"ok": True}, T0)

    with pytest.raises(TypeError):
        store.save_session(doc, T0 + 1)

    assert store.load_session_revision().revision == 1


_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=10),
    st.decimals(allow_nan=False, allow_infinity=False),
)
_json_doc = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        _json_leaf,
        lambda c: st.one_of(
            st.lists(c, max_size=4), st.dictionaries(st.text(max_size=6), c, max_size=4)
        ),
        max_leaves=12,
    ),
    max_size=6,
)


@given(_json_doc)
def test_i4_any_document_reads_back_as_written(doc):
    with SqliteStore.open(":memory:", now_ms=T0) as store:
        store.save_session(doc, T0)

        assert store.load_session() == to_jsonable(doc)
