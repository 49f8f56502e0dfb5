"""Where a sweep's combinations run: in this process, or on a Dask cluster.

Both engines offer the same calls, so the sweep does not care which one it has:
``share`` (put a large object where the tasks can read it, once), ``batch_size`` (how many
combinations one task should run), ``submit`` (start a task), ``results`` (the finished
tasks, as they finish) and ``close``.

:class:`DaskEngine` is a ``dask.distributed`` client: of a ``LocalCluster`` of worker
*processes* on this machine (one per core by default, one thread each, since a backtest
is pure Python and holds the GIL), or of any running cluster given by its scheduler
address (``--scheduler tcp://host:8786`` or ``HKBT_DASK_SCHEDULER``). ``share`` scatters
to every worker once (``broadcast``), so the news, signals and prices travel once per
worker rather than once per task. Each task costs the scheduler, the client and the worker a
few milliseconds whatever it does, so a task runs a batch of combinations (at most
:data:`MAX_BATCH`, and small enough that every worker gets several batches to balance the
load). :class:`InProcessEngine` (``--workers 0``) runs tasks one after another here, one
combination each, which is handy with a debugger.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

from hkbt.errors import DataError

SCHEDULER_ENV = "HKBT_DASK_SCHEDULER"
MAX_BATCH = 10  # combinations per Dask task: ~2-3 s of work, so a progress update or an interruption is never far off
BATCHES_PER_WORKER = 4  # at least this many tasks per worker when there are enough combinations, so the last ones end together


class InProcessEngine:
    """Run each task in this process, when its result is asked for."""

    workers = 1
    description = "this process (no Dask)"

    def share(self, value: Any) -> Any:
        return value

    def batch_size(self, combos: int) -> int:
        return 1

    def submit(self, function: Callable, *args: Any) -> tuple:
        return (function, args)

    def results(self, futures: list) -> Iterator[tuple[Any, Any, BaseException | None]]:
        """``(future, result, error)`` for each task, in order."""
        for future in futures:
            function, args = future
            try:
                yield future, function(*args), None
            except Exception as exc:  # noqa: BLE001 - the caller records it as that combination's failure
                yield future, None, exc

    def cancel(self, futures: list) -> None:
        pass

    def close(self) -> None:
        pass


class DaskEngine:
    """Run tasks on a Dask cluster: a new local one, or an existing one at ``address``."""

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        if address:
            self.client = Client(address, timeout="15s")
            self.description = f"Dask cluster at {address}"
        else:
            count = workers or os.cpu_count() or 1
            self._cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None,
                                         silence_logs=logging.ERROR)
            self.client = Client(self._cluster)
            self.description = f"Dask LocalCluster, {count} worker process{'es' if count > 1 else ''}"
        self.workers = max(len(self.client.scheduler_info().get("workers", {})), 1)

    def share(self, value: Any) -> Any:
        return self.client.scatter(value, broadcast=True, hash=False)

    def batch_size(self, combos: int) -> int:
        """Combinations per task when ``combos`` are to run."""
        return max(1, min(MAX_BATCH, combos // (BATCHES_PER_WORKER * self.workers)))

    def submit(self, function: Callable, *args: Any) -> Any:
        return self.client.submit(function, *args, pure=False)

    def results(self, futures: list) -> Iterator[tuple[Any, Any, BaseException | None]]:
        """``(future, result, error)`` for each task, as each finishes."""
        from distributed import as_completed

        for future in as_completed(futures):
            try:
                yield future, future.result(), None
            except Exception as exc:  # noqa: BLE001 - a task's error, or a worker lost while running it
                yield future, None, exc
            finally:
                future.release()

    def cancel(self, futures: list) -> None:
        self.client.cancel(futures)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_engine(scheduler: str | None, workers: int | None):
    """The engine a sweep asked for: an existing cluster, no Dask (``workers == 0``) or a new local cluster."""
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        try:
            return DaskEngine(address=address)
        except (OSError, TimeoutError, ValueError) as exc:
            where = "--scheduler" if scheduler else SCHEDULER_ENV
            raise DataError(where, f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}: {exc})",
                            "start one (dask scheduler) or leave the option out for a local cluster") from None
    if workers == 0:
        return InProcessEngine()
    return DaskEngine(workers=workers)
