"""The request classifier on real-looking prompts, in several languages."""

import math
import random
from typing import Any

import pytest

from smarterrouter.routing.actions import wants_action
from smarterrouter.routing.classifier import (
    CONTEXT_WEIGHT,
    LinearModel,
    Models,
    category_probabilities,
    predict,
)
from smarterrouter.routing.features import effective_length, message_features, split_paste
from smarterrouter.routing.signals import classify


def chat(*turns: tuple[str, Any]) -> dict[str, Any]:
    return {"messages": [{"role": r, "content": c} for r, c in turns]}


@pytest.mark.parametrize(
    ("prompt", "category"),
    [
        ("how do i undo the last git commit but keep my changes", "coding"),
        ("write a bash script that deletes log files older than 7 days", "coding"),
        ("¿Cómo ordeno una lista de diccionarios por una clave en Python?", "coding"),
        ("Wie schreibe ich eine Funktion in JavaScript, die ein Array mischt?", "coding"),
        ("用Python写一个函数，计算列表中每个单词出现的次数。", "coding"),  # noqa: RUF001
        ("what's 15% of 80", "reasoning"),
        ("solve 3x + 7 = 22 and show the steps", "reasoning"),
        ("Combien font 144 divisé par 12 ?", "reasoning"),
        ("write a haiku about the first snow", "creativity"),
        ("give me 5 funny names for a hamster", "creativity"),
        ("Écris un petit poème pour l'anniversaire de ma sœur", "creativity"),
        (
            "Schreibe eine kurze Geschichte über einen Drachen, der Angst vor Mäusen hat",
            "creativity",
        ),
        ("who wrote one hundred years of solitude", "general"),
        ("what's the capital of portugal", "general"),
        ("¿Cuál es la capital de Argentina?", "general"),
        # General knowledge that merely mentions code, money or numbers.
        ("what was the first high-level programming language, and who made it?", "general"),
        ("who created the Go language at Google, and why?", "general"),
        (
            "my boss offered a 3% raise but similar roles pay 15% more. how do I push back?",
            "general",
        ),
        ("what caused the 2008 housing crash in the US?", "general"),
        ("what's the difference between a Roth and a traditional 401k if I earn $90k?", "general"),
        ("what year did the Berlin Wall fall, and who was chancellor then?", "general"),
        ("is a salary of $48k enough to live alone in Denver?", "general"),
        ("how many people live in Canada in 2024", "general"),
        ("my son has a 38.5 fever, should I give him ibuprofen?", "general"),
        # ... while numbers that ask for a sum are still reasoning.
        ("what is 12% of 250", "reasoning"),
        ("a train goes 240 km in 3 hours; how far in 5 hours at the same speed?", "reasoning"),
    ],
)
def test_category(prompt: str, category: str) -> None:
    assert classify(chat(("user", prompt))).category == category


@pytest.mark.parametrize(
    ("prompt", "difficulty"),
    [
        ("hi!", "simple"),
        ("who painted the starry night", "simple"),
        ("how do I reverse a list in python", "simple"),
        (
            "implement a lock-free concurrent hash map in C++ with correct memory ordering, "
            "resizing without stopping readers, and a stress test; explain every ordering choice",
            "hard",
        ),
        ("prove that there are infinitely many primes of the form 4k+3", "hard"),
        (
            "write a 300-word story about a lighthouse keeper who adopts a seagull, warm tone",
            "medium",
        ),
        ("a funny caption for a photo of my dog wearing sunglasses", "simple"),
        ("a two-line rhyme for my mom's birthday card", "simple"),
        (
            "write a sestina about a harbour town: the six end words must be tide, rope, salt, "
            "bell, gull and home, every stanza must rotate them correctly, the envoi must use "
            "all six, and never use the word 'sea'",
            "hard",
        ),
        (
            "Design a multi-region active-active Postgres setup: conflict resolution, failover "
            "under 30 seconds, schema migrations across regions, and how to test a region loss.",
            "hard",
        ),
    ],
)
def test_difficulty(prompt: str, difficulty: str) -> None:
    assert classify(chat(("user", prompt))).difficulty == difficulty


CODING_EXCHANGE = (
    ("user", "write a python function that parses a date like 2024-03-01"),
    ("assistant", "```python\ndef parse(s):\n    return datetime.date.fromisoformat(s)\n```"),
)


def test_a_follow_up_takes_the_topic_of_the_conversation() -> None:
    assert classify(chat(*CODING_EXCHANGE, ("user", "and in rust?"))).category == "coding"


def test_a_change_of_topic_is_not_pulled_back() -> None:
    turn = ("user", "unrelated, but write me a short poem about my new kitten")
    assert classify(chat(*CODING_EXCHANGE, turn)).category == "creativity"


def test_context_only_counts_when_the_last_turn_is_unsure() -> None:
    model = LinearModel(labels=("a", "b"), weights={"w:sure": [9.0, 0.0], "w:other": [0.0, 9.0]})
    sure = category_probabilities({"w:sure": 1.0}, "other other", model)
    unsure = category_probabilities({}, "other other", model)
    assert sure["a"] > 0.99
    assert unsure["b"] > unsure["a"]


def test_context_is_blended_in_only_where_it_could_change_the_label() -> None:
    model = LinearModel(labels=("a", "b"), weights={"w:aye": [1.0, 0.0], "w:bee": [0.0, 9.0]})
    lead = {"w:aye": 1.0}  # a 73/27 lead: more than the doubt's pull could overturn
    alone = model.probabilities(lead)
    assert category_probabilities(lead, "bee", model) == alone
    # A turn that opens as a continuation is pulled hard enough to be overturned.
    pulled = category_probabilities(lead, "bee", model, continues=True)
    assert pulled["b"] > pulled["a"]


def test_skipping_the_context_never_changes_the_label() -> None:
    rng = random.Random(7)
    words = ["alpha", "bravo", "delta", "gamma", "kappa", "omega"]
    for _ in range(300):
        labels = ("a", "b", "c")
        weights = {f"w:{w}": [rng.uniform(-3, 3) for _ in labels] for w in words}
        model = LinearModel(labels=labels, weights=weights)
        last = {f"w:{w}": 0.4 for w in rng.sample(words, rng.randint(0, 3))}
        context = " ".join(rng.sample(words, rng.randint(1, 4)))
        continues = rng.random() < 0.3
        got = category_probabilities(last, context, model, continues=continues)
        # The blend in full, as if the context were always read.
        probs = model.probabilities(last)
        ctx = model.probabilities(message_features(context))
        pull = CONTEXT_WEIGHT * (1 - max(probs.values()))
        pull = max(pull, 1.5) if continues else pull
        full = {k: (probs[k] + pull * ctx[k]) / (1 + pull) for k in probs}
        assert max(got, key=got.__getitem__) == max(full, key=full.__getitem__)


def test_a_weight_row_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="'w:x' has 1 weights for 2 labels"):
        LinearModel(labels=("a", "b"), weights={"w:x": [1.0]})


def test_scores_weigh_each_feature_by_its_value_and_skip_unknown_ones() -> None:
    model = LinearModel(labels=("a", "b"), weights={"x": [2.0, 0.0], "y": [0.0, 1.0]})
    probs = model.probabilities({"x": 0.5, "y": 1.0, "never seen": 5.0})
    assert probs["a"] == pytest.approx(0.5)  # 2.0 * 0.5 against 1.0 * 1.0
    assert model.probabilities({"y": 3.0})["b"] == pytest.approx(1 / (1 + math.exp(-3.0)))


def test_a_long_pasted_log_is_coding() -> None:
    log = "\n".join(
        f"2024-05-01T10:{i:02d}:00Z api-{i % 3} ERROR redis.exceptions.ConnectionError: "
        f"Error 111 connecting to cache:6379. Connection refused. (retry {i})"
        for i in range(60)
    )
    assert classify(chat(("user", f"why does this keep happening?\n\n{log}"))).category == "coding"


def test_a_long_pasted_article_with_a_short_ask_is_general_and_simple() -> None:
    article = "The council approved the new bike lanes after a long debate about parking. " * 80
    s = classify(chat(("user", f"{article}\n\nsummarize in one line")))
    assert (s.category, s.difficulty) == ("general", "simple")


def test_split_paste_keeps_the_instruction_apart() -> None:
    parts = split_paste("translate this to german\n\n" + "Long paragraph of text. " * 60)
    assert parts.instruction == "translate this to german"
    assert parts.paste
    assert split_paste("short question?").paste == ""


def test_cjk_counts_as_more_than_one_character() -> None:
    assert effective_length("日本語") == 9
    assert effective_length("abc") == 3


def test_features_and_prediction_are_deterministic() -> None:
    prompt = "Escribe un cuento corto sobre un gato que aprende a programar en Python"
    assert message_features(prompt) == message_features(prompt)
    assert {predict(prompt) for _ in range(5)} == {predict(prompt)}


@pytest.mark.parametrize(
    ("prompt", "system", "expected"),
    [
        ("run the test suite on the release/2.1 branch and tell me what fails", "", True),
        ("ssh into db-replica-3 and check the disk usage", "", True),
        ("what's the bitcoin price right now?", "", True),
        ("turn off the living room lights", "", True),
        ("book it for friday at 8", "You can search and book restaurants.", True),
        ("how do I run the tests in pytest with verbose output?", "", False),
        ("write a poem about running in the rain", "", False),
        ("find all integer solutions of x^2 - y^2 = 15", "", False),
        ("send it to my manager", "", True),
        ("what's today's weather in Oslo?", "", True),
        ("fetch the latest build logs from CI and tell me what broke", "", True),
        # Pronouns and "live" as a verb are not the user's things or live data.
        ("how do I delete a branch in git and switch back to main?", "", False),
        ("find all real x such that x^2 - 5x + 6 = 0, then check them", "", False),
        ("add error handling to it and print a friendly message", "", False),
        ("people who live in Oslo: what do they pay in income tax?", "", False),
        (
            "write a bash script that backs up my home folder with today's date in the name",
            "",
            False,
        ),
    ],
)
def test_wants_action(prompt: str, system: str, expected: bool) -> None:
    assert wants_action(prompt, system) is expected


def test_difficulty_split_between_the_ends_is_medium() -> None:
    """Difficulty is ordered: with "simple" and "hard" both likely and "medium"
    the least likely, the prediction is the middle, not the top label."""
    labels = ("simple", "medium", "hard")
    category = LinearModel(labels=("general",), weights={"bias": [0.0]})
    split = LinearModel(labels=labels, weights={"bias": [1.0, 0.0, 0.9]})
    sure = LinearModel(labels=labels, weights={"bias": [3.0, 0.0, 0.9]})
    assert predict("anything", models=Models(category, split)).difficulty == "medium"
    assert predict("anything", models=Models(category, sure)).difficulty == "simple"
