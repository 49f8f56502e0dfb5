"""Backtest: the Backtrader shell, HK costs, round trips, benchmarks, statistics and run folders."""
