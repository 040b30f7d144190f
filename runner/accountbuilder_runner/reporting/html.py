"""``report.html``: one self-contained page (inline CSS, the PNG inlined as base64).

No scripts and no external resources, so it opens offline and from an e-mail attachment.
Every value from the data is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

MAX_ROWS = 500  # longer tables are cut here; the CSV files hold every row

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1180px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.sub{color:#666;font-size:13px}
.badge{display:inline-block;padding:4px 12px;border-radius:12px;font-weight:600;color:#fff}
.SUCCESS{background:#2e7d32}.FAILURE{background:#c62828}.HALTED{background:#e65100}
.RUNNING{background:#1565c0}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:130px}
.card b{display:block;font-size:18px}.card span{color:#666;font-size:12px}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:right;white-space:nowrap}
th{background:#f4f4f4}td.l,th.l{text-align:left}
img{max-width:100%;border:1px solid #ddd}
.note{color:#666;font-size:12px}
"""


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    numeric = text.replace(".", "", 1).replace("-", "", 1).isdigit()
    return f"<td{'' if numeric else ' class=l'}>{escape(text)}</td>"


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, limit: int = MAX_ROWS) -> str:
    """An HTML table of ``rows`` (cut at ``limit`` with a note saying so)."""
    if not rows:
        return '<p class="note">none</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in r) + "</tr>" for r in rows[:limit])
    note = ""
    if len(rows) > limit:
        note = f'<p class="note">first {limit} of {len(rows)} rows; the CSV file has all.</p>'
    return f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>{note}'


def counts_table(counts: Mapping[str, int], label: str) -> str:
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return table((label, "count"), rows)


def _cards(figures: Mapping[str, Any]) -> str:
    shown = (
        ("start_equity_usd", "start equity USD"),
        ("end_equity_usd", "end equity USD"),
        ("start_equity_btc", "start equity BTC"),
        ("end_equity_btc", "end equity BTC"),
        ("trades", "closed trades"),
        ("winrate", "win rate"),
        ("max_drawdown_pct", "max drawdown % (USD)"),
        ("reached_200_at", "reached $200"),
        ("reached_1000_at", "reached $1,000"),
        ("candles", "candles"),
    )
    cards = []
    for key, label in shown:
        value = figures.get(key)
        text = "never" if value is None and key.startswith("reached") else value
        if key == "winrate" and value is not None:
            text = f"{value * 100:.1f} %"
        cards.append(f'<div class="card"><b>{escape(str(text))}</b><span>{label}</span></div>')
    return '<div class="cards">' + "".join(cards) + "</div>"


def render_html(
    figures: Mapping[str, Any],
    png: Path | None,
    sections: Sequence[tuple[str, str]],
) -> str:
    """The whole page: title, outcome, figure cards, the plot, then ``(heading, html)`` sections."""
    outcome = str(figures.get("outcome", ""))
    data = figures.get("data", {})
    title = f"accountbuilder backtest — {data.get('file', '')}"
    img = ""
    if png is not None and png.exists():
        b64 = base64.b64encode(png.read_bytes()).decode("ascii")
        img = f'<img alt="equity in USD and BTC, price, trades and halts" src="data:image/png;base64,{b64}">'
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="sub">{escape(str(figures.get("from")))} → {escape(str(figures.get("to")))}'
        f" · timeframe {escape(str(data.get('timeframe', '')))}</p>",
        f'<p><span class="badge {escape(outcome)}">{escape(outcome)}</span> '
        f"{escape(str(figures.get('outcome_reason', '')))}</p>",
        _cards(figures),
        img,
    ]
    for heading, html in sections:
        parts.append(f"<h2>{escape(heading)}</h2>{html}")
    parts.append("</body></html>\n")
    return "".join(parts)
