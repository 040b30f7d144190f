"""The notification queues (runner/notify/dispatch.py): never block the loop, retry only the
URLs that failed, count what is dropped and why (per delivery: a notice × a URL), and a bad
notifier never escapes them nor delays another URL."""

from __future__ import annotations

import threading
import time

from accountbuilder.config.models import NotifyEvent, NotifyLevel
from accountbuilder_runner.notify.dispatch import Delivery, Dispatcher
from accountbuilder_runner.notify.notices import Notice

FAST = Delivery(queue_size=10, retries=2, retry_delay_s=0.01, flush_timeout_s=5.0)


def notice(title: str = "HALT") -> Notice:
    return Notice(NotifyEvent.HALT, NotifyLevel.CRITICAL, title, "body")


class Sender:
    """Answers from a script (True/False, or an exception to raise), then True."""

    def __init__(self, label: str, *answers):
        self.label, self.answers, self.got = label, list(answers), []

    def send(self, n: Notice) -> bool:
        self.got.append(n.title)
        answer = self.answers.pop(0) if self.answers else True
        if isinstance(answer, Exception):
            raise answer
        return answer


class Blocking:
    """Holds every send until ``release`` is set (a hung notification service)."""

    label = "URL 1 (json)"

    def __init__(self):
        self.release, self.entered = threading.Event(), threading.Event()

    def send(self, n: Notice) -> bool:
        self.entered.set()
        self.release.wait(10)
        return True


def test_each_url_is_retried_alone_and_a_url_that_never_takes_it_counts_as_dropped():
    good, flaky, dead = (
        Sender("URL 1 (json)"),
        Sender("URL 2 (json)", False, True),
        Sender("URL 3 (json)", False, False, False),
    )
    dispatcher = Dispatcher([good, flaky, dead], FAST)
    dispatcher.start()

    dispatcher.submit(notice())
    dispatcher.close()

    assert (good.got, flaky.got, dead.got) == (["HALT"], ["HALT"] * 2, ["HALT"] * 3)
    assert dispatcher.stats() == {
        "urls": 3,
        "sent": 2,
        "dropped": 1,
        "dropped_by_cause": {"send_failed": 1},
        "queued": 0,
    }


def test_a_sender_that_raises_is_a_failed_try_and_the_thread_goes_on():
    sender = Sender("URL 1 (json)", RuntimeError("boom json://host/TOKEN"), True)
    dispatcher = Dispatcher([sender], FAST)
    dispatcher.start()

    dispatcher.submit(notice("first"))
    dispatcher.submit(notice("second"))
    dispatcher.close()

    assert sender.got == ["first", "first", "second"]
    assert dispatcher.stats()["sent"] == 2 and dispatcher.stats()["dropped"] == 0


def test_a_dead_url_retrying_never_delays_a_good_one():
    good, dead = Sender("URL 1 (json)"), Sender("URL 2 (json)", *[False] * 10)
    slow_retries = Delivery(queue_size=10, retries=3, retry_delay_s=5.0, flush_timeout_s=0.3)
    dispatcher = Dispatcher([good, dead], slow_retries)
    dispatcher.start()

    for i in range(3):
        dispatcher.submit(notice(f"n{i}"))
    deadline = time.monotonic() + 2
    while len(good.got) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    dispatcher.close()

    assert good.got == ["n0", "n1", "n2"]
    assert dead.got == ["n0"]  # still waiting for its first retry when the run stopped
    assert dispatcher.stats()["sent"] == 3
    assert dispatcher.stats()["dropped_by_cause"] == {"at_stop": 3}


def test_submit_never_blocks_a_full_queue_drops_and_counts():
    hung = Blocking()
    dispatcher = Dispatcher([hung], Delivery(queue_size=2, retries=0, flush_timeout_s=0.1))
    dispatcher.start()
    dispatcher.submit(notice("in flight"))
    assert hung.entered.wait(5)

    started = time.monotonic()
    accepted = [dispatcher.submit(notice(f"n{i}")) for i in range(5)]
    elapsed = time.monotonic() - started

    assert accepted == [True, True, False, False, False]
    assert elapsed < 0.05
    assert dispatcher.stats()["dropped_by_cause"] == {"queue_full": 3}
    hung.release.set()
    dispatcher.close()


def test_close_waits_at_most_the_flush_timeout_and_counts_what_is_left():
    hung = Blocking()
    dispatcher = Dispatcher([hung], Delivery(queue_size=5, retries=0, flush_timeout_s=0.2))
    dispatcher.start()
    for i in range(3):
        dispatcher.submit(notice(f"n{i}"))
    assert hung.entered.wait(5)

    started = time.monotonic()
    dispatcher.close()
    waited = time.monotonic() - started

    assert 0.15 < waited < 1.0
    assert dispatcher.stats()["dropped_by_cause"] == {"at_stop": 3}  # one in flight, two queued
    assert dispatcher.submit(notice("late")) is False
    assert dispatcher.stats()["dropped"] == 4
    hung.release.set()


def test_close_after_everything_went_out_counts_nothing_dropped():
    sender = Sender("URL 1 (json)")
    dispatcher = Dispatcher([sender], FAST)
    dispatcher.start()
    for i in range(4):
        dispatcher.submit(notice(f"n{i}"))

    dispatcher.close()
    dispatcher.close()  # idempotent

    assert sender.got == ["n0", "n1", "n2", "n3"]
    assert dispatcher.stats() == {
        "urls": 1,
        "sent": 4,
        "dropped": 0,
        "dropped_by_cause": {},
        "queued": 0,
    }
