"""The backtest win rate of SPEC D4: stored by ``backtest``, read by ``run`` (paper and live).

A backtest writes ``backtest_winrate.json`` beside the store (``state/`` by default):

    {"winrate": "0.5833", "trades": 24, "wins": 14, "from": "...", "to": "...",
     "data": "btcusd_1h_2017-08_2024-07.csv.gz", "timeframe": "1h", "start_equity_usd": 100}

``resolve_winrate`` picks the rate the gate uses, first found wins: that file beside the store,
``runner_config.yaml``'s ``backtest_winrate``, then the measurement shipped in the package
(``accountbuilder/data/backtest_winrate.json``, made by the command in that folder's README).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from accountbuilder.config.models import AppConfig

FILE_NAME = "backtest_winrate.json"


class WinrateFileError(ValueError):
    """A win-rate file that cannot be read (the message names the file and the field)."""


@dataclass(frozen=True, slots=True)
class StoredWinrate:
    """A backtest's win rate and what it covers (SPEC D4: the period is part of it)."""

    winrate: Decimal
    trades: int
    wins: int
    from_: str
    to: str
    data: str
    timeframe: str
    start_equity_usd: str

    def to_json(self) -> dict:
        d = asdict(self)
        d["from"] = d.pop("from_")
        d["winrate"] = str(self.winrate)
        return d

    @classmethod
    def from_json(cls, d: dict, where: str) -> StoredWinrate:
        try:
            rate = Decimal(str(d["winrate"]))
            if not Decimal(0) <= rate <= Decimal(1):
                raise WinrateFileError(f"{where}: winrate {rate} is not within 0..1")
            return cls(
                rate,
                int(d["trades"]),
                int(d["wins"]),
                str(d["from"]),
                str(d["to"]),
                str(d["data"]),
                str(d.get("timeframe", "")),
                str(d.get("start_equity_usd", "")),
            )
        except KeyError as e:
            raise WinrateFileError(f"{where}: missing field {e.args[0]!r}") from None
        except (InvalidOperation, ValueError, TypeError) as e:
            if isinstance(e, WinrateFileError):
                raise
            raise WinrateFileError(f"{where}: {e}") from None

    def describe(self) -> str:
        return (
            f"{float(self.winrate) * 100:.1f}% ({self.wins}/{self.trades} trades, "
            f"{self.data} {self.from_} → {self.to})"
        )


def beside_store(store_path: str | Path) -> Path:
    """Where a backtest stores its rate for the store at ``store_path``."""
    return Path(store_path).parent / FILE_NAME


def save(path: Path, stored: StoredWinrate) -> None:
    """Write ``stored`` to ``path`` (atomically: a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(stored.to_json(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def load(path: Path) -> StoredWinrate | None:
    """Read a stored rate; ``None`` when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise WinrateFileError(f"{path}: not JSON ({e})") from None
    if not isinstance(data, dict):
        raise WinrateFileError(f"{path}: expected a JSON object")
    return StoredWinrate.from_json(data, str(path))


def shipped() -> StoredWinrate | None:
    """The measurement shipped with the package (None if absent)."""
    ref = resources.files("accountbuilder.data") / FILE_NAME
    if not ref.is_file():
        return None
    return StoredWinrate.from_json(
        json.loads(ref.read_text(encoding="utf-8")), f"package {FILE_NAME}"
    )


@dataclass(frozen=True, slots=True)
class WinrateSource:
    winrate: Decimal | None
    source: str  # where it came from, for the status output


def resolve_winrate(config: AppConfig, store_path: str | Path) -> WinrateSource:
    """The D4 backtest win rate to use: beside the store, then config, then the shipped one."""
    path = beside_store(store_path)
    stored = load(path)
    if stored is not None:
        return WinrateSource(stored.winrate, f"{path}: {stored.describe()}")
    if config.runner.backtest_winrate is not None:
        rate = config.runner.backtest_winrate
        return WinrateSource(rate, f"runner_config.yaml backtest_winrate {rate}")
    packaged = shipped()
    if packaged is not None:
        return WinrateSource(packaged.winrate, f"shipped measurement: {packaged.describe()}")
    return WinrateSource(None, "none stored (run `accountbuilder backtest` first)")


def with_winrate(config: AppConfig, winrate: Decimal | None) -> AppConfig:
    """``config`` with ``runner.backtest_winrate`` set (the frozen models are copied)."""
    runner = config.runner.model_copy(update={"backtest_winrate": winrate})
    return config.model_copy(update={"runner": runner})
