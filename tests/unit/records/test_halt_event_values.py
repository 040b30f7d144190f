"""The halt record's events are the emergency module's log events, every one (SPEC I2, E5)."""

from __future__ import annotations

from accountbuilder.emergency.halt_log import HaltLogEvent
from accountbuilder.records.halt_log import HaltEvent


def test_i2_e5_every_halt_log_event_can_be_recorded():
    # a refused reset (RESET_REFUSED) once crashed the recorder: issue 15 §7
    assert {e.value for e in HaltLogEvent} <= {e.value for e in HaltEvent}


def test_e5_a_refused_reset_neither_opens_nor_closes_a_halt():
    refused = HaltEvent.RESET_REFUSED

    assert not refused.opens and not refused.closes
