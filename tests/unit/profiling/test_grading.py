"""grade(): each check kind is dispatched and explained."""

from __future__ import annotations

import pytest

from smarterrouter.profiling.grading import grade
from smarterrouter.profiling.prompts import PromptItem, load_prompt_set

ITEMS = {item.id: item for item in load_prompt_set().items}
pytestmark = pytest.mark.anyio


async def test_code_in_a_chatty_answer_is_run_against_the_tests() -> None:
    answer = (
        "Sure! Here is the function:\n\n```python\ndef is_prime(n):\n"
        "    return n in (2, 3, 5, 7, 11, 13, 17, 19, 97)\n```\nIt checks primes."
    )
    result = await grade(ITEMS["coding/is_prime"], answer)
    assert (result.method, result.passed, result.total) == ("checks", 6, 6)
    assert result.detail == "6/6 tests passed"


async def test_a_broken_solution_gets_partial_credit_and_a_reason() -> None:
    answer = "```python\ndef reverse_words(s):\n    return ' '.join(reversed(s.split(' ')))\n```"
    result = await grade(ITEMS["coding/reverse_words"], answer)
    assert (result.passed, result.total, result.score) == (2, 4, 0.5)
    assert result.detail == "2/4 tests passed; test 1: AssertionError"


async def test_an_answer_without_code_fails_every_test() -> None:
    result = await grade(ITEMS["coding/fizzbuzz"], "")
    assert (result.score, result.detail) == (0.0, "no code in the answer")


async def test_a_reasoning_answer_is_checked_against_the_known_number() -> None:
    reply = "23 - 9 = 14 apples. Then 2 * 6 = 12 more, so 14 + 12 = 26.\nThe answer is 26."
    result = await grade(ITEMS["reasoning/shop_apples"], reply)
    assert (result.score, result.method, result.detail) == (1.0, "checks", "answer 26 matched")


async def test_instructions_are_checked_with_partial_credit() -> None:
    result = await grade(ITEMS["general/light_colors"], "Red\nGreen\nBlue")
    assert (result.passed, result.total) == (4, 5)
    assert result.detail == "4/5 checks passed; failed: lowercase True not met"


async def test_an_open_answer_without_a_judge_is_marked_heuristic() -> None:
    result = await grade(ITEMS["creativity/bakery_slogan"], "Fresh from our oven to your table.")
    assert (result.method, result.score) == ("heuristic", 1.0)


@pytest.mark.parametrize(
    ("item_id", "strong", "weak"),
    [
        (
            "creativity/story_words",
            "By the river, Mia lit a lantern and made a promise to return each spring, "
            "and the water carried her light away into the dark.",
            "Once upon a time there was a story. Once upon a time there was a story.",
        ),
        (
            "general/person_json",
            '{"name": "Maria", "age": 34, "languages": ["Spanish", "English"]}',
            'Here is the JSON: {"name": "Maria", "age": "thirty-four"}',
        ),
    ],
)
async def test_a_better_answer_scores_higher(item_id: str, strong: str, weak: str) -> None:
    item: PromptItem = ITEMS[item_id]
    assert (await grade(item, strong)).score == 1.0
    assert (await grade(item, weak)).score < 0.5
