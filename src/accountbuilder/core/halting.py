"""Raising a HALT from anywhere in the core, and its E7 actions (cancel entries, keep stops).

The main machine takes ``halt_raised`` (the one halt machine, issue 13); the halt's facts and
its log entry (I2) follow from the move.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.domain.commands import CancelOrder
from accountbuilder.domain.enums import HaltKind, OrderRole
from accountbuilder.domain.lifecycle import OrderEvent
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.domain.requests import Purpose
from accountbuilder.emergency import halts

ENTRY_ROLES = (OrderRole.ENTRY, OrderRole.TAKER_ENTRY)


def position_contracts(kit: Kit) -> int:
    pos = kit.view.position
    return 0 if pos is None else pos.contracts


def context_snapshot(kit: Kit, s: SessionState) -> dict[str, Any]:
    """SPEC I2: market, account, position, orders, health at the moment of a halt event."""
    pos, acct = kit.view.position, kit.view.account
    return {
        "market": {"mark": str(kit.view.mark_price), "atr_pct_24h": str(kit.view.atr_pct_24h())},
        "account": None
        if acct is None
        else {"wallet_btc": str(acct.wallet_balance_btc), "upnl_btc": str(acct.unrealized_pnl_btc)},
        "position": None
        if pos is None
        else {
            "side": pos.side and pos.side.value,
            "contracts": pos.contracts,
            "liq_price": str(pos.liq_price),
        },
        "orders": [
            {"cid": o.client_id, "role": o.role.value, "phase": o.phase.value}
            for o in s.orders.live()
        ],
        "machines": {"main": s.main.state, "stop": s.stop.state},
    }


CANCEL_AGAIN_MS = 5_000  # a cancel not yet seen on the exchange is asked again after this


def cancel_entry_orders(s: SessionState, out: Outbox, purpose: Purpose, now_ms: int) -> None:
    """E2/E7: cancel working entry orders — never a stop or a take-profit."""
    for order in s.orders.live(*ENTRY_ROLES):
        if order.cancel_ms is not None and now_ms - order.cancel_ms < CANCEL_AGAIN_MS:
            continue  # asked already: its evidence is on the way
        s.orders.apply(order.client_id, OrderEvent.CANCEL_REQUESTED, now_ms, purpose.value)
        out.commands.append(CancelOrder(order.client_id, s.next_seq(), purpose, protective=True))


def raise_halt(
    kit: Kit,
    s: SessionState,
    out: Outbox,
    now_ms: int,
    reason: ReasonCode,
    kind: HaltKind,
    figures: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
) -> None:
    """Take ``halt_raised`` (E1-E6, D4, G8, H2, H3, F3): HALT, or a reason added to it."""
    s.halt_facts, entries = halts.raise_on(
        s.main,
        s.halt_facts,
        now_ms,
        position_contracts(kit),
        reason,
        kind,
        figures,
        context or context_snapshot(kit, s),
    )
    out.halts.extend(entries)
    cancel_entry_orders(s, out, Purpose.HALT, now_ms)
