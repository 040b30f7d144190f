"""Raising a HALT from anywhere in the core, and its E7 actions (cancel entries, keep stops)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accountbuilder.core.kit import Kit, Outbox
from accountbuilder.core.state import SessionState
from accountbuilder.domain.commands import CancelOrder
from accountbuilder.domain.enums import HaltKind, OrderRole
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.emergency import halts
from accountbuilder.machines.context import MachineContext

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


def cancel_entry_orders(s: SessionState, out: Outbox, why: str) -> None:
    """E2/E7: cancel working entry orders — never a stop or a take-profit."""
    for order in s.orders.live(*ENTRY_ROLES):
        if order.order_id or order.phase.value in ("open", "sent", "unknown"):
            out.commands.append(
                CancelOrder(order.client_id, f"{order.client_id}:cancel:{why}", protective=True)
            )


def sync_main_to_halt(kit: Kit, s: SessionState, out: Outbox, now_ms: int) -> None:
    """Put the main machine in HALT (or add the reason there) and apply E7's actions."""
    s.main.fire("halt_raised", MachineContext(now_ms, position_contracts(kit)))
    cancel_entry_orders(s, out, "halt")


def raise_halt(
    kit: Kit,
    s: SessionState,
    out: Outbox,
    now_ms: int,
    reason: ReasonCode,
    kind: HaltKind,
    figures: Mapping[str, Any],
) -> None:
    """Raise a HALT found outside the emergency checker (D4, H2, G8, F3)."""
    s.halt, entries = halts.raise_halt(
        s.halt, now_ms, reason, kind, figures, context_snapshot(kit, s)
    )
    out.halts.extend(entries)
    sync_main_to_halt(kit, s, out, now_ms)
