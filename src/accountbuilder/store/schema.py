"""The store's tables: version 1, then each later version's statements (applied by migrations.py).

Every row carries ``ts_ms`` (UTC milliseconds given by the caller). Decimals are TEXT holding
their exact string; nested data is JSON text (checked with ``json_valid``).
"""

from __future__ import annotations

SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version       INTEGER PRIMARY KEY,
    description   TEXT    NOT NULL,
    applied_ts_ms INTEGER NOT NULL
)
"""

INTENT_STATUSES = "('recorded', 'sent', 'acked', 'rejected', 'unknown', 'resolved')"

V1_STATEMENTS: tuple[str, ...] = (
    # Session state (SPEC I4): a versioned JSON document; the latest revisions are kept so a
    # damaged latest one falls back to the previous instead of to "no state".
    """
    CREATE TABLE session (
        revision   INTEGER PRIMARY KEY,
        ts_ms      INTEGER NOT NULL,
        doc_json   TEXT    NOT NULL CHECK (json_valid(doc_json)),
        doc_sha256 TEXT    NOT NULL
    )
    """,
    # Intents (SPEC G2, I4): committed before the command is sent. A client id is placed at
    # most once (partial unique index below); amends and cancels reuse the order's client id.
    f"""
    CREATE TABLE intents (
        intent_id     TEXT    PRIMARY KEY,
        client_id     TEXT    NOT NULL CHECK (length(client_id) BETWEEN 1 AND 36),
        action        TEXT    NOT NULL CHECK (action IN ('place', 'amend', 'cancel')),
        role          TEXT    NOT NULL,
        command_json  TEXT    NOT NULL CHECK (json_valid(command_json)),
        status        TEXT    NOT NULL CHECK (status IN {INTENT_STATUSES}),
        detail        TEXT,
        created_ts_ms INTEGER NOT NULL,
        updated_ts_ms INTEGER NOT NULL
    )
    """,
    "CREATE UNIQUE INDEX intents_place_once ON intents (client_id) WHERE action = 'place'",
    "CREATE INDEX intents_client ON intents (client_id)",
    "CREATE INDEX intents_open ON intents (status) WHERE status <> 'resolved'",
    f"""
    CREATE TABLE intent_transitions (
        id          INTEGER PRIMARY KEY,
        intent_id   TEXT    NOT NULL REFERENCES intents (intent_id),
        from_status TEXT    CHECK (from_status IS NULL OR from_status IN {INTENT_STATUSES}),
        to_status   TEXT    NOT NULL CHECK (to_status IN {INTENT_STATUSES}),
        detail      TEXT,
        ts_ms       INTEGER NOT NULL
    )
    """,
    "CREATE INDEX intent_transitions_intent ON intent_transitions (intent_id, id)",
    # Trade log (SPEC I1): the full record as JSON plus the columns queries filter on.
    """
    CREATE TABLE trades (
        id          INTEGER PRIMARY KEY,
        kind        TEXT    NOT NULL CHECK (kind IN ('trade_entry', 'trade_exit')),
        ts_ms       INTEGER NOT NULL,
        day         TEXT    NOT NULL,
        signal_id   TEXT    NOT NULL,
        client_id   TEXT    NOT NULL,
        order_id    TEXT    NOT NULL,
        side        TEXT    NOT NULL,
        contracts   INTEGER NOT NULL CHECK (contracts >= 1),
        stage       TEXT    NOT NULL,
        pnl_btc     TEXT,
        exit_reason TEXT,
        record_json TEXT    NOT NULL CHECK (json_valid(record_json)),
        UNIQUE (kind, signal_id, client_id, order_id)
    )
    """,
    "CREATE INDEX trades_day ON trades (day, ts_ms)",
    # Halt log (SPEC I2).
    """
    CREATE TABLE halts (
        id           INTEGER PRIMARY KEY,
        ts_ms        INTEGER NOT NULL,
        day          TEXT    NOT NULL,
        reason       TEXT    NOT NULL,
        kind         TEXT    NOT NULL,
        event        TEXT    NOT NULL,
        who          TEXT    NOT NULL DEFAULT '',
        why          TEXT    NOT NULL DEFAULT '',
        context_json TEXT    NOT NULL CHECK (json_valid(context_json)),
        record_json  TEXT    NOT NULL CHECK (json_valid(record_json))
    )
    """,
    "CREATE INDEX halts_event ON halts (event, id)",
    "CREATE INDEX halts_ts ON halts (ts_ms)",
    # Gate decisions: one row per decision, or per run of identical rejections (count > 1).
    """
    CREATE TABLE decisions (
        id           INTEGER PRIMARY KEY,
        ts_ms        INTEGER NOT NULL,
        last_ts_ms   INTEGER NOT NULL,
        count        INTEGER NOT NULL CHECK (count >= 1),
        accepted     INTEGER NOT NULL CHECK (accepted IN (0, 1)),
        reason       TEXT,
        stage        TEXT,
        contracts    INTEGER NOT NULL,
        side         TEXT,
        signal_id    TEXT    NOT NULL,
        figures_json TEXT    NOT NULL
    )
    """,
    "CREATE INDEX decisions_last_ts ON decisions (last_ts_ms)",
    # Daily metrics roll-up (SPEC I3): one row per UTC day, upserted.
    """
    CREATE TABLE daily_metrics (
        day          TEXT    PRIMARY KEY,
        ts_ms        INTEGER NOT NULL,
        trades       INTEGER NOT NULL,
        wins         INTEGER NOT NULL,
        pnl_btc      TEXT    NOT NULL,
        halts        INTEGER NOT NULL,
        metrics_json TEXT    NOT NULL CHECK (json_valid(metrics_json))
    )
    """,
)


# Version 2 (issue 13): one order lifecycle. The core's order phase and the store's record are
# the same enum and the same table (domain/lifecycle.py); amends and cancels are recorded as
# moves of the order they act on. Place intents of version 1 are carried over.
_PHASES = "('intent', 'acked', 'unknown', 'open', 'triggered', 'filled', 'cancelled', 'rejected', 'dropped', 'lost')"
V2_STATEMENTS: tuple[str, ...] = (
    f"""
    CREATE TABLE orders (
        client_id     TEXT    PRIMARY KEY CHECK (length(client_id) BETWEEN 1 AND 36),
        signal_id     TEXT    NOT NULL,
        role          TEXT    NOT NULL,
        spec_json     TEXT    NOT NULL CHECK (json_valid(spec_json)),
        phase         TEXT    NOT NULL CHECK (phase IN {_PHASES}),
        detail        TEXT,
        created_ts_ms INTEGER NOT NULL,
        updated_ts_ms INTEGER NOT NULL
    )
    """,
    "CREATE INDEX orders_live ON orders (phase) "
    "WHERE phase IN ('intent', 'acked', 'unknown', 'open', 'triggered')",
    f"""
    CREATE TABLE order_transitions (
        id         INTEGER PRIMARY KEY,
        client_id  TEXT    NOT NULL REFERENCES orders (client_id),
        from_phase TEXT    CHECK (from_phase IS NULL OR from_phase IN {_PHASES}),
        to_phase   TEXT    NOT NULL CHECK (to_phase IN {_PHASES}),
        event      TEXT,
        detail     TEXT,
        ts_ms      INTEGER NOT NULL
    )
    """,
    "CREATE INDEX order_transitions_order ON order_transitions (client_id, id)",
    """
    INSERT INTO orders (client_id, signal_id, role, spec_json, phase, detail,
                        created_ts_ms, updated_ts_ms)
    SELECT client_id, '', role, command_json,
           CASE status WHEN 'recorded' THEN 'intent' WHEN 'sent' THEN 'intent'
                       WHEN 'acked' THEN 'acked' WHEN 'unknown' THEN 'unknown'
                       WHEN 'rejected' THEN 'rejected' ELSE 'lost' END,
           detail, created_ts_ms, updated_ts_ms
    FROM intents WHERE action = 'place'
    """,
    """
    INSERT INTO order_transitions (client_id, from_phase, to_phase, event, detail, ts_ms)
    SELECT client_id, NULL, phase, NULL, 'carried over from schema 1 intents', updated_ts_ms
    FROM orders
    """,
    "DROP TABLE intent_transitions",
    "DROP TABLE intents",
)

# Version 3 (issue 15): who holds the store, the REST budget's window, operator requests.
REQUEST_OUTCOMES = "('applied', 'refused')"

V3_STATEMENTS: tuple[str, ...] = (
    # One row per process that took the store's lock (lock.py): PID, start time, command.
    """
    CREATE TABLE owners (
        id            INTEGER PRIMARY KEY,
        pid           INTEGER NOT NULL,
        started_ts_ms INTEGER NOT NULL,
        host          TEXT    NOT NULL,
        command       TEXT    NOT NULL,
        mode          TEXT    NOT NULL
    )
    """,
    # SPEC F1 across restarts: every granted REST call, written before it is sent; rows older
    # than the 60 s window are pruned as new ones come.
    """
    CREATE TABLE rest_calls (
        id         INTEGER PRIMARY KEY,
        ts_ms      INTEGER NOT NULL,
        protective INTEGER NOT NULL CHECK (protective IN (0, 1))
    )
    """,
    "CREATE INDEX rest_calls_ts ON rest_calls (ts_ms)",
    # SPEC E5: every operator request taken from the queue and what became of it.
    f"""
    CREATE TABLE operator_requests (
        request_id  TEXT    PRIMARY KEY,
        kind        TEXT    NOT NULL,
        who         TEXT    NOT NULL,
        why         TEXT    NOT NULL,
        filed_ts_ms INTEGER,
        taken_ts_ms INTEGER NOT NULL,
        outcome     TEXT    NOT NULL CHECK (outcome IN {REQUEST_OUTCOMES}),
        detail      TEXT    NOT NULL
    )
    """,
    "CREATE INDEX operator_requests_taken ON operator_requests (taken_ts_ms)",
)
