"""The grid signal's key (level, spacing) over a path of marks, with numpy, exactly.

``GridSignal.propose`` gives one mark's level in exact decimals. Over a stretch of ticks the
core skipped (``core.catch_up``) the same keys are needed for every mark: within one UTC day
the spacing is fixed (it reads the day's ATR over the last daily close), so only the level
moves with the mark. Levels are computed here in floats, and every mark whose float level lies
within ``AMBIGUOUS`` of a level boundary (where floats and decimals could disagree) is
computed again with the exact function. A key is ``(level k, spacing code)``: the spacing as
an integer count of ``QUANTUM`` (atr mode) or 0 (fixed mode).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np

from accountbuilder.config.models import GridConfig
from accountbuilder.domain.enums import Side

QUANTUM = Decimal("0.0001")  # signal.grid.SPACING_QUANTUM
AMBIGUOUS = 1e-3  # in levels: far wider than any float error
REFERENCE = 10_000.0


def levels(side: Side, spacing: float, marks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entry level k for each mark (long: the level below, short: above) and where unsure."""
    kf = np.log(marks / REFERENCE) / np.log1p(spacing)
    k = np.floor(kf) if side is Side.LONG else np.ceil(kf)
    return k.astype(np.int64), np.abs(kf - np.rint(kf)) < AMBIGUOUS


def grid_keys(
    side: Side, spacing: Decimal, code: int, marks: np.ndarray, exact: Callable[[float], int]
) -> np.ndarray:
    """``(n, 2)`` keys ``(k, code)`` for ``marks`` at one spacing; ``exact`` where unsure."""
    k, unsure = levels(side, float(spacing), marks)
    for i in np.flatnonzero(unsure):
        k[i] = exact(float(marks[i]))
    return np.stack([k, np.full(marks.size, code, dtype=np.int64)], axis=1)


def spacing_code(spacing: Decimal, config: GridConfig) -> int:
    """The integer code of this exact spacing in a key."""
    if config.spacing_mode == "fixed":
        return 0
    return int((spacing / QUANTUM).to_integral_value())
