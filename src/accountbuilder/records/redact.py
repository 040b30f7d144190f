"""Secret redaction (SPEC I4): API keys never reach a log, a record or an error message.

``redact`` replaces every occurrence of a secret, and of its JSON- and repr-escaped forms, with
``***`` in text or in any nested structure (dict keys included). Exceptions are rendered to
text, traceback and chained causes included, then redacted.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

REDACTED = "***"
MIN_SECRET_LEN = 4

_SCALARS = (bool, int, float, Decimal, Enum, type(None))


def normalize_secrets(secrets: Iterable[Any]) -> tuple[str, ...]:
    """Return the strings to mask, longest first; empty or None entries are skipped.

    Accepts plain strings and pydantic ``SecretStr``. Refuse a secret that is too short to
    mask safely or that contains ``*`` (the mask could rebuild it); the error never shows it.
    """
    forms: set[str] = set()
    for secret in secrets:
        if secret is None:
            continue
        if hasattr(secret, "get_secret_value"):
            secret = secret.get_secret_value()
        if not isinstance(secret, str):
            raise TypeError(f"a secret must be a string, not {type(secret).__name__}")
        if not secret:
            continue
        if len(secret) < MIN_SECRET_LEN or "*" in secret:
            raise ValueError(
                f"a secret shorter than {MIN_SECRET_LEN} characters or containing '*' "
                "cannot be redacted safely"
            )
        forms.update(_escaped_forms(secret))
    return tuple(sorted(forms, key=lambda s: (-len(s), s)))


def _escaped_forms(secret: str) -> set[str]:
    """The secret as written raw, inside JSON (ASCII or not) and inside a Python repr."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
    }


def redact_text(text: str, secrets: tuple[str, ...]) -> str:
    """Mask each of the (normalized) ``secrets`` in ``text``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def exception_text(exc: BaseException) -> str:
    """Render ``exc`` with its traceback and chained causes, unredacted."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def redact(value: Any, secrets: Iterable[Any] | tuple[str, ...]) -> Any:
    """Return ``value`` with every secret replaced by ``***``.

    Strings are masked; dicts, lists, tuples and sets are rebuilt with masked members and keys;
    numbers, enums and None pass through; an exception becomes its masked traceback text; any
    other object becomes its masked ``str``.
    """
    return _redact(value, normalize_secrets(secrets))


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value).decode("utf-8", "replace"), secrets)
    if isinstance(value, Mapping):
        return {_redact(k, secrets): _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_redact(v, secrets) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if isinstance(value, BaseException):
        return redact_text(exception_text(value), secrets)
    return redact_text(str(value), secrets)


class Redactor:
    """``redact`` with the secrets checked once; call it on text or structures."""

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Iterable[Any]) -> None:
        self._secrets = normalize_secrets(secrets)

    def __call__(self, value: Any) -> Any:
        return _redact(value, self._secrets)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} forms)"
