"""Analysis beyond one backtest: the event study."""
