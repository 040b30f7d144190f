"""Account-level figures: equity (A1), stage (B1), leverage (B3) and the loss budget (B4)."""

from __future__ import annotations

from decimal import Decimal

from accountbuilder.config.models import StageRules
from accountbuilder.constants import LEVERAGE_CAP, STAGE2_FROM_USD, STAGE3_FROM_USD
from accountbuilder.domain.enums import Stage
from accountbuilder.domain.models import AccountSnapshot
from accountbuilder.domain.reasons import Denial, ReasonCode

TWO_X = Decimal(2)


def equity_btc(account: AccountSnapshot) -> Decimal:
    """A1: ``wallet_balance_btc + unrealized_pnl_btc``."""
    return account.wallet_balance_btc + account.unrealized_pnl_btc


def equity_usd(equity_btc_: Decimal, mark_price: Decimal) -> Decimal:
    """A1: ``equity_btc × mark_price``."""
    return equity_btc_ * mark_price


def stage_for(equity_usd_: Decimal) -> Stage:
    """B1: S1 below $300, S2 from $300 to below $700, S3 from $700."""
    if equity_usd_ >= STAGE3_FROM_USD:
        return Stage.S3
    if equity_usd_ >= STAGE2_FROM_USD:
        return Stage.S2
    return Stage.S1


def max_loss_btc(equity_btc_: Decimal, mark_price: Decimal, rules: StageRules) -> Decimal:
    """B4: ``min(equity_btc × pct_cap, usd_loss_cap / mark_price)``."""
    return min(equity_btc_ * rules.pct_cap, rules.usd_loss_cap / mark_price)


def check_leverage_request(requested: Decimal, in_force: Decimal) -> Denial | None:
    """B3: refuse any leverage above the cap of 3 or above the leverage in force."""
    if requested > LEVERAGE_CAP:
        return Denial(ReasonCode.LEVERAGE_ABOVE_CAP, {"requested": requested, "cap": LEVERAGE_CAP})
    if requested > in_force:
        return Denial(ReasonCode.LEVERAGE_INCREASE, {"requested": requested, "in_force": in_force})
    return None


def entry_leverage(
    rules: StageRules, equity_usd_: Decimal, in_force: Decimal, two_x_above_usd: Decimal
) -> Decimal | Denial:
    """B3: the leverage of a new entry.

    The stage's leverage, at most 2x when ``equity_usd > two_x_above_usd``, never above the
    leverage in force (it may only go down) and never above the cap of 3. A leverage in force
    above the cap, or not positive, is refused.
    """
    if in_force <= 0:
        return Denial(ReasonCode.INVALID_INPUT, {"leverage_in_force": in_force})
    if in_force > LEVERAGE_CAP:
        return Denial(ReasonCode.LEVERAGE_ABOVE_CAP, {"in_force": in_force, "cap": LEVERAGE_CAP})
    wanted = rules.leverage
    if equity_usd_ > two_x_above_usd:
        wanted = min(wanted, TWO_X)
    return min(wanted, in_force, LEVERAGE_CAP)
