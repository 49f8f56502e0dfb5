"""hkbt: backtest news-sentiment strategies on Hong Kong tech stocks.

Data flows one way, each stage a pure function from frame to frame::

    config -> news (load, entities, topics, sessions, signals) <- sentiment (scorers)
           -> prices + backtest (runner, costs, strategy) -> trades, metrics -> results
           -> reports (run report, compare, index, study page)

Subpackages: :mod:`hkbt.news`, :mod:`hkbt.sentiment`, :mod:`hkbt.prices`,
:mod:`hkbt.backtest`, :mod:`hkbt.analysis`, :mod:`hkbt.reports`,
:mod:`hkbt.cli`; :mod:`hkbt.pipeline` wires one run together.

Only :mod:`hkbt.cli.main` turns :class:`hkbt.errors.HkbtError` into an exit code.
"""

__version__ = "0.1.0"
