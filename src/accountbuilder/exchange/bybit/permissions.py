"""Judge an API key from ``/v5/user/query-api`` before the bot trades with it (issue 16 §4).

An allowlist, not a blocklist: the key may hold only what the bot needs — contract orders and
positions (``ContractTrade: Order, Position``) and read-only history permissions. Anything
else (``Wallet: AccountTransfer, SubMemberTransfer, Withdraw``, ``Spot``, ``Options``,
``Derivatives``, ``Exchange`` conversions, ``Earn``, ``FiatP2P``, ``FiatBitPay``, ``BitCard``
…, and any group Bybit adds later) is refused at start, naming each permission. A read-only
key, and one without contract trading, are refused too. The verdict never carries the key
itself: the raw answer echoes ``apiKey`` and must not be logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NEEDED = {"ContractTrade": frozenset({"Order", "Position"})}
# Read-only history permissions: holding them moves nothing.
READS = {"Exchange": frozenset({"ExchangeHistory"}), "NFT": frozenset({"NFTQueryProductList"})}


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """What the key may do; ``refusal`` says why the bot will not run with it (None: fine)."""

    read_only: bool
    extra_permissions: tuple[str, ...]  # "Group: Permission" beyond the allowlist
    can_trade_contracts: bool
    uta: bool
    unified_margin: bool
    ip_restricted: bool
    refusal: str | None

    @property
    def can_withdraw(self) -> bool:
        return any(p.endswith(": Withdraw") for p in self.extra_permissions)


def _groups(permissions: Any) -> Mapping[str, list[str]]:
    if not isinstance(permissions, Mapping):
        return {}
    return {str(k): [str(x) for x in v] for k, v in permissions.items() if isinstance(v, list)}


def extra_permissions(groups: Mapping[str, list[str]]) -> tuple[str, ...]:
    """Every permission outside ``NEEDED`` and ``READS``, as ``"Group: Permission"``."""
    return tuple(
        f"{group}: {perm}"
        for group, perms in groups.items()
        for perm in perms
        if perm not in NEEDED.get(group, frozenset()) | READS.get(group, frozenset())
    )


def _refusal(read_only: bool, extra: tuple[str, ...], can_trade: bool) -> str | None:
    if extra:
        return (
            f"the API key holds permissions the bot does not need: {', '.join(extra)}; "
            "create a key with only Contract: Orders, Positions"
        )
    if read_only:
        return "the API key is read-only; the bot needs Contract Order and Position permission"
    if not can_trade:
        return "the API key lacks Contract trading permission (ContractTrade: Order, Position)"
    return None


def assess_key(result: Mapping[str, Any]) -> KeyCheck:
    """Read the ``result`` of ``/v5/user/query-api`` into a ``KeyCheck``."""
    groups = _groups(result.get("permissions"))
    extra = extra_permissions(groups)
    can_trade = NEEDED["ContractTrade"] <= set(groups.get("ContractTrade", []))
    read_only = str(result.get("readOnly", "0")) == "1"
    ips = result.get("ips") or []
    return KeyCheck(
        read_only=read_only,
        extra_permissions=extra,
        can_trade_contracts=can_trade,
        uta=str(result.get("uta", "0")) == "1",
        unified_margin=str(result.get("unified", "0")) == "1",
        ip_restricted=bool(ips) and ips != ["*"],
        refusal=_refusal(read_only, extra, can_trade),
    )
