"""JSON codec of records and session documents: Decimals exact, no silent loss (SPEC I4)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountbuilder.domain.enums import MainState, Stage, TriggerDirection
from accountbuilder.records.codec import dec, dumps, loads, to_jsonable


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_i4_decimal_round_trips_with_the_same_digits(value):
    text = dumps({"v": value})

    back = dec(loads(text)["v"])

    assert back == value
    assert str(back) == str(value)  # trailing zeros and exponent kept


def test_i4_decimal_trailing_zeros_are_kept_as_written():
    assert loads(dumps({"fee": Decimal("0.00012300")})) == {"fee": "0.00012300"}


def test_i4_enums_are_written_as_their_values():
    doc = {Stage.S2: [MainState.HALT, TriggerDirection.FALLING]}

    assert to_jsonable(doc) == {"s2": ["HALT", 2]}


def test_i4_frozen_dataclass_becomes_a_dict_of_fields():
    @dataclass(frozen=True, slots=True)
    class Point:
        price: Decimal
        qty: int

    assert to_jsonable((Point(Decimal("1.50"), 3),)) == [{"price": "1.50", "qty": 3}]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_i4_non_finite_float_is_refused(value):
    with pytest.raises(TypeError, match="non-finite"):
        dumps({"x": value})


def test_i4_non_string_mapping_key_is_refused():
    # JSON would turn 1 into "1" and the document would not read back as written
    with pytest.raises(TypeError, match="not a string"):
        dumps({1: "a"})


def test_i4_unknown_object_is_refused():
    with pytest.raises(TypeError, match="object cannot be stored"):
        dumps({"x": object()})


def test_i4_dec_refuses_a_float():
    with pytest.raises(TypeError):
        dec(0.1)


def test_i2_lenient_mode_writes_what_json_cannot_hold_as_text():
    # evidence such as a balance anomaly's snapshot (SPEC E3) must still be recorded
    value = {
        "equity": float("nan"),
        7: object.__new__(type("Odd", (), {"__str__": lambda s: "odd"})),
    }

    assert to_jsonable(value, strict=False) == {"equity": "nan", "7": "odd"}
