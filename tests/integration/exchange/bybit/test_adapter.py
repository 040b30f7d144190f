"""``BybitExchange`` keeps the port's semantics over real ccxt and the fake Bybit (SPEC G1-G7, F1)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from tests.integration.exchange.bybit.livekit import MARK0, SEC, LiveKit

from accountbuilder.domain.enums import (
    OrderRole,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
    TriggerBy,
    TriggerDirection,
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
from accountbuilder.domain.models import OrderSpec
from accountbuilder.exchange import errors as E
from accountbuilder.exchange.bybit import BybitExchange
from accountbuilder.signal.ids import InvalidClientId

PRIVATE_URL = "ws://127.0.0.1/v5/private"


def limit(cid: str, price: str, qty: int = 100, tif=TimeInForce.POST_ONLY, **kw) -> OrderSpec:
    role = kw.pop("role", OrderRole.ENTRY)
    return OrderSpec(cid, role, kw.pop("side", OrderSide.BUY), OrderType.LIMIT, qty,
                     Decimal(price), tif, **kw)  # fmt: skip


def market(cid: str, side=OrderSide.BUY, qty: int = 100, **kw) -> OrderSpec:
    role = kw.pop("role", OrderRole.TAKER_ENTRY)
    return OrderSpec(cid, role, side, OrderType.MARKET, qty, None, TimeInForce.IOC, **kw)


def stop(cid: str, trigger: str, qty: int = 100) -> OrderSpec:
    return OrderSpec(
        cid, OrderRole.STOP, OrderSide.SELL, OrderType.MARKET, qty, reduce_only=True,
        trigger_price=Decimal(trigger), trigger_direction=TriggerDirection.FALLING,
        trigger_by=TriggerBy.MARK_PRICE,
    )  # fmt: skip


@pytest.fixture
async def port(kit: LiveKit) -> BybitExchange:
    adapter = kit.adapter()
    await adapter.verify_key()
    adapter.start_streams()
    assert await adapter.streams.ready(5)
    return adapter


async def test_g3_post_only_that_would_take_raises_and_is_never_resting(kit, port):
    with pytest.raises(E.PostOnlyWouldTake, match="EC_PostOnlyWillTakeLiquidity"):
        await port.place_order(limit("s1_L_en0", str(MARK0 + 10)))  # a buy above the last

    assert kit.server.order("s1_L_en0").status == "Cancelled"  # Bybit acked it, then cancelled
    updates = [e.order for e in port.take_events() if isinstance(e, OrderUpdated)]
    assert updates[-1].status is OrderStatus.REJECTED  # a rejection, not a cancel (§4.9)
    assert await port.fetch_open_orders() == []


async def test_g3_post_only_verdict_falls_back_to_a_lookup_when_the_stream_is_silent(kit, port):
    kit.server.stall_ws()  # the order frame never comes

    with pytest.raises(E.PostOnlyWouldTake):
        await port.place_order(limit("s1_L_en2", str(MARK0 + 10)))

    lookup = kit.server.requests_to("/v5/order/realtime")[-1].params
    assert lookup["orderLinkId"] == "s1_L_en2"  # one REST lookup by client id decided it


async def test_g3_post_only_rejection_seen_after_the_ack_becomes_a_failed_place(kit, port):
    placed = await port.place_order(limit("s1_L_en1", "43000"))  # rests
    assert placed.status is OrderStatus.NEW
    port.take_events()
    row = {**_row(kit, "s1_L_en1"), "orderStatus": "Cancelled",
           "rejectReason": "EC_PostOnlyWillTakeLiquidity"}  # fmt: skip
    port.streams.tap(PRIVATE_URL, 1, {"topic": "order", "creationTime": kit.clock(), "data": [row]})

    events = [await anext(port.events()), *port.take_events()]  # the port's async stream
    failed = [e for e in events if isinstance(e, CommandFailed)]
    assert [(f.client_id, f.failure.value) for f in failed] == [
        ("s1_L_en1", "post_only_would_take")
    ]
    assert isinstance(events[-1], OrderUpdated) and events[-1].order.status is OrderStatus.REJECTED


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
    placed = await port.place_order(stop("s2_L_sl0", "42000"))
    assert placed.status is OrderStatus.UNTRIGGERED and placed.role is OrderRole.STOP

    amended = await port.amend_order("s2_L_sl0", qty=80, trigger_price=Decimal("42500"))

    body = kit.server.requests_to("/v5/order/amend")[-1].params
    assert body["triggerBy"] == "MarkPrice"  # not ccxt's silent LastPrice default
    assert body["orderLinkId"] == "s2_L_sl0" and body["qty"] == "80"
    assert amended.qty == 80 and amended.trigger_price == Decimal("42500")
    assert kit.server.order("s2_L_sl0").trigger_by == "MarkPrice"
    kit.server.cancel_stop_elsewhere("s2_L_sl0")
    with pytest.raises(E.OrderNotFound):
        await port.amend_order("s2_L_sl0", qty=90)
    with pytest.raises(E.OrderNotFound):
        await port.cancel_order("s2_L_sl0")


async def test_g2_lookup_by_client_id(kit, port):
    await port.place_order(limit("s3_L_en0", "43000"))

    found = await port.fetch_order("s3_L_en0")
    assert found is not None and found.status is OrderStatus.NEW and found.qty == 100
    assert await port.fetch_order("nothing_L_en0") is None
    queries = [r.params for r in kit.server.requests_to("/v5/order/realtime")]
    assert {"symbol": "BTCUSD", "category": "inverse", "orderLinkId": "s3_L_en0"} in queries
    assert all(q.get("orderId") in (None, "") for q in queries)  # never orderId=None


async def test_f7_b3_not_modified_answers_are_success(kit, port):
    await port.set_leverage(Decimal(10))  # unchanged: 110043 from Bybit
    await port.set_one_way()  # already one-way: 110025

    assert kit.server.requests_to("/v5/position/switch-mode")[-1].params == {
        "mode": 0, "symbol": "BTCUSD", "category": "inverse"}  # fmt: skip
    settings = await port.fetch_settings()
    assert settings.one_way and settings.leverage == Decimal(10)


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


def _row(kit: LiveKit, cid: str) -> dict:
    from accountbuilder.testing.fake_bybit import rows

    return rows.order_row(kit.server.order(cid), ws=True)
