"""Configuration of the fake Bybit: market filters, fees, starting account and API keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# A key made with only "Contract: Orders, Positions" (what the bot asks users to create).
TRADE_ONLY_PERMISSIONS: dict[str, list[str]] = {
    "ContractTrade": ["Order", "Position"],
    "Spot": [],
    "Wallet": [],
    "Options": [],
    "Derivatives": [],
    "CopyTrading": [],
    "BlockTrade": [],
    "Exchange": [],
    "NFT": [],
    "Affiliate": [],
    "Earn": [],
}


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One API key the server accepts, trade-only by default.

    ``withdraw`` adds ``Wallet: Withdraw``; ``extra`` adds any ``(group, permission)`` pairs,
    e.g. ``(("Wallet", "SubMemberTransfer"),)``; ``read_only`` makes every POST answer 10005.
    """

    key: str
    secret: str
    read_only: bool = False
    withdraw: bool = False
    extra: tuple[tuple[str, str], ...] = ()

    def permissions(self) -> dict[str, list[str]]:
        """Return the ``permissions`` object of ``/v5/user/query-api`` for this key."""
        perms = {name: list(values) for name, values in TRADE_ONLY_PERMISSIONS.items()}
        if self.withdraw:
            perms["Wallet"].append("Withdraw")
        for group, permission in self.extra:
            perms.setdefault(group, []).append(permission)
        return perms


@dataclass(frozen=True, slots=True)
class OtherPosition:
    """A position of the same account outside BTCUSD inverse (shown by ``position/list``)."""

    category: str  # "linear", "inverse", "option"
    symbol: str
    side: str
    size: Decimal
    settle_coin: str = "USDT"


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
    unified_margin_status: int = 6  # account/info: 5/6 UTA 2.0, 3/4 UTA 1.0, 1 classic
    position_mode: str = "one-way"  # "hedge": BTCUSD rows with positionIdx 1 and 2
    other_coins: tuple[tuple[str, Decimal], ...] = ()  # e.g. (("USDT", Decimal(500)),)
    other_positions: tuple[OtherPosition, ...] = ()
    stream_delay_ms: int = 0  # private frames sent this long after the change (async processing)
    # Immediate liquidity as (offset from last, contracts) levels; None: unlimited at last.
    taker_ladder: tuple[tuple[Decimal, int], ...] | None = None
    market_band: Decimal = Decimal("0.01")  # a market order fills within mark × (1 ± band)
    limit_band: Decimal = Decimal("0.02")  # a buy above mark × (1 + band) → 110003 (sell mirror)
    max_conditional_orders: int = 10  # an 11th untriggered conditional order → 110009
