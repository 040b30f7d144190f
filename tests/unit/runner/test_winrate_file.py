"""The stored backtest win rate of SPEC D4 (runner/winrate_file.py)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from accountbuilder.config import load_config
from accountbuilder_runner import winrate_file
from accountbuilder_runner.winrate_file import (
    StoredWinrate,
    WinrateFileError,
    beside_store,
    resolve_winrate,
    with_winrate,
)

STORED = StoredWinrate(
    winrate=Decimal(7) / Decimal(12),
    trades=12,
    wins=7,
    from_="2024-09-10T00:00:00Z",
    to="2025-08-18T18:25:00Z",
    data="btcusd_5m_2024-08_2025-08.csv.gz",
    timeframe="5m",
    start_equity_usd="100",
)


def test_d4_stored_rate_round_trips_with_its_period(tmp_path):
    path = tmp_path / "state" / "backtest_winrate.json"

    winrate_file.save(path, STORED)

    assert winrate_file.load(path) == STORED
    data = json.loads(path.read_text())
    assert data["from"] == "2024-09-10T00:00:00Z" and data["trades"] == 12
    assert STORED.describe().startswith("58.3% (7/12 trades, btcusd_5m_2024-08_2025-08.csv.gz")


def test_d4_the_file_beside_the_store_wins_over_config_and_shipped(tmp_path):
    store = tmp_path / "state" / "paper.sqlite"
    config = with_winrate(load_config(), Decimal("0.70"))
    winrate_file.save(beside_store(store), STORED)

    found = resolve_winrate(config, store)

    assert found.winrate == STORED.winrate and str(beside_store(store)) in found.source


def test_d4_config_rate_is_used_without_a_stored_file(tmp_path):
    found = resolve_winrate(with_winrate(load_config(), Decimal("0.70")), tmp_path / "x.sqlite")
    assert found.winrate == Decimal("0.70") and "runner_config.yaml" in found.source


def test_d4_shipped_measurement_is_the_last_resort(tmp_path):
    # the package ships the measurement of a 2024-2025 backtest (≥ 55 %: paper can trade)
    found = resolve_winrate(with_winrate(load_config(), None), tmp_path / "x.sqlite")
    shipped = winrate_file.shipped()
    assert shipped is not None and found.winrate == shipped.winrate
    assert shipped.trades >= 10 and shipped.winrate >= Decimal("0.55")
    assert found.source.startswith("shipped measurement")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ('{"winrate": "0.6"}', "missing field 'trades'"),
        (
            '{"winrate": "1.2", "trades": 1, "wins": 1, "from": "a", "to": "b", "data": "d"}',
            "winrate 1.2 is not within 0..1",
        ),
        ('{"winrate": "x", "trades": 1, "wins": 1, "from": "a", "to": "b", "data": "d"}', ""),
    ],
)
def test_d4_a_bad_file_is_refused_naming_the_file(tmp_path, text, message):
    path = tmp_path / "backtest_winrate.json"
    path.write_text(text)

    with pytest.raises(WinrateFileError, match="backtest_winrate.json") as err:
        winrate_file.load(path)
    assert message in str(err.value)
