"""Enumerations of the trading domain (SPEC's words)."""

from __future__ import annotations

from enum import Enum, StrEnum


class Side(StrEnum):
    """Direction of a position or of an entry signal."""

    LONG = "long"
    SHORT = "short"

    @property
    def opposite(self) -> Side:
        return Side.SHORT if self is Side.LONG else Side.LONG

    @property
    def entry_order_side(self) -> OrderSide:
        return OrderSide.BUY if self is Side.LONG else OrderSide.SELL

    @property
    def exit_order_side(self) -> OrderSide:
        return OrderSide.SELL if self is Side.LONG else OrderSide.BUY

    @property
    def sign(self) -> int:
        return 1 if self is Side.LONG else -1


class OrderSide(StrEnum):
    """Bybit's order side."""

    BUY = "Buy"
    SELL = "Sell"


class Stage(StrEnum):
    """Account stage by USD equity (SPEC B1)."""

    S1 = "s1"
    S2 = "s2"
    S3 = "s3"


class MakerPolicy(StrEnum):
    """How an entry may take liquidity (SPEC B2, D3)."""

    ENFORCED = "enforced"
    PREFERRED = "preferred"


class OrderType(StrEnum):
    LIMIT = "Limit"
    MARKET = "Market"


class TimeInForce(StrEnum):
    GTC = "GTC"
    POST_ONLY = "PostOnly"
    IOC = "IOC"


class OrderRole(StrEnum):
    """What an order is for; the value is the client-id suffix code (SPEC G1)."""

    ENTRY = "en"
    TAKER_ENTRY = "tk"
    STOP = "sl"
    TAKE_PROFIT = "tp"
    CLOSE = "cl"

    @property
    def is_protective(self) -> bool:
        """Protective calls draw on the reserved REST budget (SPEC F1)."""
        return self in (OrderRole.STOP, OrderRole.CLOSE)


class OrderStatus(StrEnum):
    """Bybit V5 order status."""

    NEW = "New"
    PARTIALLY_FILLED = "PartiallyFilled"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    PARTIALLY_FILLED_CANCELED = "PartiallyFilledCanceled"
    REJECTED = "Rejected"
    UNTRIGGERED = "Untriggered"
    TRIGGERED = "Triggered"
    DEACTIVATED = "Deactivated"

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.UNTRIGGERED)

    @property
    def is_final(self) -> bool:
        return not self.is_open and self is not OrderStatus.TRIGGERED


class TriggerDirection(int, Enum):
    """Bybit ``triggerDirection``: 1 fires when price rises to it, 2 when it falls to it."""

    RISING = 1
    FALLING = 2

    @classmethod
    def for_stop(cls, side: Side) -> TriggerDirection:
        """A long's stop fires on a fall, a short's on a rise (SPEC G6)."""
        return cls.FALLING if side is Side.LONG else cls.RISING


class TriggerBy(StrEnum):
    MARK_PRICE = "MarkPrice"
    LAST_PRICE = "LastPrice"
    INDEX_PRICE = "IndexPrice"


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


class MarginMode(StrEnum):
    ISOLATED = "isolated"
    CROSS = "cross"


class HaltKind(StrEnum):
    """Temporary halts recover by E4; manual ones only by a recorded reset (SPEC E5)."""

    TEMPORARY = "temporary"
    MANUAL = "manual"


class MainState(StrEnum):
    """States of the main trading machine."""

    FLAT = "FLAT"
    ENTRY_PENDING = "ENTRY_PENDING"
    IN_POSITION = "IN_POSITION"
    EXIT_PENDING = "EXIT_PENDING"
    HALT = "HALT"
    COOLDOWN = "COOLDOWN"


class StopStatus(StrEnum):
    """States of the stop_status sub-machine (SPEC G8); NO_POSITION while flat."""

    NO_POSITION = "NO_POSITION"
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    MISSING = "MISSING"
    ERROR = "ERROR"
    CLOSING = "CLOSING"  # a reduce-only close is under way (G6 wrong side, G8 10-second rule)


class ExitReason(StrEnum):
    TAKE_PROFIT = "take_profit"
    STOP = "stop"
    CLOSE = "close"
    LIQUIDATION = "liquidation"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    """Account outcome (SPEC H2, E5)."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    HALTED = "HALTED"
    RUNNING = "RUNNING"
