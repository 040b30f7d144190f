"""The live start's refusals: ``StartRefused``, and the guard that turns an exchange answer
nobody could read (ccxt parsing ``result: {}``, a position ``side`` Bybit never sends) into one
located ``MalformedResponse`` — the runner refuses to start, exit 2 — instead of a traceback
(issue 15 §9)."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from accountbuilder.exchange import errors as port_errors
from accountbuilder.store.errors import StoreError


class StartRefused(Exception):
    """The account is not in a state the bot may trade from; the message says what to do."""


# Errors at start that are already typed (and answered by the runner); anything else there is
# an answer nobody could read.
TYPED_AT_START = (StartRefused, port_errors.ExchangeError, StoreError)


@asynccontextmanager
async def unreadable_answers_refused() -> AsyncIterator[None]:
    """Raise ``MalformedResponse`` (SPEC E3) naming where an untyped error came from; let
    typed ones pass."""
    try:
        yield
    except TYPED_AT_START:
        raise
    except Exception as e:
        raise port_errors.MalformedResponse(
            f"{type(e).__name__}: {str(e)[:200]} in {_where(e)}. Check the venue "
            "(--exchange-url, Bybit status), then start again"
        ) from None


def _where(error: BaseException) -> str:
    """The innermost frame of our own code that raised: ``function (file:line)``."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "accountbuilder" in f.filename]
    frame = (ours or frames)[-1]
    return f"{frame.name} ({Path(frame.filename).name}:{frame.lineno})"
