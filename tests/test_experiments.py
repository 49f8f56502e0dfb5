"""Experiment files: variants merged into a base config, shared inputs computed once, one comparison page."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import hkbt.pipeline as pipeline
from hkbt.cli.main import cli
from hkbt.errors import HkbtError
from hkbt.experiments import load_experiment_file, run_experiment

from conftest import REPO_ROOT

SHORT = ["prices.source=synthetic", "sentiment.cache_dir=null", "run.start=2025-01-02", "run.end=2025-03-31"]
USER_STRATEGY = '''
from pydantic import BaseModel, Field
from hkbt.backtest.strategy import Strategy


class FirstNews(Strategy):
    """Buys a name the first time good news about it arrives, with a weight of its own."""

    interface_version = 1

    class Params(BaseModel):
        weight: float = Field(0.2, gt=0, le=1)

    def on_open(self):
        for signal in self.signals():
            if signal.score > 0.3 and not self.is_held(signal.ticker):
                self.buy_weight(signal.ticker, self.settings.weight, cite=signal)
'''


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def experiment_file(tmp_path: Path, variants: str, extra: str = "") -> Path:
    write(tmp_path, "config.yaml", f"""\
        news: {{path: {REPO_ROOT / 'data/news/hk_tech_sample.csv'}}}
        run: {{output_dir: out}}
        strategy:
          name: sentiment_long
          params: {{entry_threshold: 0.3, hold_days: 5}}
        """)
    return write(tmp_path, "experiments.yaml", f"name: exp\n{extra}variants:\n" + textwrap.indent(textwrap.dedent(variants), "  "))


def test_variants_change_only_what_they_name(tmp_path):
    path = experiment_file(tmp_path, """\
        base: {}
        patient: {strategy: {params: {hold_days: 10}}}
        dotted: {strategy.params.min_news: 2, costs.brokerage_min: 0}
        rebound: {strategy: {name: news_rebound}}
        rebound_slow: {strategy: {name: news_rebound, params: {hold_days: 10}}}
        """, extra="set: [run.initial_cash=500000]\n")
    experiment = load_experiment_file(path, ["costs.brokerage_rate=0.001"])
    configs = {v.name: v.config for v in experiment.variants}
    assert [v.name for v in experiment.variants] == ["base", "patient", "dotted", "rebound", "rebound_slow"]
    assert {c.run.name for c in configs.values()} == {f"exp.{n}" for n in configs}
    assert configs["base"].strategy.params["hold_days"] == 5 and configs["base"].strategy.params["entry_threshold"] == 0.3
    assert configs["patient"].strategy.params["hold_days"] == 10 and configs["patient"].strategy.params["entry_threshold"] == 0.3
    assert configs["dotted"].strategy.params["min_news"] == 2 and configs["dotted"].costs.brokerage_min == 0
    assert configs["rebound"].strategy.params["entry_threshold"] == -0.5  # news_rebound's own default, not the base's 0.3
    assert configs["rebound_slow"].strategy.params["hold_days"] == 10
    assert all(c.run.initial_cash == 500_000 and c.costs.brokerage_rate == 0.001 for c in configs.values())
    assert experiment.output_dir == tmp_path / "out"


@pytest.mark.parametrize(
    ("variants", "extra", "overrides", "expected"),
    [
        ("a: {strategy: {params: {hold_dayz: 3}}}\n", "", [],
         "experiments.yaml:3: strategy.params.hold_dayz: unknown key -> did you mean strategy.params.hold_days?"),
        ("a: {}\nb:\n  strategy:\n    params:\n      hold_days: 0\n", "", [],
         "experiments.yaml:7: strategy.params.hold_days: Input should be greater than or equal to 1 (got 0)"),
        ("a: {costs: {brokerage_rat: 0.1}}\n", "", [], "experiments.yaml:3: costs.brokerage_rat: unknown key -> did you mean costs.brokerage_rate?"),
        ("a: {strategy: {name: nope}}\n", "", [], "experiments.yaml:3: strategy.name: no strategy 'nope'"),
        ("a: {}\n", "", ["strategy.params.hold_days=-1"], "--set: strategy.params.hold_days:"),
        ("a: {}\n", "set: [run.initial_cash=-5]\n", [], "experiments.yaml:2: run.initial_cash:"),
        ("a: {}\n", "varaints: {}\n", [], "experiments.yaml:2: varaints: unknown key -> did you mean variants?"),
        ("a.b: {}\n", "", [], "experiments.yaml:2: variants: variant name 'a.b' must be"),
        ("a: {run: {output_dir: x}}\nb: {}\n", "", [], "variants write to different run.output_dir folders"),
    ],
)
def test_a_bad_variant_is_one_error_naming_the_experiment_file_line(tmp_path, variants, extra, overrides, expected):
    path = experiment_file(tmp_path, variants, extra)
    with pytest.raises(HkbtError) as caught:
        load_experiment_file(path, overrides)
    assert expected in str(caught.value).replace(str(tmp_path) + "/", "")


def test_an_error_in_the_base_config_names_the_base_file(tmp_path):
    path = experiment_file(tmp_path, "a: {}\n")
    (tmp_path / "config.yaml").write_text("strategy:\n  params:\n    hold_days: nope\n", encoding="utf-8")
    with pytest.raises(HkbtError, match=r"config.yaml:3: strategy.params.hold_days: Input should be a valid integer"):
        load_experiment_file(path)


def test_inputs_are_built_once_and_each_variant_equals_a_plain_run(tmp_path, monkeypatch):
    path = experiment_file(tmp_path, """\
        long: {}
        rebound: {strategy: {name: news_rebound}}
        basket: {strategy: {name: basket_hold}}
        other_window: {run: {end: 2025-02-28}}
        """, extra="set: [" + ", ".join(SHORT) + "]\n")
    experiment = load_experiment_file(path)
    calls = []
    real = pipeline.build_inputs
    monkeypatch.setattr(pipeline, "build_inputs", lambda config, *a, **k: calls.append(config.run.name) or real(config, *a, **k))
    results = run_experiment(experiment)
    assert calls == ["exp.long", "exp.other_window"]  # one build per distinct set of inputs
    for variant, artifacts in zip(experiment.variants, results):
        alone = pipeline.run_pipeline(variant.config, experiment.base_dir)
        run = dict(artifacts.metrics.pop("run"))
        assert (run.pop("experiment"), run.pop("variant")) == ("exp", variant.name)
        assert run == alone.metrics.pop("run") and artifacts.metrics == alone.metrics
        pd.testing.assert_frame_equal(artifacts.trades, alone.trades)
    basket = results[2].trades
    assert len(basket) == basket.ticker.nunique() > 5 and set(basket.exit_reason) == {"open_at_end"}  # one buy per name, held


def test_cli_compares_a_user_strategy_outside_the_repo_with_a_builtin(tmp_path):
    elsewhere = tmp_path / "my_strategies"
    elsewhere.mkdir()
    write(elsewhere, "first_news.py", USER_STRATEGY)
    path = experiment_file(tmp_path, f"""\
        builtin: {{}}
        mine: {{strategy: {{name: first_news, path: {elsewhere}, params: {{weight: 0.25}}}}}}
        """, extra="set: [" + ", ".join(SHORT) + ", 'universe.tickers=[9988.HK, 0700.HK, 1810.HK]']\n")
    result = CliRunner().invoke(cli, ["run", "--experiments", str(path), "--name", "duel"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    for variant in ("builtin", "mine"):
        metrics = json.loads((out / f"duel.{variant}" / "metrics.json").read_text())
        assert metrics["run"]["experiment"] == "duel" and metrics["run"]["variant"] == variant
    assert json.loads((out / "duel.mine" / "metrics.json").read_text())["run"]["strategy_source"] == "first_news.py"
    mine = pd.read_csv(out / "duel.mine" / "trades.csv")
    assert len(mine) > 0 and mine.news_ids.notna().all()
    page = (out / "compare" / "duel.html").read_text(encoding="utf-8")
    assert "duel.builtin" in page and "duel.mine" in page and "strategy.params.weight" in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "experiment <b>duel</b> · 2 variants" in index and 'href="./compare/duel.html"' in index
    assert "mine" in result.stdout and "builtin" in result.stdout


def test_the_sample_experiment_file_compares_the_four_builtins():
    experiment = load_experiment_file(REPO_ROOT / "experiments.yaml")
    assert [v.config.strategy.name for v in experiment.variants] == ["sentiment_long", "news_rebound", "sentiment_rotation", "basket_hold"]
    assert len({pipeline.inputs_key(v.config) for v in experiment.variants}) == 1  # all four share one set of inputs
