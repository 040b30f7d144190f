"""The grid signal's key (level, spacing) over a path of marks, with numpy, exactly.

``GridSignal.propose`` gives one mark's level and spacing in exact decimals. Over a stretch of
ticks the core skipped (``core.catch_up``) the same keys are needed for every mark: they are
computed here in floats, and every mark whose float result lies within ``AMBIGUOUS`` of a
rounding or level boundary (where floats and decimals could disagree) is computed again with
the exact function. A key is ``(level k, spacing)`` with the spacing as an integer count of
``SPACING_QUANTUM`` (atr mode) or 0 (fixed mode: one spacing).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np

from accountbuilder.config.models import GridConfig
from accountbuilder.domain.enums import Side

QUANTUM = 1e-4  # signal.grid.SPACING_QUANTUM
AMBIGUOUS = 1e-3  # in units of the boundary's own step: far wider than any float error
REFERENCE = 10_000.0

ExactKey = Callable[[float], tuple[int, int]]


def _near_half(x: np.ndarray) -> np.ndarray:
    return np.abs(x - np.floor(x) - 0.5) < AMBIGUOUS


def _near_integer(x: np.ndarray) -> np.ndarray:
    return np.abs(x - np.rint(x)) < AMBIGUOUS


def spacing_codes(
    config: GridConfig, atr: float, marks: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ATR mode: ``clamp(round(ATR / mark, 8) × factor)`` in quanta, and where it is unsure."""
    x = atr / marks
    units = np.round(x, 8) * float(config.atr_factor) / QUANTUM
    lo = float(config.spacing_min_pct) / QUANTUM
    hi = float(config.spacing_max_pct) / QUANTUM
    clamped = np.clip(units, lo, hi)
    unsure = _near_half(clamped) | (np.abs(units - lo) < AMBIGUOUS)
    unsure |= np.abs(units - hi) < AMBIGUOUS
    unsure |= _near_half(x * 1e8)  # round(x, 8) itself could go either way
    return np.rint(clamped).astype(np.int64), unsure


def levels(side: Side, spacing: np.ndarray, marks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entry level k for each mark (long: the level below, short: above) and where unsure."""
    kf = np.log(marks / REFERENCE) / np.log1p(spacing)
    k = np.floor(kf) if side is Side.LONG else np.ceil(kf)
    return k.astype(np.int64), _near_integer(kf)


def grid_keys(
    config: GridConfig, side: Side, atr: float | None, marks: np.ndarray, exact: ExactKey
) -> np.ndarray | None:
    """``(n, 2)`` keys ``(k, spacing code)`` for ``marks``; None when the spacing is unknown."""
    if config.spacing_mode == "fixed":
        codes = np.zeros(marks.size, dtype=np.int64)
        unsure = np.zeros(marks.size, dtype=bool)
        spacing = np.full(marks.size, float(config.spacing_pct))
    else:
        if atr is None or atr <= 0:
            return None
        codes, unsure = spacing_codes(config, atr, marks)
        spacing = codes * QUANTUM
    k, near = levels(side, spacing, marks)
    keys = np.stack([k, codes], axis=1)
    for i in np.flatnonzero(unsure | near):
        keys[i] = exact(float(marks[i]))
    return keys


def spacing_code(spacing: Decimal, config: GridConfig) -> int:
    """The integer code ``grid_keys`` gives this exact spacing."""
    if config.spacing_mode == "fixed":
        return 0
    return int((spacing / Decimal(str(QUANTUM))).to_integral_value())
