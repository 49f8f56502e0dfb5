"""Finding strategies (user folder, project folder, built-ins, entry points) and checking their params."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from hkbt.backtest.discovery import available_strategies, find_strategy, load_strategy_file, validate_params
from hkbt.config import load_config
from hkbt.errors import StrategyError

ONE_PARAM = '''
from pydantic import BaseModel, Field
from hkbt.backtest.strategy import Strategy


class {cls}(Strategy):
    interface_version = 1

    class Params(BaseModel):
        weight: float = Field(0.3, gt=0, le=1, description="share of equity per name")

    def on_open(self):
        pass
'''


def strategy_file(folder: Path, name: str, body: str | None = None, cls: str = "Mine") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(body) if body is not None else ONE_PARAM.format(cls=cls), encoding="utf-8")
    return path


def test_a_user_folder_outside_the_repo_is_searched_first_and_its_params_checked(tmp_path):
    strategy_file(tmp_path / "elsewhere", "buy_weight")
    config = tmp_path / "project" / "config.yaml"
    config.parent.mkdir()
    config.write_text("strategy:\n  name: buy_weight\n  path: ../elsewhere\n  params:\n    weight: 0.25\n", encoding="utf-8")
    loaded = load_config(config)
    assert loaded.strategy.params == {"weight": 0.25}
    assert loaded.strategy.found.cls.__name__ == "Mine"
    assert loaded.strategy.found.source == str((tmp_path / "elsewhere" / "buy_weight.py").resolve())
    with pytest.raises(StrategyError) as caught:
        load_config(config, ["strategy.params.wieght=0.5"])
    assert str(caught.value) == "--set: strategy.params.wieght: unknown key -> did you mean strategy.params.weight?"
    config.write_text("strategy:\n  name: buy_weight\n  path: ../elsewhere\n  params:\n    weight: 2\n", encoding="utf-8")
    with pytest.raises(StrategyError) as caught:
        load_config(config)
    assert str(caught.value) == f"{config}:5: strategy.params.weight: must be between 0 and 1 (got 2)"
    with pytest.raises(StrategyError, match="strategy.params.weight: Input should be a valid number"):
        load_config(config, ["strategy.params.weight=lots"])


def test_search_order_path_then_project_then_builtin(tmp_path):
    strategy_file(tmp_path / "strategies", "sentiment_long", cls="ProjectCopy")  # a project file shadows the built-in
    assert find_strategy("sentiment_long", None, tmp_path).cls.__name__ == "ProjectCopy"
    strategy_file(tmp_path / "mine", "sentiment_long", cls="PathCopy")
    assert find_strategy("sentiment_long", Path("mine"), tmp_path).cls.__name__ == "PathCopy"
    assert find_strategy("sentiment_long", None, tmp_path / "nowhere").source == "built-in strategies/sentiment_long.py"
    single = strategy_file(tmp_path / "one", "solo", cls="Solo")
    assert find_strategy("solo", single, tmp_path).cls.__name__ == "Solo"  # strategy.path may name one file
    names = available_strategies(Path("mine"), tmp_path)
    assert {"sentiment_long", "news_rebound", "sentiment_rotation", "basket_hold"} <= set(names)
    assert names["sentiment_long"].endswith("mine/sentiment_long.py")


def test_files_are_loaded_by_path_not_as_a_strategies_package(tmp_path):
    path = strategy_file(tmp_path / "strategies", "mine")
    cls = load_strategy_file(path)
    assert cls.__module__.startswith("hkbt_strategy_files.")
    assert "strategies" not in sys.modules and "strategies.mine" not in sys.modules
    assert load_strategy_file(path) is cls  # loaded once while the file is unchanged
    path.write_text(path.read_text() + "\n# edited\n", encoding="utf-8")
    assert load_strategy_file(path) is not cls


def test_an_entry_point_provides_a_strategy(tmp_path, monkeypatch):
    site = tmp_path / "site"
    strategy_file(site / "hkbt_plugin_demo", "plugged", cls="Plugged")
    (site / "hkbt_plugin_demo" / "__init__.py").write_text("", encoding="utf-8")
    info = site / "hkbt_plugin_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hkbt-plugin-demo\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[hkbt.strategies]\nplugged = hkbt_plugin_demo.plugged:Plugged\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    found = find_strategy("plugged", None, tmp_path)
    assert found.cls.__name__ == "Plugged" and found.source == "entry point hkbt_plugin_demo.plugged:Plugged"
    assert available_strategies(None, tmp_path)["plugged"] == "entry point hkbt_plugin_demo.plugged:Plugged"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("from hkbt.backtest.strategy import Strategy\nclass A(Strategy):\n    pass\n",
         "A does not say which interface_version it was written for; this hkbt provides 1"),
        ("from hkbt.backtest.strategy import Strategy\nclass A(Strategy):\n    interface_version = 0\n",
         "A was written for interface_version 0; this hkbt provides 1"),
        ("from hkbt.backtest.strategy import Strategy\nclass A(Strategy):\n    interface_version = 1\n"
         "class B(Strategy):\n    interface_version = 1\n", "must define exactly one hkbt.backtest.strategy.Strategy subclass (found 2)"),
        ("import backtrader as bt\nclass A(bt.Strategy):\n    pass\n", "(found 0)"),
        ("from hkbt.backtest.strategy import Strategy\nclass A(Strategy):\n    interface_version = 1\n    Params = dict\n",
         "A.Params must be a pydantic model or a dataclass"),
        ("x = (\n", "syntax error"),
        ("import numpy\nraise RuntimeError('boom')\n", ":2: cannot load (RuntimeError: boom)"),
    ],
)
def test_a_broken_strategy_file_is_one_error_naming_the_file(tmp_path, body, message):
    path = strategy_file(tmp_path, "broken", body)
    with pytest.raises(StrategyError) as caught:
        load_strategy_file(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_an_unknown_name_lists_what_exists(tmp_path):
    with pytest.raises(StrategyError, match="did you mean news_rebound"):
        find_strategy("news_rebond", None, tmp_path)
    with pytest.raises(StrategyError, match="available: basket_hold, news_rebound, sentiment_long, sentiment_rotation"):
        find_strategy("zzz", None, tmp_path)
    with pytest.raises(StrategyError, match="strategy.path: .* does not exist"):
        find_strategy("zzz", Path("missing"), tmp_path)


def test_dataclass_params_and_topic_names_are_checked(tmp_path):
    body = '''
    from dataclasses import dataclass, field
    from typing import Annotated
    from hkbt.backtest.strategy import Strategy, TopicNames

    class Dc(Strategy):
        interface_version = 1

        @dataclass(frozen=True)
        class Params:
            hold: int = 3
            topics: Annotated[tuple[str, ...], TopicNames()] = ("ai",)
    '''
    cls = load_strategy_file(strategy_file(tmp_path, "dc", body))
    assert validate_params(cls, {"hold": "4"}, ["ai"]).hold == 4
    with pytest.raises(StrategyError, match="strategy.params.hold: Input should be a valid integer"):
        validate_params(cls, {"hold": "four"})
    with pytest.raises(StrategyError, match="strategy.params.topics: names topic\\(s\\) macro but topics defines only ai"):
        validate_params(cls, {"topics": ["macro"]}, ["ai"])
    with pytest.raises(StrategyError, match="did you mean strategy.params.hold"):
        validate_params(cls, {"hld": 1})
