"""Heuristics for open answers: which fired, and the score they give."""

from __future__ import annotations

import pytest

from smarterrouter.profiling.heuristics import assess

PROMPT = "Write a warm two-sentence thank-you note to a neighbour who watered your plants."
GOOD = (
    "Thank you so much for watering my plants while I was away; they look happier "
    "than ever. I owe you a fresh loaf of bread and a long chat over coffee."
)
SPEC = {"words": [15, 60]}


@pytest.mark.parametrize(
    ("answer", "score", "detail"),
    [
        (GOOD, 1.0, "heuristics: no problem found (empty, refusal, repetition, language, length)"),
        ("   ", 0.0, "heuristics: empty answer"),
        ("I'm sorry, but I can't help with that request.", 0.1, "heuristics: refusal"),
        ("Thanks!", 0.6, "heuristics: too short"),
        (
            "Thank you for the plants. " * 12,
            0.3,
            "heuristics: repetition",
        ),
        (
            "Merci beaucoup d'avoir arrosé mes plantes pendant mon absence, elles "
            "vont très bien grâce à vous. Je vous dois un gâteau.",
            0.3,
            "heuristics: language mismatch",
        ),
        (
            "Спасибо, что поливали мои цветы, пока меня не было дома. Вы лучший сосед.",
            0.3,
            "heuristics: language mismatch",
        ),
    ],
)
def test_each_heuristic_fires_on_its_failure(answer: str, score: float, detail: str) -> None:
    grade = assess(PROMPT, answer, SPEC, 128)
    assert (grade.score, grade.method, grade.detail) == (score, "heuristic", detail)


def test_several_problems_multiply() -> None:
    grade = assess(PROMPT, "plants plants plants plants\n" * 60, SPEC, 128)
    assert grade.detail == "heuristics: repetition, language mismatch, too long"
    assert grade.score == round(0.3 * 0.3 * 0.6, 4)
