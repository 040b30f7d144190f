"""``equity.png``: USD equity with the stage bands, BTC equity, and the price with the trades.

Matplotlib with the Agg backend (no display needed). Long series are reduced to a min/max
envelope per pixel column, so a year of minutes draws fast and keeps every drawdown visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: render to files only
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from accountbuilder.constants import (  # noqa: E402
    HARD_STOP_EQUITY_USD,
    REVIEW_EQUITY_USD,
    STAGE2_FROM_USD,
    STAGE3_FROM_USD,
    SUCCESS_EQUITY_USD,
)
from accountbuilder_runner.reporting.collector import ClosedTrade, EquityPath  # noqa: E402

MAX_POINTS = 3000
STAGE_BANDS = (
    (0.0, float(STAGE2_FROM_USD), "#e8f1fb", "S1"),
    (float(STAGE2_FROM_USD), float(STAGE3_FROM_USD), "#eaf7ea", "S2"),
    (float(STAGE3_FROM_USD), 1e12, "#fdf3e3", "S3"),
)


def envelope(ts: np.ndarray, y: np.ndarray, points: int = MAX_POINTS) -> tuple[np.ndarray, ...]:
    """Reduce to the min and max of each of ``points // 2`` buckets, in time order."""
    if y.size <= points:
        return ts, y
    edges = np.linspace(0, y.size, points // 2 + 1).astype(np.int64)
    starts = edges[:-1]
    lo_i = np.array([s + int(np.argmin(y[s:e])) for s, e in zip(starts, edges[1:], strict=True)])
    hi_i = np.array([s + int(np.argmax(y[s:e])) for s, e in zip(starts, edges[1:], strict=True)])
    idx = np.sort(np.concatenate((lo_i, hi_i)))
    return ts[idx], y[idx]


def _dates(ts_ms: np.ndarray) -> np.ndarray:
    return ts_ms.astype("datetime64[ms]")


def _stage_bands(ax, lo: float, hi: float) -> None:
    for b_lo, b_hi, color, name in STAGE_BANDS:
        if b_hi < lo or b_lo > hi:
            continue
        ax.axhspan(max(b_lo, lo), min(b_hi, hi), color=color, zorder=0)
        ax.text(
            0.005,
            (max(b_lo, lo) + min(b_hi, hi)) / 2,
            name,
            transform=ax.get_yaxis_transform(),
            fontsize=8,
            color="#555",
            va="center",
        )
    for level, style in (
        (HARD_STOP_EQUITY_USD, "r"),
        (REVIEW_EQUITY_USD, "#999"),
        (SUCCESS_EQUITY_USD, "g"),
    ):
        if lo <= float(level) <= hi:
            ax.axhline(float(level), color=style, lw=0.8, ls="--")


def _halt_spans(axes, halts: Sequence[tuple[int, int | None, str]], end_ms: int) -> None:
    for start, lifted, reason in halts:
        a, b = np.datetime64(start, "ms"), np.datetime64(lifted or end_ms, "ms")
        for ax in axes:
            ax.axvspan(a, b, color="#d62728", alpha=0.08, lw=0)
            ax.axvline(a, color="#d62728", lw=0.8)
        if len(halts) <= 12:  # label a few; many halts would only overlap
            axes[0].annotate(
                f"HALT {reason}",
                (a, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -10),
                textcoords="offset points",
                fontsize=7,
                color="#b71c1c",
            )


def _trades(ax, trades: Sequence[ClosedTrade]) -> None:
    if not trades:
        return
    entry_t = np.array([t.entry_ts_ms for t in trades], dtype=np.int64)
    entry_p = np.array([float(t.exit.entry_price) for t in trades])
    exit_t = np.array([t.exit.ts_ms for t in trades], dtype=np.int64)
    exit_p = np.array([float(t.exit.exit_price) for t in trades])
    win = np.array([t.exit.is_win for t in trades])
    ax.scatter(_dates(entry_t), entry_p, marker="^", s=22, color="#1f77b4", label="entry", zorder=3)
    ax.scatter(
        _dates(exit_t[win]),
        exit_p[win],
        marker="v",
        s=22,
        color="#2ca02c",
        label="exit (win)",
        zorder=3,
    )
    ax.scatter(
        _dates(exit_t[~win]),
        exit_p[~win],
        marker="v",
        s=22,
        color="#d62728",
        label="exit (loss)",
        zorder=3,
    )
    ax.legend(loc="best", fontsize=7, ncol=3)


def _usd_panel(ax, path: EquityPath, trades: Sequence[ClosedTrade]) -> None:
    """USD equity over the stage bands, with the trade exits (green win, red loss)."""
    t_usd, usd = envelope(path.ts_ms, path.equity_usd)
    lo, hi = float(usd.min()), float(usd.max())
    pad = max((hi - lo) * 0.08, 5.0)
    ax.set_ylim(min(lo - pad, float(HARD_STOP_EQUITY_USD) - 5), hi + pad)
    _stage_bands(ax, *ax.get_ylim())
    ax.plot(_dates(t_usd), usd, color="#1f3b73", lw=1)
    if trades:
        exit_t = np.array([t.exit.ts_ms for t in trades], dtype=np.int64)
        exit_eq = np.array([float(t.exit.equity_usd) for t in trades])
        win = np.array([t.exit.is_win for t in trades])
        ax.scatter(_dates(exit_t[win]), exit_eq[win], s=14, color="#2ca02c", zorder=3)
        ax.scatter(_dates(exit_t[~win]), exit_eq[~win], s=14, color="#d62728", zorder=3)
    ax.set_ylabel("equity USD")


def plot_equity(
    out: Path,
    path: EquityPath,
    trades: Sequence[ClosedTrade],
    halts: Sequence[tuple[int, int | None, str]],
    title: str,
) -> None:
    """Write the three-panel figure to ``out`` (PNG)."""
    fig, (ax_usd, ax_btc, ax_px) = plt.subplots(
        3, 1, figsize=(11, 8.5), sharex=True, gridspec_kw={"height_ratios": [3, 2, 2]}
    )
    _usd_panel(ax_usd, path, trades)
    ax_usd.set_title(title, fontsize=10)
    t_btc, btc = envelope(path.ts_ms, path.equity_btc)
    ax_btc.plot(_dates(t_btc), btc, color="#b5651d", lw=1)
    ax_btc.set_ylabel("equity BTC")
    t_px, px = envelope(path.ts_ms, path.mark)
    ax_px.plot(_dates(t_px), px, color="#555", lw=0.8)
    ax_px.set_ylabel("BTC price (USD)")
    _trades(ax_px, trades)
    _halt_spans((ax_usd, ax_btc, ax_px), halts, int(path.ts_ms[-1]))
    ax_px.set_xlim(_dates(path.ts_ms[:1])[0], _dates(path.ts_ms[-1:])[0])
    locator = mdates.AutoDateLocator()
    ax_px.xaxis.set_major_locator(locator)
    ax_px.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    for ax in (ax_usd, ax_btc, ax_px):
        ax.grid(True, lw=0.3, alpha=0.6)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
