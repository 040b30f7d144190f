"""Judge the account from ``/v5/account/info`` and the other positions (issue 16 §5).

The bot trades only a UTA 2.0 account (``unifiedMarginStatus`` 5 or 6, reference §1.3): BTCUSD
is margined from the ``UNIFIED`` wallet and the margin mode is account-wide. UTA 1.0 (3, 4)
keeps inverse in a separate ``CONTRACT`` wallet with per-symbol margin, and a classic account
(1) has no unified wallet at all: both are refused at start with what to do instead.

Because the margin mode is account-wide on UTA 2.0, switching it would change every other
position the account holds: ``other_positions`` lists them so the adapter never switches
while any exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accountbuilder.domain.enums import MarginMode
from accountbuilder.domain.models import SYMBOL
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.bybit.mapping import dec, margin_mode

UTA2 = frozenset({5, 6})
UPGRADE = "upgrade it to a Unified Trading Account (UTA 2.0) on Bybit, then start again"
REFUSED = {
    1: f"a classic account (no unified wallet): {UPGRADE}",
    2: f"a Unified Margin Account (UMA): {UPGRADE}",
    3: f"UTA 1.0: BTCUSD inverse uses a separate CONTRACT wallet with per-symbol margin: {UPGRADE}",
    4: f"UTA 1.0 (pro): BTCUSD inverse uses a separate CONTRACT wallet with per-symbol margin: {UPGRADE}",
}
# position/list queries that cover the account's other positions (linear needs a settle coin)
OTHER_POSITION_QUERIES: tuple[dict[str, str], ...] = (
    {"category": "inverse"},
    {"category": "linear", "settleCoin": "USDT"},
    {"category": "linear", "settleCoin": "USDC"},
    {"category": "option"},
)


@dataclass(frozen=True, slots=True)
class AccountMode:
    """A supported account: its ``unifiedMarginStatus`` and account-wide margin mode."""

    unified_margin_status: int
    margin_mode: MarginMode


def assess_account(info: Mapping[str, Any]) -> AccountMode:
    """Read ``/v5/account/info``; ``UnsupportedAccount`` for a mode the bot does not trade."""
    raw = info.get("unifiedMarginStatus")
    if isinstance(raw, bool) or not str(raw).isdigit():
        raise port_errors.MalformedResponse(f"account/info: unifiedMarginStatus {raw!r}")
    status = int(str(raw))
    if status not in UTA2:
        why = REFUSED.get(status, f"an unknown account type: {UPGRADE}")
        raise port_errors.UnsupportedAccount(
            f"the account is {why} (account/info unifiedMarginStatus {status})"
        )
    return AccountMode(status, margin_mode(info))


def other_positions(category: str, rows: Sequence[Any]) -> list[str]:
    """Open positions of one ``position/list`` answer, except BTCUSD inverse (the bot's own)."""
    found = []
    for row in rows:
        if not isinstance(row, Mapping) or row.get("size") in (None, "", "0"):
            continue
        symbol = str(row.get("symbol"))
        if category == "inverse" and symbol == SYMBOL:
            continue
        if dec(row, "size") != 0:
            found.append(f"{category} {symbol} {row.get('side')} {row.get('size')}")
    return found
