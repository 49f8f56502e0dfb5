"""blend: vader_fin's rules averaged with the trained tfns_linear model.

``score = (1 - w) * vader_fin + w * tfns_linear`` with ``w =`` :data:`BLEND_WEIGHT`, cut into
classes at vader_fin's thresholds. The weight was chosen on the English event tuning set
(tests/data/events_en_tune.csv) as the best of 0.2, 0.3, 0.4 and 0.5; every one of them scored
below vader_fin alone there, which is why vader_fin, not the blend, is the default. The blend is
kept so that the comparison can be re-run (``hkbt sentiment eval --scorer blend``).

Example::

    >>> blend = BlendScorer()
    >>> bool(blend.score(["Shares soar to a record high"])[0] > 0.3)
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hkbt.sentiment.linear_model import LinearScorer
from hkbt.sentiment.vader_fin import Explanation, VaderFinScorer

__all__ = ["BlendScorer", "BLEND_WEIGHT"]

BLEND_WEIGHT = 0.2
"""The trained model's share of the blended score."""


class BlendScorer:
    """``(1 - w) * vader_fin + w * tfns_linear``; :meth:`explain` shows vader_fin's rules and the model's part."""

    name = "blend"
    language = "en"
    class_thresholds = VaderFinScorer.class_thresholds

    def __init__(self, weight: float = BLEND_WEIGHT) -> None:
        self.weight = weight
        self._rules = VaderFinScorer()
        self._model = LinearScorer()
        self.version = f"1+w{weight:g}+{self._rules.version}+{self._model.version}"

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """The blended score of each text, float64 in [-1, 1]."""
        rules = self._rules.score(texts)
        return np.clip((1 - self.weight) * rules + self.weight * self._model.score(texts), -1.0, 1.0)

    def explain(self, text: str) -> Explanation:
        """vader_fin's explanation, its score replaced by the blend's, with the model's part as one more line."""
        trace = self._rules.explain(text)
        model = float(self._model.score([text])[0])
        score = float(np.clip((1 - self.weight) * trace.score + self.weight * model, -1.0, 1.0))
        fired = [*trace.fired, ("model", f"tfns_linear P(pos) - P(neg) = {model:+.3f} (x{self.weight:g})", 0.0)]
        return Explanation(trace.text, score, fired)
