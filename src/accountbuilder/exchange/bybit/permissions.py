"""Judge an API key from ``/v5/user/query-api`` before the bot trades with it.

The bot refuses a key that can withdraw (``"Withdraw"`` in any permission group, normally
``permissions.Wallet``; reference §3.2), a read-only key, and a key without contract trading
(``ContractTrade: Order, Position``). The verdict never carries the key itself: the raw answer
echoes ``apiKey`` and must not be logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

WITHDRAW = "Withdraw"
CONTRACT_TRADE = ("Order", "Position")


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """What the key may do; ``refusal`` says why the bot will not run with it (None: fine)."""

    read_only: bool
    can_withdraw: bool
    can_trade_contracts: bool
    uta: bool
    unified_margin: bool
    ip_restricted: bool
    refusal: str | None


def _groups(permissions: Any) -> Mapping[str, list[str]]:
    if not isinstance(permissions, Mapping):
        return {}
    return {str(k): [str(x) for x in v] for k, v in permissions.items() if isinstance(v, list)}


def assess_key(result: Mapping[str, Any]) -> KeyCheck:
    """Read the ``result`` of ``/v5/user/query-api`` into a ``KeyCheck``."""
    groups = _groups(result.get("permissions"))
    can_withdraw = any(WITHDRAW in values for values in groups.values())
    contract = groups.get("ContractTrade", [])
    can_trade = all(p in contract for p in CONTRACT_TRADE)
    read_only = str(result.get("readOnly", "0")) == "1"
    ips = result.get("ips") or []
    refusal = None
    if can_withdraw:
        refusal = "the API key can withdraw funds; create a key with trade permissions only"
    elif read_only:
        refusal = "the API key is read-only; the bot needs Contract Order and Position permission"
    elif not can_trade:
        refusal = "the API key lacks Contract trading permission (ContractTrade: Order, Position)"
    return KeyCheck(
        read_only=read_only,
        can_withdraw=can_withdraw,
        can_trade_contracts=can_trade,
        uta=str(result.get("uta", "0")) == "1",
        unified_margin=str(result.get("unified", "0")) == "1",
        ip_restricted=bool(ips) and ips != ["*"],
        refusal=refusal,
    )
