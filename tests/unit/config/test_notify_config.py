"""``notify_config.yaml``: typed, with located errors that name the allowed values, and no
place for a URL (URLs hold tokens, SPEC I4)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from accountbuilder.config import ConfigError, load_config
from accountbuilder.config.loader import load_config_file
from accountbuilder.config.models import NotifyConfig, NotifyEvent, NotifyLevel

CONFIG = Path(__file__).resolve().parents[3] / "config"


def test_the_shipped_file_sends_everything_but_trades_from_level_info():
    notify = load_config(CONFIG).notify

    assert set(notify.events) == set(NotifyEvent) - {NotifyEvent.TRADE}
    assert notify.min_level is NotifyLevel.INFO and notify.urls_file is None
    assert (notify.queue_size, notify.retries, notify.retry_delay_s) == (100, 2, Decimal(2))
    assert notify == NotifyConfig()  # the file says what the code defaults to


def test_docs_show_the_shipped_file():
    shipped = (CONFIG / "notify_config.yaml").read_text().splitlines()
    doc = (CONFIG.parent / "docs" / "notifications.md").read_text()

    settings = [line for line in shipped if not line.startswith("#")]
    assert "```yaml\n" + "\n".join(settings) + "\n```" in doc


def test_a_config_directory_without_the_file_gets_the_defaults(tmp_path):
    (tmp_path / "stage_config.yaml").write_text((CONFIG / "stage_config.yaml").read_text())

    assert load_config(tmp_path).notify == NotifyConfig()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "events: [halt, sms]\n",
            "notify_config.yaml:1:16: events.1: 'sms' is not allowed (allowed: 'halt', "
            "'recovery', 'stop', 'trade', 'daily', 'target' or 'lifecycle')",
        ),
        (
            "min_level: loud\n",
            "notify_config.yaml:1:1: min_level: 'loud' is not allowed "
            "(allowed: 'info', 'warning' or 'critical')",
        ),
        ("retries: 20\n", "notify_config.yaml:1:1: retries: 20 is above the maximum of 10"),
        ("queue_size: 0\n", "notify_config.yaml:1:1: queue_size: 0 is below the minimum of 1"),
        ("urls: [x]\n", "notify_config.yaml:1:1: urls: unknown key (allowed: events, min_level"),
    ],
    ids=["event", "level", "retries", "queue", "no-urls-key"],
)
def test_errors_name_file_line_column_field_and_what_is_allowed(tmp_path, text, expected):
    path = tmp_path / "notify_config.yaml"
    path.write_text(text)

    with pytest.raises(ConfigError) as raised:
        load_config_file(path)

    assert expected in str(raised.value)


def test_i4_a_url_in_urls_file_is_refused_and_never_echoed(tmp_path):
    path = tmp_path / "notify_config.yaml"
    path.write_text('min_level: info\nurls_file: "tgram://123456:canary-token/42"\n')

    with pytest.raises(ConfigError) as raised:
        load_config_file(path)

    message = str(raised.value)
    assert message.startswith(f"{path}:2:1: urls_file: must be the path of a 0600 file of URLs")
    assert "canary" not in message
