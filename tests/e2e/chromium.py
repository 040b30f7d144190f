"""Headless Chromium for the page tests: a screenshot, and the laid-out page measured.

``measure`` loads a copy of the page with a probe script that writes the page's width, the
window's and each table box's (content against visible width, first row's text) into the
title, read back with ``--dump-dom``. The pages themselves never carry a script.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = (
    "<script>document.title=JSON.stringify({page:document.documentElement.scrollWidth,"
    "window:window.innerWidth,boxes:[...document.querySelectorAll('.scroll')].map("
    "b=>[b.scrollWidth,b.clientWidth,b.querySelector('tr').textContent])})</script>"
)


def chromium(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium at 1280×2000 on ``url`` (a profile of its own, no network use)."""
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,2000",
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )


def measure(tmp_path: Path, html: str) -> dict:
    """The laid-out page's widths (see the module doc)."""
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, probe.as_uri(), "--dump-dom").stdout
    return json.loads(unescape(re.search(r"<title>(.*?)</title>", dom).group(1)))
