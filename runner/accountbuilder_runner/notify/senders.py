"""Send one notice to one URL through apprise (Telegram, Discord, Slack, ntfy, json:// …).

One apprise object per URL, so each URL's result is known and a retry goes only to the URLs
that failed. Apprise keeps nothing on disk here (in-memory persistent store) and its own log
is silenced: it may name the URL, which holds the token (I4); failures are logged by
``dispatch`` with the URL's label only.
"""

from __future__ import annotations

import logging
from typing import Protocol

from accountbuilder_runner.notify.notices import Notice
from accountbuilder_runner.notify.urls import NotifyUrlError, NotifyUrls


class Sender(Protocol):
    label: str  # "URL 1 (json)": never the URL itself

    def send(self, notice: Notice) -> bool: ...


class AppriseSender:
    """One URL; ``send`` returns True when apprise reports the message delivered."""

    def __init__(self, url: str, label: str):
        import apprise  # only runs that notify pay for the import

        silence_apprise_log()
        asset = apprise.AppriseAsset(storage_mode=apprise.PersistentStoreMode.MEMORY)
        self.label = label
        self._apprise = apprise.Apprise(asset=asset)
        if not self._apprise.add(url):
            raise NotifyUrlError(f"{label} is not a URL apprise can send to (see its scheme)")

    def send(self, notice: Notice) -> bool:
        result = self._apprise.notify(
            body=notice.body, title=notice.title, notify_type=notice.tone.value
        )
        return bool(result)


def build_senders(urls: NotifyUrls) -> list[AppriseSender]:
    """A sender per URL; ``NotifyUrlError`` names the first URL apprise does not know."""
    return [AppriseSender(url, name) for url, name in zip(urls.urls, urls.labels(), strict=True)]


def silence_apprise_log() -> None:
    """Apprise logs through ``logging`` and may print a URL there: keep it out of every log."""
    log = logging.getLogger("apprise")
    log.propagate = False
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())
