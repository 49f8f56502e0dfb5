"""config.yaml, written from the schema: every key with its value and its description.

The defaults and their descriptions are stated once, in :mod:`hkbt.config`
(and a strategy's own ``Params``); ``config.yaml`` is this module's output for
the default config (a test keeps the file equal to it), and ``hkbt config``
prints it for any config, so a user can start a file from what a run would
use::

    hkbt config > config.yaml                          # regenerate the default file
    hkbt config --set strategy.name=news_rebound       # a config showing news_rebound's parameters

Each setting is one line, ``key: value  # description``; mappings of data
(lot sizes, aliases, strategy params) get a line per entry, and lists of
records (``news.feeds``) a flow mapping per entry. ``topics:``, ``scopes:``
and ``themes:`` show only what differs from the built-in word lists
(hkbt/news/taxonomy.yaml, hkbt/news/scopes.yaml), which they are merged onto
by name.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from hkbt.config import Config
from hkbt.news.taxonomy import default_scope_words, default_taxonomy, default_themes

HEADER = """\
# hkbt experiment: every key is optional (defaults shown) and checked on load.
# Relative paths are read from this file's folder. Override any key from the
# command line:  hkbt run --set strategy.params.entry_threshold=0.7 --name strict
# Written from the schema (hkbt/config.py) by `hkbt config`; edit a copy, not the schema's words here.
"""
COMMENT_COLUMN = 30  # where the "# description" of a short line starts
WIDTH = 118  # long flow lists are wrapped to this width


def scalar(value: Any) -> str:
    """One YAML value in flow style, as short as it reads back the same.

    >>> from datetime import date
    >>> scalar(1_000_000.0), scalar(None), scalar(["9988.HK", "NYSE:BABA"]), scalar(date(2024, 3, 25))
    ('1000000', 'null', "[9988.HK, 'NYSE:BABA']", '2024-03-25')
    """
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, Path):
        value = value.as_posix()
    if isinstance(value, tuple):
        value = list(value)
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9, sort_keys=False).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def line(indent: int, key: str, value: str, comment: str | None) -> str:
    """``key: value`` with its comment aligned (two spaces at least)."""
    text = f"{' ' * indent}{key}:{' ' + value if value else ''}"
    if not comment:
        return text
    return f"{text.ljust(COMMENT_COLUMN - 1)} # {comment}" if len(text) < COMMENT_COLUMN - 1 else f"{text}  # {comment}"


def wrapped(indent: int, key: str, items: list[Any], comment: str | None) -> list[str]:
    """A flow list, on one line when it fits, else continued under its first item."""
    first = line(indent, key, scalar(items), comment)
    if len(first) <= WIDTH:
        return [first]
    head = f"{' ' * indent}{key}: ["
    body = textwrap.wrap(", ".join(scalar([item])[1:-1] for item in items) + "]", WIDTH - len(head),
                         break_long_words=False, break_on_hyphens=False)
    lines = [line(indent, key, "", comment)] if comment else []
    lead = " " * (indent + 2) + "[" if comment else head
    pad = " " * len(lead)
    return lines + [lead + body[0]] + [pad + rest for rest in body[1:]]


def render_config(config: Config | None = None) -> str:
    """The commented YAML of ``config`` (the defaults when None): what config.yaml holds."""
    config = config or Config()
    out = [HEADER]
    for name, field in Config.model_fields.items():
        value = getattr(config, name)
        out.append("")
        if name == "scopes":
            builtin = default_scope_words()
            changed = {key: words for key, words in value.items() if builtin.get(key) != words}
            out.append(line(0, name, "" if changed else "{}", field.description))
            out.extend(text for key, words in changed.items() for text in wrapped(2, key, words, None))
        elif name == "themes":
            builtin = default_themes()
            changed = {  # a built-in theme shows only the keys that differ (themes merge key by key)
                t: {k: v for k, v in theme.model_dump().items() if t not in builtin or builtin[t].get(k) != v}
                for t, theme in value.items() if builtin.get(t) != theme.model_dump()
            }
            off = [t for t in builtin if t not in value]
            out.append(line(0, name, "" if changed or off else "{}", field.description))
            for theme, settings in changed.items():
                out.append(line(2, theme, "", None))
                out.extend(text for key, item in settings.items()
                           for text in (wrapped(4, key, item, None) if isinstance(item, list) else [line(4, key, scalar(item), None)]))
            out.extend(line(2, theme, "null", None) for theme in off)
        elif isinstance(value, BaseModel):
            out.append(line(0, name, "", field.description))
            out.extend(_section(value, 2, config))
        elif name == "topics":
            builtin = default_taxonomy()
            changed = {t: p for t, p in value.items() if builtin.get(t) != p}
            out.append(line(0, name, "" if changed else "{}", field.description))
            out.extend(text for topic, patterns in changed.items() for text in wrapped(2, topic, patterns, None))
        else:
            out.append(line(0, name, scalar(value), field.description))
    return "\n".join(out).replace("\n\n\n", "\n\n") + "\n"


def _section(model: BaseModel, indent: int, config: Config) -> list[str]:
    lines = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            lines.append(line(indent, name, "", field.description))
            lines.extend(_section(value, indent + 2, config))
        elif isinstance(value, dict) and value and name in ("lot_sizes", "aliases", "params"):
            lines.append(line(indent, name, "", field.description))
            lines.extend(_mapping(name, value, indent + 2, config))
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            lines.extend(wrapped(indent, name, value, field.description))
        elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            # a list of records (news.feeds): one flow mapping per entry, its non-default keys only
            lines.append(line(indent, name, "", field.description))
            lines.extend(f"{' ' * (indent + 2)}- {scalar(item.model_dump(mode='json', exclude_defaults=True))}" for item in value)
        else:
            lines.append(line(indent, name, scalar(value), field.description))
    return lines


def _mapping(name: str, mapping: dict[str, Any], indent: int, config: Config) -> list[str]:
    """Entries of a data mapping, each commented where the schema knows something about it."""
    if name == "params":
        described = _param_descriptions(config)
        return [line(indent, key, scalar(value), described.get(key)) for key, value in mapping.items()]
    if name == "lot_sizes":
        names = {ticker: aliases[0] for ticker, aliases in config.universe.aliases.items() if aliases}
        return [line(indent, ticker, scalar(lot), names.get(ticker)) for ticker, lot in mapping.items()]
    return [text for key, items in mapping.items() for text in wrapped(indent, key, items, None)]


def _param_descriptions(config: Config) -> dict[str, str]:
    found = config.strategy.found
    if found is None:
        return {}
    from hkbt.backtest.discovery import param_fields

    return {f.name: f.description for f in param_fields(found.cls.Params) if f.description}
