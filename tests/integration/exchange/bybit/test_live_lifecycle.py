"""A trade's life on the fake Bybit through the real ccxt, wire requests asserted (SPEC G1-G9)."""

from __future__ import annotations

from decimal import Decimal

from tests.integration.exchange.bybit.livekit import ENTRY_PRICE, TP_PRICE, LiveKit


async def test_g6_g9_full_lifecycle_wire_requests(kit: LiveKit):
    await kit.open()
    await kit.until(lambda: kit.creates("en"), max_ticks=60)  # WS healthy for 30 s first (F2)

    entry = kit.creates("en")[0]
    assert entry["side"] == "Buy" and entry["orderType"] == "Limit"
    assert entry["timeInForce"] == "PostOnly" and entry["positionIdx"] == 0  # G3, F7
    assert Decimal(entry["price"]) == ENTRY_PRICE
    assert len(entry["orderLinkId"]) <= 36  # G1
    contracts = int(entry["qty"])

    kit.move(ENTRY_PRICE - 20)  # trades through the level: the entry fills as maker
    await kit.until(lambda: kit.state.stop.state == "ACTIVE" and kit.creates("tp"))

    stop = kit.creates("sl")[0]
    assert stop["side"] == "Sell" and stop["orderType"] == "Market"
    assert stop["triggerDirection"] == 2 and stop["reduceOnly"] is True  # G6: long → falling
    assert stop["triggerBy"] == "MarkPrice" and stop["positionIdx"] == 0
    assert int(stop["qty"]) == contracts
    # C1: stop 4.5 % below the entry, rounded toward the entry (C3): 43,839 × 0.955 = 41,866.2…
    assert Decimal(stop["triggerPrice"]) == Decimal("41866.5")
    assert "stopLoss" not in stop and "takeProfit" not in stop  # never position TP/SL
    tp = kit.creates("tp")[0]
    assert tp["timeInForce"] == "PostOnly" and tp["reduceOnly"] is True and tp["side"] == "Sell"
    assert Decimal(tp["price"]) == TP_PRICE and int(tp["qty"]) == contracts  # G9
    assert kit.server.order(stop["orderLinkId"]).status == "Untriggered"
    assert kit.state.main.state == "IN_POSITION"

    kit.move(TP_PRICE + 30)  # the take-profit fills as maker
    await kit.until(lambda: kit.state.risk.winrate.closed == 1)  # flat, the trade recorded

    assert kit.server.engine.position.size == 0
    assert kit.server.order(stop["orderLinkId"]).status in ("Cancelled", "Deactivated")
    cancels = [r.params for r in kit.server.requests_to("/v5/order/cancel")]
    assert {
        "symbol": "BTCUSD",
        "category": "inverse",
        "orderLinkId": stop["orderLinkId"],
    } in cancels
    assert kit.server.requests_to("/v5/position/trading-stop") == []
    links = [b["orderLinkId"] for b in kit.creates()]
    assert len(links) == len(set(links))  # G2: no client id sent twice
    # H1/G10: the closed trade's fees are Bybit's execFee (maker 0.02 % both ways).
    assert kit.state.risk.winrate.recent == (True,)


async def test_g5_g7_partial_fill_places_the_stop_at_once_then_debounced_amends(kit: LiveKit):
    await kit.open()
    await kit.until(lambda: kit.creates("en"), max_ticks=60)
    entry = kit.creates("en")[0]
    cid, qty = entry["orderLinkId"], int(entry["qty"])

    kit.server.fill_partially(cid, 40)
    await kit.until(lambda: kit.state.stop.state == "ACTIVE")
    assert int(kit.creates("sl")[0]["qty"]) == 40  # G5: the stop covers the filled 40 at once

    kit.server.fill_partially(cid, 10)  # 50: +25 % ≥ 20 %, amended after the debounce
    kit.server.fill_partially(cid, 30)  # 80
    await kit.until(lambda: kit.server.requests_to("/v5/order/amend"))
    await kit.tick(3)
    kit.server.fill_partially(cid, qty - 80)  # the entry completes: final sync (exempt)
    await kit.until(lambda: kit.server.order(kit.creates("sl")[0]["orderLinkId"]).qty == qty)

    stop_cid = kit.creates("sl")[0]["orderLinkId"]
    amends = [a for a in kit.server.requests_to("/v5/order/amend")
              if a.params["orderLinkId"] == stop_cid]  # fmt: skip
    assert len(kit.creates("sl")) == 1  # amend, never cancel-and-replace (G7)
    assert all("triggerPrice" not in a.params for a in amends)  # qty only
    assert int(amends[-1].params["qty"]) == qty
    debounced = [a for a in amends[:-1]]
    gaps = [b.time_ms - a.time_ms for a, b in zip(debounced, debounced[1:], strict=False)]
    assert all(g >= 2_000 for g in gaps)  # G7: ≥ 2 s between (non-final) amends
    assert int(amends[0].params["qty"]) >= 50  # the first amend answers a ≥ 20 % change


async def test_g3_g4_three_post_only_rejections_then_one_taker_entry(kit_s2: LiveKit):
    kit = kit_s2
    # The mark stays above the level, the last price below it: a PostOnly buy at the level
    # would take liquidity, so Bybit acks it and then cancels it (reference §4.9).
    kit.last = ENTRY_PRICE - 50
    await kit.open()
    await kit.until(lambda: kit.creates("tk"), max_ticks=60)
    await kit.tick(2)

    makers = kit.creates("en")
    assert len(makers) == 3 and all(m["timeInForce"] == "PostOnly" for m in makers)
    reasons = {kit.server.order(m["orderLinkId"]).reject_reason for m in makers}
    assert reasons == {"EC_PostOnlyWillTakeLiquidity"}  # acked, then cancelled by Bybit
    taker = kit.creates("tk")
    # G4: one taker entry, an IOC limit within 0.2 % of the mark (never a market order)
    assert len(taker) == 1 and taker[0]["orderType"] == "Limit"
    assert taker[0]["timeInForce"] == "IOC" and taker[0]["positionIdx"] == 0
    assert Decimal(taker[0]["price"]) <= kit.base * Decimal("1.002") + 1
    assert kit.server.engine.position.size == int(taker[0]["qty"])
    assert kit.state.main.state == "IN_POSITION"


async def test_g8_stop_cancelled_elsewhere_is_replaced_at_once(kit: LiveKit):
    await kit.open()
    await kit.until(lambda: kit.creates("en"), max_ticks=60)
    kit.move(ENTRY_PRICE - 20)
    await kit.until(lambda: kit.state.stop.state == "ACTIVE")
    first = kit.creates("sl")[0]["orderLinkId"]

    kit.server.cancel_stop_elsewhere(first)
    ticks = await kit.until(
        lambda: len(kit.creates("sl")) == 2 and kit.state.stop.state == "ACTIVE"
    )

    second = kit.creates("sl")[1]
    assert second["orderLinkId"] != first  # a new attempt id (G1/G2)
    assert kit.server.order(second["orderLinkId"]).status == "Untriggered"
    assert int(second["qty"]) == kit.server.engine.position.size
    assert ticks <= 3  # MISSING → re-placed at once, well inside G8's 10 s
    assert kit.state.main.state == "IN_POSITION"
