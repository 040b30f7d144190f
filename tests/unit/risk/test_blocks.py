"""D6 block timers."""

from __future__ import annotations

import pytest

from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.risk.blocks import Blocks

T0 = 1_767_225_600_000
HOUR = 3_600_000


def test_d6_block_runs_until_its_expiry():
    blocks = Blocks().add(ReasonCode.BLOCK_RECONCILE, T0 + 5000)

    assert [b.reason for b in blocks.active(T0 + 4999)] == [ReasonCode.BLOCK_RECONCILE]
    assert blocks.active(T0 + 5000) == ()


def test_d6_a_shorter_block_never_cuts_a_longer_one():
    blocks = Blocks().add(ReasonCode.BLOCK_LATENCY, T0 + HOUR).add(ReasonCode.BLOCK_LATENCY, T0)

    assert blocks.until(ReasonCode.BLOCK_LATENCY) == T0 + HOUR


def test_d6_longer_block_extends():
    blocks = Blocks().add(ReasonCode.BLOCK_LATENCY, T0).add(ReasonCode.BLOCK_LATENCY, T0 + HOUR)

    assert blocks.until(ReasonCode.BLOCK_LATENCY) == T0 + HOUR and len(blocks.items) == 1


def test_d6_active_lists_the_longest_first_and_prune_drops_expired():
    blocks = (
        Blocks()
        .add(ReasonCode.BLOCK_RECONCILE, T0 + 5000)
        .add(ReasonCode.BLOCK_TAKER_FAILURE, T0 + HOUR)
        .add(ReasonCode.BLOCK_RECOVERY, T0 - 1)
    )

    assert [b.reason for b in blocks.active(T0)] == [
        ReasonCode.BLOCK_TAKER_FAILURE,
        ReasonCode.BLOCK_RECONCILE,
    ]
    assert len(blocks.prune(T0).items) == 2


def test_d6_clear_ends_a_block():
    blocks = Blocks().add(ReasonCode.BLOCK_LATENCY, T0 + HOUR).clear(ReasonCode.BLOCK_LATENCY)

    assert blocks.active(T0) == ()


def test_d6_only_block_reasons_are_accepted():
    with pytest.raises(ValueError, match="not a block reason"):
        Blocks().add(ReasonCode.EV_TOO_LOW, T0)


def test_d6_state_round_trips():
    blocks = Blocks().add(ReasonCode.BLOCK_ANTI_FLAP, T0 + HOUR)

    assert Blocks.from_dict(blocks.to_dict()) == blocks
