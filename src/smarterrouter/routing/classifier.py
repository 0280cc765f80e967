"""Category and difficulty of a conversation, from a small linear model.

Two multinomial logistic regressions over `features.py` (trained offline by
`bench/train_router.py` on the project's own labelled prompts) are shipped as
one JSON file, read once (at server start) and kept. The last user turn decides; earlier
turns and the system prompt only count in proportion to how unsure the last
turn alone is, so "and in rust?" after a coding exchange stays coding while
"thanks, it works now!" or a change of topic does not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import cast

import numpy as np

from smarterrouter.routing.features import Features, difficulty_features, message_features

_WEIGHTS_FILE = "classifier.json"
# How much the conversation may pull a doubtful last turn towards its topic.
CONTEXT_WEIGHT = 0.9
# Only this much of the earlier conversation is read: the recent part is the
# topic, and it bounds the cost for long chats.
_CONTEXT_CHARS = 3000
# "now add tests", "and in rust?": words that continue the previous request.
_CONTINUATIONS = frozenset({"now", "also", "and", "instead", "same", "again", "too"})
_CONTINUATION_PULL = 1.5
_SHORT_TURN_CHARS = 160
# How much a follow-up's difficulty leans on the request it continues.
_FOLLOW_UP_PULL = 1.0


class LinearModel:
    """Weights of one multinomial logistic regression: feature -> per-label weight.

    Held as one matrix (a last row of zeros for unknown features), so that a
    request's hundreds of features are scored in one product, and the tens of
    thousands of per-feature lists the file holds are not kept alive.
    """

    def __init__(self, labels: Sequence[str], weights: Mapping[str, Sequence[float]]) -> None:
        self.labels = tuple(labels)
        self._rows = {name: i for i, name in enumerate(weights)}
        self._matrix = np.zeros((len(self._rows) + 1, len(self.labels)))
        for name, i in self._rows.items():
            row = weights[name]
            if len(row) != len(self.labels):
                raise ValueError(
                    f"feature {name!r} has {len(row)} weights for {len(self.labels)} labels"
                )
            self._matrix[i] = row

    @property
    def weights(self) -> dict[str, list[float]]:
        return {name: self._matrix[i].tolist() for name, i in self._rows.items()}

    def probabilities(self, feats: Features) -> dict[str, float]:
        unknown = len(self._rows)
        index = [self._rows.get(name, unknown) for name in feats]
        values = np.fromiter(feats.values(), dtype=np.float64, count=len(feats))
        scores = (values @ self._matrix[index]).tolist()
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {label: e / total for label, e in zip(self.labels, exps, strict=True)}

    def to_json(self) -> dict[str, object]:
        return {"labels": list(self.labels), "weights": self.weights}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> LinearModel:
        labels = tuple(cast(list[str], data["labels"]))
        weights = cast(dict[str, list[float]], data["weights"])
        return cls(labels=labels, weights=weights)


@dataclass(frozen=True)
class Models:
    category: LinearModel
    difficulty: LinearModel


@cache
def load_models() -> Models:
    """The shipped models, read once (not at import): the server reads them in a
    worker thread while it starts, so no request waits for the file."""
    text = resources.files("smarterrouter.routing.data").joinpath(_WEIGHTS_FILE).read_text("utf-8")
    data = json.loads(text)
    return Models(
        category=LinearModel.from_json(data["category"]),
        difficulty=LinearModel.from_json(data["difficulty"]),
    )


@dataclass(frozen=True)
class Prediction:
    category: str
    difficulty: str
    # Probability of the chosen category: the last turn's own when the
    # conversation could not change the label and so was not read.
    confidence: float


def _argmax(probs: Mapping[str, float]) -> str:
    return max(sorted(probs), key=lambda k: probs[k])


def _median(probs: Mapping[str, float], order: Sequence[str]) -> str:
    """The middle of an ordered distribution: the label that minimises the expected
    number of steps off. Difficulty is ordered, and "simple" for a hard request
    costs more than "medium" does: split between the ends, the middle wins."""
    seen = 0.0
    for label in order:
        seen += probs[label]
        if seen >= 0.5:
            return label
    return order[-1]


def category_probabilities(
    last: Features,
    context: str,
    model: LinearModel,
    context_weight: float = CONTEXT_WEIGHT,
    continues: bool = False,
) -> dict[str, float]:
    """The last turn's probabilities, pulled towards the context's when unsure;
    as they are when no pull could change the label (the context is not read)."""
    probs = model.probabilities(last)
    if not context.strip():
        return probs
    pull = context_weight * (1.0 - max(probs.values()))
    if continues:
        pull = max(pull, _CONTINUATION_PULL)
    ranked = sorted(probs.values(), reverse=True)
    if len(ranked) < 2 or ranked[0] - ranked[1] > pull:
        # Even a context wholly for the runner-up could not overtake the
        # leader: the label is settled without reading the conversation.
        return probs
    ctx = model.probabilities(message_features(context[-_CONTEXT_CHARS:]))
    return {k: (probs[k] + pull * ctx[k]) / (1 + pull) for k in probs}


def _continues(last: str) -> bool:
    """A short turn that opens by carrying on from the previous request."""
    return len(last) <= _SHORT_TURN_CHARS and _opens_as_continuation(last)


def _opens_as_continuation(last: str) -> bool:
    opening = last[:40].lower().replace(",", " ").replace(".", " ").split()[:3]
    return any(word in _CONTINUATIONS for word in opening)


def predict(
    last: str, context: str = "", models: Models | None = None, previous: str = ""
) -> Prediction:
    """Category and difficulty of the last user turn, in its conversation.

    `previous` is the user turn before the last: "now add these constraints"
    leans on the difficulty of the request it carries on, whatever its own words say.
    """
    models = models or load_models()
    feats = message_features(last)
    continues = _continues(last)
    probs = category_probabilities(feats, context, models.category, continues=continues)
    category = _argmax(probs)
    difficulty = models.difficulty.probabilities(difficulty_features(feats, category))
    if previous.strip() and _opens_as_continuation(last):
        earlier = difficulty_features(message_features(previous), category)
        difficulty = _blend(difficulty, models.difficulty.probabilities(earlier))
    level = _median(difficulty, models.difficulty.labels)
    return Prediction(category=category, difficulty=level, confidence=probs[category])


def _blend(probs: Mapping[str, float], other: Mapping[str, float]) -> dict[str, float]:
    return {k: (probs[k] + _FOLLOW_UP_PULL * other[k]) / (1 + _FOLLOW_UP_PULL) for k in probs}
