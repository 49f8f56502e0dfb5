"""A real Dask cluster on the loopback interface for tests: one ``dask scheduler``, N ``dask worker`` processes.

    with loopback_cluster(workers=2) as address:      # "tcp://127.0.0.1:<random port>"
        ... hkbt sweep --scheduler address ...

The scheduler listens on 127.0.0.1 on a port the OS picks (``--port 0``) and writes its
address to a scheduler file; the workers read it from there, so two test sessions never
collide on a port. Each process is started in its own process group and is stopped on exit
whatever happened in the ``with`` block: SIGTERM to the group, then SIGKILL after a few
seconds. Nothing listens on any other interface; no dashboard is started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DASK = Path(sys.executable).parent / "dask"
START_TIMEOUT_S = 60.0


def _start(command: list[str], log: Path) -> subprocess.Popen:
    stream = log.open("w")
    return subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT, start_new_session=True,
                            env=os.environ | {"PYTHONUNBUFFERED": "1"})


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10.0
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5.0)


def _scheduler_address(path: Path, scheduler: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise RuntimeError(f"dask scheduler exited ({scheduler.returncode}):\n{log.read_text()}")
        try:
            return json.loads(path.read_text())["address"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.1)
    raise RuntimeError(f"dask scheduler did not start within {START_TIMEOUT_S:.0f} s:\n{log.read_text()}")


@contextmanager
def loopback_cluster(workers: int = 2) -> Iterator[str]:
    """Start a scheduler and ``workers`` single-threaded worker processes on 127.0.0.1; yield the scheduler address."""
    from distributed import Client

    folder = Path(tempfile.mkdtemp(prefix="hkbt-dask-"))
    scheduler_file = folder / "scheduler.json"
    processes: list[subprocess.Popen] = []
    try:
        processes.append(_start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                 "--scheduler-file", str(scheduler_file), "--idle-timeout", "300"], folder / "scheduler.log"))
        address = _scheduler_address(scheduler_file, processes[0], folder / "scheduler.log")
        for number in range(workers):
            processes.append(_start([str(DASK), "worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1",
                                     "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", f"test-worker-{number}",
                                     "--local-directory", str(folder / f"worker-{number}"), "--death-timeout", "60"],
                                    folder / f"worker-{number}.log"))
        with Client(address, timeout="30s") as client:
            try:
                client.wait_for_workers(workers, timeout=START_TIMEOUT_S)
            except TimeoutError:
                logs = "\n".join(p.read_text() for p in sorted(folder.glob("*.log")))
                raise RuntimeError(f"{workers} dask workers did not join within {START_TIMEOUT_S:.0f} s:\n{logs}") from None
        yield address
    finally:
        _stop(processes[::-1])
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
        folder.rmdir()
