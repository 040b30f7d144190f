"""Bounded config fields whose errors say what is allowed ("5 is above the cap of 3")."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError


def _fmt(v: Any) -> str:
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")
    return str(v)


def bounded(
    lo: Any = None,
    hi: Any = None,
    *,
    lo_word: str = "minimum",
    hi_word: str = "maximum",
    lo_open: bool = False,
    why: str = "",
) -> AfterValidator:
    """A validator that refuses values outside ``[lo, hi]`` (``(lo, hi]`` when ``lo_open``)."""
    suffix = f" ({why})" if why else ""

    def check(value: Any) -> Any:
        if lo is not None and (value <= lo if lo_open else value < lo):
            word = "must be above" if lo_open else f"is below the {lo_word} of"
            msg = f"{_fmt(value)} {word} {_fmt(lo)}{suffix}"
            raise PydanticCustomError("out_of_bounds", msg)
        if hi is not None and value > hi:
            raise PydanticCustomError(
                "out_of_bounds", f"{_fmt(value)} is above the {hi_word} of {_fmt(hi)}{suffix}"
            )
        return value

    return AfterValidator(check)


def _not_a_bool(value: Any) -> Any:
    # pydantic reads ``true`` as 1 in lax mode: a typo like ``max_trades_per_day: true`` must fail
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "true/false is not a number")
    return value


NOT_A_BOOL = BeforeValidator(_not_a_bool)


def Dec(lo: Any = None, hi: Any = None, **kw: Any) -> Any:  # noqa: N802 - reads like a type
    """``Decimal`` within bounds; floats in YAML are read through ``str`` so 0.1 stays 0.1."""
    lo_d = None if lo is None else Decimal(str(lo))
    hi_d = None if hi is None else Decimal(str(hi))
    return Annotated[Decimal, Field(allow_inf_nan=False), NOT_A_BOOL, bounded(lo_d, hi_d, **kw)]


def Int(lo: int | None = None, hi: int | None = None, **kw: Any) -> Any:  # noqa: N802
    return Annotated[int, Field(strict=False), NOT_A_BOOL, bounded(lo, hi, **kw)]
