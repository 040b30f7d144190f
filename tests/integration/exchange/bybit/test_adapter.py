"""``BybitExchange`` over real ccxt and the fake Bybit: acks, typed outcomes, requests (G1-G8, F1, F4)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from tests.integration.exchange.bybit.livekit import MARK0, SEC
from tests.integration.exchange.bybit.specs import limit, market, stop

from accountbuilder.domain.enums import (
    OrderRole,
    OrderSide,
    OrderStatus,
    TimeInForce,
)
from accountbuilder.domain.events import (
    CandleClosed,
    CommandFailed,
    MarkPriceUpdated,
    OrderFilled,
    OrderUpdated,
    PongReceived,
    RestRoundTrip,
)
from accountbuilder.exchange import errors as E
from accountbuilder.exchange.bybit import BybitExchange
from accountbuilder.exchange.port import OrderAck
from accountbuilder.signal.ids import InvalidClientId

CREATE = "/v5/order/create"


def updates(port: BybitExchange, cid: str) -> list:
    return [e.order for e in port.take_events() if isinstance(e, OrderUpdated) and e.order.client_id == cid]  # fmt: skip


async def test_g8_f4_place_returns_the_ack_and_the_state_comes_from_the_stream(kit, port):
    ack = await port.place_order(limit("s1_L_en0", str(MARK0 + 10)))  # a buy above the last

    assert ack == OrderAck("s1_L_en0", kit.server.order("s1_L_en0").order_id)  # ids, no state
    assert kit.server.order("s1_L_en0").status == "Cancelled"  # Bybit acked it, then cancelled
    await kit.settle()
    events = port.take_events()
    assert not [e for e in events if isinstance(e, CommandFailed)]  # nothing made up
    (update,) = [e.order for e in events if isinstance(e, OrderUpdated)]
    assert update.status is OrderStatus.REJECTED  # a rejection, not a cancel (§4.9)
    assert update.reject_reason == "EC_PostOnlyWillTakeLiquidity"
    assert await port.fetch_open_orders() == []


async def test_f4_with_the_stream_silent_the_state_comes_only_from_a_lookup(kit, port):
    kit.server.stall_ws()  # the order frame never comes

    await port.place_order(limit("s1_L_en2", str(MARK0 + 10)))
    await kit.settle()

    assert updates(port, "s1_L_en2") == []  # the ack alone says nothing
    assert kit.server.requests_to("/v5/order/realtime") == []  # no lookup of its own
    found = await port.fetch_order("s1_L_en2")  # the core asks after 5 s (F4)
    assert found.status is OrderStatus.REJECTED
    assert found.reject_reason == "EC_PostOnlyWillTakeLiquidity"


async def test_g8_f4_a_stop_update_3_s_late_is_reported_only_then(kit, port):
    kit.server.delay_stream(3.0)  # Bybit processes asynchronously: state 3 s after the ack
    sent_at = kit.clock()

    ack = await port.place_order(stop("s1_L_sl0", "42000"))

    assert isinstance(ack, OrderAck) and kit.clock() == sent_at  # returned at once
    kit.clock.advance(2_900)
    await asyncio.sleep(0.05)
    assert updates(port, "s1_L_sl0") == []  # 2.9 s: nothing yet, nothing assumed
    kit.clock.advance(200)
    await asyncio.sleep(0.05)
    (update,) = [e for e in port.take_events() if isinstance(e, OrderUpdated)]
    assert update.order.status is OrderStatus.UNTRIGGERED and update.order.qty == 100
    assert update.exchange_ts_ms >= sent_at + 3_000


async def test_g8_a_stop_rejected_after_it_was_working_is_an_order_update_rejected(kit, port):
    await port.place_order(market("s2_L_tk0"))
    await port.place_order(stop("s2_L_sl0", "42000"))
    await kit.settle()
    assert updates(port, "s2_L_sl0")[-1].status is OrderStatus.UNTRIGGERED  # working

    kit.server.reject_order("s2_L_sl0", "EC_Others")
    await kit.settle()

    (rejected,) = updates(port, "s2_L_sl0")
    assert rejected.status is OrderStatus.REJECTED and rejected.reject_reason == "EC_Others"


async def test_g8_a_create_acked_then_rejected_is_an_ack_then_an_order_update(kit, port):
    kit.server.reject_next_create("EC_ReachRiskPriceLimit")

    ack = await port.place_order(stop("s2_L_sl1", "42000"))
    await kit.settle()

    assert ack.client_id == "s2_L_sl1" and ack.order_id
    (rejected,) = updates(port, "s2_L_sl1")
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reject_reason == "EC_ReachRiskPriceLimit"


async def test_g6_every_stop_request_carries_close_on_trigger(kit, port):
    await port.place_order(market("s2_L_tk1"))
    await port.place_order(stop("s2_L_sl2", "42000"))
    await port.place_order(limit("s2_L_tp0", "46000", side=OrderSide.SELL, reduce_only=True,
                                 role=OrderRole.TAKE_PROFIT))  # fmt: skip

    bodies = {r.params["orderLinkId"]: r.params for r in kit.server.requests_to(CREATE)}
    assert bodies["s2_L_sl2"]["closeOnTrigger"] is True and bodies["s2_L_sl2"]["reduceOnly"] is True
    assert "closeOnTrigger" not in bodies["s2_L_tp0"]  # only the conditional stop
    assert kit.server.order("s2_L_sl2").close_on_trigger


async def test_g2_a_create_answer_without_retcode_is_unknown_not_a_rejection(kit, port):
    kit.server.faults.malformed(CREATE, "no_retcode")  # processed: the stop is on the book

    with pytest.raises(E.OutcomeUnknown):
        await port.place_order(stop("s3_L_sl0", "42000"))

    assert kit.server.order("s3_L_sl0").status == "Untriggered"  # it was accepted
    found = await port.fetch_order("s3_L_sl0")  # what the core does next (G2)
    assert found is not None and found.status is OrderStatus.UNTRIGGERED


@pytest.mark.parametrize(
    "change",
    [
        lambda env: {**env, "result": {}},  # retCode 0, no ids
        lambda env: {**env, "result": {"orderId": "", "orderLinkId": "s3_L_sl1"}},
    ],
)
async def test_g2_an_accepted_answer_without_an_order_id_is_unknown(kit, port, change):
    kit.server.faults.rewrite(CREATE, change)

    with pytest.raises(E.OutcomeUnknown, match="look it up"):
        await port.place_order(stop("s3_L_sl1", "42000"))


async def test_g6_110009_more_than_10_conditional_orders_and_110003_price_band(kit, port):
    await port.place_order(market("s4_L_tk0", qty=200))
    for n in range(10):
        await port.place_order(stop(f"s4_L_sl{n}", str(42000 - n), qty=10))

    with pytest.raises(E.TooManyConditionalOrders) as too_many:
        await port.place_order(stop("s4_L_sl10", "41000", qty=10))
    with pytest.raises(E.PriceOutOfRange) as band:  # a buy 3 % above the mark
        await port.place_order(limit("s4_L_en0", str(MARK0 * Decimal("1.03")), tif=TimeInForce.GTC))  # fmt: skip

    assert (too_many.value.code, band.value.code) == (110009, 110003)


async def test_g2_duplicate_client_id_is_duplicate_not_rejected(kit, port):
    kit.server.reserve_order_link_id("s1_L_sl0")

    with pytest.raises(E.DuplicateClientId) as info:
        await port.place_order(stop("s1_L_sl0", "40000"))
    assert info.value.code == 110072


async def test_g1_bad_client_id_is_never_sent(kit, port):
    with pytest.raises(InvalidClientId):
        await port.place_order(limit("x" * 37, "43000"))
    assert kit.server.requests_to("/v5/order/create") == []


async def test_g6_trigger_on_the_wrong_side_and_reduce_only_refusals(kit, port):
    with pytest.raises(E.TriggerWrongSide):
        await port.place_order(stop("s1_L_sl1", str(MARK0 + 100)))  # falling trigger above mark
    with pytest.raises(E.ReduceOnlyViolation):
        await port.place_order(market("s1_L_cl0", OrderSide.SELL, reduce_only=True, role=OrderRole.CLOSE))  # fmt: skip


async def test_g6_g7_stop_amend_keeps_mark_price_trigger_and_vanished_order_is_not_found(kit, port):
    await port.place_order(market("s2_L_tk0"))
    await port.place_order(stop("s2_L_sl0", "42000"))
    await kit.settle()
    port.take_events()

    ack = await port.amend_order("s2_L_sl0", qty=80, trigger_price=Decimal("42500"))

    assert ack == OrderAck("s2_L_sl0", kit.server.order("s2_L_sl0").order_id)
    body = kit.server.requests_to("/v5/order/amend")[-1].params
    assert body["triggerBy"] == "MarkPrice"  # not ccxt's silent LastPrice default
    assert body["orderLinkId"] == "s2_L_sl0" and body["qty"] == "80"
    await kit.settle()
    (amended,) = updates(port, "s2_L_sl0")  # the amend is confirmed by the stream only
    assert amended.qty == 80 and amended.trigger_price == Decimal("42500")
    assert kit.server.order("s2_L_sl0").trigger_by == "MarkPrice"
    kit.server.cancel_stop_elsewhere("s2_L_sl0")
    with pytest.raises(E.OrderNotFound):
        await port.amend_order("s2_L_sl0", qty=90)
    with pytest.raises(E.OrderNotFound):
        await port.cancel_order("s2_L_sl0")


async def test_g8_cancel_returns_the_ack_and_the_cancel_comes_from_the_stream(kit, port):
    await port.place_order(limit("s3_L_en1", "43000"))
    await kit.settle()
    port.take_events()

    ack = await port.cancel_order("s3_L_en1")
    await kit.settle()

    assert ack.client_id == "s3_L_en1"
    assert updates(port, "s3_L_en1")[-1].status is OrderStatus.CANCELLED


async def test_g2_lookup_by_client_id(kit, port):
    await port.place_order(limit("s3_L_en0", "43000"))

    found = await port.fetch_order("s3_L_en0")
    assert found is not None and found.status is OrderStatus.NEW and found.qty == 100
    assert await port.fetch_order("nothing_L_en0") is None
    queries = [r.params for r in kit.server.requests_to("/v5/order/realtime")]
    assert {"symbol": "BTCUSD", "category": "inverse", "orderLinkId": "s3_L_en0"} in queries
    assert all(q.get("orderId") in (None, "") for q in queries)  # never orderId=None


async def test_f7_b3_not_modified_leverage_is_success_and_one_way_is_read_not_switched(kit, port):
    await port.set_leverage(Decimal(10))  # unchanged: 110043 from Bybit

    settings = await port.fetch_settings()
    assert settings.one_way and settings.leverage == Decimal(10)
    assert kit.server.requests_to("/v5/position/switch-mode") == []  # never called (F7)


@pytest.mark.parametrize(
    ("fault", "call", "expected"),
    [
        (("rate_limit", {}), "read", E.RateLimited),
        (("http_403", {}), "read", E.RateLimited),
        (("drop_connection", {"path": "/v5/order/create"}), "create", E.OutcomeUnknown),
        # aiohttp retries an idempotent GET once on a dropped keep-alive connection: drop both
        (("drop_connection", {"path": "/v5/position/list", "n": 2}), "read", E.ExchangeUnavailable),
        (
            ("malformed", {"path": "/v5/position/list", "kind": "missing_fields"}),
            "read",
            E.MalformedResponse,
        ),  # fmt: skip
        (
            ("malformed", {"path": "/v5/position/list", "kind": "no_retcode"}),
            "read",
            E.MalformedResponse,
        ),  # fmt: skip
        (
            ("malformed", {"path": "/v5/account/wallet-balance", "kind": "nan"}),
            "wallet",
            E.MalformedResponse,
        ),  # fmt: skip
        (
            ("malformed", {"path": "/v5/account/wallet-balance", "kind": "empty_result"}),
            "wallet",
            E.MalformedResponse,
        ),  # fmt: skip
    ],
)
async def test_e3_f1_g2_wire_faults_map_to_typed_errors(kit, port, fault, call, expected):
    name, kw = fault
    getattr(kit.server.faults, name)(**kw)
    calls = {
        "read": lambda: port.fetch_position(),
        "create": lambda: port.place_order(limit("s4_L_en0", "43000")),
        "wallet": lambda: port.fetch_account(),
    }

    with pytest.raises(expected):
        await calls[call]()


async def test_f1_each_request_counted_once_and_own_calls_report_round_trips(kit, port):
    executor_view = port.for_executor()
    before = kit.budget.in_window(kit.clock())
    requests_before = len(kit.server.requests)
    port.take_events()

    await executor_view.fetch_position()  # the executor already counted this one
    await port.fetch_account()  # the adapter's own read: counted here

    assert kit.budget.in_window(kit.clock()) == before + 1
    assert len(kit.server.requests) == requests_before + 2
    trips = [e for e in port.take_events() if isinstance(e, RestRoundTrip)]
    assert [t.endpoint for t in trips] == ["/v5/account/wallet-balance"]


async def test_e2_events_carry_exchange_and_local_time_fills_carry_exec_fee(kit, port):
    kit.server.delay_stream(0)  # frames sent when made: their age is the wire's alone
    kit.clock.advance(61 * SEC)  # into the next minute: the running 1-minute bar closes
    kit.server.set_mark_price(MARK0 + 1)
    await port.place_order(market("s5_L_tk0", qty=440))
    await port.place_order(limit("s5_L_en0", "43000", qty=200))
    kit.server.fill_partially("s5_L_en0", 50)  # frames stamped now, still in the fake's queue
    kit.clock.advance(250)  # ... and read 250 ms later
    await asyncio.sleep(0.15)  # ccxt.pro pings every 50 ms here: pongs come back
    events = port.take_events()

    fills = [e.fill for e in events if isinstance(e, OrderFilled)]
    assert [f.client_id for f in fills] == ["s5_L_tk0", "s5_L_en0"]
    # taker execFee: 440 / 44,015.5 × 0.055 % = 0.000005498… → 0.00000550 BTC at 1 sat
    assert fills[0].fee_btc == Decimal("0.00000550") and fills[0].fee_rate == Decimal("0.00055")
    marks = [e for e in events if isinstance(e, MarkPriceUpdated)]
    assert marks and marks[-1].mark_price == MARK0 + 1
    assert all(e.exchange_ts_ms <= e.local_ts_ms for e in events)
    late = [e for e in events if isinstance(e, OrderFilled) and e.fill.client_id == "s5_L_en0"]
    assert late[0].age_ms == 250  # E2: the age of an event is local arrival − exchange time
    # maker execFee: 50 / 43,000 × 0.02 % = 0.000000232… → 0.00000023 BTC at 1 sat
    assert late[0].fill.fee_btc == Decimal("0.00000023") and late[0].fill.liquidity.value == "maker"
    closed = [e for e in events if isinstance(e, CandleClosed)]
    assert [c.interval for c in closed] == ["1"]
    assert any(isinstance(e, PongReceived) for e in events)
