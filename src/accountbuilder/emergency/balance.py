"""E3: balance anomaly detection on the exchange's raw wallet answer.

Bybit sends numbers as strings, sometimes ``""``; a parser upstream may hand over ``None``,
a float or a Decimal. Anything that is not a clean, finite number in BTC with positive equity
is a ``BALANCE_ANOMALY`` (a manual HALT, SPEC E3/E5); a clean answer becomes an
``AccountSnapshot``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.domain.reasons import Denial, ReasonCode

MARGIN_CURRENCY = "BTC"  # BTCUSD inverse is margined in BTC (SPEC A1)


def _anomaly(field: str, problem: str, value: object) -> Denial:
    shown = value if isinstance(value, Decimal) else repr(value)
    return Denial(ReasonCode.BALANCE_ANOMALY, {"field": field, "problem": problem, "value": shown})


def parse_amount(field: str, raw: object) -> Decimal | Denial:
    """Read one raw amount as a finite Decimal, or say why it is anomalous."""
    if raw is None:
        return _anomaly(field, "missing", raw)
    if isinstance(raw, bool):  # bool is an int subclass: True would read as 1 BTC
        return _anomaly(field, "invalid_type", raw)
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return _anomaly(field, "missing", raw)
        try:
            value = Decimal(text)
        except InvalidOperation:
            return _anomaly(field, "non_numeric", raw)
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))  # shortest repr: 0.1 stays 0.1
    else:
        return _anomaly(field, "invalid_type", raw)
    if not value.is_finite():
        return _anomaly(field, "not_finite", raw)
    return value


def _check_currency(currency: object) -> Denial | None:
    if currency is None or (isinstance(currency, str) and not currency.strip()):
        return _anomaly("currency", "missing", currency)
    if not isinstance(currency, str):
        return _anomaly("currency", "invalid_type", currency)
    if currency.strip().upper() != MARGIN_CURRENCY:
        return _anomaly("currency", "wrong_currency", currency)
    return None


def assess_balance(
    now_ms: int,
    wallet_balance: object,
    unrealized_pnl: object,
    currency: object = MARGIN_CURRENCY,
    *,
    equity: object = None,
) -> AccountSnapshot | Denial:
    """Turn the raw wallet answer into an ``AccountSnapshot``, or a ``BALANCE_ANOMALY`` denial.

    Anomalies (SPEC E3): a missing, empty, non-numeric, NaN/infinite or wrongly typed amount; a
    currency other than BTC; a negative wallet balance; ``equity_btc = wallet + uPnL <= 0``; and,
    when the exchange also reports its own ``equity``, that figure unusable or ``<= 0``.
    """
    wrong_currency = _check_currency(currency)
    if wrong_currency is not None:
        return wrong_currency
    wallet = parse_amount("wallet_balance", wallet_balance)
    if isinstance(wallet, Denial):
        return wallet
    upnl = parse_amount("unrealized_pnl", unrealized_pnl)
    if isinstance(upnl, Denial):
        return upnl
    if wallet < 0:
        return _anomaly("wallet_balance", "negative", wallet)
    total = wallet + upnl
    if total <= 0:
        return Denial(
            ReasonCode.BALANCE_ANOMALY,
            {"field": "equity_btc", "problem": "not_positive", "equity_btc": total},
        )
    if equity is not None:
        reported = parse_amount("equity", equity)
        if isinstance(reported, Denial):
            return reported
        if reported <= 0:
            return _anomaly("equity", "not_positive", reported)
    return AccountSnapshot(
        ts_ms=now_ms,
        wallet_balance_btc=wallet,
        unrealized_pnl_btc=upnl,
        currency=MARGIN_CURRENCY,
    )


def assess_snapshot(account: AccountSnapshot | None, now_ms: int) -> AccountSnapshot | Denial:
    """Check an already-typed snapshot (e.g. from a WS wallet event) by the same E3 rules."""
    if account is None:
        return _anomaly("account", "missing", None)
    return assess_balance(
        account.ts_ms if account.ts_ms else now_ms,
        account.wallet_balance_btc,
        account.unrealized_pnl_btc,
        account.currency,
    )
