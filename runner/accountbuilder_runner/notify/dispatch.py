"""Send notices off the tick path: a bounded queue drained by one background thread.

``submit`` never blocks and never raises: a full queue drops the notice and counts it. The
thread sends each notice to every URL, retrying only the URLs that failed
(``retries`` more tries, ``retry_delay_s`` doubled each time). A sender that raises or hangs
never reaches the trading loop: the thread is a daemon, and ``close`` waits at most
``flush_timeout_s`` for the queue to empty, counting what is left as dropped.

Counts (``stats``): ``sent`` notices every URL took; ``dropped`` notices some URL never got,
with the cause: ``queue_full``, ``send_failed`` (after the retries) or ``at_stop``.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from loguru import logger

from accountbuilder_runner.notify.notices import Notice
from accountbuilder_runner.notify.senders import Sender

POLL_S = 0.05  # how often an idle thread looks for ``close``


@dataclass(frozen=True, slots=True)
class Delivery:
    """How hard the thread tries (from ``notify_config.yaml``)."""

    queue_size: int = 100
    retries: int = 2
    retry_delay_s: float = 2.0
    flush_timeout_s: float = 10.0


class Dispatcher:
    """The queue and its thread; ``start`` once, ``submit`` from the loop, ``close`` at stop."""

    def __init__(self, senders: Sequence[Sender], delivery: Delivery = Delivery()):
        self.senders, self.delivery = list(senders), delivery
        self._queue: queue.Queue[Notice] = queue.Queue(maxsize=delivery.queue_size)
        self._closing, self._abort = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._in_flight = False
        self._thread = threading.Thread(target=self._drain, name="notify", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, notice: Notice) -> bool:
        """Queue ``notice``; False (and counted as dropped) when the queue is full or closed."""
        if self._closing.is_set():
            self._count("at_stop")
            return False
        try:
            self._queue.put_nowait(notice)
        except queue.Full:
            self._count("queue_full")
            return False
        return True

    def close(self) -> None:
        """Let the queue drain for up to ``flush_timeout_s``; what is left counts as dropped."""
        self._closing.set()
        if self._thread.is_alive():
            self._thread.join(self.delivery.flush_timeout_s)
        self._abort.set()  # a thread still sending stops after its current try
        with self._lock:
            left = self._queue.qsize() + int(self._in_flight)
            self._counts["at_stop"] += left
            self._in_flight = False
        while not self._queue.empty():
            self._queue.get_nowait()

    def stats(self) -> dict[str, object]:
        with self._lock:
            causes = {k: v for k, v in self._counts.items() if k != "sent" and v}
            return {
                "urls": len(self.senders),
                "sent": self._counts["sent"],
                "dropped": sum(causes.values()),
                "dropped_by_cause": dict(sorted(causes.items())),
                "queued": self._queue.qsize(),
            }

    # ------------------------------------------------------------------------- the thread
    def _drain(self) -> None:
        while not self._abort.is_set():
            try:
                notice = self._queue.get(timeout=POLL_S)
            except queue.Empty:
                if self._closing.is_set():
                    return
                continue
            with self._lock:
                self._in_flight = True
            delivered = self._deliver(notice)
            with self._lock:
                if self._in_flight:  # close() has not counted it as dropped already
                    self._counts["sent" if delivered else "send_failed"] += 1
                self._in_flight = False

    def _deliver(self, notice: Notice) -> bool:
        pending, delay = list(self.senders), self.delivery.retry_delay_s
        for attempt in range(self.delivery.retries + 1):
            pending = [s for s in pending if not self._try(s, notice, attempt)]
            if not pending or self._abort.is_set():
                break
            if attempt < self.delivery.retries and self._abort.wait(delay):
                break
            delay *= 2
        for sender in pending:
            logger.warning("notify: {} did not take {!r}; dropped", sender.label, notice.title)
        return not pending

    def _try(self, sender: Sender, notice: Notice, attempt: int) -> bool:
        try:
            if sender.send(notice):
                return True
            why = "refused or unreachable"
        except Exception as e:  # a notifier never crashes trading; its text may hold the URL
            why = f"raised {type(e).__name__}"
        tries = self.delivery.retries + 1
        logger.info("notify: {} {} (try {} of {})", sender.label, why, attempt + 1, tries)
        return False

    def _count(self, cause: str) -> None:
        with self._lock:
            self._counts[cause] += 1
