"""Notification URLs (runner/notify/urls.py, SPEC I4): the environment or a 0600 file, never
shown in full; the parts that are tokens are what the log sinks mask."""

from __future__ import annotations

import os

import pytest

from accountbuilder.records.redact import Redactor
from accountbuilder_runner.notify.senders import AppriseSender, build_senders
from accountbuilder_runner.notify.urls import ENV_URLS, NotifyUrlError, NotifyUrls, load_urls

TOKEN = "123456789:AAH-canary-token"
URLS = f"tgram://{TOKEN}/4242 , json://127.0.0.1:8080/hook/canary-path-x?key=canary-query-9\n"


def test_i4_urls_from_the_environment_split_on_spaces_commas_and_lines():
    urls = load_urls({ENV_URLS: URLS}, None)

    assert urls.urls == (
        f"tgram://{TOKEN}/4242",
        "json://127.0.0.1:8080/hook/canary-path-x?key=canary-query-9",
    )
    assert urls.labels() == ["URL 1 (tgram)", "URL 2 (json)"]
    assert TOKEN not in repr(urls) and urls.source == f"${ENV_URLS}"


def test_i4_a_0600_file_wins_over_the_environment_and_comments_are_skipped(tmp_path):
    path = tmp_path / "urls"
    path.write_text("# telegram\n" + URLS, encoding="utf-8")
    path.chmod(0o600)

    urls = load_urls({ENV_URLS: "json://other:1/x"}, str(path))

    assert len(urls.urls) == 2 and urls.source == f"file {path}"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX file modes")
def test_i4_a_file_others_can_read_is_refused_without_showing_a_url(tmp_path):
    path = tmp_path / "urls"
    path.write_text(URLS, encoding="utf-8")
    path.chmod(0o644)

    with pytest.raises(NotifyUrlError) as raised:
        load_urls({}, str(path))

    assert (
        str(raised.value)
        == f"notify URL file {path} has mode 0644; it must be 0600 (chmod 600 {path})"
    )


def test_i4_a_missing_file_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(NotifyUrlError, match="notify URL file .*missing: No such file"):
        load_urls({}, str(tmp_path / "missing"))


def test_i4_secrets_cover_the_url_and_its_token_parts_so_the_log_masks_them():
    urls = load_urls({ENV_URLS: URLS}, None)
    mask = Redactor(urls.secrets())

    text = mask(f"sent to {urls.urls[1]}; token {TOKEN}; path canary-path-x; key canary-query-9")

    assert "canary" not in text and TOKEN not in text
    assert "127.0.0.1" in mask("host 127.0.0.1")  # a host name is not a token


def test_i4_a_url_apprise_does_not_know_is_named_by_position_and_scheme_only():
    urls = NotifyUrls(("json://127.0.0.1:9/ok", "nosuchservice://canary-secret-1"))

    with pytest.raises(NotifyUrlError) as raised:
        build_senders(urls)

    assert (
        str(raised.value)
        == "URL 2 (nosuchservice) is not a URL apprise can send to (see its scheme)"
    )


def test_a_known_url_builds_a_sender_labelled_without_its_token():
    sender = AppriseSender(f"tgram://{TOKEN}/4242", "URL 1 (tgram)")

    assert sender.label == "URL 1 (tgram)"
