"""The fitted scorer: the probability that a candidate answers a slot, and when to refuse.

The weights and thresholds are data (``scorer.json`` beside this module), fitted on
development questions written by others (``evals/fit_scorer.py``): a logistic regression over
the standardised features of :mod:`assistant.answering.features`, and for each operation the
probability below which the assistant says the documents do not state the answer, chosen for
the trade-off between refusing unanswerable questions and answering answerable ones.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .features import ANSWERABILITY, NAMES

#: Where the fitted weights are kept.
WEIGHTS_FILE = Path(__file__).with_name("scorer.json")


@dataclass
class Scorer:
    """A logistic model over standardised features, with a refusal threshold per operation."""

    weights: list[float]
    mean: list[float]
    scale: list[float]
    thresholds: dict[str, float] = field(default_factory=dict)
    #: A second-best slot answer is given when its probability is at least this.
    slot_threshold: float = 0.5
    #: What the weights were fitted on and how the thresholds were chosen (shown by the report).
    fitted: dict = field(default_factory=dict)
    #: The answerability model (weights, mean, scale over :data:`ANSWERABILITY`): the
    #: probability that the answer built from the best candidates is right, which the refusal
    #: thresholds are set on. Empty: the best candidate's probability stands for it.
    answerability: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | str = WEIGHTS_FILE) -> Scorer:
        """The scorer saved at ``path``; its features must be the ones this code computes."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data["features"] != NAMES:
            raise ValueError(f"{path} was fitted on other features; run evals/fit_scorer.py again")
        answerability = data.get("answerability", {})
        if answerability and answerability.get("features") != ANSWERABILITY:
            raise ValueError(f"{path} was fitted on other answerability features; run evals/fit_scorer.py again")
        return cls(data["weights"], data["mean"], data["scale"], data.get("thresholds", {}),
                   data.get("slot_threshold", 0.5), data.get("fitted", {}), answerability)

    def save(self, path: Path | str = WEIGHTS_FILE) -> None:
        """Write the scorer as JSON (the file the package ships)."""
        data = {"features": NAMES, "weights": self.weights, "mean": self.mean, "scale": self.scale,
                "thresholds": self.thresholds, "slot_threshold": self.slot_threshold,
                "fitted": self.fitted, "answerability": self.answerability}
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    def probability(self, x: list[float]) -> float:
        """P(the candidate answers the slot) for feature vector ``x``."""
        return _logistic(self.weights, x, self.mean, self.scale)

    def answerable(self, signals: list[float], best: float) -> float:
        """P(the answer built from the best candidates is right), from the question's
        answerability features; ``best`` (the best candidate's probability) without that model."""
        a = self.answerability
        if not a:
            return best
        return _logistic(a["weights"], signals, a["mean"], a["scale"])

    def threshold(self, operation: str) -> float:
        """The probability an answer to a question of ``operation`` needs (else: refuse)."""
        return self.thresholds.get(operation, self.thresholds.get("default", 0.5))


def _logistic(weights: list[float], x: list[float], mean: list[float], scale: list[float]) -> float:
    """A logistic model's probability for ``x``, its features standardised by ``mean`` and ``scale``."""
    z = sum(w * (v - m) / s for w, v, m, s in zip(weights, x, mean, scale, strict=True))
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
