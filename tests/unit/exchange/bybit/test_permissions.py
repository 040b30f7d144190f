"""A key that can withdraw is refused; so is one that cannot trade (live start, SPEC I4)."""

from __future__ import annotations

import json
from pathlib import Path

from accountbuilder.exchange.bybit.permissions import assess_key

DOCS_RESULT = json.loads((Path(__file__).parent / "payloads.json").read_text())["query_api_result"]
TRADE_ONLY = {
    **DOCS_RESULT,
    "readOnly": 0,
    "permissions": {"ContractTrade": ["Order", "Position"], "Wallet": [], "Spot": []},
}


def test_i4_trade_only_key_is_accepted():
    check = assess_key(TRADE_ONLY)

    assert check.refusal is None and check.can_trade_contracts and not check.can_withdraw
    assert check.uta and check.ip_restricted  # the docs sample lists three IPs


def test_i4_withdraw_permission_anywhere_is_refused():
    perms = {**TRADE_ONLY["permissions"], "Wallet": ["AccountTransfer", "Withdraw"]}

    check = assess_key({**TRADE_ONLY, "permissions": perms})

    assert check.can_withdraw and "withdraw" in check.refusal


def test_i4_read_only_and_no_contract_permission_are_refused():
    assert "read-only" in assess_key(DOCS_RESULT).refusal  # the docs key is readOnly 1
    no_contract = {**TRADE_ONLY, "permissions": {"Spot": ["SpotTrade"]}}
    assert "Contract" in assess_key(no_contract).refusal


def test_i4_the_verdict_never_carries_the_key():
    check = assess_key({**TRADE_ONLY, "apiKey": "MY-REAL-KEY-123"})

    assert "MY-REAL-KEY-123" not in repr(check)
