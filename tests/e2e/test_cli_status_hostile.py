"""``accountbuilder status`` and ``halt reset`` on damaged stores (issue 15 §9): exit 2 with a
message naming the store, or a valid answer; never a traceback (SPEC I4: status reads only)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.store.sqlite_store import SqliteStore
from accountbuilder_runner.cli import main

NOW = 1_717_000_000_000
BAD_INPUT = 2


def _store(path: Path, doc: object = None) -> Path:
    """A store whose latest session revision holds ``doc`` as written (any JSON shape)."""
    with SqliteStore.open(path, NOW) as store:
        store.save_session({"halt": {"phase": "normal"}}, NOW)
    if doc is not None:
        text = json.dumps(doc)
        with contextlib.closing(sqlite3.connect(path)) as conn, conn:
            conn.execute(
                "INSERT INTO session (revision, ts_ms, doc_json, doc_sha256) VALUES (?, ?, ?, ?)",
                (2, NOW + 1, text, hashlib.sha256(text.encode()).hexdigest()),
            )
    return path


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _assert_status_answers(path: Path) -> None:
    """Exit 0, or 2 with a one-line message naming the store; the same for ``halt reset``."""
    for args in (
        ("status", "--state", str(path)),
        ("status", "--state", str(path), "--json"),
        ("halt", "reset", "--state", str(path), "--reason", "checked", "--who", "ops"),
    ):
        code, _, err = _run(*args)
        if args[0] == "halt" and code == 1:
            assert "not halted" in err
        elif code != 0:
            assert (
                code == BAD_INPUT
                and err.startswith(f"error: cannot read {path}")
                or err.startswith(f"error: {path}")
            ), (args, code, err)


@pytest.mark.parametrize(
    "damage", ["random", "truncated", "bit-flipped", "dropped-table", "empty-file"]
)
def test_i9_a_damaged_store_is_refused_with_exit_2(tmp_path, damage):
    path = _store(tmp_path / "s.sqlite")
    data = path.read_bytes()
    if damage == "random":
        path.write_bytes(bytes((i * 7919) % 256 for i in range(8192)))
    elif damage == "truncated":
        path.write_bytes(data[:2000])
    elif damage == "bit-flipped":
        path.write_bytes(data[:100] + bytes(b ^ 0xFF for b in data[100:4096]) + data[4096:])
    elif damage == "dropped-table":
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("DROP TABLE decisions")
    else:
        path.write_bytes(b"")

    code, _, err = _run("status", "--state", str(path))

    assert code == BAD_INPUT, err
    assert err.startswith(f"error: cannot read {path}") and err[-1] == "\n" and err.count("\n") == 1


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"halt": "halt"}, "'halt' is a str, not a mapping"),
        ({"machines": [1]}, "'machines' is a list, not a mapping"),
        ({"risk": {"blocks": {"items": "x"}}}, "'risk.blocks.items' is not a list of mappings"),
    ],
)
def test_i9_a_wrong_shape_session_document_is_located(tmp_path, doc, expected):
    path = _store(tmp_path / "s.sqlite", doc)

    code, _, err = _run("status", "--state", str(path))

    assert code == BAD_INPUT
    assert err == f"error: {path}: latest session revision: {expected}\n"


def test_i9_reasons_of_the_wrong_shape_are_located_not_a_traceback(tmp_path):
    # found by the thorough fuzz run
    path = _store(tmp_path / "s.sqlite", {"halt": {"phase": "halt", "reasons": 1}})

    code, _, err = _run("status", "--state", str(path))

    assert code == BAD_INPUT
    assert err.startswith(f"error: {path}: latest session revision: 'halt' cannot be read")


def test_i9_notify_counts_of_the_wrong_shape_are_shown_not_a_traceback(tmp_path):
    path = _store(tmp_path / "s.sqlite", {"runtime": {"notify": [1, 2]}})

    code, out, _ = _run("status", "--state", str(path))

    assert code == 0 and "notify       unreadable ([1, 2])" in out


def test_i9_a_damaged_page_holding_bad_utf8_exits_2(tmp_path):
    # found by the thorough fuzz run: sqlite3 raised UnicodeDecodeError reading a table name
    path = _store(tmp_path / "s.sqlite")
    data = bytearray(path.read_bytes())
    at = data.find(b"tablesessionsession")
    assert at > 0
    data[at + 5] = 0x80  # the name column of the table's sqlite_master row: invalid UTF-8
    path.write_bytes(bytes(data))

    code, _, err = _run("status", "--state", str(path))

    assert code == BAD_INPUT and err.startswith(f"error: cannot read {path}")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
KNOWN_KEYS = {
    "halt": ("phase", "kind", "reasons"),
    "machines": ("main", "stop"),
    "runtime": ("equity_btc", "equity_usd", "stage", "mark_price", "rest_budget_remaining", "ws",
                "position", "notify"),
    "trade": ("side", "entry_stage", "entry_qty", "stop_price", "signal_id"),
    "risk": ("blocks",),
    "leverage_in_force": (),
}  # fmt: skip
SECTIONS = tuple(KNOWN_KEYS)


@st.composite
def session_docs(draw) -> object:
    """Session documents with the sections status reads, each of any JSON shape."""
    if draw(st.booleans()):
        return draw(JSON)
    keys = draw(st.lists(st.sampled_from(SECTIONS), unique=True))
    doc = {}
    for key in keys:
        known = KNOWN_KEYS[key]
        if known and draw(st.booleans()):  # the keys status reads, with values of any shape
            doc[key] = draw(st.dictionaries(st.sampled_from(known), JSON, max_size=len(known)))
        else:
            doc[key] = draw(JSON)
    if "risk" in doc and draw(st.booleans()):
        doc["risk"] = {"blocks": {"items": draw(JSON)}}
    return doc


@st.composite
def damaged_bytes(draw, good: bytes) -> bytes:
    data = bytearray(good)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


GOOD_STORE: bytes | None = None


def _good_store_bytes() -> bytes:
    global GOOD_STORE
    if GOOD_STORE is None:
        with tempfile.TemporaryDirectory() as folder:
            path = _store(Path(folder) / "s.sqlite", {"halt": {"phase": "halt", "reasons": ["X"]}})
            GOOD_STORE = path.read_bytes()
    return GOOD_STORE


@given(doc=session_docs())
def test_i9_fuzz_status_on_any_session_document_answers_or_exits_2(doc):
    with tempfile.TemporaryDirectory() as folder:
        path = _store(Path(folder) / "s.sqlite", doc)
        _assert_status_answers(path)


@given(data=st.data())
def test_i9_fuzz_status_on_damaged_store_bytes_answers_or_exits_2(data):
    damaged = data.draw(damaged_bytes(_good_store_bytes()))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.sqlite"
        path.write_bytes(damaged)
        _assert_status_answers(path)
