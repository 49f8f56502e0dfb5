"""hkbt.config: config.yaml documents the real defaults, ``--set`` is typed by the schema, and the
config hash depends on values only (not key order or comments)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from hkbt.config import Config, load_config
from hkbt.errors import ConfigError, HkbtError

from conftest import REPO_ROOT

REPO_CONFIG = REPO_ROOT / "config.yaml"


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def schema_keys(model: type[BaseModel] = Config, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every field of the schema as a key path, sections first: ("run",), ("run", "name"), ..."""
    keys = []
    for name, info in model.model_fields.items():
        keys.append(prefix + (name,))
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(schema_keys(annotation, prefix + (name,)))
    return keys


def is_section(key: tuple[str, ...]) -> bool:
    """Does ``key`` hold a sub-model (a section such as ``run`` or ``news.columns``)?"""
    model: type[BaseModel] = Config
    annotation = None
    for part in key:
        annotation = model.model_fields[part].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def yaml_key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Each mapping key path in a YAML text -> its 0-based line number."""
    lines: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                path = prefix + (str(key.value),)
                lines[path] = key.start_mark.line
                walk(value, path)

    walk(yaml.compose(text, Loader=yaml.SafeLoader), ())
    return lines


# -------------------------------------------------------------------- config.yaml = the defaults


def test_repo_config_loads_and_equals_the_defaults(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(REPO_ROOT)
    loaded = load_config("config.yaml")
    defaults = Config()
    for section in Config.model_fields:  # one section at a time, for a readable diff
        assert getattr(loaded, section) == getattr(defaults, section), f"config.yaml's {section}: differs from Config()"
    assert loaded == defaults
    assert loaded.config_hash() == defaults.config_hash()


def test_load_config_accepts_str_and_path():
    assert load_config(str(REPO_CONFIG)) == load_config(REPO_CONFIG) == Config()


def test_empty_file_means_all_defaults(tmp_path: Path):
    assert load_config(write(tmp_path, "")) == Config()
    assert load_config(write(tmp_path, "# nothing but a comment\n")) == Config()


def test_every_schema_key_is_a_commented_line_in_config_yaml():
    text = REPO_CONFIG.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = yaml_key_lines(text)
    keys = schema_keys()
    assert ("strategy", "params") in keys and ("news", "columns", "headline") in keys  # the walk recursed
    missing = [".".join(key) for key in keys if key not in found]
    assert not missing, f"config.yaml does not show: {missing}"
    # Sections holding a sub-model (run:, strategy:, ...) are containers, documented by their keys;
    # every setting -- including free-form mappings such as topics: and universe.lot_sizes: -- is commented.
    settings = [key for key in keys if not is_section(key)]
    uncommented = [
        f"{'.'.join(key)} (line {found[key] + 1})" for key in settings if "#" not in lines[found[key]]
    ]
    assert not uncommented, f"config.yaml settings without a # comment: {uncommented}"


def test_config_yaml_has_no_keys_outside_the_schema():
    """Redundant with extra="forbid", but names the stray key if a section is added by hand."""
    found = yaml_key_lines(REPO_CONFIG.read_text(encoding="utf-8"))
    keys = set(schema_keys())
    mappings = {("universe", "lot_sizes"), ("universe", "aliases"), ("topics",), ("themes",), ("strategy", "params")}  # free-form keys inside
    stray = [
        ".".join(key) for key in found
        if key not in keys and not any(key[: len(m)] == m for m in mappings)
    ]
    assert not stray


# ------------------------------------------------------------------------------- --set typing


@pytest.mark.parametrize(
    ("override", "section", "key", "expected"),
    [
        ("strategy.params.topics=[ai]", "strategy", "params.topics", ["ai"]),
        ("strategy.params.topics=[policy, ai]", "strategy", "params.topics", ["policy", "ai"]),
        ("strategy.params.stop_loss=null", "strategy", "params.stop_loss", None),
        ("strategy.params.stop_loss=0.08", "strategy", "params.stop_loss", 0.08),
        ("strategy.params.exit_threshold=null", "strategy", "params.exit_threshold", None),
        ("strategy.params.entry_threshold=0.7", "strategy", "params.entry_threshold", 0.7),
        ("strategy.params.hold_days=10", "strategy", "params.hold_days", 10),
        ("run.start=2024-05-01", "run", "start", date(2024, 5, 1)),
        ("run.initial_cash=500000", "run", "initial_cash", 500_000.0),
        ("run.output_dir=elsewhere/runs", "run", "output_dir", Path("elsewhere/runs")),
        ("run.name='2024'", "run", "name", "2024"),
        ("signals.market_wide_policy=false", "signals", "market_wide_policy", False),
        ("sentiment.cache_dir=null", "sentiment", "cache_dir", None),
        ("sentiment.scorer=vader", "sentiment", "scorer", "vader"),
        ("universe.benchmark=^HSI", "universe", "benchmark", "^HSI"),
        ("news.columns.headline=title", "news", "columns.headline", "title"),
    ],
)
def test_set_is_typed_by_the_schema(tmp_path: Path, override: str, section: str, key: str, expected):
    config = load_config(write(tmp_path, "strategy:\n  params: {stop_loss: 0.1}\n"), [override])
    value = getattr(config, section)
    for part in key.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    assert value == expected
    assert type(value) is type(expected)


def test_set_works_without_the_section_in_the_file(tmp_path: Path):
    config = load_config(write(tmp_path, ""), ["run.start=2024-05-01", "strategy.params.topics=[ai]"])
    assert config.run.start == date(2024, 5, 1)
    assert config.run.end == Config().run.end  # the rest of the section keeps its defaults
    assert config.strategy.params["topics"] == ["ai"]
    assert config.strategy.params["hold_days"] == 5  # the strategy's other defaults are filled in


def test_later_set_wins(tmp_path: Path):
    config = load_config(write(tmp_path, "strategy:\n  params: {hold_days: 3}\n"), ["strategy.params.hold_days=4", "strategy.params.hold_days=6"])
    assert config.strategy.params["hold_days"] == 6


def test_set_into_a_mapping_takes_the_dotted_ticker_as_one_key(tmp_path: Path):
    config = load_config(write(tmp_path, ""), ["universe.lot_sizes.2800.HK=500", "universe.proxy=2800.HK"])
    assert config.universe.lot_sizes["2800.HK"] == 500
    assert config.universe.lot_sizes["9988.HK"] == Config().universe.lot_sizes["9988.HK"]  # defaults kept
    assert config.universe.proxy == "2800.HK"


def test_set_value_is_validated(tmp_path: Path):
    path = write(tmp_path, "strategy:\n  name: sentiment_long\n  params:\n    entry_threshold: 0.5\n")
    with pytest.raises(HkbtError) as caught:
        load_config(path, ["strategy.params.entry_threshold=3"])
    # the bad value came from --set, so the message blames --set, not the file's line
    assert str(caught.value) == "--set: strategy.params.entry_threshold: must be between -1 and 1 (got 3)"
    with pytest.raises(HkbtError) as caught:
        load_config(write(tmp_path, "strategy:\n  name: sentiment_long\n  params:\n    entry_threshold: 3\n"))
    assert str(caught.value).startswith(f"{tmp_path / 'config.yaml'}:4: strategy.params.entry_threshold: must be between -1 and 1")


# -------------------------------------------------------------------------------- config_hash

ORDERED = """\
# experiment A
run:
  name: a          # the name
  start: 2024-05-01
strategy:
  params:
    entry_threshold: 0.6
    topics: [ai, policy]
"""

REORDERED = """\
strategy: {params: {topics: [ai, policy], entry_threshold: 0.60}}
run:
    start: 2024-05-01
    name: "a"
"""


def test_config_hash_ignores_key_order_comments_and_spelling(tmp_path: Path):
    first = load_config(write(tmp_path, ORDERED, "a.yaml"))
    second = load_config(write(tmp_path, REORDERED, "b.yaml"))
    assert first == second
    assert first.config_hash() == second.config_hash()
    assert first.config_hash() == load_config(write(tmp_path, ORDERED, "c.yaml")).config_hash()  # stable


def test_config_hash_same_whether_set_or_written(tmp_path: Path):
    from_file = load_config(write(tmp_path, ORDERED.replace("0.6", "0.7"), "a.yaml"))
    from_set = load_config(write(tmp_path, ORDERED, "b.yaml"), ["strategy.params.entry_threshold=0.7"])
    assert from_file.config_hash() == from_set.config_hash()


@pytest.mark.parametrize(
    "override",
    ["strategy.params.entry_threshold=0.61", "run.name=b", "strategy.params.topics=[policy, ai]", "costs.brokerage_min=0",
     "universe.lot_sizes.9988.HK=200"],
)
def test_config_hash_changes_with_any_value(tmp_path: Path, override: str):
    path = write(tmp_path, ORDERED)
    assert load_config(path, [override]).config_hash() != load_config(path).config_hash()


def test_config_hash_is_a_short_hex_digest():
    digest = Config().config_hash()
    assert len(digest) == 16 and int(digest, 16) >= 0


# ------------------------------------------------------------------ one source of truth


def test_config_yaml_is_written_from_the_schema():
    from hkbt.config_yaml import render_config

    assert REPO_CONFIG.read_text(encoding="utf-8") == render_config(), \
        "config.yaml differs from the schema: regenerate it with `hkbt config --defaults > config.yaml`"


def test_every_setting_and_every_builtin_parameter_has_a_description():
    from hkbt.backtest.discovery import available_strategies, find_strategy, param_fields

    def fields(model):
        for name, info in model.model_fields.items():
            yield name, info
            if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
                yield from ((f"{name}.{n}", i) for n, i in fields(info.annotation))

    missing = [name for name, info in fields(Config) if not info.description
               and not (isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel))]
    assert not missing, f"settings without a description: {missing}"
    for strategy in available_strategies(None, REPO_ROOT):
        params = param_fields(find_strategy(strategy).cls.Params)
        assert all(f.description for f in params), f"{strategy}: a parameter without a description"


def test_topics_are_merged_onto_the_builtin_taxonomy(tmp_path: Path):
    from hkbt.news.taxonomy import default_taxonomy

    builtin = default_taxonomy()
    config = load_config(write(tmp_path, "topics:\n  macro: [inflation, gdp]\n  ai: []\n"))
    assert config.topics == builtin | {"macro": ["inflation", "gdp"], "ai": []}
    assert load_config(write(tmp_path, ""), ["topics.macro=[cpi]"]).topics == builtin | {"macro": ["cpi"]}
    assert Config.model_validate(config.resolved()) == config  # a resolved config reads back the same


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("sentiment.scorer=finbert", "must be a registered English scorer: vader, vader_fin, lm"),
        ("sentiment.zh_scorer=vader_fin", "must be a registered Chinese scorer: zh_fin"),
        ("prices.source=bloomberg", "must be a registered price source: yfinance, csv, synthetic"),
    ],
)
def test_registries_drive_the_allowed_values(tmp_path: Path, override: str, fragment: str):
    with pytest.raises(ConfigError, match=fragment):
        load_config(write(tmp_path, ""), [override])


def test_a_registered_price_source_is_accepted_without_touching_the_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from hkbt import prices

    monkeypatch.setitem(prices.PRICE_SOURCES, "parquet", lambda request: {})
    assert load_config(write(tmp_path, ""), ["prices.source=parquet"]).prices.source == "parquet"


def test_study_options_are_settings_and_part_of_the_hash(tmp_path: Path):
    path = write(tmp_path, "")
    assert load_config(path).study.horizons == [1, 3, 5, 10]
    changed = load_config(path, ["study.horizons=[5, 1]"])
    assert changed.study.horizons == [1, 5] and changed.config_hash() != load_config(path).config_hash()
    assert changed.config_hash(exclude=("study",)) == load_config(path).config_hash(exclude=("study",))


def test_set_strategy_name_starts_the_new_strategy_from_its_own_defaults(tmp_path: Path):
    path = write(tmp_path, "strategy:\n  name: sentiment_long\n  params: {entry_threshold: 0.7}\n")
    assert load_config(path, ["strategy.name=news_rebound"]).strategy.params["entry_threshold"] == -0.5
    assert load_config(path, ["strategy.name=news_rebound", "strategy.params.hold_days=9"]).strategy.params["hold_days"] == 9
    assert load_config(path, ["strategy.name=sentiment_long"]).strategy.params["entry_threshold"] == 0.7  # same strategy: kept
