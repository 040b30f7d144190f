"""Parse an ``accountbuilder evaluate`` what-if input (a plain dict from YAML/JSON) into an
``EntryContext``. Pure: the caller reads the file and supplies ``now_ms``.

Every bad value raises ``WhatIfError`` naming the field, e.g.
``market.mark_price: -1 must be > 0``. Unknown keys are refused (typos would silently mean
"default"). See ``docs/risk.md`` for the format.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from accountbuilder.config.models import AppConfig
from accountbuilder.config.yaml_guard import quote
from accountbuilder.domain.enums import Liquidity, MainState, Side, Stage
from accountbuilder.domain.models import (
    DEFAULT_RISK_TIERS,
    AccountSnapshot,
    FeeRates,
    Instrument,
    MarketSnapshot,
    Position,
    RiskTier,
)
from accountbuilder.domain.reasons import ReasonCode
from accountbuilder.risk.account import stage_for
from accountbuilder.risk.antiflap import AntiFlap
from accountbuilder.risk.blocks import BLOCK_REASONS, Blocks
from accountbuilder.risk.context import EntryContext, EntrySignal
from accountbuilder.risk.fee_spike import HOUR_MS, FeeSpike
from accountbuilder.risk.state import RiskState
from accountbuilder.risk.streak import MAX_MULTIPLIER, MIN_MULTIPLIER, Streak
from accountbuilder.risk.targets import DAY_MS, Targets
from accountbuilder.risk.trades_per_day import DailyCounts, utc_day
from accountbuilder.risk.winrate import WinRate

SECTIONS = ("now_ms", "state", "position", "account", "market", "signal", "history", "fees")
_BLOCK_NAMES = {r.value.removeprefix("BLOCK_").lower(): r for r in BLOCK_REASONS}
_ABSENT = object()
# Magnitudes a what-if number may have: a satoshi fee rate is ~1e-8, a price ~1e6 (bad input
# beyond these would only overflow the arithmetic or mean a mistyped unit).
MIN_EXPONENT, MAX_EXPONENT = -12, 15
FRACTION_MAX = Decimal(1)  # spacing and ATR are fractions of the price: 0.03 is 3%


class WhatIfError(ValueError):
    """A bad what-if input value; ``field`` is its dotted path."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class _Section:
    """Typed reads from one mapping of the input, with errors that name ``path.key``."""

    def __init__(self, data: Any, path: str, allowed: tuple[str, ...]):
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise WhatIfError(path, f"must be a mapping, not {type(data).__name__}")
        unknown = sorted(set(map(str, data)) - set(allowed))
        if unknown:
            raise WhatIfError(
                f"{path}.{quote(unknown[0])[1:-1]}", f"unknown key (allowed: {', '.join(allowed)})"
            )
        self.data, self.path = data, path

    def raw(self, key: str) -> Any:
        return self.data.get(key, _ABSENT)

    def dec(
        self,
        key: str,
        default: Any = _ABSENT,
        *,
        gt: Decimal | int | None = None,
        ge: Decimal | int | None = None,
        le: Decimal | int | None = None,
    ) -> Any:
        """A Decimal (strings, ints and floats accepted; floats through ``repr``)."""
        value = self._required(key, default)
        if value is default:
            return value
        return _bounded(_to_decimal(value, self._name(key)), self._name(key), gt, ge, le)

    def int(self, key: str, default: Any = _ABSENT, *, ge: int | None = None) -> Any:
        value = self._required(key, default)
        if value is default:
            return value
        name = self._name(key)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise WhatIfError(name, f"{quote(value)} is not a whole number")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise WhatIfError(name, f"{quote(value)} is not a whole number") from None
        return _bounded(number, name, None, ge, None)

    def choice(self, key: str, choices: Mapping[str, Any], default: Any = _ABSENT) -> Any:
        value = self._required(key, default)
        if value is default:
            return value
        found = choices.get(str(value).strip().lower())
        if found is None:
            raise WhatIfError(self._name(key), f"{quote(value)} is not one of {', '.join(choices)}")
        return found

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise WhatIfError(self._name(key), f"{quote(value)} is not true or false")
        return value

    def section(self, key: str, allowed: tuple[str, ...], *, required: bool = False) -> _Section:
        """A nested mapping; absent or null reads as empty unless ``required``."""
        value = self.data.get(key)
        if value is None and required:
            raise WhatIfError(key, "is required")
        return _Section(value, key, allowed)

    def _required(self, key: str, default: Any) -> Any:
        """The raw value; absent or null gives ``default`` (an error when there is none)."""
        value = self.data.get(key)
        if value is None:
            if default is _ABSENT:
                raise WhatIfError(self._name(key), "is required")
            return default
        return value

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}"


def _to_decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise WhatIfError(name, f"{quote(value)} is not a number")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise WhatIfError(name, f"{quote(value)} is not a number") from None
    if not number.is_finite():
        raise WhatIfError(name, f"{quote(value)} is not a finite number")
    if number and not MIN_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        raise WhatIfError(
            name, f"{quote(value)} is out of range (1e{MIN_EXPONENT} to 1e{MAX_EXPONENT})"
        )
    return number


def _bounded(value: Any, name: str, gt: Any, ge: Any, le: Any) -> Any:
    if gt is not None and not value > gt:
        raise WhatIfError(name, f"{value} must be > {gt}")
    if ge is not None and not value >= ge:
        raise WhatIfError(name, f"{value} must be >= {ge}")
    if le is not None and not value <= le:
        raise WhatIfError(name, f"{value} must be <= {le}")
    return value


def _enum_choices(enum: Any) -> dict[str, Any]:
    return {m.value.lower(): m for m in enum}


def parse_whatif(data: Any, config: AppConfig, now_ms: int) -> EntryContext:
    """Build the ``EntryContext`` the gate chain would see for this what-if input."""
    top = _Section(data, "input", SECTIONS)
    now = top.int("now_ms", now_ms, ge=0)
    acc = top.section(
        "account", ("wallet_balance_btc", "unrealized_pnl_btc", "leverage"), required=True
    )
    account = AccountSnapshot(
        now, acc.dec("wallet_balance_btc", ge=0), acc.dec("unrealized_pnl_btc", Decimal(0))
    )
    leverage = acc.dec("leverage", Decimal(3), gt=0)
    market, instrument = _market(top, now)
    signal = _signal(top, market.mark_price)
    fees = _fees(top, config)
    state = top.section("state", ("main", "degraded"))
    main_state = state.choice("main", {m.value.lower(): m for m in MainState}, MainState.FLAT)
    equity_usd = account.equity_btc * market.mark_price
    return EntryContext(
        now_ms=now,
        account=account,
        market=market,
        instrument=instrument,
        fees=fees,
        signal=signal,
        risk_state=_history(top, config, now),
        config=config,
        main_state=main_state,
        position=_position(top, equity_usd, leverage, now),
        leverage_in_force=leverage,
        degraded=state.flag("degraded", False),
    )


def _market(top: _Section, now: int) -> tuple[MarketSnapshot, Instrument]:
    keys = (
        "mark_price", "atr_pct_24h", "tick_size", "qty_step", "min_qty", "max_qty",
        "maintenance_margin_rate", "mm_deduction_btc", "ts_ms",
    )  # fmt: skip
    m = top.section("market", keys, required=True)
    base = Instrument()
    mark = m.dec("mark_price", gt=0)
    snapshot = MarketSnapshot(
        m.int("ts_ms", now, ge=0), mark, None, m.dec("atr_pct_24h", None, ge=0, le=FRACTION_MAX)
    )
    max_qty = m.int("max_qty", base.max_qty, ge=1)
    default_mmr = DEFAULT_RISK_TIERS[0].maintenance_margin_rate
    tiers: tuple[RiskTier, ...] = ()
    if m.raw("maintenance_margin_rate") is not None:  # an explicit null: no estimate (C6)
        mmr = m.dec("maintenance_margin_rate", default_mmr, ge=0, le=Decimal("0.5"))
        deduction = m.dec("mm_deduction_btc", Decimal(0), ge=0)
        tiers = (RiskTier(max_qty, mmr, mmr * 2, Decimal(100), deduction),)
    instrument = Instrument(
        tick_size=m.dec("tick_size", base.tick_size, gt=0),
        qty_step=m.int("qty_step", base.qty_step, ge=1),
        min_qty=m.int("min_qty", base.min_qty, ge=1),
        max_qty=max_qty,
        risk_tiers=tiers,
    )
    return snapshot, instrument


def _signal(top: _Section, mark: Decimal) -> EntrySignal:
    keys = (
        "side",
        "entry_price",
        "grid_spacing_pct",
        "take_profit_price",
        "order_type",
        "maker_timeouts",
    )
    s = top.section("signal", keys, required=True)
    return EntrySignal(
        side=s.choice("side", _enum_choices(Side)),
        entry_price=s.dec("entry_price", mark, gt=0),
        # <= 0 is C1's refusal, not bad input; above 1 (100%) is a percent typed as a fraction
        grid_spacing_pct=s.dec("grid_spacing_pct", None, le=FRACTION_MAX),
        take_profit_price=s.dec("take_profit_price", None, gt=0),
        liquidity=s.choice("order_type", _enum_choices(Liquidity), Liquidity.MAKER),
        maker_timeouts=s.int("maker_timeouts", 0, ge=0),
    )


def _fees(top: _Section, config: AppConfig) -> FeeRates:
    f = top.section("fees", ("maker", "taker"))
    maker = f.dec("maker", config.risk.maker_fee, ge=Decimal("-0.001"), le=Decimal("0.01"))
    return FeeRates(maker, f.dec("taker", config.risk.taker_fee, ge=0, le=Decimal("0.01")))


def _position(top: _Section, equity_usd: Decimal, leverage: Decimal, now: int) -> Position | None:
    if top.raw("position") in (_ABSENT, None):
        return None
    p = top.section("position", ("side", "contracts", "entry_price"))
    return Position(
        side=p.choice("side", _enum_choices(Side)),
        contracts=p.int("contracts", ge=1),
        entry_price=p.dec("entry_price", gt=0),
        entry_stage=stage_for(equity_usd),
        leverage=leverage,
        opened_ts_ms=now,
    )


_HISTORY_KEYS = (
    "closed_trades", "backtest_winrate", "trades_today", "taker_entries_today",
    "stage_changes_last_hour", "last_stage", "size_multiplier", "blocks",
    "fee_spike_hours_left", "account_age_days", "peak_equity_usd",
)  # fmt: skip


def _history(top: _Section, config: AppConfig, now: int) -> RiskState:
    h = top.section("history", _HISTORY_KEYS)
    backtest = h.dec("backtest_winrate", config.runner.backtest_winrate, ge=0, le=1)
    winrate = WinRate(backtest_winrate=backtest)
    for i, item in enumerate(_list(h, "closed_trades")):
        winrate = winrate.on_trade_closed(_trade_pnl(item, f"history.closed_trades[{i}]"))
    changes = h.int("stage_changes_last_hour", 0, ge=0)
    last = h.choice("last_stage", _enum_choices(Stage), None)
    hours = h.dec("fee_spike_hours_left", Decimal(0), ge=0)
    age_days = h.dec("account_age_days", Decimal(0), ge=0)
    start = now - int(age_days * DAY_MS)
    return RiskState(
        winrate=winrate,
        streak=Streak(
            h.dec("size_multiplier", MAX_MULTIPLIER, ge=MIN_MULTIPLIER, le=MAX_MULTIPLIER)
        ),
        antiflap=AntiFlap(last, tuple(now - 1000 * (i + 1) for i in range(changes))),
        daily=DailyCounts(
            utc_day(now), h.int("trades_today", 0, ge=0), h.int("taker_entries_today", 0, ge=0)
        ),
        fee_spike=FeeSpike(now + int(hours * HOUR_MS)) if hours > 0 else FeeSpike(),
        blocks=_blocks(h, now),
        targets=Targets(start, h.dec("peak_equity_usd", Decimal(0), ge=0)),
    )


def _list(section: _Section, key: str) -> list[Any]:
    value = section.raw(key)
    if value is _ABSENT or value is None:
        return []
    if not isinstance(value, list):
        raise WhatIfError(f"{section.path}.{key}", "must be a list")
    return value


def _trade_pnl(item: Any, name: str) -> Decimal:
    """A closed trade: its PnL after fees in BTC, or the word win / loss (H1)."""
    if isinstance(item, str) and item.strip().lower() in ("win", "loss"):
        return Decimal(1) if item.strip().lower() == "win" else Decimal(-1)
    return _to_decimal(item, name)


def _blocks(h: _Section, now: int) -> Blocks:
    blocks = Blocks()
    for i, item in enumerate(_list(h, "blocks")):
        b = _Section(item, f"history.blocks[{i}]", ("reason", "minutes_left"))
        reason: ReasonCode = b.choice("reason", _BLOCK_NAMES)
        minutes = b.dec("minutes_left", gt=0)
        blocks = blocks.add(reason, now + int(minutes * 60_000))
    return blocks
