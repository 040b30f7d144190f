"""The account checks at start, shared by live and dry runs (SPEC F7, C5, B3).

One-way mode is verified from the position rows (inverse is one-way: never switched); the
margin mode is set only with nothing open; the leverage in force only ever goes down.
"""

from __future__ import annotations

from decimal import Decimal

from loguru import logger

from accountbuilder.config.models import AppConfig
from accountbuilder.constants import LEVERAGE_CAP
from accountbuilder.exchange import errors as port_errors
from accountbuilder.exchange.port import ExchangePort
from accountbuilder_runner.start_guard import StartRefused

HEDGE_MODE = (
    "BTCUSD inverse is in hedge mode (position rows with positionIdx 1/2); the bot trades "
    "one-way only (SPEC F7) and never switches the mode itself. On Bybit, close the BTCUSD "
    "position and orders, set BTCUSD (inverse) to one-way mode (Derivatives > Settings > "
    "Position mode), then start again"
)


async def prepare_account(port: ExchangePort, config: AppConfig, saved: dict | None) -> Decimal:
    """F7, C5, B3 at start; return the leverage the session may use (never above the cap)."""
    settings = await port.fetch_settings()
    if not settings.one_way:
        raise StartRefused(HEDGE_MODE)  # inverse is one-way: verified, never switched
    position = await port.fetch_position()
    nothing_open = not position.is_open and not await port.fetch_open_orders()
    wanted = config.risk.margin_mode
    if settings.margin_mode is not wanted:
        said = f"margin mode is {settings.margin_mode.value} but the config asks for {wanted.value}"
        if not nothing_open:
            raise StartRefused(f"{said}; it can only be changed with nothing open (SPEC C5)")
        try:
            await port.set_margin_mode(wanted)
        except port_errors.MarginModeRefused as e:
            raise StartRefused(f"{said}; {e}") from e
    return await _leverage_down(port, config, saved, settings.leverage)


async def _leverage_down(
    port: ExchangePort, config: AppConfig, saved: dict | None, on_exchange: Decimal
) -> Decimal:
    """B3: the leverage in force only goes down; a config asking for more is refused (kept)."""
    asked = config.stage.stages.s1.leverage
    in_force = Decimal(saved["leverage_in_force"]) if saved else min(asked, LEVERAGE_CAP)
    if asked > in_force:
        logger.warning(
            "config asks for {}x but {}x is in force; leverage is never increased (B3)",
            asked,
            in_force,
        )
    target = min(in_force, asked, LEVERAGE_CAP)
    if on_exchange > target:
        await port.set_leverage(target)
        return target
    return min(target, on_exchange) if on_exchange >= 1 else target
