"""The dry run on the fake Bybit's public endpoints, through the real ccxt (issue 20).

Entries, exits, WS health and restarts as live, with the orders simulated; the fake's request
log shows that nothing but public market data was asked for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from tests.integration.exchange.bybit.livekit import (
    ENTRY_PRICE,
    SEC,
    TP_PRICE,
    ManualClock,
    start_config,
)
from tests.integration.exchange.drykit import DryKit

from accountbuilder.domain.enums import ExitReason, Liquidity, Side
from accountbuilder.exchange.sim import snapshot
from accountbuilder.records.trade_log import TradeEntryRecord, TradeExitRecord
from accountbuilder.testing.fake_bybit.server import FakeBybit

STOP_PRICE = Decimal("41866.5")  # C1: 4.5 % below the entry, rounded toward it (C3)


@pytest.fixture
async def dry() -> AsyncIterator[DryKit]:
    clock = ManualClock()
    server = FakeBybit(start_config(), clock=clock)
    await server.start()
    kit = DryKit(server, clock)
    yield kit
    await kit.close()
    await server.stop()


async def _in_position(dry: DryKit) -> int:
    """Open, wait for the entry (30 s of healthy WS first, F2), trade through it; contracts."""
    await dry.open()
    await dry.until(lambda: dry.open_orders("en"), max_ticks=60)
    entry = dry.open_orders("en")[0]
    assert entry.spec.price == ENTRY_PRICE and entry.spec.reduce_only is False
    dry.move(ENTRY_PRICE - 20)  # the last price trades through the level: a maker fill
    await dry.until(lambda: dry.state.stop.state == "ACTIVE" and dry.open_orders("tp"))
    return entry.qty


async def test_g3_g9_issue20_dry_run_enters_at_the_level_and_exits_at_the_take_profit(dry):
    contracts = await _in_position(dry)

    assert dry.book.ledger.side is Side.LONG and dry.book.ledger.contracts == contracts
    stop, tp = dry.open_orders("sl")[0], dry.open_orders("tp")[0]
    assert stop.trigger_price == STOP_PRICE and stop.spec.reduce_only  # G6 on the sim
    assert tp.spec.price == TP_PRICE and tp.qty == contracts  # G9
    dry.move(TP_PRICE + 30)
    await dry.until(lambda: dry.state.risk.winrate.closed == 1)

    entry, exit_ = dry.trades[0], dry.trades[-1]
    assert isinstance(entry, TradeEntryRecord) and entry.entry_price == ENTRY_PRICE
    assert isinstance(exit_, TradeExitRecord) and exit_.exit_reason is ExitReason.TAKE_PROFIT
    assert exit_.exit_price == TP_PRICE and exit_.liquidity is Liquidity.MAKER
    assert exit_.is_win and dry.book.ledger.contracts == 0
    assert not dry.open_orders("sl") and not dry.open_orders("tp")  # cancelled once flat
    assert dry.server.engine.position.size == 0  # the fake's own account never moved


async def test_g6_issue20_dry_run_exits_at_the_stop_trigger(dry):
    await _in_position(dry)

    dry.move(STOP_PRICE - 200)  # the mark crosses the trigger: the stop fills at it
    await dry.until(lambda: dry.state.risk.winrate.closed == 1)

    exit_ = dry.trades[-1]
    assert exit_.exit_reason is ExitReason.STOP and exit_.exit_price == STOP_PRICE
    assert not exit_.is_win and dry.book.ledger.contracts == 0
    assert not dry.open_orders("sl") and not dry.open_orders("tp")  # nothing left to protect


async def test_f2_f3_issue20_a_stalled_public_stream_degrades_then_halts_the_dry_run(dry):
    await _in_position(dry)

    dry.server.stall_ws()  # nothing more arrives: no ticker, no kline, no pong
    await dry.until(lambda: dry.state.main.state == "HALT", max_ticks=120)

    halt = dry.halts[-1]
    assert halt.reason.value == "WS_DEGRADED_TIMEOUT"
    assert dry.book.ledger.contracts > 0 and dry.open_orders("sl")  # E7: protection stays
    assert dry.state.stop.state == "ACTIVE"


async def test_i4_issue20_a_restart_resumes_the_dry_account_with_its_orders(dry):
    contracts = await _in_position(dry)
    saved_session = dry.state.to_dict()
    account = dry.saves[-1]  # what the account file holds now
    stop_cid = dry.open_orders("sl")[0].spec.client_id
    await dry.close()
    dry.session, dry.feeds = None, []

    await dry.open(saved=saved_session, account=account, history=False)
    await dry.tick(3)

    assert dry.session.restored
    assert [o.spec.client_id for o in dry.open_orders("sl")] == [stop_cid]  # the same stop
    assert dry.book.ledger.contracts == contracts and dry.state.main.state == "IN_POSITION"
    assert dry.state.stop.state == "ACTIVE"
    assert snapshot.to_dict(dry.session.port.engine)["open"] == account["open"]


async def test_g6_i4_issue20_a_stop_the_market_crossed_while_stopped_fills_at_its_trigger(dry):
    """The dry account walks the minutes it missed (mark-price klines) before it resumes: a
    stop the market crossed and left while the bot was down filled then, as on the exchange."""
    await _in_position(dry)
    saved_session, account = dry.state.to_dict(), dry.saves[-1]
    stop_cid = dry.open_orders("sl")[0].spec.client_id
    await dry.close()
    dry.session, dry.feeds = None, []

    above = ENTRY_PRICE + 100
    for minute in range(1, 8):  # 7 minutes down; in minute 4 the mark dips through the stop
        dry.clock.advance(60 * SEC - dry.clock() % (60 * SEC))
        dry.server.set_mark_price(above)
        if minute == 4:
            crossed_minute = dry.clock()
            dry.clock.advance(20 * SEC)
            dry.server.set_mark_price(STOP_PRICE - 300)
            dry.clock.advance(20 * SEC)
            dry.server.set_mark_price(above)
    dry.clock.advance(60 * SEC)
    dry.server.set_mark_price(above)  # back above the stop when the bot restarts

    await dry.open(saved=saved_session, account=account, history=False)
    await dry.until(lambda: dry.state.risk.winrate.closed == 1)

    stop = dry.book.orders[stop_cid]
    assert stop.status.value == "Filled" and dry.book.ledger.contracts == 0
    assert crossed_minute <= stop.updated_ts_ms < crossed_minute + 60 * SEC  # when crossed
    exit_ = dry.trades[-1]
    assert exit_.exit_reason is ExitReason.STOP and exit_.exit_price == STOP_PRICE
    assert dry.server.requests_to("/v5/market/mark-price-kline")  # public, as every call


async def test_issue20_the_dry_run_asks_only_for_public_market_data(dry):
    await _in_position(dry)
    dry.move(TP_PRICE + 30)
    await dry.until(lambda: dry.state.risk.winrate.closed == 1)

    paths = {r.path for r in dry.server.requests}
    assert paths and all(p.startswith("/v5/market/") for p in paths), paths
    assert not any(r.headers for r in dry.server.requests)  # no X-BAPI-* header, ever
    assert {m.path for m in dry.server.ws_messages} == {"/v5/public/inverse"}
    assert not any(
        isinstance(m.message, dict) and m.message.get("op") == "auth"
        for m in dry.server.ws_messages
    )
    assert dry.budget.in_window(dry.clock()) > 0  # F1: the public calls were counted
