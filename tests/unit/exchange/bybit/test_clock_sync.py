"""The clock offset against Bybit's, measured over a round trip and signed with (issue 16 §7)."""

from __future__ import annotations

import pytest

from accountbuilder.exchange import errors as E
from accountbuilder.exchange.bybit.clock_sync import ClockReading, ClockSync


class StandInClient:
    """What ``ClockSync`` uses of a client: a clock that moves with each call, and ccxt's offset."""

    def __init__(self, server_ms: int, local_ms: int, trip_ms: int = 40) -> None:
        self.server_ms, self.now, self.trip_ms = server_ms, local_ms, trip_ms
        self.offset: int | None = None

    def clock(self) -> int:
        return self.now

    async def call(self, method: str, *args: object, mutation: bool = False) -> object:
        assert method == "publicGetV5MarketTime"
        self.now += self.trip_ms  # the answer arrives a round trip later ...
        nano = (self.server_ms + self.trip_ms // 2) * 1_000_000  # ... stamped half-way
        return {"retCode": 0, "result": {"timeSecond": "0", "timeNano": str(nano)}}

    def set_time_offset(self, offset_ms: int) -> None:
        self.offset = offset_ms


async def test_issue16_the_offset_uses_the_middle_of_the_round_trip_and_is_signed_with():
    client = StandInClient(server_ms=1_700_000_002_000, local_ms=1_700_000_000_000)

    reading = await ClockSync(client).measure()

    assert reading == ClockReading(offset_ms=2_000, round_trip_ms=40, measured_ms=1_700_000_000_040)
    assert client.offset == 2_000 and not reading.in_sync()
    assert "2000 ms ahead of ours" in reading.describe()


@pytest.mark.parametrize(("offset", "in_sync"), [(1_000, True), (-1_000, True), (1_001, False), (-1_001, False)])  # fmt: skip
def test_issue16_more_than_1_s_either_way_is_out_of_sync(offset, in_sync):
    assert ClockReading(offset, 10, 0).in_sync() is in_sync


async def test_issue16_a_measurement_is_due_every_10_minutes_and_after_a_10002():
    client = StandInClient(server_ms=5_000, local_ms=5_000, trip_ms=0)
    sync = ClockSync(client)
    assert sync.due(0)

    await sync.measure()
    assert not sync.due(5_000 + 599_999) and sync.due(5_000 + 600_000)
    sync.mark_stale()
    assert sync.due(5_001)


async def test_e3_an_answer_without_time_nano_is_malformed():
    class NoNano(StandInClient):
        async def call(self, method: str, *args: object, mutation: bool = False) -> object:
            return {"retCode": 0, "result": {"timeSecond": "1700000000"}}

    with pytest.raises(E.MalformedResponse, match="timeNano"):
        await ClockSync(NoNano(0, 0)).measure()
