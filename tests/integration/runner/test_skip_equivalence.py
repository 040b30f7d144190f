"""Skipping what the core says stands changes nothing (issue 19; SPEC F6, D, E1, H2/H3, I1-I3).

Every real candle file in ``../shared/data`` is replayed twice through the whole core, as
``accountbuilder backtest`` does it: every step ticked (``--no-skip``) and with the core's
next wakes (flat manual halts, quiet positions and refusals that stand skipped). Both must
give the same decision at every tick (time, verdict, reason, stage, contracts, side, signal),
the same trade and halt records, the same final session state and the same wallet.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from tests.unit.runner.slices import config

from accountbuilder.marketdata.candles import load_candles
from accountbuilder_runner.replay import Replay, plan_replay

# file → (start equity in USD, grid direction): busy accounts, both directions
FILES = {
    "btcusd_1h_2017-08_2024-07.csv.gz": ("300", "long"),
    "btcusd_1m_2021-04_2021-05.csv.gz": ("300", "short"),
    "btcusd_1m_2022-05_2022-06.csv.gz": ("300", "long"),
    "btcusd_1m_2025-05_2025-08.csv.gz": ("300", "short"),
    "btcusd_5m_2019-11_2020-03.csv.gz": ("300", "short"),
    "btcusd_5m_2020-12_2021-07.csv.gz": ("1000", "long"),
    "btcusd_5m_2024-08_2025-08.csv.gz": ("300", "short"),
    "btcusdt-perp_1h_2020-01_2023-01.csv.gz": ("300", "short"),
    "btcusdt-perp_5m_2022-06_2022-11.csv.gz": ("300", "long"),
    "bybit-btcusdt-perp_5m_2025-06_2025-08.csv.gz": ("300", "short"),
    "bybit-btcusdt-spot_5m_2025-01_2025-05.csv.gz": ("100", "long"),
}


class Records:
    """Every decision per tick (skipped repeats expanded), every trade and halt record."""

    def __init__(self, timeframe_ms: int):
        self.tf = timeframe_ms
        self.decisions: list[tuple] = []
        self.others: list[tuple[str, str]] = []

    def on_outbox(self, now_ms, out, core) -> None:
        self.decisions += [self._key(d, d.ts_ms) for d in out.decisions]
        for kind, items in (("halt", out.halts), ("trade", out.trades)):
            self.others += [
                (kind, json.dumps(i.to_dict(), sort_keys=True, default=str)) for i in items
            ]

    def on_repeat(self, d, count: int, last_ts_ms: int) -> None:
        first = last_ts_ms - (count - 1) * self.tf
        self.decisions += [self._key(d, t) for t in range(first, last_ts_ms + 1, self.tf)]

    @staticmethod
    def _key(d, ts_ms: int) -> tuple:
        return (ts_ms, d.accepted, d.reason, d.stage, d.contracts, d.side, d.signal_id)


def _config(direction: str):
    cfg = config()
    grid = cfg.execution.grid.model_copy(update={"direction": direction})
    return cfg.model_copy(update={"execution": cfg.execution.model_copy(update={"grid": grid})})


async def _run(arrays, cfg, usd: str, skip: bool) -> tuple[Records, Replay]:
    plan = plan_replay(arrays, cfg, Decimal(usd), skip_idle=skip)
    rec = Records(plan.timeframe_ms)
    r = await Replay.open(plan, on_outbox=rec.on_outbox, on_repeat=rec.on_repeat)
    await r.run()
    return rec, r


# direction both: the side follows the 24 h mean the view builds from every candle
BOTH = ("btcusd_1m_2021-04_2021-05.csv.gz", "btcusd_5m_2019-11_2020-03.csv.gz")
CASES = [(name, *FILES[name]) for name in sorted(FILES)] + [(n, "300", "both") for n in BOTH]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "usd", "direction"), CASES)
async def test_f6_skipping_gives_identical_decisions_trades_and_halts(
    shared_data, name, usd, direction
):
    arrays = load_candles(shared_data / name)
    cfg = _config(direction)

    slow, r_slow = await _run(arrays, cfg, usd, skip=False)
    fast, r_fast = await _run(arrays, cfg, usd, skip=True)

    assert fast.others == slow.others
    assert fast.decisions == slow.decisions
    assert r_fast.core.state.to_dict() == r_slow.core.state.to_dict()
    assert r_fast.sim.ledger.wallet_btc == r_slow.sim.ledger.wallet_btc
    assert r_fast.ticks + r_fast.skipped <= r_slow.ticks
