"""Typed exchange errors of the port. Adapters map venue errors to these in one place.

A timeout on a create/amend/cancel is ``OutcomeUnknown``: the order may or may not exist, and
the caller resolves it by looking the client id up (SPEC G2). It is never "rejected".
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


class AuthError(ExchangeError):
    """Bad key, signature, timestamp or permission (Bybit 10003/10004/10005/10010)."""


class PermissionRefused(AuthError):
    """The key has a permission the bot refuses to run with (withdrawals)."""


class OutcomeUnknown(ExchangeError):
    """The request may or may not have taken effect (timeout, connection lost)."""


class ExchangeUnavailable(ExchangeError):
    """The exchange could not be reached or answered 5xx; nothing was changed."""


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
