"""The loopback Dask cluster the sweep tests run on: it starts, computes with hkbt's code, and leaves nothing behind."""

from __future__ import annotations

import os

import numpy as np

from dask_cluster import loopback_cluster
from hkbt.backtest.return_stats import sharpe


def test_scheduler_and_two_workers_on_loopback_compute_and_stop() -> None:
    from distributed import Client

    returns = np.random.default_rng(0).normal(0.001, 0.01, 250)
    with loopback_cluster(workers=2) as address:
        assert address.startswith("tcp://127.0.0.1:")
        with Client(address) as client:
            workers = client.scheduler_info()["workers"]
            assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)
            pids = set(client.run(os.getpid).values())
            # hkbt's own code, imported and run on each worker (the package is installed where they run)
            results = client.gather([client.submit(sharpe, returns, pure=False, workers=[w]) for w in workers])
    assert len(pids) == 2 and os.getpid() not in pids  # two separate worker processes
    assert results == [sharpe(returns)] * 2
    for pid in pids:  # and they are gone
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        assert not alive, f"worker process {pid} survived the cluster"
