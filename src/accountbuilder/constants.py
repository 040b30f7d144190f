"""Invariants no configuration may change (SPEC B1, B3, G1, G8, H2, H3, E1, F1).

Config files may tighten the rules that SPEC marks as defaults, within the bounds below;
they can never loosen these.
"""

from __future__ import annotations

from decimal import Decimal

# H3 / E5: equity below this is a manual HALT.
HARD_STOP_EQUITY_USD = Decimal(80)
# B3: leverage is never above this and never increased over the account's life.
LEVERAGE_CAP = Decimal(3)
# B1: stage thresholds by USD equity at entry time.
STAGE2_FROM_USD = Decimal(300)
STAGE3_FROM_USD = Decimal(700)
# H2: targets and deadlines.
SUCCESS_EQUITY_USD = Decimal(1000)
REVIEW_EQUITY_USD = Decimal(200)
REVIEW_AFTER_DAYS = 365  # 12 months
FAILURE_AFTER_DAYS = 548  # 18 months (365 * 1.5, rounded up)
# E1: the loosest emergency thresholds config may set (it may only tighten them).
E1_DROP_1M_LIMIT = Decimal("-0.10")
E1_DROP_5M_LIMIT = Decimal("-0.20")
# E4: loosest recovery bounds.
E4_CALM_1M_LIMIT = Decimal("-0.05")
E4_CALM_5M_LIMIT = Decimal("-0.10")
# F1: REST calls in any rolling 60 s, all endpoints together.
REST_BUDGET_MAX_CALLS = 90
REST_BUDGET_WINDOW_MS = 60_000
# G1: Bybit orderLinkId limit and alphabet.
CLIENT_ID_MAX_LEN = 36
CLIENT_ID_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# G8: a position without an ACTIVE stop for longer than this is closed and HALTed (manual).
STOP_MISSING_MAX_MS = 10_000
# A2: contract size of BTCUSD in USD.
CONTRACT_VALUE_USD = 1
# C5: the least liquidation gate SPEC allows (multiple of stop distance, absolute floor).
LIQ_MULTIPLE_MIN = Decimal(2)
LIQ_FLOOR_MIN = Decimal("0.10")
