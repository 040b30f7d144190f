"""WebSocket frames → domain events with exchange and local time (SPEC F2, E2, E3, E6, G10)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from accountbuilder.domain.enums import OrderStatus, Side
from accountbuilder.domain.events import (
    AccountAnswerInvalid,
    CandleClosed,
    FundingApplied,
    MarkPriceUpdated,
    OrderFilled,
    OrderUpdated,
    PongReceived,
    PositionLiquidated,
    PositionUpdated,
    StreamReconnected,
    WalletUpdated,
)
from accountbuilder.exchange.bybit.streams import StreamSet

PAYLOADS = json.loads((Path(__file__).parent / "payloads.json").read_text())
PUBLIC, PRIVATE = "ws://h/v5/public/inverse", "ws://h/v5/private"
NOW = 1_700_000_001_000


class StandInClient:
    """What StreamSet uses of a BybitClient: a clock, a redactor and the tap slot."""

    def __init__(self) -> None:
        self.now = NOW
        self.tap = None

    def clock(self) -> int:
        return self.now

    def redact(self, text: str) -> str:
        return text


def streams(gaps: list | None = None) -> tuple[StreamSet, list]:
    got: list = []
    on_gap = gaps.append if gaps is not None else None
    return StreamSet(StandInClient(), got.append, on_gap=on_gap), got  # type: ignore[arg-type]


def frame(name: str) -> dict:
    """A deep copy of a recorded private frame."""
    return json.loads(json.dumps(PAYLOADS["ws_private"][name]))


def test_e2_private_frames_carry_creation_time_and_arrival_time():
    s, got = streams()
    for name in ("order (filled)", "execution", "position", "wallet"):
        s.tap(PRIVATE, 1, PAYLOADS["ws_private"][name])

    order, fill, pos, wallet = got
    assert isinstance(order, OrderUpdated) and order.order.status is OrderStatus.FILLED
    assert order.exchange_ts_ms == 1_700_000_000_401 and order.local_ts_ms == NOW
    assert order.age_ms == NOW - 1_700_000_000_401  # 599 ms on the way
    assert isinstance(fill, OrderFilled) and fill.fill.fee_btc == Decimal("0.00000033")
    assert isinstance(pos, PositionUpdated) and pos.liq_price == Decimal("54794.50")
    assert pos.side is Side.LONG and pos.entry_price == Decimal("60000.00")
    assert isinstance(wallet, WalletUpdated)
    assert wallet.account.wallet_balance_btc == Decimal("0.01")


def test_e3_an_anomalous_wallet_frame_is_an_invalid_account_answer():
    s, got = streams()
    frame = json.loads(json.dumps(PAYLOADS["ws_private"]["wallet"]))
    frame["data"][0]["coin"][0]["walletBalance"] = "NaN"

    s.tap(PRIVATE, 1, frame)

    assert len(got) == 1 and isinstance(got[0], AccountAnswerInvalid)
    assert "BALANCE_ANOMALY" in got[0].detail


def test_a1_ticker_snapshot_then_delta_merge_into_mark_and_last():
    s, got = streams()
    s.tap(PUBLIC, 2, PAYLOADS["ws_public"]["tickers.BTCUSD snapshot"])
    s.tap(PUBLIC, 2, PAYLOADS["ws_public"]["tickers.BTCUSD delta"])  # markPrice only

    first, second = got
    assert isinstance(second, MarkPriceUpdated)
    assert first.mark_price == Decimal("61000.00") and second.mark_price == Decimal("61001.20")
    assert second.last_price == Decimal("61000.00")  # carried over from the snapshot
    assert second.exchange_ts_ms == 1_700_000_000_800


def test_d2_only_confirmed_klines_close_a_candle_once():
    s, got = streams()
    running = PAYLOADS["ws_public"]["kline.1.BTCUSD"]
    confirmed = json.loads(json.dumps(running))
    confirmed["data"][0]["confirm"] = True

    s.tap(PUBLIC, 2, running)
    s.tap(PUBLIC, 2, confirmed)
    s.tap(PUBLIC, 2, confirmed)  # resent (e.g. after a reconnect): not twice

    assert len(got) == 1 and isinstance(got[0], CandleClosed)
    assert got[0].interval == "1" and got[0].candle.close == Decimal("61000")


def test_f2_pongs_and_a_new_connection_after_a_drop():
    s, got = streams()
    s.tap(PRIVATE, 1, PAYLOADS["ws_control"]["private pong"])
    s.tap(PUBLIC, 2, PAYLOADS["ws_control"]["public pong"])
    s.tap(PRIVATE, 3, PAYLOADS["ws_control"]["auth ok"])  # a new private connection

    assert [type(e) for e in got] == [PongReceived, PongReceived, StreamReconnected]
    assert got[0].exchange_ts_ms == 1_700_000_001_000  # the private pong's own time


def test_e6_g10_liquidation_and_funding_executions():
    s, got = streams()
    base = PAYLOADS["ws_private"]["execution"]["data"][0]
    bust = {**base, "execId": "bust-1", "execType": "BustTrade", "side": "Sell", "execQty": "100",
            "execPrice": "54794.50"}  # fmt: skip
    funding = {**base, "execId": "fund-1", "execType": "Funding", "execFee": "0.00000017",
               "feeRate": "0.0001"}  # fmt: skip
    s.tap(PRIVATE, 1, {"topic": "execution", "creationTime": NOW, "data": [bust, funding]})

    liq, fund = got
    assert isinstance(liq, PositionLiquidated) and liq.side is Side.LONG and liq.contracts == 100
    assert isinstance(fund, FundingApplied) and fund.amount_btc == Decimal("-0.00000017")


def test_e6_position_status_liq_or_adl_is_a_liquidation_event_once():
    s, got = streams()
    frame = json.loads(json.dumps(PAYLOADS["ws_private"]["position"]))
    row = frame["data"][0]
    assert row["positionStatus"] == "Normal" and row["side"] == "Buy"

    s.tap(PRIVATE, 1, frame)  # Normal: a position update only
    row["positionStatus"] = "Liq"
    s.tap(PRIVATE, 1, frame)  # the exchange starts liquidating: E6
    s.tap(PRIVATE, 1, frame)  # still Liq: not a second event
    row["positionStatus"] = "Adl"
    s.tap(PRIVATE, 1, frame)  # now ADL: a new event

    liquidations = [e for e in got if isinstance(e, PositionLiquidated)]
    assert [type(e) for e in got].count(PositionUpdated) == 4
    assert len(liquidations) == 2
    assert liquidations[0].side is Side.LONG and liquidations[0].contracts == int(row["size"])


def test_g1_rows_of_other_symbols_are_ignored_and_bad_frames_never_raise():
    s, got = streams()
    other = json.loads(json.dumps(PAYLOADS["ws_private"]["order (filled)"]))
    other["data"][0]["symbol"] = "BTCUSDT"
    broken = json.loads(json.dumps(PAYLOADS["ws_private"]["order (filled)"]))
    broken["data"][0]["qty"] = "NaN"

    s.tap(PRIVATE, 1, other)
    s.tap(PRIVATE, 1, broken)
    s.tap(PRIVATE, 1, "not a frame")

    assert got == []


def test_e3_a_wallet_frame_without_a_btc_row_changes_nothing():
    s, got = streams()
    usdt_only = frame("wallet")
    usdt_only["data"][0]["coin"] = [
        {**usdt_only["data"][0]["coin"][0], "coin": "USDT", "walletBalance": "9684.46",
         "equity": "9684.46", "unrealisedPnl": "0"}
    ]  # fmt: skip

    s.tap(PRIVATE, 1, usdt_only)

    assert got == []  # Bybit sends only the coins that changed: BTC did not
    assert s.counts().invalid_wallet_frames == 0


def test_e3_a_wallet_frame_without_any_coin_list_is_invalid():
    s, got = streams()
    broken = frame("wallet")
    broken["data"][0]["coin"] = None

    s.tap(PRIVATE, 1, broken)

    assert [type(e) for e in got] == [AccountAnswerInvalid]
    assert s.counts().invalid_wallet_frames == 1


@pytest.mark.parametrize(
    "change", [{"size": "NaN"}, {"side": "Long"}, {"size": "abc"}, {"liqPrice": "NaN"}]
)
def test_e3_an_invalid_position_frame_never_updates_the_view_and_is_counted(change, caplog_loguru):
    s, got = streams()
    bad = frame("position")
    bad["data"][0].update(change)

    s.tap(PRIVATE, 1, bad)
    s.tap(PRIVATE, 1, bad)

    assert [type(e) for e in got] == [AccountAnswerInvalid, AccountAnswerInvalid]
    assert "position" in got[0].detail
    assert s.counts().invalid_position_frames == 2
    assert sum("invalid position answer" in m for m in caplog_loguru) == 2  # each one logged


def test_g10_an_execution_is_delivered_once_per_exec_id():
    s, got = streams()
    fills = frame("execution")

    s.tap(PRIVATE, 1, fills)
    s.tap(PRIVATE, 1, fills)  # the same execution again (a resend)
    s.deliver_execution(fills["data"][0])  # ... and read back by REST: the caller de-duplicates

    assert [type(e) for e in got].count(OrderFilled) == 2
    assert s.counts().duplicate_executions == 1
    assert not s.ledger.first_time(fills["data"][0])


def test_f2_a_private_reconnect_asks_for_missed_executions_once_resubscribed():
    gaps: list = []
    s, got = streams(gaps)
    ack = PAYLOADS["ws_control"]["subscribe ack"]
    s.tap(PRIVATE, 1, ack)
    s.tap(PRIVATE, 2, PAYLOADS["ws_control"]["auth ok"])  # a new private connection
    for _ in range(3):
        s.tap(PRIVATE, 2, ack)
    assert gaps == []  # not before every private topic is subscribed again

    s.tap(PRIVATE, 2, ack)

    assert gaps == ["private stream reconnected"]
    assert StreamReconnected in [type(e) for e in got]


def test_f2_a_private_silence_longer_than_30_s_asks_for_missed_executions():
    gaps: list = []
    s, _ = streams(gaps)
    s.tap(PRIVATE, 1, PAYLOADS["ws_control"]["private pong"])
    s.client.now += 30_000
    s.tap(PRIVATE, 1, PAYLOADS["ws_control"]["private pong"])
    assert gaps == []  # 30 s exactly: still healthy (F2)

    s.client.now += 30_001
    s.tap(PRIVATE, 1, PAYLOADS["ws_control"]["private pong"])

    assert gaps == ["private stream silent"]
