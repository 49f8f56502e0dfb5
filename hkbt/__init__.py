"""hkbt: backtest news-sentiment strategies on Hong Kong tech stocks.

Data flows one way, each stage a pure function from frame to frame::

    config -> news -> entities -> sentiment -> topics -> sessions
           -> prices + costs + strategy (runner) -> metrics -> results -> report

Only :mod:`hkbt.cli` turns :class:`hkbt.errors.HkbtError` into an exit code.
"""

__version__ = "0.1.0"
