"""hkbt: backtest news-sentiment strategies on Hong Kong tech stocks.

Data flows one way, each stage a pure function from frame to frame::

    config -> news (load, entities, topics, sessions, signals) <- sentiment (scorers)
           -> prices + backtest (runner, costs, strategy) -> trades, metrics -> results
           -> reports (run report, compare, index, study page)

Subpackages: :mod:`hkbt.news`, :mod:`hkbt.sentiment`, :mod:`hkbt.prices`,
:mod:`hkbt.backtest`, :mod:`hkbt.analysis`, :mod:`hkbt.reports`,
:mod:`hkbt.cli`; :mod:`hkbt.pipeline` wires one run together.

Only :mod:`hkbt.cli.main` turns :class:`hkbt.errors.HkbtError` into an exit code.

For notebooks, ``hkbt.run(config) -> Run`` runs one backtest (see
:mod:`hkbt.api`). ``import hkbt`` itself imports nothing else: pandas,
Backtrader and the scorers load when a run starts.
"""

__version__ = "0.1.0"
__all__ = ["Run", "run", "__version__"]


def run(config="config.yaml", *, set=(), name=None, write=True):  # noqa: A002 - as on the command line
    """Run one backtest like ``hkbt run`` and return a :class:`hkbt.api.Run` (metrics, trades, equity, report_path).

    ``config``: a YAML file, a mapping of settings or a Config; ``set``: ``"key=value"``
    overrides; ``name``: the run name; ``write=False`` keeps everything in memory.
    See :func:`hkbt.api.run`.
    """
    from hkbt.api import run as run_backtest

    return run_backtest(config, set=set, name=name, write=write)


def __getattr__(name: str):
    if name == "Run":  # the result type, imported on first use
        from hkbt.api import Run

        return Run
    raise AttributeError(f"module 'hkbt' has no attribute {name!r}")
