"""The dry account's file: atomic replacement, read back at start (issue 20, I4)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from accountbuilder_runner.dry_account_file import (
    AccountFile,
    AccountFileError,
    DryOrigin,
    account_path,
)

ORIGIN = DryOrigin(Decimal(250), 1_700_000_000_000)


def test_issue20_the_account_file_lies_beside_the_store():
    assert account_path(Path("state/dryrun.sqlite")) == Path("state/dryrun-exchange.json")


def test_i4_a_saved_account_is_read_back_with_its_origin(tmp_path):
    path = tmp_path / "state" / "dry-exchange.json"
    AccountFile(path, ORIGIN).save({"version": 1, "open": ["a"]})

    file, account = AccountFile.load(path, DryOrigin(Decimal(1), 0))

    assert account == {"version": 1, "open": ["a"]}
    assert file.origin == ORIGIN  # the first start's equity, not this start's
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_issue20_no_file_is_a_new_account_starting_as_asked(tmp_path):
    file, account = AccountFile.load(tmp_path / "none.json", ORIGIN)

    assert account is None and file.origin == ORIGIN


@pytest.mark.parametrize("text", ["", "{", "[]", json.dumps({"account": {}})])
def test_issue20_an_unreadable_file_is_refused_not_replaced(tmp_path, text):
    path = tmp_path / "dry-exchange.json"
    path.write_text(text)

    with pytest.raises(AccountFileError, match="not a dry account"):
        AccountFile.load(path, ORIGIN)
    assert path.read_text() == text
