"""``--engine ray``: the runs as Ray tasks, on an existing cluster (``--ray-address``) or on a
Ray started here (no address). Needs the ``ray`` extra: ``pip install 'accountbuilder[ray]'``.

The candles are put in Ray's object store **once** (``ray.put``); every task receives that
reference and reads the arrays from shared memory, never a copy shipped per task. A task is not
retried: a run that raises is an ``ERROR`` row made by the worker, and a task whose worker
died is an ``ERROR`` row made here. On a multi-node cluster ``--out`` must be a path every node
can write (the rows come back through Ray either way).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from accountbuilder_runner.sweep.rows import SweepRow, error_row
from accountbuilder_runner.sweep.schedule import RunTask
from accountbuilder_runner.sweep.worker import Payload, run_one

POLL_S = 0.5
INSTALL = "the ray engine needs Ray: pip install 'accountbuilder[ray]'"


class RayUnavailable(ImportError):
    """Ray is not installed."""


def _import_ray():
    try:
        import ray
    except ImportError as e:
        raise RayUnavailable(INSTALL) from e
    return ray


class RayEngine:
    """Runs tasks as Ray tasks (one CPU each); ``results`` yields rows as runs finish."""

    def __init__(
        self,
        workers: int,
        payload: Payload,
        out_dir: str,
        config_dir: str | None,
        address: str | None = None,
    ):
        ray = self.ray = _import_ray()
        local = {"num_cpus": max(1, workers)} if address is None else {}
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
            **local,
        )
        self.data = ray.put(dict(payload))  # once: every task reads this object
        self.task = ray.remote(num_cpus=1, max_retries=0)(run_one)
        self.out_dir, self.config_dir = out_dir, config_dir
        self._pending: list = []

    def results(self, tasks: Sequence[RunTask]) -> Iterator[SweepRow]:
        ray = self.ray
        index = {}
        for i, t in enumerate(tasks):
            index[self.task.remote(t, self.data, self.out_dir, self.config_dir)] = i
        self._pending = list(index)
        while self._pending:
            done, self._pending = ray.wait(self._pending, num_returns=1, timeout=POLL_S)
            for ref in done:
                try:
                    yield ray.get(ref)
                except ray.exceptions.RayError as e:  # the worker died: not the run's own error
                    message = f"{type(e).__name__}: {e}".splitlines()[0]
                    yield error_row(tasks[index[ref]], message, None, 0.0)
        self.close()

    def close(self) -> None:
        """Cancel what is still running and disconnect (stops a Ray started here)."""
        ray = self.ray
        for ref in self._pending:
            ray.cancel(ref, force=True)
        self._pending = []
        if ray.is_initialized():
            ray.shutdown()
