"""Strategies broken on purpose, used only by the tests (never resolved by name)."""
