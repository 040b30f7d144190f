"""Settings of the simulated exchange (fill model, fees, funding, latency, event pacing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from accountbuilder.domain.enums import MarginMode
from accountbuilder.domain.models import FeeRates, Instrument

FUNDING_INTERVAL_MS = 8 * 3_600_000  # BTCUSD fundingInterval 480 min: 00/08/16 UTC
MAX_LEVERAGE = Decimal(100)


@dataclass(frozen=True, slots=True)
class SimConfig:
    """How the simulator fills, charges and reports. Every default is Bybit-like.

    - ``require_trade_through_ticks``: 0 fills a resting limit when the path trades strictly
      through its price; N ≥ 1 demands a trade at least N ticks beyond it (queue position).
    - ``participation``: ``None`` fills resting limits in full; a fraction caps the contracts
      filled per candle at ``participation × volume_btc × price`` (volume is in BTC).
    - ``market_slippage_ticks``: market fills (orders, triggered stops) this many ticks worse.
    - ``funding_rate`` per 8 h interval; ``funding_rates`` maps a funding time (ms) to its rate.
    - ``ack_latency_ms``: REST round trip recorded per call; ``event_latency_ms``: WS delay
      (``local_ts = exchange_ts + latency``).
    - ``market_events_every``: emit ``MarkPriceUpdated`` + minute ``CandleClosed`` every N
      candles (1 = every candle); 0 = only on demand (``emit_market_event``).
    - ``daily_candles``: emit ``CandleClosed(interval="D")`` at each UTC day end.
    - ``skip_quiet_candles``: jump over candles that cannot touch anything (numpy search);
      ``False`` processes every candle (same results, slower; for checking).
    """

    instrument: Instrument = field(default_factory=Instrument)
    fees: FeeRates = field(default_factory=FeeRates)
    start_balance_btc: Decimal = Decimal("0.002")
    leverage: Decimal = Decimal(3)
    margin_mode: MarginMode = MarginMode.ISOLATED
    one_way: bool = True
    funding_rate: Decimal = Decimal("0.0001")
    funding_rates: Mapping[int, Decimal] = field(default_factory=dict)
    require_trade_through_ticks: int = 0
    participation: float | None = None
    market_slippage_ticks: int = 0
    ack_latency_ms: int = 0
    event_latency_ms: int = 0
    market_events_every: int = 1
    daily_candles: bool = True
    skip_quiet_candles: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "funding_rates", MappingProxyType(dict(self.funding_rates)))
        if self.start_balance_btc < 0:
            raise ValueError(f"start_balance_btc must be >= 0, got {self.start_balance_btc}")
        if not Decimal(1) <= self.leverage <= MAX_LEVERAGE:
            raise ValueError(f"leverage must be in 1..100, got {self.leverage}")
        if self.participation is not None and not 0 < self.participation <= 1:
            raise ValueError(f"participation must be in (0, 1], got {self.participation}")
        for name in (
            "require_trade_through_ticks",
            "market_slippage_ticks",
            "ack_latency_ms",
            "event_latency_ms",
            "market_events_every",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    def funding_rate_at(self, ts_ms: int) -> Decimal:
        """The rate charged at funding time ``ts_ms``."""
        return self.funding_rates.get(ts_ms, self.funding_rate)
