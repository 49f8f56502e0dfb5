"""The built-in strategies, one file each (the file name is the ``strategy.name``).

They are ordinary strategy files: hkbt finds them the same way it finds yours
(see :mod:`hkbt.backtest.discovery`), and you may subclass one, e.g.
``from hkbt.strategies.sentiment_long import SentimentLong``.
"""
