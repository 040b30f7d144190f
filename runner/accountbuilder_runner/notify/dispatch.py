"""Send notices off the tick path: per URL, a bounded queue drained by a background thread.

``submit`` never blocks and never raises: a full queue drops the notice and counts it. Each
URL has its own queue and thread, so a dead or slow service delays only itself; a failed send
is retried ``retries`` more times, ``retry_delay_s`` apart, doubled each time. A sender that
raises or hangs never reaches the trading loop: the threads are daemons, and ``close`` waits
at most ``flush_timeout_s`` in all for the queues to empty, counting what is left as dropped.

Counts (``stats``) are per delivery, a notice to two URLs being two deliveries: ``sent``, and
``dropped`` with its cause: ``queue_full``, ``send_failed`` (after the retries) or ``at_stop``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from loguru import logger

from accountbuilder_runner.notify.notices import Notice
from accountbuilder_runner.notify.senders import Sender

POLL_S = 0.05  # how often an idle thread looks for ``close``


@dataclass(frozen=True, slots=True)
class Delivery:
    """How hard the threads try (from ``notify_config.yaml``)."""

    queue_size: int = 100
    retries: int = 2
    retry_delay_s: float = 2.0
    flush_timeout_s: float = 10.0


class Dispatcher:
    """Every URL's queue and thread; ``start`` once, ``submit`` from the loop, ``close`` at stop."""

    def __init__(self, senders: Sequence[Sender], delivery: Delivery = Delivery()):
        self.delivery = delivery
        self.workers = [_Worker(s, delivery) for s in senders]

    def start(self) -> None:
        for worker in self.workers:
            worker.thread.start()

    def submit(self, notice: Notice) -> bool:
        """Queue ``notice`` for every URL; False when some queue was full (counted)."""
        return all([worker.submit(notice) for worker in self.workers])

    def close(self) -> None:
        """Let the queues drain for up to ``flush_timeout_s`` in all; count what is left."""
        for worker in self.workers:
            worker.closing.set()
        deadline = time.monotonic() + self.delivery.flush_timeout_s
        for worker in self.workers:
            worker.finish(max(deadline - time.monotonic(), 0))

    def stats(self) -> dict[str, object]:
        total: Counter[str] = Counter()
        for worker in self.workers:
            total.update(worker.counts())
        causes = {k: v for k, v in sorted(total.items()) if k not in ("sent", "queued") and v}
        return {
            "urls": len(self.workers),
            "sent": total["sent"],
            "dropped": sum(causes.values()),
            "dropped_by_cause": causes,
            "queued": total["queued"],
        }


class _Worker:
    """One URL: its queue, its thread, its counts."""

    def __init__(self, sender: Sender, delivery: Delivery):
        self.sender, self.delivery = sender, delivery
        self.queue: queue.Queue[Notice] = queue.Queue(maxsize=delivery.queue_size)
        self.closing, self.abort = threading.Event(), threading.Event()
        self.lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self.in_flight = False
        self.thread = threading.Thread(target=self._drain, name="notify", daemon=True)

    def submit(self, notice: Notice) -> bool:
        cause = "at_stop" if self.closing.is_set() else None
        if cause is None:
            try:
                self.queue.put_nowait(notice)
                return True
            except queue.Full:
                cause = "queue_full"
        with self.lock:
            self._counts[cause] += 1
        return False

    def finish(self, timeout_s: float) -> None:
        """Wait for the thread (bounded); what it has not sent by then is dropped."""
        if self.thread.is_alive():
            self.thread.join(timeout_s)
        self.abort.set()  # a thread still sending stops after its current try
        with self.lock:
            self._counts["at_stop"] += self.queue.qsize() + int(self.in_flight)
            self.in_flight = False
            while not self.queue.empty():
                self.queue.get_nowait()

    def counts(self) -> Counter[str]:
        with self.lock:
            return self._counts + Counter(queued=self.queue.qsize())

    def _drain(self) -> None:
        while not self.abort.is_set():
            try:
                notice = self.queue.get(timeout=POLL_S)
            except queue.Empty:
                if self.closing.is_set():
                    return
                continue
            with self.lock:
                self.in_flight = True
            delivered = self._deliver(notice)
            with self.lock:
                if self.in_flight:  # finish() has not counted it as dropped already
                    self._counts["sent" if delivered else "send_failed"] += 1
                self.in_flight = False

    def _deliver(self, notice: Notice) -> bool:
        delay, tries = self.delivery.retry_delay_s, self.delivery.retries + 1
        for attempt in range(1, tries + 1):
            if self._try(notice, attempt, tries):
                return True
            if attempt == tries or self.abort.wait(delay):
                break
            delay *= 2
        logger.warning("notify: {} did not take {!r}; dropped", self.sender.label, notice.title)
        return False

    def _try(self, notice: Notice, attempt: int, tries: int) -> bool:
        try:
            if self.sender.send(notice):
                return True
            why = "refused or unreachable"
        except Exception as e:  # a notifier never crashes trading; its text may hold the URL
            why = f"raised {type(e).__name__}"
        logger.info("notify: {} {} (try {} of {})", self.sender.label, why, attempt, tries)
        return False
