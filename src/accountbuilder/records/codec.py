"""JSON encoding of records and session documents: exact Decimals, enum values, no NaN.

``Decimal`` is written as its ``str`` (``Decimal("0.00012300")`` stays ``"0.00012300"``), so a
round trip through JSON and ``Decimal(text)`` gives back the same value and the same digits.
Floats are allowed (indicators, display) but NaN and infinities are refused, as are mapping keys
that are not strings: JSON would silently turn ``1`` into ``"1"``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


def to_jsonable(value: Any, *, strict: bool = True) -> JsonValue:
    """Return ``value`` as plain JSON types: Decimal → str, Enum → value, tuple → list.

    Frozen dataclasses become dicts of their fields; objects with ``to_dict()`` use it.
    ``strict`` raises ``TypeError`` for anything JSON cannot hold exactly (NaN, infinities,
    non-string keys, unknown objects); ``strict=False`` writes those as strings instead, for
    figures and snapshots that are evidence, not state (a balance anomaly may carry a NaN).
    """
    kind = type(value)
    if kind is Decimal:  # the common cases first, by exact type (figures are mostly these)
        return str(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if isinstance(value, bool | str):
        return value
    if isinstance(value, Enum):
        return to_jsonable(value.value, strict=strict)
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return _refuse(f"non-finite float {value!r} cannot be stored", value, strict)
    if isinstance(value, Mapping):
        return {_key(k, strict): to_jsonable(v, strict=strict) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v, strict=strict) for v in value]
    if hasattr(value, "to_dict"):
        return to_jsonable(value.to_dict(), strict=strict)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name), strict=strict)
            for f in dataclasses.fields(value)
        }
    return _refuse(f"{type(value).__name__} cannot be stored as JSON", value, strict)


def _refuse(message: str, value: Any, strict: bool) -> str:
    if strict:
        raise TypeError(message)
    return str(value)


def _key(key: Any, strict: bool) -> str:
    if isinstance(key, Enum):
        key = key.value
    if not isinstance(key, str):
        return _refuse(f"mapping key {key!r} is not a string", key, strict)
    return key


def dumps(value: Any) -> str:
    """Encode ``value`` (see ``to_jsonable``) as compact JSON with sorted keys."""
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), allow_nan=False)


def loads(text: str) -> Any:
    """Decode JSON text written by ``dumps`` (Decimals come back as strings)."""
    return json.loads(text)


def dec(value: Any) -> Decimal:
    """Parse a stored Decimal (a string, or an int) back to ``Decimal``; refuse floats."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"expected a decimal string, got {type(value).__name__}")
    return Decimal(value)


def dec_or_none(value: Any) -> Decimal | None:
    """``dec(value)``, or None when ``value`` is None."""
    return None if value is None else dec(value)
