"""ccxt errors → the port's typed errors: definite or ambiguous outcomes (SPEC G2, E3).

A request that reached Bybit ends one of three ways:

* **accepted** — ``retCode 0`` with the order's ids (``ack_of``; an answer without them is
  ambiguous);
* **refused** — an answer carrying a ``retCode`` Bybit uses for a refusal: a ``Rejected``
  subclass, or ``RateLimited`` / ``AuthError`` for requests it never processed (10006,
  HTTP 403/429, 10002-10010);
* **ambiguous** — everything else: a timeout, a dropped connection, HTTP 5xx, an unreadable
  or partial body, an answer without ``retCode``, or Bybit's own "server timeout / internal
  error" codes (10000, 10016). For a mutation that is ``OutcomeUnknown``: the order may exist,
  and the caller looks its ``orderLinkId`` up before sending anything else. For a read it is
  ``ExchangeUnavailable`` (network) or ``MalformedResponse`` (an unreadable answer, E3).

A ccxt error raised before any request left (ccxt's own argument checks) is definite: nothing
was sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import ccxt

from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.port import OrderAck

Kind = type[port_errors.ExchangeError]
MAX_MESSAGE = 400
# Bybit: 10000 "server timeout", 10016 "internal/service error": the request may have run.
AMBIGUOUS_CODES = frozenset({10000, 10016})
_RET_CODE = re.compile(r'"(?:retCode|ret_code)"\s*:\s*"?(-?\d+)')
_BY_CODE: dict[int, Kind] = {
    110072: port_errors.DuplicateClientId,
    110092: port_errors.TriggerWrongSide,
    110093: port_errors.TriggerWrongSide,
    110017: port_errors.ReduceOnlyViolation,
    110001: port_errors.OrderNotFound,
    110008: port_errors.OrderNotFound,  # order already finished or cancelled
    110010: port_errors.OrderNotFound,
    110009: port_errors.TooManyConditionalOrders,
    110003: port_errors.PriceOutOfRange,
    3400045: port_errors.MarginModeRefused,
    10002: port_errors.TimestampOutsideWindow,  # never processed
    10006: port_errors.RateLimited,  # never processed
}
_BY_CLASS: tuple[tuple[type[BaseException], Kind], ...] = (
    (ccxt.InvalidNonce, port_errors.TimestampOutsideWindow),
    (ccxt.RateLimitExceeded, port_errors.RateLimited),  # 10006, HTTP 403/429
    (ccxt.DDoSProtection, port_errors.RateLimited),
    (ccxt.AuthenticationError, port_errors.AuthError),  # incl. PermissionDenied 10005/10010
    (ccxt.InsufficientFunds, port_errors.InsufficientBalance),
    (ccxt.OrderNotFound, port_errors.OrderNotFound),
)
# Without a retCode, only these say "the gateway refused it": anything else may have run.
_REFUSED_WITHOUT_CODE = (ccxt.RateLimitExceeded, ccxt.DDoSProtection, ccxt.AuthenticationError)


def ret_code(error: BaseException) -> int | None:
    """Bybit's ``retCode`` inside a ccxt error message (ccxt puts the body there)."""
    found = _RET_CODE.search(str(error))
    return int(found.group(1)) if found else None


def translate_error(
    error: BaseException, *, mutation: bool, redact: Callable[[str], str], sent: bool = True
) -> port_errors.ExchangeError:
    """Map a ccxt (or parsing) error to the port's typed error; the message is redacted.

    ``mutation``: the call changes state (create/amend/cancel/settings). ``sent``: a request
    left for Bybit during the call (False: ccxt refused the arguments before sending).
    """
    if isinstance(error, port_errors.ExchangeError):
        return error
    code = ret_code(error)
    text = redact(f"{type(error).__name__}: {error}")[:MAX_MESSAGE]
    kind = classify(error, code, mutation=mutation, sent=sent)
    if kind is port_errors.MarginModeRefused:
        reasons = tuple(redact(r)[:MAX_MESSAGE] for r in margin_mode_reasons(str(error)))
        said = "; ".join(reasons) or "no reasons given"
        return kind(f"Bybit refused the margin mode (3400045): {said}", code=code, reasons=reasons)
    return kind(text, code=code)


def margin_mode_reasons(message: str) -> list[str]:
    """``result.reasons`` of a 3400045 answer (ccxt puts the body in the message)."""
    try:
        body = json.loads(message[message.index("{") :])
        listed = body["result"]["reasons"]
        return [f"{r.get('reasonCode')} {r.get('reasonMsg')}" for r in listed]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def classify(error: BaseException, code: int | None, *, mutation: bool, sent: bool) -> Kind:
    """The port error class of ``error`` (see the module docstring for the rules)."""
    if not sent:
        return port_errors.Rejected  # ccxt's own argument checks: nothing left
    if code:  # retCode 0 inside an error: accepted, then unreadable (treated as no code)
        return _answered(error, code, mutation)
    if isinstance(error, _REFUSED_WITHOUT_CODE):
        return _by_class(error) or port_errors.RateLimited
    if mutation:
        return port_errors.OutcomeUnknown  # no retCode: Bybit may have processed it
    if isinstance(error, ccxt.NetworkError | TimeoutError | OSError):
        return port_errors.ExchangeUnavailable
    return port_errors.MalformedResponse  # an unreadable answer, or one without retCode


def _answered(error: BaseException, code: int, mutation: bool) -> Kind:
    if code in AMBIGUOUS_CODES:
        return port_errors.OutcomeUnknown if mutation else port_errors.ExchangeUnavailable
    if code in _BY_CODE:
        return _BY_CODE[code]
    return _by_class(error) or port_errors.Rejected


def _by_class(error: BaseException) -> Kind | None:
    for ccxt_class, ours in _BY_CLASS:
        if isinstance(error, ccxt_class):
            return ours
    return None


def ack_of(answer: Any, cid: str, what: str) -> OrderAck:
    """The ids of an accepted request; an answer without them is ambiguous, not a rejection."""
    got = answer if isinstance(answer, Mapping) else {}
    order_id, link_id = got.get("id"), got.get("clientOrderId")
    if not order_id or link_id not in (None, "", cid):
        raise port_errors.OutcomeUnknown(
            f"{what} of {cid}: accepted without a usable ack (orderId {order_id!r}, "
            f"orderLinkId {link_id!r}); look it up"
        )
    return OrderAck(cid, str(order_id))
