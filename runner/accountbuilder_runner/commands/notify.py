"""``accountbuilder notify test``: send one message to every configured URL, report each result.

The URLs come from ``urls_file`` in ``notify_config.yaml`` (a 0600 file) or from
``ACCOUNTBUILDER_NOTIFY_URLS``, as for ``run``; each is named by its position and scheme only,
since the rest holds the service's token (docs/notifications.md).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

from accountbuilder.config.loader import ConfigError, load_config
from accountbuilder.config.models import NotifyConfig, NotifyEvent
from accountbuilder_runner.notify.notices import Notice, Tone, iso
from accountbuilder_runner.notify.urls import ENV_URLS, NotifyUrlError, NotifyUrls, load_urls

EXIT_ALL_SENT, EXIT_SOME_FAILED, EXIT_BAD_CONFIG = 0, 1, 2

DESCRIPTION = f"""\
Send one test message to every notification URL and say, URL by URL, whether it went out.
The URLs are read as `run` reads them: from the 0600 file named by `urls_file` in
notify_config.yaml, else from ${ENV_URLS} (separated by spaces, commas or new lines).
Each URL is shown as its position and scheme only (`URL 2 (tgram)`): the rest is a token.
"""

EPILOG = """\
exit codes: 0 every URL took the message, 1 some URL failed, 2 no URL configured or bad
config (unreadable or non-0600 URL file, a URL apprise does not know, a bad config file),
70 internal error
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    notify = subparsers.add_parser(
        "notify",
        help="notifications (apprise): send a test message to every configured URL",
        description="Notifications of paper and live runs through apprise: "
        "Telegram, Discord, Slack, ntfy, e-mail, JSON webhooks … (docs/notifications.md).",
    )
    sub = notify.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    test = sub.add_parser(
        "test",
        help="send one message to every configured URL and report each result",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    test.add_argument("--config", type=Path, metavar="DIR", help="config directory")
    test.set_defaults(func=run_test)


def test_notice(config: NotifyConfig, urls: NotifyUrls) -> Notice:
    events = ", ".join(e.value for e in config.events) or "none"
    body = (
        f"A test message from accountbuilder on {socket.gethostname()} at "
        f"{iso(int(time.time() * 1000))}: notifications reach you.\n"
        f"Runs will send: {events} (level {config.min_level.value} and above); URLs from "
        f"{urls.source}."
    )
    return Notice(
        NotifyEvent.LIFECYCLE, config.min_level, "accountbuilder notify test", body, Tone.INFO
    )


def run_test(args: argparse.Namespace) -> int:
    from accountbuilder_runner.notify.senders import build_senders  # imports apprise

    try:
        config = load_config(args.config).notify
        urls = load_urls(os.environ, config.urls_file)
        if not urls.urls:
            print(
                f"notify test: no notification URL configured: set {ENV_URLS} or urls_file in "
                "notify_config.yaml (docs/notifications.md)",
                file=sys.stderr,
            )
            return EXIT_BAD_CONFIG
        senders = build_senders(urls)
    except (ConfigError, NotifyUrlError) as e:
        print(f"notify test: {e}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    notice = test_notice(config, urls)
    sent = 0
    for sender in senders:
        try:
            ok = sender.send(notice)
        except Exception as e:  # its text may hold the URL: name the type only
            ok, why = False, f"raised {type(e).__name__}"
        else:
            why = "refused or unreachable"
        sent += ok
        print(f"{sender.label}: {'sent' if ok else f'FAILED ({why})'}")
    print(f"{sent} of {len(senders)} sent")
    return EXIT_ALL_SENT if sent == len(senders) else EXIT_SOME_FAILED
