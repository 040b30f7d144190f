"""``sweep.html``: one self-contained page (inline CSS, the figure inlined as base64 PNG).

The answer per start equity (shares with their 95 % intervals and run counts), a figure of
four panels — outcome by start date, survival (share still trading by month), time to $200,
trading effect against price effect — and the table of runs, each linking to its own report.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from accountbuilder_runner.reporting.html import CSS, table  # noqa: E402
from accountbuilder_runner.sweep.rows import COLUMNS, SweepRow, cell  # noqa: E402

COLOURS = {
    "SUCCESS": "#2e7d32",
    "FAILURE": "#c62828",
    "HALTED": "#e65100",
    "RUNNING": "#1565c0",
    "ERROR": "#000000",
}


def _outcomes(ax, rows: Sequence[SweepRow], equities: Sequence[str]) -> None:
    for y, usd in enumerate(equities):
        mine = [r for r in rows if r.start_equity_usd == usd and r.path is None]
        for r in mine:
            ax.scatter(date.fromisoformat(r.start), y, marker="s", s=40, color=COLOURS[r.outcome])
    ax.set_yticks(range(len(equities)), [f"${u}" for u in equities])
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax.set_ylim(-0.7, len(equities) - 0.3)
    for outcome, colour in COLOURS.items():
        ax.scatter([], [], marker="s", color=colour, label=outcome)
    ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    ax.set_title("outcome by start date", fontsize=10)


def _survival(ax, summaries: Mapping[str, Mapping[str, Any]]) -> None:
    for usd, s in summaries.items():
        curve = s["survival"]
        ax.step(
            [c["month"] for c in curve],
            [c["still_trading"] for c in curve],
            where="post",
            label=f"${usd}",
        )
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("month")
    ax.set_ylabel("share still trading")
    ax.legend(fontsize=8)
    ax.set_title("survival (Kaplan–Meier; a HALT ends an account)", fontsize=10)


def _time_to_200(ax, rows: Sequence[SweepRow], equities: Sequence[str]) -> None:
    days = [
        [
            r.reached_200_day
            for r in rows
            if r.start_equity_usd == u and r.reached_200_day is not None
        ]
        for u in equities
    ]
    if any(days):
        ax.hist(days, bins=np.arange(0, 570, 30), label=[f"${u}" for u in equities], stacked=True)
        ax.legend(fontsize=8)
    ax.set_xlabel("days to $200")
    ax.set_ylabel("runs")
    ax.set_title("time to $200 (runs that reached it)", fontsize=10)


def _effects(ax, rows: Sequence[SweepRow]) -> None:
    done = [r for r in rows if r.price_effect_usd is not None]
    for outcome, colour in COLOURS.items():
        mine = [r for r in done if r.outcome == outcome]
        if mine:
            ax.scatter(
                [r.price_effect_usd for r in mine],
                [r.trading_effect_usd for r in mine],
                s=14,
                color=colour,
                label=outcome,
            )
    ax.axhline(0, color="#999", lw=0.7)
    ax.axvline(0, color="#999", lw=0.7)
    ax.set_xlabel("price effect USD  B₀×(P−P₀)")
    ax.set_ylabel("trading effect USD  (B−B₀)×P")
    ax.set_title("at the end of trading: trading vs price", fontsize=10)
    if done:
        ax.legend(fontsize=7)


def figure_png(rows: Sequence[SweepRow], summaries: Mapping[str, Mapping[str, Any]]) -> bytes:
    """The four panels as PNG bytes."""
    equities = list(summaries)
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    _outcomes(axes[0][0], rows, equities)
    _survival(axes[0][1], summaries)
    _time_to_200(axes[1][0], rows, equities)
    _effects(axes[1][1], rows)
    for ax in axes.flat:
        ax.grid(True, lw=0.3, alpha=0.6)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def _share(s: Mapping[str, Any]) -> str:
    if s["share"] is None:
        return f"n/a (0 of {s['n']})"
    lo, hi = s["ci95"]
    return f"{s['share'] * 100:.0f} % [{lo * 100:.0f}–{hi * 100:.0f} %] ({s['k']} of {s['n']})"


def answer_rows(summaries: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """One row per start equity: the plan's two questions, the outcomes, how runs died."""
    out = []
    for usd, s in summaries.items():
        halts = ", ".join(f"{k} {_share(v)}" for k, v in s["halted_by_reason"].items()) or "none"
        out.append(
            (
                f"${usd}",
                str(s["runs"]),
                str(s["errors"]),
                _share(s["reached_200_by_month_12"]),
                _share(s["reached_1000_by_month_18"]),
                ", ".join(f"{k} {v['k']}" for k, v in s["outcomes"].items()),
                halts,
                "n/a" if s["median_days_traded"] is None else f"{s['median_days_traded']:.1f}",
            )
        )
    return out


ANSWER_COLUMNS = (
    "start equity",
    "runs",
    "errors",
    "$200 by month 12",
    "$1,000 by month 18",
    "outcomes",
    "halted by reason",
    "median days traded",
)


def _cells(row: SweepRow) -> list[str]:
    return [cell(getattr(row, c)) for c in COLUMNS]


def render_page(
    rows: Sequence[SweepRow],
    summaries: Mapping[str, Mapping[str, Any]],
    meta: Mapping[str, Any],
) -> str:
    """The whole page; ``meta`` names the files, the schedule and whether it was interrupted."""
    png = base64.b64encode(figure_png(rows, summaries)).decode("ascii")
    links = "".join(
        f'<li><a href="{escape(r.report)}/report.html">{escape(r.report)}</a> {escape(r.outcome)}</li>'
        for r in rows
    )
    note = ""
    if meta.get("interrupted"):
        note = f'<p class="note">Interrupted: {meta["finished"]} of {meta["planned"]} runs finished.</p>'
    mc = ""
    if meta.get("monte_carlo"):
        mc = (
            '<p class="note">Monte Carlo: each run is a path resampled from the real candles '
            "(stationary block bootstrap) — resampled history, not a forecast.</p>"
        )
    return "".join(
        [
            "<!doctype html><html lang=en><head><meta charset=utf-8>",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>accountbuilder sweep</title><style>{CSS}</style></head><body>",
            "<h1>accountbuilder sweep</h1>",
            f'<p class="sub">{escape(meta.get("describe", ""))}</p>',
            note,
            mc,
            "<h2>The answer, per start equity (95 % Wilson intervals)</h2>",
            table(ANSWER_COLUMNS, answer_rows(summaries)),
            f'<h2>Figures</h2><img alt="outcome by start date, survival, time to $200, trading vs price" src="data:image/png;base64,{png}">',
            "<h2>Runs (sweep.csv)</h2>",
            table(COLUMNS, [_cells(r) for r in rows], limit=2000),
            f"<h2>Each run's report</h2><details><summary>{len(rows)} reports</summary><ul>{links}</ul></details>",
            "</body></html>\n",
        ]
    )
