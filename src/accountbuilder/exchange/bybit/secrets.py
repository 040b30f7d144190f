"""API credentials: from the environment or from a key file that only its owner can read.

``ACCOUNTBUILDER_API_KEY`` / ``ACCOUNTBUILDER_API_SECRET``, or a key file (``--key-file``)
of ``name = value`` lines (``api_key``, ``api_secret``; the environment names work too; ``#``
starts a comment). The file must be mode 0600 (or 0400) and belong to the user running the bot;
any other mode is refused. Error messages name the file and the problem, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from accountbuilder.config.private_file import read_private_text

ENV_KEY = "ACCOUNTBUILDER_API_KEY"
ENV_SECRET = "ACCOUNTBUILDER_API_SECRET"
_KEY_NAMES = ("api_key", ENV_KEY.lower())
_SECRET_NAMES = ("api_secret", ENV_SECRET.lower())


class SecretsError(Exception):
    """Credentials missing, unreadable or badly protected (the message shows no secret)."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API key pair; ``repr`` and ``str`` never show it."""

    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    source: str = ""

    def secrets(self) -> tuple[str, str]:
        """The values every log sink and error message must mask."""
        return (self.api_key, self.api_secret)

    def __str__(self) -> str:
        return f"Credentials(from {self.source}, key ***)"


def load_credentials(environ: Mapping[str, str], key_file: Path | None = None) -> Credentials:
    """The key file when given, else the environment; ``SecretsError`` if neither is usable."""
    if key_file is not None:
        return read_key_file(key_file)
    key, secret = environ.get(ENV_KEY, "").strip(), environ.get(ENV_SECRET, "").strip()
    if not key or not secret:
        raise SecretsError(
            f"no API key: set {ENV_KEY} and {ENV_SECRET}, or pass --key-file FILE (mode 0600)"
        )
    return _checked(key, secret, "the environment")


def read_key_file(path: Path) -> Credentials:
    """Read ``path`` after checking it is a regular file of ours that nobody else can read."""
    values = _parse(read_private_text(path, "key file", SecretsError), path)
    key = next((values[n] for n in _KEY_NAMES if n in values), "")
    secret = next((values[n] for n in _SECRET_NAMES if n in values), "")
    if not key or not secret:
        raise SecretsError(f"key file {path} must define api_key and api_secret")
    return _checked(key, secret, f"key file {path}")


def _parse(text: str, path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep:
            name, sep, value = line.partition(":")
        if not sep:
            raise SecretsError(f"key file {path}:{number}: expected name = value")
        values[name.strip().lower()] = value.strip().strip("'\"")
    return values


def _checked(key: str, secret: str, source: str) -> Credentials:
    if len(key) < 4 or len(secret) < 4 or "*" in key + secret:
        raise SecretsError(f"API key from {source} is too short or contains '*'")
    return Credentials(key, secret, source)
