"""Notification URLs: from a 0600 file or the environment, never from config, never shown (I4).

An apprise URL carries the service's token (``tgram://BOT_TOKEN/CHAT_ID``,
``discord://WEBHOOK_ID/WEBHOOK_TOKEN``), so it is handled like the API key pair
(``exchange/bybit/secrets.py``): ``urls_file`` in ``notify_config.yaml`` names a file that only
its owner can read (mode 0600 or 0400), else ``ACCOUNTBUILDER_NOTIFY_URLS`` holds them. Either
way URLs are separated by whitespace or commas (a ``#`` line in the file is a comment). A URL
is shown only as its position and scheme (``URL 2 (tgram)``); ``secrets()`` gives the forms
every log sink masks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from accountbuilder.config.private_file import read_private_text

ENV_URLS = "ACCOUNTBUILDER_NOTIFY_URLS"
SEPARATORS = re.compile(r"[\s,]+")
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
MIN_TOKEN_LEN = 8  # URL parts this long are masked on their own, too


class NotifyUrlError(Exception):
    """The URLs cannot be read or are badly protected (the message never shows a URL)."""


@dataclass(frozen=True, slots=True)
class NotifyUrls:
    """The configured URLs and where they came from; ``repr`` never shows them."""

    urls: tuple[str, ...] = field(repr=False)
    source: str = ""

    def labels(self) -> list[str]:
        """``URL 1 (json)`` … : how each URL is named in output."""
        return [label(i, url) for i, url in enumerate(self.urls)]

    def secrets(self) -> tuple[str, ...]:
        """Every URL, and each of its parts long enough to be a token, for the log masks."""
        forms: set[str] = set()
        for url in self.urls:
            forms.update(_secret_forms(url))
        return tuple(sorted(forms))


def label(index: int, url: str) -> str:
    """A URL's name in output: its position and scheme, never the rest (the token)."""
    found = SCHEME.match(url)
    return f"URL {index + 1} ({found.group(1).lower() if found else 'no scheme'})"


def load_urls(environ: Mapping[str, str], urls_file: str | None) -> NotifyUrls:
    """The file when configured, else the environment (none at all: an empty set)."""
    if urls_file:
        path = Path(urls_file).expanduser()
        return NotifyUrls(tuple(_split(read_private(path))), f"file {path}")
    return NotifyUrls(tuple(_split(environ.get(ENV_URLS, ""))), f"${ENV_URLS}")


def read_private(path: Path) -> str:
    """The text of ``path`` after checking it is a regular file of ours nobody else can read."""
    return read_private_text(path, "notify URL file", NotifyUrlError)


def _split(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if not line.strip().startswith("#")]
    return [u for u in SEPARATORS.split("\n".join(lines)) if u]


def _secret_forms(url: str) -> set[str]:
    # The redactor refuses values with "*" (its own mask) and very short ones.
    forms = {url}
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL urllib can split: the whole text is all there is to mask
        return {url} if len(url) >= MIN_TOKEN_LEN and "*" not in url else set()
    forms.update(p for p in parts.path.split("/") if p)
    forms.update(v for _, v in parse_qsl(parts.query))
    userinfo = parts.netloc.rpartition("@")[0]
    forms.update(p for p in userinfo.split(":") if p)
    if SCHEME.match(url) and not parts.netloc.count("."):
        forms.add(parts.netloc.rpartition("@")[2])  # a host that is no host name: a token
    return {f for f in forms if len(f) >= MIN_TOKEN_LEN and "*" not in f}
