"""The adapter's account side against the fake Bybit: margin mode, clock offset, positions.

Issue 16 §5 (account-wide margin mode, 3400045), §7 (clock skew), issue 15 §1 (an answer that
cannot be the position is malformed, SPEC E3).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.integration.exchange.bybit.livekit import LiveKit
from tests.integration.exchange.bybit.specs import limit

from accountbuilder.domain.enums import MarginMode
from accountbuilder.exchange import errors as E

POSITIONS = "/v5/position/list"


async def test_c5_bybits_3400045_refusal_shows_its_reasons(kit: LiveKit, port):
    await port.place_order(limit("s1_L_en0", "43000"))  # an open order: Bybit refuses to switch

    with pytest.raises(E.MarginModeRefused) as refused:
        await port.set_margin_mode(MarginMode.ISOLATED)

    assert refused.value.code == 3400045
    assert refused.value.reasons and refused.value.reasons[0].startswith("3400102 ")
    assert "no active orders" in str(refused.value)
    assert kit.server.engine.margin_mode == "REGULAR_MARGIN"


async def test_c5_the_other_categories_are_read_before_switching_the_margin_mode(kit, port):
    await port.set_margin_mode(MarginMode.ISOLATED)

    queries = [r.params for r in kit.server.requests_to(POSITIONS)][-4:]
    assert [(q["category"], q.get("settleCoin")) for q in queries] == [
        ("inverse", None), ("linear", "USDT"), ("linear", "USDC"), ("option", None),
    ]  # fmt: skip
    assert kit.server.engine.margin_mode == "ISOLATED_MARGIN"


async def test_issue16_a_server_clock_2_s_behind_gives_10002_until_the_offset_is_measured(
    kit: LiveKit,
):
    kit.server.faults.shift_clock(-2_000)  # our stamps are 2 s ahead: outside [.., +1000)
    adapter = kit.adapter()

    with pytest.raises(E.TimestampOutsideWindow):
        await adapter.verify_key()
    assert adapter.clock_sync.due(kit.clock())  # a 10002 asks for a new measurement

    reading = await adapter.measure_clock()
    await adapter.verify_key()  # signed with Bybit's time now: accepted

    assert reading.offset_ms == -2_000 and not reading.in_sync()
    assert "2000 ms behind" in reading.describe()
    stamp = int(kit.server.requests_to("/v5/user/query-api")[-1].headers["X-BAPI-TIMESTAMP"])
    assert stamp == kit.server.clock()


async def test_issue16_the_offset_is_measured_again_after_10_minutes(kit: LiveKit, port):
    assert not port.clock_sync.due(kit.clock())
    kit.clock.advance(599_999)
    assert not port.clock_sync.due(kit.clock())
    kit.clock.advance(1)

    assert port.clock_sync.due(kit.clock())


def _only_other_rows(env: dict) -> dict:
    rows = env["result"]["list"]
    env["result"]["list"] = [{**r, "symbol": "BTCUSDT"} for r in rows] + [{**rows[0], "symbol": "ETHUSD"}]  # fmt: skip
    return env


def _row(**change):
    def rewrite(env: dict) -> dict:
        env["result"]["list"] = [{**env["result"]["list"][0], **change}]
        return env

    return rewrite


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda env: {**env, "result": {**env["result"], "list": None}},
        lambda env: {**env, "result": {"category": "inverse"}},  # no list at all
        _only_other_rows,
        _row(size="abc"),
        _row(size="NaN"),
        _row(side="Long", size="300"),
    ],
    ids=["list-null", "list-missing", "only-other-symbols", "size-abc", "size-nan", "side-Long"],
)
async def test_e3_a_position_answer_that_cannot_be_the_position_is_malformed(
    kit: LiveKit, port, rewrite, caplog_loguru
):
    kit.server.faults.rewrite(POSITIONS, rewrite)

    with pytest.raises(E.MalformedResponse):
        await port.fetch_position()

    assert port.health().invalid_position_answers == 1
    assert any("invalid position answer #1" in line for line in caplog_loguru)
    flat = await port.fetch_position()  # a well-formed BTCUSD row of size 0: flat
    assert flat.contracts == 0 and flat.side is None


async def test_e3_a_well_formed_flat_row_is_flat(kit: LiveKit, port):
    pos = await port.fetch_position()

    assert (pos.contracts, pos.side, pos.leverage) == (0, None, Decimal(10))
    assert port.health().invalid_position_answers == 0
