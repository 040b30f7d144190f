"""Every transition is seen by the audit listener (SPEC I1-I3 audit trail)."""

from __future__ import annotations

from loguru import logger
from tests.unit.machines.cases import ctx

from accountbuilder.machines.listeners import TransitionLogger, TransitionRecorder
from accountbuilder.machines.main import TradingMachine


def test_i2_transition_logger_writes_one_line_per_transition():
    lines: list[str] = []
    logger.enable("accountbuilder")
    sink = logger.add(lambda m: lines.append(str(m).strip()), format="{message}")
    try:
        machine = TradingMachine(listeners=[TransitionLogger("main")])
        machine.fire("halt_raised", ctx())
    finally:
        logger.remove(sink)
        logger.disable("accountbuilder")

    assert lines == ["main halt_raised: FLAT -> HALT"]


def test_recorder_keeps_event_source_target():
    recorder = TransitionRecorder()
    machine = TradingMachine(listeners=[recorder])

    machine.fire("entry_placed", ctx(entry_evaluated=True))
    machine.fire("entry_filled", ctx(position_contracts=3))

    assert recorder.seen == [
        ("entry_placed", "FLAT", "ENTRY_PENDING"),
        ("entry_filled", "ENTRY_PENDING", "IN_POSITION"),
    ]
