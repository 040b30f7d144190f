"""The ``runtime`` section the runner adds to each saved session document, for ``status``."""

from __future__ import annotations

from typing import Any

from accountbuilder.core.orchestrator import TradingCore
from accountbuilder.health.rest_budget import RestBudget
from accountbuilder.risk.account import stage_for


def runtime_snapshot(
    core: TradingCore, budget: RestBudget | None, now_ms: int, mode: str
) -> dict[str, Any]:
    view = core.kit.view
    acct, mark = view.account, view.mark_price
    equity_btc = acct.equity_btc if acct is not None else None
    equity_usd = equity_btc * mark if equity_btc is not None and mark is not None else None
    ordinary, protective = budget.remaining(now_ms) if budget is not None else (None, None)
    ws = core.kit.ws.status(now_ms).mode.value if core.kit.ws is not None else "n/a"
    pos = view.position
    return {
        "mode": mode,
        "updated_ms": now_ms,
        "mark_price": None if mark is None else str(mark),
        "equity_btc": None if equity_btc is None else str(equity_btc),
        "equity_usd": None
        if equity_usd is None
        else str(equity_usd.quantize(equity_usd.__class__("0.01"))),
        "stage": None if equity_usd is None else stage_for(equity_usd).value,
        "position": None
        if pos is None or pos.contracts == 0
        else {"side": pos.side.value, "contracts": pos.contracts, "liq_price": str(pos.liq_price)},
        "rest_budget_remaining": {"ordinary": ordinary, "protective": protective},
        "ws": ws,
    }
