"""``config.private_file``: secrets are read only from a regular 0600 file of this user."""

from __future__ import annotations

import pytest

from accountbuilder.config.private_file import read_private_text


class Refused(Exception):
    pass


def test_a_0600_file_is_read_and_anything_else_refused_naming_the_fix(tmp_path):
    path = tmp_path / "secret"
    path.write_text("token", encoding="utf-8")
    path.chmod(0o600)
    assert read_private_text(path, "key file", Refused) == "token"

    path.chmod(0o644)
    with pytest.raises(Refused, match=r"key file .* has mode 0644; it must be 0600 \(chmod 600"):
        read_private_text(path, "key file", Refused)
    with pytest.raises(Refused, match="is not a regular file"):
        read_private_text(tmp_path, "key file", Refused)
    with pytest.raises(Refused, match="No such file"):
        read_private_text(tmp_path / "missing", "key file", Refused)
