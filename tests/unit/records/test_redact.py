"""Secret redaction (SPEC I4): a canary key/secret never gets through text, structures or errors."""

from __future__ import annotations

import json
from collections import namedtuple

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from accountbuilder.records.redact import REDACTED, Redactor, normalize_secrets, redact

KEY = "CANARYKEYq7Xw2Lm9"
SECRET = "CanarySecret0Zp4Rt8Vb3Nq6Hs1"
SECRETS = (KEY, SECRET)

_canary = st.sampled_from(SECRETS)
_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="*"), max_size=20)
_leaky_text = st.builds(lambda a, s, b: a + s + b, _text, _canary, _text)
_leaf = st.one_of(_leaky_text, _text, st.integers(), st.none(), st.booleans())
_nested = st.recursive(
    _leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(st.one_of(_text, _leaky_text), children, max_size=4),
    ),
    max_leaves=25,
)


def _leaks(value) -> bool:
    text = repr(value)
    return any(s in text for s in SECRETS)


@given(_nested)
def test_i4_redact_never_leaks_a_canary_from_nested_structures(value):
    assert not _leaks(redact(value, SECRETS))


@given(_leaky_text)
def test_i4_redact_masks_the_canary_in_text(text):
    out = redact(text, SECRETS)

    assert not _leaks(out)
    assert REDACTED in out


def test_i4_redact_keeps_structure_and_other_values():
    value = {"key": KEY, "n": 3, "items": [f"sig {SECRET}", None], "pair": (True, 1.5)}

    assert redact(value, SECRETS) == {
        "key": "***",
        "n": 3,
        "items": ["sig ***", None],
        "pair": (True, 1.5),
    }


def test_i4_redact_masks_dict_keys_sets_and_namedtuples():
    Pair = namedtuple("Pair", "a b")

    out = redact({KEY: {SECRET}, "p": Pair(KEY, 2)}, SECRETS)

    assert out == {"***": {"***"}, "p": Pair("***", 2)}


def test_i4_redact_masks_exception_messages_and_chained_causes():
    try:
        try:
            raise ValueError(f"signature mismatch for api_key={KEY}")
        except ValueError as inner:
            raise RuntimeError(f"request failed: {{'apiSecret': '{SECRET}'}}") from inner
    except RuntimeError as exc:
        text = redact(exc, SECRETS)

    assert not _leaks(text)
    assert "signature mismatch for api_key=***" in text
    assert "RuntimeError" in text and "ValueError" in text


def test_i4_redact_masks_the_json_escaped_form_of_a_secret():
    odd = 'ab"cd\\ef\u00e9gh'
    text = json.dumps({"secret": odd})  # written as ab\"cd\\ef\u00e9gh

    out = redact(text, [odd])

    assert out == '{"secret": "***"}'


def test_i4_redact_masks_a_secret_inside_a_repr():
    odd = "line1\nline2"

    assert redact(repr({"s": odd}), [odd]) == "{'s': '***'}"


def test_i4_redact_unwraps_pydantic_secretstr():
    assert redact(f"k={KEY}", [SecretStr(KEY)]) == "k=***"


def test_i4_redact_masks_an_arbitrary_object_by_its_text():
    class Holder:
        def __str__(self):
            return f"Holder({KEY})"

    assert redact(Holder(), SECRETS) == "Holder(***)"


def test_i4_the_longest_secret_is_masked_first():
    # KEY is a prefix of the longer secret: masking KEY first would leave the tail visible
    longer = KEY + "tail"

    assert redact(f"x {longer} y", [KEY, longer]) == "x *** y"


def test_i4_empty_and_missing_secrets_are_ignored():
    assert normalize_secrets(["", None]) == ()
    assert redact("nothing to hide", ["", None]) == "nothing to hide"


@pytest.mark.parametrize("bad", ["abc", "ab*cdef"])
def test_i4_unsafe_secret_is_refused_without_showing_it(bad):
    with pytest.raises(ValueError) as err:
        Redactor([bad])

    assert bad not in str(err.value)


def test_i4_redactor_repr_does_not_show_secrets():
    assert not _leaks(repr(Redactor(SECRETS)))
