"""Sentiment: scorers (vader, vader_fin, lm), their lexicons, the score cache and evaluation."""
