"""Progress and live status on stderr: a rich progress bar on a terminal, plain lines elsewhere.

On a terminal, rich draws the bar (done, elapsed, time left) with the caller's status text
beside it, redrawn in place, and event lines (trades, halts) print above it. When stderr is
not a terminal (a pipe, a CI log) a plain line is printed every 10 % of the way instead, so
logs stay readable; ``quiet`` prints nothing (only the final summary, on stdout).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

REDRAW_S = 0.1
STEPS = 10  # non-terminal: one line per 10 %
TOTAL = 1000  # the bar's resolution


class Console:
    """Where the runner's human output goes (``quiet`` keeps only the final summary)."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False, label: str = ""):
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.label = label
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._last_step = -1
        self._progress = None
        self._task = None

    def due(self, fraction: float) -> bool:
        """Whether ``status`` would draw now (build the text only then)."""
        if self.quiet:
            return False
        if self.tty:
            return time.monotonic() - self._last_draw >= REDRAW_S
        return int(_clip(fraction) * STEPS) > self._last_step

    def status(self, fraction: float, text: str, *, force: bool = False) -> None:
        """Show ``text`` beside the progress (rate-limited; ``force`` draws now)."""
        if self.quiet:
            return
        if self.tty:
            now = time.monotonic()
            if not force and now - self._last_draw < REDRAW_S:
                return
            self._last_draw = now
            progress = self._live()
            progress.update(self._task, completed=round(_clip(fraction) * TOTAL), text=text)
            return
        step = int(_clip(fraction) * STEPS)
        if force or step > self._last_step:
            self._last_step = step
            head = f"{self.label} " if self.label else ""
            self.stream.write(f"{head}{_clip(fraction) * 100:5.1f}% {text}\n")
            self.stream.flush()

    def event(self, text: str) -> None:
        """Print a line above the progress bar (a trade, a halt)."""
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
            return
        self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """Stop the live bar so that what follows starts on a fresh line."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _live(self):
        if self._progress is None:
            from rich.console import Console as RichConsole
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[text]}", markup=False),
                console=RichConsole(file=self.stream),
                refresh_per_second=10,
            )
            self._task = self._progress.add_task(self.label, total=TOTAL, text="")
            self._progress.start()
        return self._progress


def _clip(fraction: float) -> float:
    return max(0.0, min(fraction, 1.0))
