"""hkbt sweep: a combination is the single run it stands for, results survive interruption, Dask gives the same numbers.

One small project (three names, a year of seeded CSV prices, the bundled news) is shared
by the tests of this module.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REPO_ROOT
from dask_cluster import loopback_cluster
from hkbt.cli.main import cli
from hkbt.news.sessions import run_sessions
from hkbt.prices import simulate_prices
from hkbt.tuning.engines import InProcessEngine
from hkbt.tuning.store import STORE_FILE, ResultStore
from hkbt.tuning.sweep import Hooks, plan_sweep, run_sweep

TICKERS = ["9988.HK", "0700.HK", "1810.HK"]
GRID = ["--grid", "entry_threshold=0.2,0.4", "--grid", "hold_days=3,8"]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sweep-project")
    prices = root / "prices"
    prices.mkdir()
    sessions = run_sessions(pd.Timestamp("2024-03-01").date(), pd.Timestamp("2025-04-30").date())
    for ticker, frame in simulate_prices(TICKERS + ["^HSI"], sessions, seed=11, benchmark="^HSI").items():
        frame.rename(columns=str.title).rename_axis("Date").to_csv(prices / f"{ticker.lstrip('^')}.csv", date_format="%Y-%m-%d")
    (root / "config.yaml").write_text(
        "run: {name: base, start: 2024-04-01, end: 2025-03-31}\n"
        f"universe: {{tickers: [{', '.join(TICKERS)}]}}\n"
        f"news: {{path: {REPO_ROOT / 'data' / 'news' / 'hk_tech_sample.csv'}}}\n"
        "prices: {source: csv, csv_dir: prices}\n"
        "sentiment: {cache_dir: cache}\n",
        encoding="utf-8",
    )
    return root


def invoke(project: Path, *args: str):
    result = CliRunner().invoke(cli, [*args[:1], "--config", str(project / "config.yaml"), *args[1:]], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def results_of(project: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(project / "backtests" / "sweeps" / name / "results.parquet")


def test_random_combinations_equal_the_single_runs_they_stand_for(project: Path) -> None:
    invoke(project, "sweep", "--grid", "entry_threshold=0.2,0.4", "--grid", "stop_loss=null,0.05", "--workers", "0", "--name", "exact")
    results = results_of(project, "exact")
    assert (results.status == "ok").all() and len(results) == 4
    for _, row in results.sample(2, random_state=5).iterrows():
        tokens = shlex.split(row.command)  # hkbt run --config FILE --set ... --name NAME
        assert tokens[:4] == ["hkbt", "run", "--config", str(project / "config.yaml")]
        result = CliRunner().invoke(cli, tokens[1:], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        single = json.loads((project / "backtests" / row.run_name / "metrics.json").read_text(encoding="utf-8"))
        assert json.loads(row.metrics_json) == single  # every figure, the run block included
        assert row.sharpe == single["sharpe"] and row.total_return_pct == single["total_return_pct"]


def test_interrupted_sweep_resumes_and_gives_the_same_results(project: Path) -> None:
    invoke(project, "sweep", *GRID, "--workers", "0", "--name", "whole")
    whole = results_of(project, "whole")

    folder = project / "backtests" / "sweeps" / "broken"
    folder.mkdir(parents=True)
    plan = plan_sweep(project / "config.yaml", ["sweep.grid.entry_threshold=[0.2, 0.4]", "sweep.grid.hold_days=[3, 8]",
                                                "sweep.name=broken"])
    store = ResultStore(folder / STORE_FILE)
    finished = []

    def stop_after_two(outcome) -> None:
        finished.append(outcome)
        if len(finished) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, store, InProcessEngine(), Hooks(advance=stop_after_two))
    with (folder / STORE_FILE).open("a", encoding="utf-8") as stream:
        stream.write('{"kind": "combo", "key": "torn')  # a line cut short by the interruption
    (folder / ".hkbt-folder").write_text(json.dumps({"written_by": "hkbt", "files": [STORE_FILE]}), encoding="utf-8")

    result = invoke(project, "sweep", *GRID, "--workers", "0", "--name", "broken")
    assert "2 from an earlier run" in " ".join(result.output.split())
    resumed = results_of(project, "broken")
    columns = [c for c in whole.columns if c not in ("seconds", "run_name", "command", "metrics_json")]
    pd.testing.assert_frame_equal(resumed[columns], whole[columns])
    again = plan_sweep(project / "config.yaml", ["sweep.grid.entry_threshold=[0.2, 0.4]", "sweep.grid.hold_days=[3, 8]"])
    rerun = run_sweep(again, ResultStore(folder / STORE_FILE), InProcessEngine())
    assert (rerun.ran, rerun.cached) == (0, 4)  # nothing left to run


def test_a_failing_combination_is_recorded_and_the_others_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hkbt import pipeline

    original = pipeline.run_variant

    def broken(config, inputs, base_dir):
        if config.strategy.params["hold_days"] == 8:
            raise RuntimeError("disk on fire")
        return original(config, inputs, base_dir)

    monkeypatch.setattr(pipeline, "run_variant", broken)
    # exit_threshold 0.3 is not below entry_threshold 0.2: that combination is an invalid config
    invoke(project, "sweep", "--grid", "entry_threshold=0.2,0.4", "--grid", "hold_days=3,8", "--grid", "exit_threshold=-0.3,0.3",
           "--workers", "0", "--name", "failing")
    results = results_of(project, "failing").set_index(["strategy.params.entry_threshold", "strategy.params.hold_days",
                                                         "strategy.params.exit_threshold"])
    assert results.loc[(0.4, 3, -0.3)].status == "ok"
    assert "disk on fire" in results.loc[(0.4, 8, -0.3)].error
    assert "exit_threshold" in results.loc[(0.2, 3, 0.3)].error and results.loc[(0.2, 3, 0.3)].status == "failed"
    assert (results.status == "ok").sum() == 3  # (0.2|0.4, 3, -0.3) and (0.4, 3, 0.3)


class _BatchingEngine(InProcessEngine):
    """Runs three combinations per task, as a Dask engine would with more combinations; notes each task's size."""

    def __init__(self) -> None:
        self.tasks: list[int] = []

    def batch_size(self, combos: int) -> int:
        return 3

    def submit(self, function, *args):
        self.tasks.append(len(args[-1]))
        return super().submit(function, *args)


def test_batched_tasks_give_every_combination_its_own_outcome(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hkbt import pipeline

    keys = ["sweep.grid.entry_threshold=[0.2, 0.3, 0.4, 0.5]", "sweep.grid.hold_days=[3, 8]"]
    single = run_sweep(plan_sweep(project / "config.yaml", keys), ResultStore(project / "single.jsonl"), InProcessEngine())
    original = pipeline.run_variant

    def broken(config, inputs, base_dir):
        if config.strategy.params["entry_threshold"] == 0.3 and config.strategy.params["hold_days"] == 8:
            raise RuntimeError("disk on fire")
        return original(config, inputs, base_dir)

    monkeypatch.setattr(pipeline, "run_variant", broken)
    engine, seen = _BatchingEngine(), []
    batched = run_sweep(plan_sweep(project / "config.yaml", keys), ResultStore(project / "batched.jsonl"), engine,
                        Hooks(advance=seen.append))
    assert engine.tasks == [3, 3, 2] and len(seen) == 8  # the progress bar still moves per combination
    stored = ResultStore(project / "batched.jsonl").outcomes
    assert len(stored) == 8  # and each is in the sweep's memory for a resume
    for ident, outcome in batched.outcomes.items():
        if outcome.combo == {"strategy.params.entry_threshold": 0.3, "strategy.params.hold_days": 8}:
            assert outcome.status == "failed" and "disk on fire" in outcome.error
        else:
            assert outcome.status == "ok" and outcome.metrics == single.outcomes[ident].metrics


def test_dask_tasks_run_batches_small_enough_to_balance_the_workers() -> None:
    from hkbt.tuning.engines import MAX_BATCH, DaskEngine

    engine = DaskEngine.__new__(DaskEngine)  # the policy only, no cluster
    engine.workers = 2
    assert [engine.batch_size(n) for n in (1, 2, 8, 24, 80, 1000)] == [1, 1, 1, 3, MAX_BATCH, MAX_BATCH]


def test_sweep_on_a_dask_cluster_on_loopback_equals_the_local_run(project: Path) -> None:
    """A real scheduler and two worker processes on 127.0.0.1 (tests/dask_cluster.py), gone afterwards."""
    from distributed import Client

    invoke(project, "sweep", *GRID, "--workers", "0", "--name", "local")
    with loopback_cluster(workers=2) as address:
        with Client(address) as client:
            workers = client.scheduler_info()["workers"]
            pids = set(client.run(os.getpid).values())
        assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers) and len(pids) == 2
        result = invoke(project, "sweep", *GRID, "--scheduler", address, "--name", "cluster")
    assert f"Dask cluster at {address}" in " ".join(result.output.split())
    for pid in pids:  # the worker processes are gone
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    local, cluster = results_of(project, "local"), results_of(project, "cluster")

    def figures(text: str) -> dict:  # the run's name (and so its config hash) names the sweep; every figure must match
        metrics = json.loads(text)
        return metrics | {"run": {k: v for k, v in metrics["run"].items() if k not in ("name", "config_hash")}}

    assert [figures(m) for m in cluster.metrics_json] == [figures(m) for m in local.metrics_json]
    outcomes = ResultStore(project / "backtests" / "sweeps" / "cluster" / STORE_FILE).outcomes.values()
    assert {o.status for o in outcomes} == {"ok"} and len(outcomes) == 4


def test_random_and_optuna_draw_reproducible_combinations(project: Path) -> None:
    invoke(project, "sweep", "--grid", "hold_days=3,8", "--range", "entry_threshold=0.1:0.6", "--random", "3", "--seed", "4",
           "--workers", "0", "--name", "drawn")
    drawn = results_of(project, "drawn")
    assert len(drawn) == 3 and drawn["strategy.params.entry_threshold"].between(0.1, 0.6).all()
    invoke(project, "sweep", "--grid", "hold_days=3,8", "--range", "entry_threshold=0.1:0.6", "--optuna", "4", "--objective",
           "total_return", "--workers", "0", "--name", "tuned")
    tuned = results_of(project, "tuned")
    assert 1 <= len(tuned) <= 4 and (tuned.status == "ok").all()
    best = tuned.sort_values("rank").iloc[0]
    assert best.objective == tuned.total_return_pct.max()
    plan = plan_sweep(project / "config.yaml", ["sweep.grid.hold_days=[3, 8]", "sweep.ranges.entry_threshold=[0.1, 0.6]",
                                                "sweep.random=3", "sweep.seed=4"])
    assert [c["strategy.params.entry_threshold"] for c in plan.combos] == drawn["strategy.params.entry_threshold"].tolist()


def test_guards_and_page(project: Path) -> None:
    invoke(project, "sweep", *GRID, "--grid", "max_positions=1,3", "--workers", "0", "--pbo", "--pbo-blocks", "4",
           "--walk-forward", "train=4m,test=2m", "--save-top", "1", "--name", "guarded")
    folder = project / "backtests" / "sweeps" / "guarded"
    summary = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    assert summary["dsr"]["trials"] == 8 and 0 <= summary["dsr"]["dsr"] <= 1
    assert summary["pbo"]["splits"] == 6 and len(summary["pbo"]["logits"]) == 6
    windows = summary["walk_forward"]["windows"]
    assert windows and all(w["train_end"] < w["test_start"] for w in windows)
    page = (folder / "sweep.html").read_text(encoding="utf-8")
    for text in ("Deflated Sharpe ratio", "Probability of backtest overfitting", "Walk-forward", "fig-heatmap", "combos-table"):
        assert text in page
    best = summary["best"]
    assert best["link"] and (folder / best["link"]).resolve() == (project / "backtests" / best["run_name"] / "report.html").resolve()
    curves = pd.read_parquet(folder / "curves.parquet")
    assert list(curves.columns[:-1]) == results_of(project, "guarded").combo_id.tolist() and curves.columns[-1] == "benchmark"


@pytest.mark.parametrize(("args", "message"), [
    (["--grid", "hold_days"], "expected KEY=V1,V2"),
    (["--range", "entry_threshold=0.2:0.6"], "needs --random N or --optuna N"),
    (["--grid", "hold_days=3,5", "--objective", "beta"], "not a figure a sweep can rank by"),
    (["--grid", "hold_days=3,5", "--objective", "win_rate", "--walk-forward", "train=4m,test=2m"], "needs the trades"),
    (["--grid", "hold_days=3,5", "--walk-forward", "train=4x"], "is not a length"),
    ([], "nothing to sweep"),
])
def test_bad_sweep_options_are_one_error_line(project: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["sweep", "--config", str(project / "config.yaml"), *args, "--workers", "0", "--name", "bad"])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
