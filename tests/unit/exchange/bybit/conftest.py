"""Fixtures of the Bybit adapter tests: the library's log lines, captured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loguru import logger


@pytest.fixture
def caplog_loguru() -> Iterator[list[str]]:
    """Every message ``accountbuilder`` logs during the test (the library is silent otherwise)."""
    lines: list[str] = []
    logger.enable("accountbuilder")
    sink = logger.add(lambda m: lines.append(str(m).strip()), format="{message}", level="DEBUG")
    try:
        yield lines
    finally:
        logger.remove(sink)
        logger.disable("accountbuilder")
