"""Typed exchange errors of the port. Adapters map venue errors to these in one place.

Every outcome of a create/amend/cancel is either definite — accepted (an ``OrderAck``), or
refused with a known code (a ``Rejected`` subclass; ``RateLimited``/``AuthError`` for requests
the venue never processed) — or ambiguous: ``OutcomeUnknown`` (a timeout, a lost connection,
HTTP 5xx, an unreadable or partial answer, an answer without ``retCode``). After an ambiguous
outcome the order may or may not exist; the caller looks the client id up before sending
anything else (SPEC G2). An ambiguous outcome is never "rejected".
"""

from __future__ import annotations

from accountbuilder.domain.requests import FailureKind


class ExchangeError(Exception):
    """Base class. ``code`` is the venue's error code when there is one (Bybit ``retCode``)."""

    def __init__(self, message: str = "", *, code: int | None = None):
        super().__init__(message)
        self.code = code


class Rejected(ExchangeError):
    """The exchange answered and refused the request (an invalid order and the like)."""


class RateLimited(ExchangeError):
    """Too many requests (Bybit 10006, HTTP 403/429)."""


class InsufficientBalance(Rejected):
    """Not enough available balance for the order (Bybit 110004/110007/110012...)."""


class DuplicateClientId(Rejected):
    """The client id was already used (Bybit 110072): the earlier send was registered (SPEC G2)."""


class OrderNotFound(Rejected):
    """No such order, or it is already finished (Bybit 110001; amend of a vanished stop, G7)."""


class PostOnlyWouldTake(Rejected):
    """A PostOnly order would have crossed; it was cancelled instead of resting (SPEC G3)."""


class TriggerWrongSide(Rejected):
    """The stop's trigger is already on the wrong side of the mark (Bybit 110092/110093, G6)."""


class ReduceOnlyViolation(Rejected):
    """A reduce-only order would not reduce the position (Bybit 110017)."""


class TooManyConditionalOrders(Rejected):
    """The symbol already has the most conditional orders allowed (Bybit 110009: 10)."""


class PriceOutOfRange(Rejected):
    """The order's price is outside the band the exchange allows around the mark (110003)."""


class MarginModeRefused(Rejected):
    """The account-wide margin mode was not changed (Bybit 3400045, or refused before sending
    because other positions or orders exist); ``reasons`` are the venue's own explanations."""

    def __init__(
        self, message: str = "", *, code: int | None = None, reasons: tuple[str, ...] = ()
    ):
        super().__init__(message, code=code)
        self.reasons = reasons


class AuthError(ExchangeError):
    """Bad key, signature, timestamp or permission (Bybit 10003/10004/10005/10010)."""


class TimestampOutsideWindow(AuthError):
    """The request's timestamp was outside the venue's receive window (Bybit 10002): the
    local clock is off; the request was not processed."""


class PermissionRefused(AuthError):
    """The key holds a permission the bot refuses to run with (anything beyond contract
    orders, positions and reads: transfers, withdrawals, spot, fiat ...)."""


class UnsupportedAccount(ExchangeError):
    """The account is in a mode the bot does not trade in (account type, position mode);
    the message says what to change on the exchange."""


class OutcomeUnknown(ExchangeError):
    """The request may or may not have taken effect (timeout, connection lost, 5xx, an
    answer without ``retCode`` or unreadable): look the client id up before anything else."""


class ExchangeUnavailable(ExchangeError):
    """A read could not be answered (unreachable, 5xx, a venue-side timeout); it changed nothing."""


class MalformedResponse(ExchangeError):
    """The answer was missing fields, non-numeric or otherwise invalid (SPEC E3)."""


# Most specific first: the first class an error is an instance of names its kind.
_KINDS: tuple[tuple[type[ExchangeError], FailureKind], ...] = (
    (PostOnlyWouldTake, FailureKind.POST_ONLY_WOULD_TAKE),
    (TriggerWrongSide, FailureKind.TRIGGER_WRONG_SIDE),
    (ReduceOnlyViolation, FailureKind.REDUCE_ONLY_VIOLATION),
    (OrderNotFound, FailureKind.ORDER_NOT_FOUND),
    (DuplicateClientId, FailureKind.DUPLICATE_CLIENT_ID),
    (InsufficientBalance, FailureKind.INSUFFICIENT_BALANCE),
    (Rejected, FailureKind.REJECTED),
    (RateLimited, FailureKind.RATE_LIMITED),
    (AuthError, FailureKind.AUTH),
    (OutcomeUnknown, FailureKind.OUTCOME_UNKNOWN),
    (ExchangeUnavailable, FailureKind.UNAVAILABLE),
    (MalformedResponse, FailureKind.MALFORMED),
)


def failure_kind(error: BaseException) -> FailureKind:
    """The domain's ``FailureKind`` of a port error; a timeout is ``OUTCOME_UNKNOWN`` (G2).

    Anything this module does not know is ambiguous: it may have taken effect.
    """
    for cls, kind in _KINDS:
        if isinstance(error, cls):
            return kind
    return FailureKind.OUTCOME_UNKNOWN
