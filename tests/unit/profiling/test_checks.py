"""JSON and constraint checks: what holds, what does not, partial credit."""

from __future__ import annotations

import pytest

from smarterrouter.profiling.checks import check_constraints, check_exact, check_json, check_numeric

PERSON = {
    "keys": {"name": "string", "age": "integer", "languages": "array"},
    "values": {"name": "Maria", "age": 34, "languages": ["Spanish", "English"]},
}
GOOD_JSON = '{"name": "Maria", "age": 34, "languages": ["English", "Spanish"]}'


def test_json_alone_and_right_passes_every_check() -> None:
    grade = check_json(PERSON, GOOD_JSON)
    assert (grade.score, grade.passed, grade.total) == (1.0, 8, 8)


def test_json_in_a_fence_counts_as_alone() -> None:
    assert check_json(PERSON, f"```json\n{GOOD_JSON}\n```").score == 1.0


def test_json_with_prose_around_it_loses_one_check() -> None:
    grade = check_json(PERSON, f"Sure! Here it is: {GOOD_JSON} Hope this helps.")
    assert (grade.passed, grade.total) == (7, 8)
    assert "text around the JSON" in grade.detail


def test_wrong_types_and_values_are_named() -> None:
    grade = check_json(PERSON, '{"name": "Maria", "age": "34", "languages": ["Spanish"]}')
    assert (grade.passed, grade.total) == (5, 8)
    assert "key 'age' missing or not integer" in grade.detail


def test_an_object_is_looked_for_when_keys_are_expected() -> None:
    answer = 'def person():\n    return data["name"]\n\n{"name": "Maria", "age": 34}'
    grade = check_json(PERSON, answer)
    assert (grade.passed, grade.total) == (5, 8)
    assert check_json(PERSON, '["Maria", 34]').score == 0.0


def test_invalid_json_scores_zero() -> None:
    grade = check_json(PERSON, "{name: Maria, age: 34")
    assert (grade.score, grade.detail) == (0.0, "no valid JSON found")


def test_a_json_array_is_compared_whole() -> None:
    spec = {"equals": ["Mercury", "Venus", "Earth", "Mars"]}
    assert check_json(spec, '["Mercury", "Venus", "Earth", "Mars"]').score == 1.0
    assert check_json(spec, '["Mercury", "Venus", "Earth", "Jupiter"]').passed == 2


@pytest.mark.parametrize(
    ("rules", "answer", "passed", "total"),
    [
        ({"words": [3, 5]}, "one two three four", 1, 1),
        ({"words": [3, 5]}, "one two", 0, 1),
        (
            {"lines": 3},
            "Leaves drift and fall\nred and gold upon the path\nautumn says goodbye",
            1,
            1,
        ),
        ({"lines": 3}, "Here is a haiku:\n\na\nb\nc", 0, 1),
        ({"must_include": ["river", "lantern"]}, "A lantern by the River.", 2, 2),
        ({"must_include": ["river", "lantern"]}, "A lamp by the riverside.", 0, 2),
        ({"must_include": ["promise", "wave"]}, "Promising skies, waves.", 2, 2),
        ({"must_not_include": ["sorry"]}, "Sure, here it is.", 1, 1),
        ({"lowercase": True}, "all lower case here.", 1, 1),
        ({"lowercase": True}, "Not lower.", 0, 1),
        ({"bullets": 4}, "- a\n- b\n* c\n1. d", 1, 1),
        ({"bullets": 4}, "- a\n- b\n- c", 0, 1),
        ({"acrostic": "CODE"}, "Curious minds\nOpen doors\nDream in loops\nEnd in light", 1, 1),
        ({"acrostic": "CODE"}, "Code\nis\nfun", 0, 1),
        ({"no_letter": "e"}, "A cat naps on a warm mat.", 1, 1),
        ({"no_letter": "e"}, "The cat sleeps.", 0, 1),
        ({"sentences": [1, 1]}, "One sentence only.", 1, 1),
        ({"sentences": [1, 1]}, "One. Two.", 0, 1),
        ({"items": 3}, "Golden Leaf, Misty Peak, Calm Cup", 1, 1),
        ({"starts_with": "robot:"}, "Robot: hello", 1, 1),
        ({"words": [1, 9], "must_include": ["x"]}, "", 0, 2),
    ],
)
def test_constraints_count_each_rule(
    rules: dict[str, object], answer: str, passed: int, total: int
) -> None:
    grade = check_constraints({"rules": rules}, answer)
    assert (grade.passed, grade.total, grade.method) == (passed, total, "checks")


def test_constraint_detail_names_what_failed() -> None:
    grade = check_constraints({"rules": {"lines": 3, "must_include": ["leaf"]}}, "a\nb")
    assert grade.detail == "0/2 checks passed; failed: lines 3 not met, missing 'leaf'"


def test_numeric_and_exact_details_say_what_was_found() -> None:
    assert check_numeric({"answer": 26}, "It is 26.").detail == "answer 26 matched"
    assert check_numeric({"answer": "1/2"}, "It is 0.4").detail == (
        "answer 2/5 (0.4), expected 1/2 (0.5)"
    )
    assert check_numeric({"answer": 3}, "no idea").detail == "no number found; expected 3"
    spec = {"answer": "Canberra", "choices": ["Sydney"]}
    assert check_exact(spec, "Sydney").detail == "answer 'Sydney', expected 'Canberra'"
