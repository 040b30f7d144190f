"""Short real candle slices and a replay harness for the runner's tests.

``crash_csv`` scales the real 2021-05-01 → 2021-05-20 minutes (the 2021-05-19 crash) so that
E1 can fire: every price becomes ``p0 × (p / p0)^2`` (the first open ``p0`` fixed). Real data
never reaches E1's -10 %: the worst 1-minute close-to-close move that day is -5.80 %, which
squared is ``0.942² − 1 = −11.26 %`` (the candle opening 2021-05-19 13:21, closing 13:22).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from accountbuilder.config import load_config
from accountbuilder.config.models import AppConfig
from accountbuilder.marketdata.candles import CandleArrays, load_candles, slice_dates
from accountbuilder_runner.replay import Replay, plan_replay
from accountbuilder_runner.winrate_file import with_winrate

REPO = Path(__file__).resolve().parents[3]
BUNDLED = REPO / "src" / "accountbuilder" / "data" / "btcusd_1m_2021-04-09_2021-05-20.csv.gz"
CRASH_SOURCE = "btcusd_1m_2021-04_2021-05.csv.gz"
CRASH_E1_CLOSE = "2021-05-19T13:22:00Z"  # close of the -11.26 % candle after scaling


def config(winrate: str | None = "0.6") -> AppConfig:
    """The shipped config with a stored D4 win rate (the first 10 trades may go through)."""
    return with_winrate(load_config(), None if winrate is None else Decimal(winrate))


def crash_csv(shared_data: Path, out: Path, power: float = 2.0) -> Path:
    """Write the scaled crash slice (2021-05-01 → end of the file) to ``out``."""
    src = slice_dates(load_candles(shared_data / CRASH_SOURCE), "2021-05-01", None)
    p0 = float(src.open[0])

    def f(x: float) -> str:
        return f"{p0 * (x / p0) ** power:.2f}"

    rows = ["ts_ms,open,high,low,close,volume"]
    for t, o, h, lo, c, v in zip(
        src.ts_ms, src.open, src.high, src.low, src.close, src.volume, strict=True
    ):
        rows.append(f"{t},{f(o)},{f(h)},{f(lo)},{f(c)},{v}")
    out.write_text("\n".join(rows) + "\n", encoding="ascii")
    return out


@dataclass
class Recorded:
    """Every record a replay produced, as JSON text, in order (for exact comparisons)."""

    records: list[tuple[str, str]] = field(default_factory=list)
    states: list[str] = field(default_factory=list)

    def on_outbox(self, now_ms, out, core) -> None:
        for kind, items in (
            ("decision", out.decisions),
            ("halt", out.halts),
            ("trade", out.trades),
        ):
            for item in items:
                self.records.append((kind, json.dumps(item.to_dict(), sort_keys=True, default=str)))

    def kinds(self, kind: str) -> list[dict]:
        return [json.loads(text) for k, text in self.records if k == kind]


async def replay(
    arrays: CandleArrays,
    cfg: AppConfig,
    usd: str,
    *,
    skip: bool,
    from_date: str | None = None,
    to_date: str | None = None,
    on_tick=None,
    on_outbox=None,
) -> tuple[Recorded, Replay]:
    """Replay through the core and record everything it produced."""
    from accountbuilder_runner.backtest import date_range_ms

    from_ms, to_ms = date_range_ms(from_date, to_date)
    plan = plan_replay(arrays, cfg, Decimal(usd), from_ms=from_ms, to_ms=to_ms, skip_idle=skip)
    rec = Recorded()

    def outbox(now_ms, out, core):
        rec.on_outbox(now_ms, out, core)
        if on_outbox is not None:
            on_outbox(now_ms, out, core)

    r = await Replay.open(plan, on_outbox=outbox, on_tick=on_tick)
    await r.run()
    return rec, r
