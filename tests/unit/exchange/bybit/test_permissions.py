"""The API key: an allowlist of permissions, refused at start with the extra ones named (I4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def test_i4_read_only_history_permissions_are_allowed():
    perms = {**TRADE_ONLY["permissions"], "Exchange": ["ExchangeHistory"]}

    assert assess_key({**TRADE_ONLY, "permissions": perms}).refusal is None


@pytest.mark.parametrize(
    ("group", "permission"),
    [
        ("Wallet", "Withdraw"),
        ("Wallet", "SubMemberTransfer"),
        ("Wallet", "AccountTransfer"),
        ("Spot", "SpotTrade"),
        ("Derivatives", "DerivativesTrade"),
        ("FiatP2P", "FiatP2POrder"),
        ("FiatBitPay", "FaitPayOrder"),
        ("BitCard", "BitCard"),
        ("Earn", "Earn"),
        ("SomethingNew", "Move"),  # a group Bybit adds later: refused too
    ],
)
def test_i4_any_permission_beyond_the_allowlist_is_refused_and_named(group, permission):
    perms = {**TRADE_ONLY["permissions"], group: [permission]}

    check = assess_key({**TRADE_ONLY, "permissions": perms})

    assert check.extra_permissions == (f"{group}: {permission}",)
    assert f"{group}: {permission}" in check.refusal
    assert check.can_withdraw is (permission == "Withdraw")


def test_i4_the_docs_key_is_refused_naming_every_extra_permission():
    check = assess_key(DOCS_RESULT)  # the docs sample holds transfers, spot, P2P, BitCard ...

    for named in ("Wallet: AccountTransfer", "Wallet: SubMemberTransfer", "Spot: SpotTrade",
                  "FiatBitPay: FaitPayOrder", "BitCard: BitCard"):  # fmt: skip
        assert named in check.refusal
    assert "Exchange: ExchangeHistory" not in check.refusal  # a read


def test_i4_read_only_and_no_contract_permission_are_refused():
    read_only = {**TRADE_ONLY, "readOnly": 1}
    assert "read-only" in assess_key(read_only).refusal
    no_contract = {**TRADE_ONLY, "permissions": {"ContractTrade": ["Order"]}}
    assert "Contract" in assess_key(no_contract).refusal


def test_i4_the_verdict_never_carries_the_key():
    check = assess_key({**TRADE_ONLY, "apiKey": "MY-REAL-KEY-123"})

    assert "MY-REAL-KEY-123" not in repr(check)
