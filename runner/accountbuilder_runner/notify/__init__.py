"""Notifications of paper and live runs through apprise (docs/notifications.md).

``build_notifier`` is the one entry point the run commands use; a backtest (or any replay that
does not pass a notifier to its outputs) never notifies. ``None`` means no URL is configured.
"""

from __future__ import annotations

from collections.abc import Mapping

from accountbuilder.config.models import NotifyConfig
from accountbuilder_runner.notify.dispatch import Delivery, Dispatcher
from accountbuilder_runner.notify.senders import build_senders
from accountbuilder_runner.notify.urls import NotifyUrlError, NotifyUrls, load_urls
from accountbuilder_runner.notify.watch import Notifier

__all__ = ["Notifier", "NotifyUrlError", "NotifyUrls", "build_notifier", "delivery_of", "load_urls"]


def delivery_of(config: NotifyConfig) -> Delivery:
    return Delivery(
        queue_size=config.queue_size,
        retries=config.retries,
        retry_delay_s=float(config.retry_delay_s),
        flush_timeout_s=float(config.flush_timeout_s),
    )


def build_notifier(
    config: NotifyConfig, environ: Mapping[str, str], mode: str
) -> tuple[Notifier | None, NotifyUrls]:
    """The started notifier for ``mode`` (paper, live) and its URLs (for the log masks).

    ``NotifyUrlError`` when the URL file is unreadable or badly protected, or a URL is not one
    apprise knows; the message names the URL by position and scheme only.
    """
    urls = load_urls(environ, config.urls_file)
    if not urls.urls:
        return None, urls
    dispatcher = Dispatcher(build_senders(urls), delivery_of(config))
    dispatcher.start()
    return Notifier(config, dispatcher, mode), urls
