"""``--engine local``: a pool of worker processes on this machine.

Each worker is a spawned process holding the candles (sent once, when it starts) and a pipe
to the parent; the parent hands one task at a time to a free worker, so it always knows which
run each worker holds. A run that raises is an ``ERROR`` row made by the worker; a worker that
dies (killed, out of memory) makes its run an ``ERROR`` row here, and a new worker takes its
place. Workers ignore SIGINT: Ctrl-C reaches the parent only, which ``close``s the pool
(terminating runs in progress) and keeps the rows that finished.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from accountbuilder_runner.sweep.rows import SweepRow, error_row
from accountbuilder_runner.sweep.schedule import RunTask
from accountbuilder_runner.sweep.worker import Payload, run_one

POLL_S = 0.5


def _serve(conn: Connection, payload: Payload, out_dir: str, config_dir: str | None) -> None:
    """A worker: run each task received until ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while (task := conn.recv()) is not None:
        conn.send(run_one(task, payload, out_dir, config_dir))


@dataclass
class _Worker:
    process: mp.process.BaseProcess
    conn: Connection
    task: int | None = None


class LocalEngine:
    """Runs tasks on ``workers`` processes; ``results`` yields rows as runs finish."""

    def __init__(self, workers: int, payload: Payload, out_dir: str, config_dir: str | None):
        self.n, self.payload = max(1, workers), payload
        self.out_dir, self.config_dir = out_dir, config_dir
        self._ctx = mp.get_context("spawn")
        self._workers: list[_Worker] = []

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        args = (child, self.payload, self.out_dir, self.config_dir)
        process = self._ctx.Process(target=_serve, args=args, daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    def results(self, tasks: Sequence[RunTask]) -> Iterator[SweepRow]:
        todo = deque(range(len(tasks)))
        for _ in range(min(self.n, len(tasks))):
            self._feed(self._spawn(), todo, tasks)
        while busy := [w for w in self._workers if w.task is not None]:
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], POLL_S))
            for w in busy:
                row = self._answer(w) if w.conn in ready else None
                if row is not None:
                    w.task = None
                    yield row
                    self._feed(w, todo, tasks)
                elif w.process.sentinel in ready or (w.conn in ready and not w.process.is_alive()):
                    yield self._died(w, tasks)
                    self._feed(self._spawn(), todo, tasks)
        self.close()

    @staticmethod
    def _answer(w: _Worker) -> SweepRow | None:
        """The worker's row, or None when its pipe only says it closed (a killed worker's pipe
        reads as ready at EOF, sometimes before its sentinel does)."""
        try:
            return w.conn.recv() if w.conn.poll() else None
        except (EOFError, OSError):
            w.process.join(timeout=5)
            return None

    def _feed(self, w: _Worker, todo: deque[int], tasks: Sequence[RunTask]) -> None:
        if todo:
            w.task = todo.popleft()
            w.conn.send(tasks[w.task])

    def _died(self, w: _Worker, tasks: Sequence[RunTask]) -> SweepRow:
        w.process.join()
        self._workers.remove(w)
        message = f"worker process died (exit code {w.process.exitcode})"
        return error_row(tasks[w.task], message, None, 0.0)

    def close(self) -> None:
        """Stop every worker now (runs in progress are lost); safe to call twice."""
        for w in self._workers:
            if w.process.is_alive():
                if w.task is None:
                    with contextlib.suppress(OSError):  # it may be exiting on its own
                        w.conn.send(None)
                else:
                    w.process.terminate()
        for w in self._workers:
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()
        self._workers.clear()
