"""Progress bar and live status line on stderr.

On a terminal one line is redrawn in place (``\\r``) at most 10 times a second; when stderr is
not a terminal (a pipe, a CI log) a full line is printed every 10 % of the way instead, so
logs stay readable. Event lines (trades, halts) go above the status line.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

REDRAW_S = 0.1
STEPS = 10  # non-terminal: one line per 10 %


class Console:
    """Where the runner's human output goes (``quiet`` keeps only the final summary)."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False):
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._last_step = -1
        self._drawn = False

    def due(self, fraction: float) -> bool:
        """Whether ``status`` would draw now (build the text only then)."""
        if self.quiet:
            return False
        if self.tty:
            return time.monotonic() - self._last_draw >= REDRAW_S
        return int(max(0.0, min(fraction, 1.0)) * STEPS) > self._last_step

    def status(self, fraction: float, text: str, *, force: bool = False) -> None:
        """Show ``text`` as the live line (rate-limited; ``force`` draws now)."""
        if self.quiet:
            return
        if self.tty:
            now = time.monotonic()
            if not force and now - self._last_draw < REDRAW_S:
                return
            self._last_draw = now
            width = shutil.get_terminal_size((120, 20)).columns - 1
            self.stream.write("\r" + text[:width].ljust(width))
            self.stream.flush()
            self._drawn = True
            return
        step = int(max(0.0, min(fraction, 1.0)) * STEPS)
        if force or step > self._last_step:
            self._last_step = step
            self.stream.write(text + "\n")
            self.stream.flush()

    def event(self, text: str) -> None:
        """Print a line above the status line (a trade, a halt)."""
        if self.quiet:
            return
        self._clear()
        self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the live line so that what follows starts on a fresh line."""
        if self._drawn and self.tty:
            self.stream.write("\n")
            self.stream.flush()
        self._drawn = False

    def _clear(self) -> None:
        if self._drawn and self.tty:
            width = shutil.get_terminal_size((120, 20)).columns - 1
            self.stream.write("\r" + " " * width + "\r")
            self._drawn = False


def bar(fraction: float, width: int = 24) -> str:
    """``[#######.........]  31%``"""
    fraction = max(0.0, min(fraction, 1.0))
    filled = int(round(fraction * width))
    return f"[{'#' * filled}{'.' * (width - filled)}] {fraction * 100:5.1f}%"
