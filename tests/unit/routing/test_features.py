"""Features of a message: the evidence the classifier weighs, checked directly."""

import pytest

from smarterrouter.routing.classifier import LinearModel, Models, predict
from smarterrouter.routing.features import (
    char_grams,
    lexicon_hits,
    message_features,
    paste_features,
    shape,
    step_count,
    words_of,
)
from smarterrouter.routing.signals import conversation_of


def constraints_bucket(text: str) -> str:
    feats = shape(text, lexicon_hits(text, words_of(text)))
    return next(key for key in feats if key.startswith("cons:"))


def test_stacked_requirements_are_counted() -> None:
    loose = "write a poem about the sea"
    strict = (
        "write a poem about the sea: exactly 14 lines, each line must rhyme with the next, "
        "never use the word 'blue', and include at least three colours. Do NOT use a title."
    )
    assert constraints_bucket(loose) == "cons:0"
    assert constraints_bucket(strict) >= "cons:3"


def test_enumerated_items_count_as_requirements() -> None:
    listed = "Build the service.\n1. cache results\n2. retry on failure\n3. log every call"
    assert constraints_bucket(listed) >= "cons:2"


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("what is a monad", 0),
        ("explain monads", 1),
        ("pull the logs, cluster the errors by cause, then open a ticket for each", 3),
        ("Derive the recurrence and solve it. Prove the bound.", 3),
    ],
)
def test_steps_are_clauses_opened_by_a_task_verb(text: str, steps: int) -> None:
    assert step_count(text) == steps


def test_a_word_in_two_lexicons_counts_for_both() -> None:
    hits = lexicon_hits("prove it", ["prove", "it"])
    assert hits["math"] == 1
    assert hits["hard"] == 1


def test_prefix_entries_match_word_forms() -> None:
    assert lexicon_hits("", ["concurrency"])["hard"] == 1
    assert "hard" not in lexicon_hits("", ["concert"])


def test_pasted_code_and_logs_read_as_code_prose_as_prose() -> None:
    code = "def f(x):\n    return {k: v for k, v in x.items() if v[0] > 1}\n" * 20
    log = "2024-05-01T10:00:01Z api-2 ERROR timeout after 3000ms (retry 4)\n" * 20
    prose = "The council met on Tuesday and agreed to extend the bus route to the hospital. " * 10
    assert "paste:code" in paste_features(code)
    assert "paste:code" in paste_features(log)
    assert "paste:prose" in paste_features(prose)
    assert paste_features("") == {}


def test_features_of_a_long_paste_only_read_its_instruction_words() -> None:
    article = "Marmalade " * 2000
    feats = message_features(f"summarize this\n\n{article}\n\nin two lines")
    assert "w:summarize" in feats
    assert "w:marmalade" not in feats
    assert feats["paste"] == 1.0


def test_conversation_keeps_the_previous_user_turn() -> None:
    turns = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first ask"},
        {"role": "assistant", "content": "answer"},
        {"role": "user", "content": "now the follow-up"},
    ]
    conversation = conversation_of(turns)
    assert conversation.previous == "first ask"
    assert conversation.last == "now the follow-up"
    assert conversation_of(turns[:2]).previous == ""


def test_a_follow_up_leans_on_the_difficulty_of_what_it_continues() -> None:
    # A toy difficulty model: "hard" only when the word "proof" is present.
    models = Models(
        category=LinearModel(labels=("general",), weights={}),
        difficulty=LinearModel(
            labels=("simple", "hard"), weights={"bias": [1.0, 0.0], "w:proof": [0.0, 10.0]}
        ),
    )
    alone = predict("now do the next one", models=models)
    followed = predict("now do the next one", models=models, previous="a proof, please")
    fresh = predict("tell me a joke", models=models, previous="a proof, please")
    assert alone.difficulty == "simple"
    assert followed.difficulty == "hard"
    assert fresh.difficulty == "simple"


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("who won the world cup in 2010", {"nk:year"}),
        ("what changed in the 1500s", {"nk:year"}),
        ("I earn $72k and pay 1,200 € rent", {"nk:money"}),
        ("is a 5.9% loan over 72 months bad", {"nk:percent", "nk:unit"}),
        ("is 60 kg healthy at 1.70 m", {"nk:unit"}),
        ("solve 3x + 7 = 22", set()),
        ("prove 4k+3 has infinitely many primes", set()),
        ("no numbers here", set()),
    ],
)
def test_numbers_are_told_apart_by_kind(text: str, kinds: set[str]) -> None:
    assert {k for k in message_features(text) if k.startswith("nk:")} == kinds


def test_numbers_next_to_maths_words_read_as_a_sum_to_do() -> None:
    sum_to_do = message_features("calculate 17% of 2,340")
    fact = message_features("who was president of France in 1995")
    assert "x:num&math" in sum_to_do
    assert "x:num&nomath" in fact
    assert not any(k.startswith("x:") for k in message_features("who wrote hamlet"))


def test_separate_questions_and_listed_asks_are_counted() -> None:
    one = message_features("why is the sky blue?")
    three = message_features("why is it blue? why at sunset red? and on Mars?")
    listed = message_features(
        "Plan it:\n1. the route\n2. the budget\n3. the bookings\n- visas\n- insurance"
    )
    assert "asks:1" in one
    assert "asks:3" in three
    assert "asks:4" in listed


def test_the_size_of_what_was_written_is_counted_in_lines() -> None:
    snippet = message_features("fix this: x = 1")
    module = message_features("review this module\n\n" + "def f():\n    return 1\n" * 40)
    assert "lines:0" in snippet
    assert "lines:4" in module


def test_words_are_also_read_in_four_letter_slices_with_their_edges_marked() -> None:
    assert list(char_grams(["proof", "of", "proof"])) == ["g:<pro", "g:proo", "g:roof", "g:oof>"]
    feats = message_features("Optimise this")
    assert "g:<opt" in feats and "g:ise>" in feats
    # Short words are whole words already: no slices of their own.
    assert not any(key.startswith("g:") and "of" in key for key in message_features("of"))
