"""API keys from the environment or a 0600 key file; never shown (SPEC I4)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from accountbuilder.exchange.bybit.secrets import (
    ENV_KEY,
    ENV_SECRET,
    SecretsError,
    load_credentials,
)

KEY, SECRET = "canary-key-7f3a", "canary-secret-9b1c"


def key_file(tmp_path: Path, mode: int, text: str | None = None) -> Path:
    path = tmp_path / "bybit.key"
    path.write_text(text if text is not None else f"api_key = {KEY}\napi_secret = {SECRET}\n")
    os.chmod(path, mode)
    return path


def test_i4_environment_credentials_and_their_repr_hides_them():
    creds = load_credentials({ENV_KEY: KEY, ENV_SECRET: SECRET})

    assert creds.secrets() == (KEY, SECRET)
    assert KEY not in repr(creds) + str(creds) and SECRET not in repr(creds) + str(creds)


def test_i4_missing_credentials_say_how_to_give_them():
    with pytest.raises(SecretsError, match=ENV_KEY):
        load_credentials({ENV_KEY: KEY})


def test_i4_key_file_0600_is_read(tmp_path):
    creds = load_credentials({}, key_file(tmp_path, 0o600))

    assert creds.secrets() == (KEY, SECRET) and "key file" in creds.source


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o200])
def test_i4_key_file_readable_by_others_is_refused(tmp_path, mode):
    path = key_file(tmp_path, mode)

    with pytest.raises(SecretsError, match="0600") as info:
        load_credentials({}, path)
    assert KEY not in str(info.value) and SECRET not in str(info.value)


def test_i4_key_file_errors_never_show_a_value(tmp_path):
    path = key_file(tmp_path, 0o600, f"api_key = {KEY}\n{SECRET}\n")

    with pytest.raises(SecretsError) as info:
        load_credentials({}, path)
    assert SECRET not in str(info.value) and ":2:" in str(info.value)


def test_i4_key_file_wins_over_the_environment(tmp_path):
    creds = load_credentials(
        {ENV_KEY: "env-key-1", ENV_SECRET: "env-sec-1"}, key_file(tmp_path, 0o400)
    )

    assert creds.api_key == KEY
