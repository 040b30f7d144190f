"""Worked example records (SPEC I1–I3), shown in docs/store.md and used by the tests.

One S1 long, computed by hand (SPEC B4, C2, C3, A2, A3):
- equity 0.0025 BTC at mark 50 000 → 125 USD (S1); max_loss_btc = min(0.0025 × 12%,
  10 / 50 000) = min(0.0003, 0.0002) = 0.0002 BTC.
- stop 3% → C2 gives floor(0.0002 × 50 000 / 0.03) = 333; the exact loss at stop 48 500 is
  333 × (1/48 500 − 1/50 000) = 0.000205979… > 0.0002, so C3 cuts to 323
  (loss 0.000199793… BTC).
- maker fees: entry 323 × 0.0001 / 50 000 = 0.000000646 BTC; exit at the take-profit 51 200:
  323 × 0.0001 / 51 200 = 0.000000630859375 BTC; together 0.000001276859375 BTC.
- gross PnL 323 × (1/50 000 − 1/51 200) = 323 × 0.00000046875 = 0.00015140625 BTC; after fees
  0.000150129390625 BTC (a win, SPEC H1) = 7.6866248 USD at 51 200.
"""

from __future__ import annotations

from decimal import Decimal as D

from accountbuilder.domain.enums import ExitReason, HaltKind, Liquidity, Side, Stage
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.records.daily_metrics import DailyMetrics, EquitySample, roll_up
from accountbuilder.records.decision_log import DecisionRecord, DecisionRun
from accountbuilder.records.halt_log import HaltEvent, HaltRecord
from accountbuilder.records.trade_log import TradeEntryRecord, TradeExitRecord

DAY_MS = 86_400_000
T0 = 1_709_251_200_000  # 2024-03-01T00:00:00Z
SIGNAL_ID = "3f9a1c2b7d4e"


def example_entry(ts_ms: int = T0 + 10 * 3_600_000) -> TradeEntryRecord:
    """The entry of the worked example (first fill at 10:00 UTC)."""
    return TradeEntryRecord(
        ts_ms=ts_ms,
        signal_id=SIGNAL_ID,
        client_id=f"{SIGNAL_ID}_long_en1",
        order_id="a1b2c3d4-0001",
        side=Side.LONG,
        contracts=323,
        entry_price=D("50000"),
        stop_price=D("48500"),
        take_profit_price=D("51200"),
        stage=Stage.S1,
        leverage=D("3"),
        equity_btc=D("0.0025"),
        equity_usd=D("125.0000"),
        max_loss_btc=D("0.0002"),
        estimated_fee_usd=D("0.0323"),
        estimated_fee_btc=D("0.000000646"),
        actual_fee_btc=D("0.000000646"),
        liquidity=Liquidity.MAKER,
        liq_price=D("37688.5"),
        stop_client_id=f"{SIGNAL_ID}_long_sl1",
        tp_client_id=f"{SIGNAL_ID}_long_tp1",
        loss_at_stop_btc=D("0.000199793814"),  # 323/48500 − 323/50000 ≤ 0.0002 (C3)
    )


def example_exit(ts_ms: int = T0 + 14 * 3_600_000) -> TradeExitRecord:
    """The take-profit exit of the worked example (14:00 UTC)."""
    return TradeExitRecord(
        ts_ms=ts_ms,
        signal_id=SIGNAL_ID,
        client_id=f"{SIGNAL_ID}_long_tp1",
        order_id="a1b2c3d4-0003",
        entry_client_id=f"{SIGNAL_ID}_long_en1",
        side=Side.LONG,
        contracts=323,
        entry_price=D("50000"),
        exit_price=D("51200"),
        stop_price=D("48500"),
        take_profit_price=D("51200"),
        stage=Stage.S1,
        leverage=D("3"),
        equity_btc=D("0.002650129390625"),
        equity_usd=D("135.686624800000"),
        max_loss_btc=D("0.0002"),
        estimated_fee_usd=D("0.0646"),
        estimated_fee_btc=D("0.000001276859375"),
        actual_fee_btc=D("0.000001276859375"),
        gross_pnl_btc=D("0.00015140625"),
        exit_reason=ExitReason.TAKE_PROFIT,
        liquidity=Liquidity.MAKER,
        loss_at_stop_btc=D("0.000199793814"),
    )


def example_halt(ts_ms: int = T0 + 16 * 3_600_000) -> HaltRecord:
    """A temporary halt on a 1-minute drop of 10.5% (SPEC E1), with its context (SPEC I2)."""
    return HaltRecord(
        ts_ms=ts_ms,
        reason=ReasonCode.DROP_1M,
        kind=HaltKind.TEMPORARY,
        event=HaltEvent.RAISED,
        figures={"drop_1m": D("-0.105"), "threshold": D("-0.10")},
        context={
            "market": {"mark_price": D("44750"), "high_1m": D("50000")},
            # equity_usd = 0.002650129390625 x 44 750 (SPEC A1)
            "account": {
                "equity_btc": D("0.002650129390625"),
                "equity_usd": D("0.002650129390625") * D("44750"),
            },
            "position": None,
            "orders": [],
            "health": {"ws": "healthy", "latency_ms": 180, "rest_calls_60s": 12},
        },
    )


def example_rejection(ts_ms: int = T0 + 9 * 3_600_000) -> DecisionRecord:
    """An EV gate refusal (SPEC D1): a 5-contract taker entry to a grid level 0.1% away
    expects 5 × 0.001 = 0.005 USD, less than fee 5 × 0.0006 = 0.003 USD × K 2.0 = 0.006 USD."""
    return DecisionRecord(
        ts_ms=ts_ms,
        accepted=False,
        reason=ReasonCode.EV_TOO_LOW,
        stage=Stage.S1,
        contracts=5,
        side=Side.LONG,
        signal_id=SIGNAL_ID,
        figures={
            "expected_profit_usd": D("0.005"),
            "estimated_fee_usd": D("0.003"),
            "k": D("2.0"),
            "need_usd": D("0.006"),
        },
    )


def example_decision_run() -> DecisionRun:
    """Three identical EV refusals two seconds apart, stored as one row (count 3)."""
    last = example_rejection()
    return DecisionRun(last, count=3, first_ts_ms=last.ts_ms - 2_000)


def example_daily_metrics() -> DailyMetrics:
    """2024-03-01 of the worked example: one winning trade, one halt, three EV refusals.

    Equity opens at 0.0025 BTC x 50 000 = 125 USD and closes at 0.002650129390625 BTC
    x 51 200 = 135.6866248 USD.
    """
    (day,) = roll_up(
        [
            EquitySample(T0 + 5_000, D("0.0025"), D("50000")),
            *(example_rejection(T0 + 9 * 3_600_000 + i * 1_000) for i in range(3)),
            example_entry(),
            example_exit(),
            example_halt(),
            EquitySample(T0 + DAY_MS - 1_000, D("0.002650129390625"), D("51200")),
        ]
    )
    return day
