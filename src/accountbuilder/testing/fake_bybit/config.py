"""Configuration of the fake Bybit: market filters, fees, starting account and API keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

BASE_PERMISSIONS: dict[str, list[str]] = {
    "ContractTrade": ["Order", "Position"],
    "Spot": [],
    "Wallet": ["AccountTransfer"],
    "Options": [],
    "Derivatives": ["DerivativesTrade"],
    "Exchange": [],
    "Earn": [],
}


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One API key the server accepts; ``withdraw`` adds ``Wallet: Withdraw`` to query-api."""

    key: str
    secret: str
    read_only: bool = False
    withdraw: bool = False

    def permissions(self) -> dict[str, list[str]]:
        """Return the ``permissions`` object of ``/v5/user/query-api`` for this key."""
        perms = {name: list(values) for name, values in BASE_PERMISSIONS.items()}
        if self.withdraw:
            perms["Wallet"].append("Withdraw")
        return perms


@dataclass(frozen=True, slots=True)
class FakeConfig:
    """Starting state of the fake exchange (BTCUSD inverse, UTA 2.0 account)."""

    api_keys: tuple[ApiKey, ...] = field(default_factory=tuple)
    price: Decimal = Decimal(60_000)
    wallet_btc: Decimal = Decimal("0.01")
    leverage: Decimal = Decimal(10)
    margin_mode: str = "REGULAR_MARGIN"  # UTA default; ISOLATED_MARGIN for SPEC C5
    maker_fee: Decimal = Decimal("0.0002")  # Bybit base rates; SPEC A3 defaults differ on purpose
    taker_fee: Decimal = Decimal("0.00055")
    mmr: Decimal = Decimal("0.005")
    funding_rate: Decimal = Decimal("0.0001")
    tick_size: Decimal = Decimal("0.5")
    min_qty: int = 1
    max_qty: int = 1_000_000
    recv_window_max_ms: int = 60_000
    # Whether a never-triggered inverse conditional shows Cancelled or Deactivated when
    # cancelled is [UNVERIFIED] (reference §4.8); choose per test.
    stop_cancel_status: str = "Cancelled"
