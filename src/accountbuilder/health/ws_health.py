"""F2/F3: WS health of one connection, DEGRADED mode with hysteresis, and its timers.

Unhealthy (F2 defaults): nothing at all (message or pong) for 30 s, or 3 dropped events within
5 min (a reconnect, or a change found by REST that WS never delivered). Before the first
message the connection counts as unhealthy too: a tracker starts in DEGRADED.

Hysteresis (our choice, SPEC leaves it open): DEGRADED is entered at once; it is left only after
``recovery_ms`` (30 s) of clean traffic, that is 30 s during which the stream was never silent
for the timeout, the drop count stayed below the limit and no new drop came. A drop restarts
the clean period even when the count is below the limit. As the silence timeout equals the
clean period, at least one more message must arrive inside it.

While DEGRADED with a position open, ``reconcile_due`` asks for a REST reconcile every 1 s
(F3, inside the F1 budget). DEGRADED for 60 s in a row sets ``halt_due`` (HALT temporary,
``WS_DEGRADED_TIMEOUT``); that halt recovers like E4 once WS has been healthy for 5 minutes,
because ``EmergencyChecker`` counts a tick as calm only while WS is healthy.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from accountbuilder.config.models import EmergencyConfig
from accountbuilder.domain.reasons import Denial, ReasonCode

WS_RECOVERY_MS = 30_000  # hysteresis: clean traffic needed to leave DEGRADED (our choice)
DEGRADED_HALT_MS = 60_000  # SPEC F3: DEGRADED this long in a row -> HALT (temporary)
RECONCILE_INTERVAL_MS = 1_000  # SPEC F3: REST reconcile every 1 s while DEGRADED, position open
GAP_RECONCILES = 3  # after a dropped event: 3 reconciles 1 s apart, so F5 can act on a mismatch


class WsMode(StrEnum):
    NORMAL = "normal"
    DEGRADED = "degraded"


@dataclass(frozen=True, slots=True)
class WsStatus:
    """The connection's mode at ``now_ms`` and the figures behind it."""

    now_ms: int
    mode: WsMode
    causes: tuple[str, ...] = ()  # "no_traffic_yet", "silence", "drops" (empty when clean)
    degraded_since_ms: int | None = None
    healthy_since_ms: int | None = None
    clean_since_ms: int | None = None
    silent_ms: int | None = None
    drops_in_window: int = 0

    @property
    def healthy(self) -> bool:
        return self.mode is WsMode.NORMAL

    @property
    def degraded_for_ms(self) -> int:
        if self.degraded_since_ms is None:
            return 0
        return self.now_ms - self.degraded_since_ms

    @property
    def halt_due(self) -> bool:
        """F3: DEGRADED for 60 s in a row."""
        return self.mode is WsMode.DEGRADED and self.degraded_for_ms >= DEGRADED_HALT_MS

    def entry_denial(self) -> Denial | None:
        """F3: no new entries while DEGRADED."""
        if self.healthy:
            return None
        return Denial(ReasonCode.DEGRADED_MODE, self.figures())

    def figures(self) -> dict[str, object]:
        return {
            "mode": self.mode.value,
            "causes": ",".join(self.causes),
            "degraded_for_ms": self.degraded_for_ms,
            "silent_ms": self.silent_ms,
            "drops_in_window": self.drops_in_window,
        }


class WsHealth:
    """Health of one WS connection, fed with its traffic; starts DEGRADED at ``start_ms``."""

    def __init__(
        self,
        start_ms: int,
        *,
        ping_ms: int = 20_000,
        timeout_ms: int = 30_000,
        drops_max: int = 3,
        drops_window_ms: int = 300_000,
        recovery_ms: int = WS_RECOVERY_MS,
    ) -> None:
        self.ping_ms, self.timeout_ms, self.recovery_ms = ping_ms, timeout_ms, recovery_ms
        self.drops_max, self.drops_window_ms = drops_max, drops_window_ms
        self._mode = WsMode.DEGRADED
        self._causes: tuple[str, ...] = ("no_traffic_yet",)
        self._degraded_since: int | None = start_ms
        self._healthy_since: int | None = None
        self._clean_since: int | None = None
        self._last_rx: int | None = None
        self._last_ping: int | None = None
        self._last_reconcile: int | None = None
        self._gap_reconciles = 0
        self._drops: deque[int] = deque()

    @classmethod
    def from_config(cls, config: EmergencyConfig, start_ms: int) -> WsHealth:
        """Timers from ``emergency_config.yaml`` (F2 defaults, tighten-only there)."""
        return cls(
            start_ms,
            ping_ms=config.ws_ping_s * 1000,
            timeout_ms=config.ws_timeout_s * 1000,
            drops_max=config.ws_drops_max,
            drops_window_ms=config.ws_drops_window_s * 1000,
        )

    # --- traffic ---------------------------------------------------------------------------
    def on_message(self, now_ms: int) -> None:
        """Any message on the connection (data, ack or pong) ends a silence."""
        self._update(now_ms)  # a silence that ends with this message still counts
        self._last_rx = now_ms if self._last_rx is None else max(self._last_rx, now_ms)
        self._update(now_ms)

    on_pong = on_message

    def on_drop(self, now_ms: int) -> None:
        """A dropped event: a reconnect, or a change REST found that WS never delivered.

        Events may have been lost in the gap: the next ``GAP_RECONCILES`` ticks (1 s apart)
        reconcile by REST, so a missing stop is found at once and another mismatch after
        F5's three confirmations.
        """
        self._drops.append(now_ms)
        self._clean_since = None
        self._gap_reconciles = GAP_RECONCILES
        self._update(now_ms)

    def on_ping_sent(self, now_ms: int) -> None:
        self._last_ping = now_ms

    def on_reconcile(self, now_ms: int) -> None:
        """A REST reconcile was asked for (F3 paces them 1 s apart)."""
        self._last_reconcile = now_ms

    def on_snapshot(self) -> None:
        """A reconcile's answer arrived: one of the gap's reconciles is done (a failed or
        rate-limited one is asked again 1 s later)."""
        self._gap_reconciles = max(self._gap_reconciles - 1, 0)

    # --- questions -------------------------------------------------------------------------
    def ping_due(self, now_ms: int) -> bool:
        """F2: a ping every ``ping_ms`` (20 s)."""
        return now_ms >= self.next_ping_ms(now_ms)

    def next_ping_ms(self, now_ms: int) -> int:
        return now_ms if self._last_ping is None else self._last_ping + self.ping_ms

    def reconcile_due(self, now_ms: int, position_open: bool) -> bool:
        """F3: while DEGRADED with a position open, a REST reconcile every 1 s; after a gap,
        ``GAP_RECONCILES`` of them whatever the position."""
        self._update(now_ms)
        degraded = self._mode is WsMode.DEGRADED and position_open
        if not (degraded or self._gap_reconciles):
            return False
        last = self._last_reconcile
        return last is None or now_ms - last >= RECONCILE_INTERVAL_MS

    def status(self, now_ms: int) -> WsStatus:
        self._update(now_ms)
        return WsStatus(
            now_ms=now_ms,
            mode=self._mode,
            causes=self._causes,
            degraded_since_ms=self._degraded_since,
            healthy_since_ms=self._healthy_since,
            clean_since_ms=self._clean_since,
            silent_ms=None if self._last_rx is None else now_ms - self._last_rx,
            drops_in_window=len(self._drops),
        )

    # --- the rule --------------------------------------------------------------------------
    def _unhealthy_causes(self, now_ms: int) -> tuple[tuple[str, ...], int]:
        """The causes that hold at ``now_ms`` and the earliest time they started to hold."""
        while self._drops and self._drops[0] < now_ms - self.drops_window_ms:
            self._drops.popleft()
        causes: list[str] = []
        onset = now_ms
        if self._last_rx is None:
            causes.append("no_traffic_yet")
        elif now_ms - self._last_rx >= self.timeout_ms:
            causes.append("silence")
            onset = min(onset, self._last_rx + self.timeout_ms)
        if len(self._drops) >= self.drops_max:
            causes.append("drops")
        return tuple(causes), onset

    def _update(self, now_ms: int) -> None:
        causes, onset = self._unhealthy_causes(now_ms)
        if causes:
            if self._mode is WsMode.NORMAL:
                self._mode, self._degraded_since, self._healthy_since = WsMode.DEGRADED, onset, None
            self._causes, self._clean_since = causes, None
            return
        self._causes = ()
        if self._mode is WsMode.NORMAL:
            return
        if self._clean_since is None:
            self._clean_since = now_ms
        elif now_ms - self._clean_since >= self.recovery_ms:
            self._mode, self._degraded_since = WsMode.NORMAL, None
            self._healthy_since = self._clean_since + self.recovery_ms
