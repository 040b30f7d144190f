"""``equity.png``: four panels on one time axis.

1. USD equity over the stage bands, with the hold-BTC baseline (``B₀ × price``: the account
   had it never traded) and the $80 / $200 / $1,000 lines;
2. BTC equity with the cumulative trading PnL of closed trades (``B₀ + Σ pnl_btc``);
3. the drawdown of USD equity over the trading period;
4. the BTC price on a log axis, each trade a thin vertical tick from its entry to its exit
   price at the exit time (green win, red loss), readable over multi-year runs.

After the end of trading the background is grey: the collateral only floats with BTC there.
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
import matplotlib.ticker as mticker  # noqa: E402
import numpy as np  # noqa: E402

from accountbuilder.constants import (  # noqa: E402
    HARD_STOP_EQUITY_USD,
    REVIEW_EQUITY_USD,
    STAGE2_FROM_USD,
    STAGE3_FROM_USD,
    SUCCESS_EQUITY_USD,
)
from accountbuilder_runner.reporting.collector import EquityPath  # noqa: E402
from accountbuilder_runner.reporting.drawdown import drawdown_pct  # noqa: E402
from accountbuilder_runner.reporting.facts import TradeFacts  # noqa: E402
from accountbuilder_runner.reporting.summary import Summary  # noqa: E402

MAX_POINTS = 3000
LOG_WHEN_RATIO = 8.0  # the USD panel turns logarithmic when max/min exceeds this
STAGE_BANDS = (
    (0.0, float(STAGE2_FROM_USD), "#e8f1fb", "S1"),
    (float(STAGE2_FROM_USD), float(STAGE3_FROM_USD), "#eaf7ea", "S2"),
    (float(STAGE3_FROM_USD), 1e12, "#fdf3e3", "S3"),
)
WIN, LOSS = "#2ca02c", "#d62728"
DAY_MS = 86_400_000
Halts = Sequence[tuple[int, int | None, str]]


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
    return np.asarray(ts_ms, dtype=np.int64).astype("datetime64[ms]")


def _line(ax, ts: np.ndarray, y: np.ndarray, **style) -> None:
    t, v = envelope(ts, y)
    ax.plot(_dates(t), v, **style)


def _stage_bands(ax, lo: float, hi: float) -> None:
    for b_lo, b_hi, color, name in STAGE_BANDS:
        if b_hi < lo or b_lo > hi:
            continue
        ax.axhspan(max(b_lo, lo), min(b_hi, hi), color=color, zorder=0)
        mid = np.sqrt(max(b_lo, lo, 1.0) * min(b_hi, hi))
        ax.text(0.005, mid, name, transform=ax.get_yaxis_transform(), fontsize=8, color="#555")
    for level, style in (
        (HARD_STOP_EQUITY_USD, "r"),
        (REVIEW_EQUITY_USD, "#999"),
        (SUCCESS_EQUITY_USD, "g"),
    ):
        if lo <= float(level) <= hi:
            ax.axhline(float(level), color=style, lw=0.8, ls="--")


def _halt_spans(axes, halts: Halts, end_ms: int, trading_end_ms: int) -> None:
    """HALTs during the trading period (the one that ended trading is the grey area's edge)."""
    shown = [h for h in halts if h[0] < trading_end_ms]
    for start, lifted, reason in shown:
        a, b = np.datetime64(start, "ms"), np.datetime64(min(lifted or end_ms, end_ms), "ms")
        for ax in axes:
            ax.axvspan(a, b, color=LOSS, alpha=0.06, lw=0)
            ax.axvline(a, color=LOSS, lw=0.8)
        if len(shown) <= 12:  # label a few; many halts would only overlap
            axes[0].annotate(
                f"HALT {reason}",
                (a, 0.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, 14),
                textcoords="offset points",
                fontsize=7,
                color="#b71c1c",
            )


def _after_trading(
    axes, trading_end_ms: int, shown_end_ms: int, data_end_ms: int, cause: str
) -> None:
    """Grey from the end of trading to the right edge, labelled (with the end of the data when
    the plot stops before it)."""
    if trading_end_ms >= data_end_ms:
        return
    a, b = np.datetime64(trading_end_ms, "ms"), np.datetime64(shown_end_ms, "ms")
    for ax in axes:
        ax.axvspan(a, b, color="#888", alpha=0.12, lw=0, zorder=0)
        ax.axvline(a, color="#333", lw=1.0, ls=":")
    label = f"end of trading: {cause}"
    if shown_end_ms < data_end_ms:
        day = np.datetime_as_string(np.datetime64(data_end_ms, "ms"), unit="D")
        label += f"\n(the data goes on to {day}: not drawn)"
    axes[0].annotate(
        label,
        (a, 0.0),
        xycoords=("data", "axes fraction"),
        xytext=(4, 4),
        textcoords="offset points",
        fontsize=8,
    )


def shown_until(start_ms: int, trading_end_ms: int, data_end_ms: int) -> int:
    """Where the time axis stops: the end of the data, unless the account stopped trading
    early; then a quarter of the trading period after its end (at least a day), so the time
    it traded is not squeezed into a sliver of a multi-year axis."""
    span = trading_end_ms - start_ms
    if data_end_ms - trading_end_ms <= span:
        return data_end_ms
    return min(data_end_ms, trading_end_ms + max(span // 4, DAY_MS))


def _usd_panel(ax, path: EquityPath, start_btc: float, keep: np.ndarray) -> None:
    """USD equity over the stage bands, with the hold-BTC baseline ``B₀ × price``."""
    usd, hold = path.equity_usd, start_btc * path.mark
    both = np.concatenate((usd, hold[keep]))
    lo, hi = float(both.min()), float(both.max())
    if hi / max(lo, 1e-9) > LOG_WHEN_RATIO:
        _plain_log_axis(ax)
        ax.set_ylim(min(lo, float(HARD_STOP_EQUITY_USD)) * 0.8, hi * 1.25)
    else:
        pad = max((hi - lo) * 0.08, 5.0)
        ax.set_ylim(min(lo - pad, float(HARD_STOP_EQUITY_USD) - 5), hi + pad)
    _stage_bands(ax, *ax.get_ylim())
    _line(ax, path.ts_ms, usd, color="#1f3b73", lw=1, label="equity USD")
    _line(ax, path.ts_ms, hold, color="#e08a00", lw=0.9, ls="--", label="hold BTC (B₀ × price)")
    ax.set_ylabel("equity USD")
    ax.legend(loc="upper left", fontsize=7)


def _btc_panel(ax, path: EquityPath, start_btc: float, trades: Sequence[TradeFacts]) -> None:
    _line(ax, path.ts_ms, path.equity_btc, color="#b5651d", lw=1, label="equity BTC")
    ax.axhline(start_btc, color="#777", lw=0.7, ls=":", label="B₀")
    if trades:
        t = np.array([x.exit_ms for x in trades], dtype=np.int64)
        cum = start_btc + np.cumsum([float(x.pnl_btc) for x in trades])
        t = np.concatenate(([int(path.ts_ms[0])], t, [int(path.ts_ms[-1])]))
        cum = np.concatenate(([start_btc], cum, [cum[-1]]))
        ax.step(_dates(t), cum, where="post", color="#6a1b9a", lw=0.9, label="B₀ + trading PnL")
    ax.set_ylabel("BTC")
    ax.legend(loc="upper left", fontsize=7)


def _drawdown_panel(ax, path: EquityPath, keep: np.ndarray) -> None:
    dd = drawdown_pct(path.equity_usd[keep])
    t, v = envelope(path.ts_ms[keep], dd)
    ax.fill_between(_dates(t), v, 0, color=LOSS, alpha=0.35, lw=0)
    ax.set_ylabel("drawdown %")
    ax.set_ylim(min(float(dd.min()) * 1.1 if dd.size else -1.0, -1.0), 0)


def _plain_log_axis(ax) -> None:
    """A log y axis labelled 5,000 / 10,000 / 20,000 rather than 10^4."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(mticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.yaxis.set_minor_formatter(mticker.NullFormatter())


def _price_panel(ax, path: EquityPath, trades: Sequence[TradeFacts]) -> None:
    """The price (log) with a thin tick per trade at its exit, from its entry price."""
    _line(ax, path.ts_ms, path.mark, color="#555", lw=0.8)
    _plain_log_axis(ax)
    ax.set_ylabel("BTC price (USD, log)")
    for won, color in ((True, WIN), (False, LOSS)):
        chosen = [x for x in trades if x.is_win is won]
        if not chosen:
            continue
        at = _dates(np.array([x.exit_ms for x in chosen], dtype=np.int64))
        a = np.array([float(x.entry_price) for x in chosen])
        b = np.array([float(x.exit_price) for x in chosen])
        ax.vlines(at, np.minimum(a, b), np.maximum(a, b), color=color, lw=0.6)
        label = "trade exit, win (line: from entry price)" if won else "trade exit, loss"
        ax.plot(at, b, ls="", marker="|", ms=7, mew=0.7, color=color, alpha=0.85, label=label)
    if trades:
        ax.legend(loc="upper left", fontsize=7)


def plot_equity(out: Path, summary: Summary, halts: Halts, title: str) -> None:
    """Write the four-panel figure to ``out`` (PNG)."""
    r, full = summary.report, summary.path
    data_end = int(full.ts_ms[-1])
    until = shown_until(int(full.ts_ms[0]), r.trading_end_ms, data_end)
    cut = full.ts_ms <= until
    path = EquityPath(full.ts_ms[cut], full.mark[cut], full.equity_btc[cut])
    start_btc = float(summary.collector.start_btc)
    keep = path.ts_ms <= r.trading_end_ms
    trades = [t for t in r.trades if t.exit_ms <= until]
    fig, axes = plt.subplots(
        4, 1, figsize=(11, 10), sharex=True, gridspec_kw={"height_ratios": [3, 1.6, 1.1, 2]}
    )
    _usd_panel(axes[0], path, start_btc, keep)
    axes[0].set_title(title, fontsize=10)
    _btc_panel(axes[1], path, start_btc, trades)
    _drawdown_panel(axes[2], path, keep)
    _price_panel(axes[3], path, trades)
    _halt_spans(axes, halts, until, r.trading_end_ms)
    _after_trading(axes, r.trading_end_ms, until, data_end, r.trading_end.cause)
    axes[3].set_xlim(_dates(path.ts_ms[:1])[0], _dates(path.ts_ms[-1:])[0])
    locator = mdates.AutoDateLocator()
    axes[3].xaxis.set_major_locator(locator)
    axes[3].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    for ax in axes:
        ax.grid(True, lw=0.3, alpha=0.6)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
