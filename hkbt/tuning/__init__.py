"""Tuning without fooling yourself: parameter sweeps, walk-forward validation, overfitting guards."""
