"""The adapter's streams against the fake Bybit: wallet frames, a gap's repair, funding, liquidation.

Issue 16 §3 (a wallet frame carries only the coins that changed), §6 (what the private stream
missed while down is read back: executions once each, orders that changed, the position),
SPEC E6, G8, G10.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.integration.exchange.bybit.livekit import HOUR, LiveKit
from tests.integration.exchange.bybit.specs import limit, market, stop

from accountbuilder.domain.enums import OrderStatus
from accountbuilder.domain.events import (
    AccountAnswerInvalid,
    FundingApplied,
    OrderFilled,
    OrderUpdated,
    PositionLiquidated,
    WalletUpdated,
)

EXECUTIONS = "/v5/execution/list"
REALTIME = "/v5/order/realtime"
POSITIONS = "/v5/position/list"


async def until(done, timeout_s: float = 5.0) -> None:
    """Wait (real time) until ``done()``: reconnects take a few event-loop rounds."""
    async with asyncio.timeout(timeout_s):
        while not done():
            await asyncio.sleep(0.02)


async def test_e3_a_usdt_only_wallet_frame_changes_nothing(kit: LiveKit, port):
    await kit.settle()
    port.take_events()

    kit.server.move_coin("USDT", 9_684)  # Bybit's frame: only the USDT row
    await kit.settle()
    assert not [e for e in port.take_events() if isinstance(e, WalletUpdated | AccountAnswerInvalid)]  # fmt: skip

    await port.place_order(market("s1_L_tk0", qty=20))  # BTC changes: a BTC-only frame
    await kit.settle()
    wallets = [e for e in port.take_events() if isinstance(e, WalletUpdated)]
    assert wallets and wallets[-1].account.wallet_balance_btc == kit.server.engine.wallet_btc
    assert port.health().invalid_wallet_frames == 0


async def test_g10_a_fill_while_the_private_stream_was_down_is_recovered_with_its_fee(
    kit: LiveKit, port
):
    await port.place_order(limit("s1_L_en0", "43000", qty=100))
    await kit.settle()
    port.take_events()
    kit.server.stall_ws()
    kit.server.fill_partially("s1_L_en0", 40)  # its execution frame is lost
    await kit.settle()
    kit.server.resume_ws()
    assert not [e for e in port.take_events() if isinstance(e, OrderFilled)]

    await kit.server.drop_ws(private=True)  # the adapter reconnects and resubscribes
    await until(lambda: port.recovery.fills_recovered >= 1)
    await port.recovery.settle()

    fills = [e.fill for e in port.take_events() if isinstance(e, OrderFilled)]
    (fill,) = fills  # delivered once, as the usual event
    (execution,) = kit.server.engine.executions[-1:]
    assert (fill.exec_id, fill.client_id, fill.qty) == (execution.exec_id, "s1_L_en0", 40)
    # maker execFee: 40 / 43,000 × 0.02 % = 0.000000186 → 0.00000019 BTC (G10: Bybit's own)
    assert fill.fee_btc == Decimal("0.00000019") == execution.fee
    query = kit.server.requests_to(EXECUTIONS)[-1].params
    assert query["category"] == "inverse" and query["symbol"] == "BTCUSD"
    assert int(query["startTime"]) <= execution.time_ms
    assert port.health().fills_recovered == 1


async def test_g10_executions_seen_on_the_stream_are_not_delivered_again(kit: LiveKit, port):
    await port.place_order(market("s1_L_tk1", qty=30))
    await kit.settle()
    seen = [e for e in port.take_events() if isinstance(e, OrderFilled)]
    assert len(seen) == 1

    await kit.server.drop_ws(private=True)
    await until(lambda: bool(kit.server.requests_to(EXECUTIONS)))
    await port.recovery.settle()

    assert not [e for e in port.take_events() if isinstance(e, OrderFilled)]
    assert port.health().fills_recovered == 0


async def test_g10_funding_at_08_utc_arrives_as_funding_applied(kit: LiveKit, port):
    await port.place_order(market("s1_L_tk2", qty=440))
    await kit.settle()
    port.take_events()

    kit.clock.advance(8 * HOUR)  # the kit starts at 01:00 UTC: 08:00 passes
    kit.server.settle_funding()
    await kit.settle()

    (funding,) = [e for e in port.take_events() if isinstance(e, FundingApplied)]
    paid = kit.server.engine.executions[-1].fee
    assert funding.amount_btc == -paid < 0 and funding.rate == Decimal("0.0001")


async def test_e6_a_liquidation_arrives_as_position_liquidated(kit: LiveKit, port):
    await port.place_order(market("s1_L_tk3", qty=100))
    await kit.settle()
    port.take_events()

    kit.server.liquidate("Liq")
    await kit.settle()

    liquidations = [e for e in port.take_events() if isinstance(e, PositionLiquidated)]
    assert liquidations  # positionStatus Liq, then the BustTrade execution
    assert all(e.contracts == 100 for e in liquidations)


async def test_g8_an_order_change_missed_during_a_gap_is_delivered_after_the_reconnect(
    kit: LiveKit, port
):
    await port.place_order(market("s2_L_tk0", qty=100))
    await port.place_order(stop("s2_L_sl0", "42000"))
    await port.place_order(limit("s2_L_en1", "43000", qty=10))  # stays as it was
    await kit.settle()
    port.take_events()
    kit.server.stall_ws()
    kit.server.cancel_stop_elsewhere("s2_L_sl0")  # its order frame is lost
    await kit.settle()
    kit.server.resume_ws()

    await kit.server.drop_ws(private=True)
    await until(lambda: len(kit.server.requests_to(POSITIONS)) >= 1)
    await port.recovery.settle()

    orders = [e.order for e in port.take_events() if isinstance(e, OrderUpdated)]
    assert [(o.client_id, o.status) for o in orders] == [("s2_L_sl0", OrderStatus.CANCELLED)]
    reads = [r.params.get("openOnly") for r in kit.server.requests_to(REALTIME)]
    assert reads[-2:] == ["0", "1"]  # open orders, then the recently closed ones
