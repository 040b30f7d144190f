"""ccxt errors → typed port errors: definite refusals vs ambiguous outcomes (SPEC G2, E3)."""

from __future__ import annotations

import ccxt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.exchange import errors as E
from accountbuilder.exchange.bybit import outcomes
from accountbuilder.exchange.port import OrderAck
from accountbuilder.records.redact import Redactor


def no_secret(text: str) -> str:
    return text.replace("S3CR3T", "***")


def _ccxt_error(cls, code: int) -> Exception:
    return cls(f'bybit {{"retCode":{code},"retMsg":"x","result":{{}},"time":1}}')


@pytest.mark.parametrize(
    ("error", "mutation", "expected"),
    [
        (_ccxt_error(ccxt.InvalidOrder, 110072), True, E.DuplicateClientId),
        (_ccxt_error(ccxt.InvalidOrder, 110092), True, E.TriggerWrongSide),
        (_ccxt_error(ccxt.InvalidOrder, 110093), True, E.TriggerWrongSide),
        (_ccxt_error(ccxt.InvalidOrder, 110017), True, E.ReduceOnlyViolation),
        (_ccxt_error(ccxt.OrderNotFound, 110001), True, E.OrderNotFound),
        (_ccxt_error(ccxt.InvalidOrder, 110008), True, E.OrderNotFound),
        (_ccxt_error(ccxt.InsufficientFunds, 110007), True, E.InsufficientBalance),
        (_ccxt_error(ccxt.RateLimitExceeded, 10006), True, E.RateLimited),
        (ccxt.RateLimitExceeded("bybit 403 access too frequent"), False, E.RateLimited),
        (_ccxt_error(ccxt.InvalidNonce, 10002), True, E.TimestampOutsideWindow),
        (_ccxt_error(ccxt.AuthenticationError, 10003), False, E.AuthError),
        (_ccxt_error(ccxt.PermissionDenied, 10005), True, E.AuthError),
        (ccxt.RequestTimeout("bybit POST /v5/order/create"), True, E.OutcomeUnknown),
        (ccxt.RequestTimeout("bybit GET /v5/position/list"), False, E.ExchangeUnavailable),
        (ccxt.ExchangeNotAvailable("bybit connection reset"), True, E.OutcomeUnknown),
        (ccxt.ExchangeError('bybit {"retMsg":"no code"}'), False, E.MalformedResponse),
        (ValueError("could not convert string to float: 'NaN'"), False, E.MalformedResponse),
        (_ccxt_error(ccxt.BadRequest, 10001), True, E.Rejected),
        (_ccxt_error(ccxt.BadRequest, 110043), True, E.Rejected),
        (_ccxt_error(ccxt.InvalidOrder, 110009), True, E.TooManyConditionalOrders),
        (_ccxt_error(ccxt.InvalidOrder, 110003), True, E.PriceOutOfRange),
        (_ccxt_error(ccxt.ExchangeError, 3400045), True, E.MarginModeRefused),
        (_ccxt_error(ccxt.ExchangeError, 170999), True, E.Rejected),  # any other code: refused
    ],
)
def test_f1_g2_errors_map_in_one_place(error, mutation, expected):
    got = outcomes.translate_error(error, mutation=mutation, redact=no_secret)

    assert type(got) is expected
    assert got.code == outcomes.ret_code(error)


NO_RETCODE = ccxt.ExchangeError('bybit {"retMsg":"OK","result":{"orderId":"1"},"time":1}')


@pytest.mark.parametrize(
    ("error", "mutation", "expected"),
    [
        (NO_RETCODE, True, E.OutcomeUnknown),  # issue 15 §4: accepted, answer without retCode
        (NO_RETCODE, False, E.MalformedResponse),
        (ccxt.ExchangeNotAvailable("bybit 502 <html>Bad Gateway</html>"), True, E.OutcomeUnknown),
        (
            ccxt.ExchangeNotAvailable("bybit 502 <html>Bad Gateway</html>"),
            False,
            E.ExchangeUnavailable,
        ),
        (ccxt.BadResponse('bybit truncated JSON {"retCode":0,"res'), True, E.OutcomeUnknown),
        (ccxt.BadResponse("bybit truncated JSON"), False, E.MalformedResponse),
        (_ccxt_error(ccxt.ExchangeError, 10016), True, E.OutcomeUnknown),  # "service error"
        (_ccxt_error(ccxt.ExchangeError, 10000), True, E.OutcomeUnknown),  # "server timeout"
        (_ccxt_error(ccxt.ExchangeError, 10016), False, E.ExchangeUnavailable),
        (_ccxt_error(ccxt.ExchangeError, 0), True, E.OutcomeUnknown),  # retCode 0, unreadable
        (TimeoutError(), True, E.OutcomeUnknown),
        (ValueError("could not convert string to float"), True, E.OutcomeUnknown),
    ],
)
def test_g2_ambiguous_outcomes_are_unknown_for_mutations_never_rejections(
    error, mutation, expected
):
    got = outcomes.translate_error(error, mutation=mutation, redact=no_secret)

    assert type(got) is expected
    assert not isinstance(got, E.Rejected)


def test_g2_an_error_ccxt_raises_before_sending_is_definite():
    error = ccxt.ArgumentsRequired("bybit createOrder() requires a triggerDirection")

    assert (
        type(outcomes.translate_error(error, mutation=True, redact=str, sent=False)) is E.Rejected
    )
    assert type(outcomes.translate_error(error, mutation=True, redact=str)) is E.OutcomeUnknown


def test_c5_margin_mode_refusal_carries_bybits_reasons():
    body = (
        '{"retCode":3400045,"retMsg":"Set margin mode failed","result":{"reasons":['
        '{"reasonCode":"3400102","reasonMsg":"no active orders please"},'
        '{"reasonCode":"3400101","reasonMsg":"no positions please"}]}}'
    )

    got = outcomes.translate_error(ccxt.ExchangeError(f"bybit {body}"), mutation=True, redact=str)

    assert isinstance(got, E.MarginModeRefused) and got.code == 3400045
    assert got.reasons == ("3400102 no active orders please", "3400101 no positions please")
    assert "no positions please" in str(got)


@pytest.mark.parametrize(
    "answer",
    [
        {"id": None, "clientOrderId": None, "info": {}},  # retCode 0, result {}
        {"id": "", "clientOrderId": "s1_L_sl0"},
        {"id": "123", "clientOrderId": "someone_else"},
        None,
    ],
)
def test_g8_an_ack_without_usable_ids_is_unknown_not_accepted(answer):
    with pytest.raises(E.OutcomeUnknown):
        outcomes.ack_of(answer, "s1_L_sl0", "create")


def test_g8_an_ack_is_ids_only():
    ack = outcomes.ack_of({"id": "123", "clientOrderId": "s1_L_sl0", "status": None}, "s1_L_sl0", "create")  # fmt: skip

    assert ack == OrderAck("s1_L_sl0", "123")


def test_i4_error_text_is_redacted():
    error = ccxt.AuthenticationError('bybit {"retCode":10003,"apiKey":"S3CR3T"}')

    got = outcomes.translate_error(error, mutation=False, redact=no_secret)

    assert "S3CR3T" not in str(got) and "***" in str(got)


SECRETS = st.text(
    alphabet=st.characters(codec="ascii", exclude_characters="*"), min_size=4, max_size=40
).filter(lambda s: s.strip() == s and s)


@given(secret=SECRETS, before=st.text(max_size=30), after=st.text(max_size=30))
def test_i4_no_secret_survives_error_translation(secret, before, after):
    error = ccxt.AuthenticationError(f'bybit {{"retCode":10003,"x":"{before}{secret}{after}"}}')

    got = outcomes.translate_error(error, mutation=True, redact=Redactor([secret]))

    assert secret not in str(got)
