"""Argument types shared by the sub-commands (clear errors for bad numbers)."""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation


def positive_decimal(text: str) -> Decimal:
    """A finite number > 0 (USD amounts)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
    return value
