"""``report.html``: one self-contained page (inline CSS, the PNG inlined as base64).

No scripts and no external resources, so it opens offline and from an e-mail attachment.
Every value from the data is escaped. Each table sits in its own scroll box (both ways, the
header row sticky), so a wide or long table never widens or lengthens the page at 1280 px.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from accountbuilder_runner.reporting.blocks import Block

MAX_ROWS = 500  # longer tables are cut here; the CSV files hold every row

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1180px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.sub{color:#666;font-size:13px}
.badge{display:inline-block;padding:4px 12px;border-radius:12px;font-weight:600;color:#fff}
.SUCCESS{background:#2e7d32}.FAILURE{background:#c62828}.HALTED{background:#e65100}
.RUNNING{background:#1565c0}
.line{font-size:15px;margin:8px 0 14px}
.cols{display:flex;flex-wrap:wrap;gap:16px}.cols>div{flex:1 1 420px;min-width:0}
.scroll{overflow:auto;max-width:100%;max-height:460px;border:1px solid #e4e4e4}
table{border-collapse:collapse;font-size:12.5px}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:right;white-space:nowrap}
th{background:#f4f4f4;position:sticky;top:0}td.l,th.l{text-align:left}
img{max-width:100%;height:auto;border:1px solid #ddd}
.note{color:#666;font-size:12px}
"""


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    numeric = text.replace(".", "", 1).replace("-", "", 1).isdigit()
    return f"<td{'' if numeric else ' class=l'}>{escape(text)}</td>"


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, limit: int = MAX_ROWS) -> str:
    """An HTML table of ``rows`` in its scroll box (cut at ``limit`` with a note saying so)."""
    if not rows:
        return '<p class="note">none</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in r) + "</tr>" for r in rows[:limit])
    note = ""
    if len(rows) > limit:
        note = f'<p class="note">first {limit} of {len(rows)} rows; the CSV file has all.</p>'
    return f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>{note}'


def block_table(block: Block) -> str:
    """A summary ``Block`` (label column first) as a table."""
    head = (
        "".join(f"<th class=l>{escape(c)}</th>" for c in block.columns)
        if any(block.columns)
        else ""
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=l' if i == 0 else ''}>{escape(v)}</td>" for i, v in enumerate(r))
        + "</tr>"
        for r in block.rows
    )
    header = f"<tr>{head}</tr>" if head else ""
    return f'<div class="scroll"><table>{header}{body}</table></div>'


def counts_table(counts: Mapping[str, int], label: str) -> str:
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return table((label, "count"), rows)


def side_by_side(*parts: tuple[str, str]) -> str:
    """``(heading, html)`` parts in columns that wrap on a narrow page."""
    cells = "".join(f"<div><h2>{escape(h)}</h2>{html}</div>" for h, html in parts)
    return f'<div class="cols">{cells}</div>'


def render_html(
    figures: Mapping[str, Any],
    png: Path | None,
    top: str,
    sections: Sequence[tuple[str, str]],
) -> str:
    """The page: title, outcome in the plan's words, ``top`` (the summary tables), the plot,
    then ``(heading, html)`` sections."""
    outcome = str(figures.get("outcome", ""))
    data = figures.get("data", {})
    title = f"accountbuilder backtest — {data.get('file', '')}"
    img = ""
    if png is not None and png.exists():
        b64 = base64.b64encode(png.read_bytes()).decode("ascii")
        alt = "equity in USD with the hold-BTC line, equity and trading PnL in BTC, drawdown, price"
        img = f'<h2>Equity, drawdown and price</h2><img alt="{alt}" src="data:image/png;base64,{b64}">'
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="sub">{escape(str(figures.get("from")))} → {escape(str(figures.get("to")))}'
        f" · timeframe {escape(str(data.get('timeframe', '')))}</p>",
        f'<p><span class="badge {escape(outcome)}">{escape(outcome)}</span> '
        f"{escape(str(figures.get('outcome_reason', '')))}</p>",
        f'<p class="line">{escape(str(figures.get("outcome_line", "")))}</p>',
        top,
        img,
    ]
    for heading, html in sections:
        parts.append(f"<h2>{escape(heading)}</h2>{html}")
    parts.append("</body></html>\n")
    return "".join(parts)
