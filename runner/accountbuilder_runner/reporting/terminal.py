"""The end-of-run summary for a terminal: rich tables on a TTY, plain lines otherwise.

``render`` prints the summary's blocks with rich when the stream is a terminal, or as plain
``label: value`` lines (pipes, CI logs, ``--quiet``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from accountbuilder_runner.reporting.blocks import Block, summary_blocks

__all__ = ["render", "render_plain", "summary_blocks"]


def render_plain(blocks: Sequence[Block]) -> str:
    """Plain text: a title line per block, then ``label: value[ | value]`` lines."""
    lines = []
    for b in blocks:
        lines.append(f"{b.title}:")
        if any(b.columns[1:]) and len(b.columns) > 2:
            lines.append("  " + " | ".join(b.columns[1:]))
        for label, *values in b.rows:
            lines.append(f"  {label.strip()}: {' | '.join(values)}")
    return "\n".join(lines)


def render(blocks: Sequence[Block], stream: TextIO, *, rich: bool) -> None:
    """Print ``blocks`` to ``stream``: rich tables when ``rich``, else plain lines."""
    if not rich:
        stream.write(render_plain(blocks) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream)
    for b in blocks:
        table = Table(title=b.title, title_justify="left", show_header=any(b.columns))
        for i, head in enumerate(b.columns):
            table.add_column(head, justify="left" if i == 0 else "right", overflow="fold")
        for row in b.rows:
            table.add_row(*row)
        console.print(table)
