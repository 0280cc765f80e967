"""The bundled prompt set: it loads, every check is sound, draws are stable."""

from __future__ import annotations

import asyncio
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from smarterrouter.profiling.grading import grade
from smarterrouter.profiling.prompts import (
    CATEGORIES,
    PromptItem,
    PromptSetError,
    load_prompt_set,
    select,
)
from smarterrouter.profiling.sandbox import Sandbox

PROMPTS = load_prompt_set()


def _items(kind: str) -> list[PromptItem]:
    return [item for item in PROMPTS.items if item.check["kind"] == kind]


def test_every_category_has_enough_items_and_a_version() -> None:
    counts = Counter(item.category for item in PROMPTS.items)
    assert PROMPTS.version
    assert {category: counts[category] >= 8 for category in CATEGORIES} == dict.fromkeys(
        CATEGORIES, True
    )


def test_prompts_are_small_model_friendly() -> None:
    assert max(item.max_tokens for item in PROMPTS.items) <= 320
    assert all(item.messages[-1]["role"] == "user" for item in PROMPTS.items)


@pytest.mark.anyio
async def test_every_reference_solution_passes_and_every_wrong_one_fails() -> None:
    sandbox = Sandbox()
    coding = _items("python_tests")
    fenced = [f"```python\n{item.check['reference']}```" for item in coding]
    wrong = [item.check["wrong"] for item in coding]
    right_grades = await asyncio.gather(
        *(grade(item, a, sandbox=sandbox) for item, a in zip(coding, fenced, strict=True))
    )
    wrong_grades = await asyncio.gather(
        *(grade(item, a, sandbox=sandbox) for item, a in zip(coding, wrong, strict=True))
    )
    assert [(i.id, g.passed == g.total) for i, g in zip(coding, right_grades, strict=True)] == [
        (i.id, True) for i in coding
    ]
    assert [(i.id, g.score < 1) for i, g in zip(coding, wrong_grades, strict=True)] == [
        (i.id, True) for i in coding
    ]


def _phrasings(answer: str) -> list[str]:
    return [
        f"Let me think. The answer is {answer}.",
        f"Step 1 gives a first value.\n\n**{answer}**",
        f"Answer: {answer}",
        f"So in the end we get {answer}",
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("item", _items("numeric_answer"), ids=lambda i: i.id)
async def test_numeric_answers_are_read_from_sample_phrasings(item: PromptItem) -> None:
    answer = str(item.check["answer"])
    grades = [await grade(item, reply) for reply in _phrasings(answer)]
    assert [g.score for g in grades] == [1.0] * 4
    off = Fraction(answer) + 1
    assert (await grade(item, f"The answer is {off}.")).score == 0.0


@pytest.mark.anyio
@pytest.mark.parametrize("item", _items("exact_answer"), ids=lambda i: i.id)
async def test_word_answers_are_read_from_sample_phrasings(item: PromptItem) -> None:
    answers = item.check["answer"]
    answer = answers if isinstance(answers, str) else answers[0]
    grades = [await grade(item, reply) for reply in _phrasings(answer)]
    assert [g.score for g in grades] == [1.0] * 4
    wrong = item.check["choices"][0]
    assert (await grade(item, f"The answer is {wrong}.")).score == 0.0


def test_the_default_draw_is_the_same_everywhere_and_a_seed_changes_it() -> None:
    first = [item.id for item in select(PROMPTS, 3)]
    assert first == [item.id for item in select(load_prompt_set(), 3)]
    assert Counter(i.split("/")[0] for i in first) == dict.fromkeys(CATEGORIES, 3)
    seeded = [item.id for item in select(PROMPTS, 3, seed=7)]
    assert seeded == [item.id for item in select(PROMPTS, 3, seed=7)]
    assert {seeded != first, len(set(seeded)) == 12} == {True}


def _write_set(folder: Path, item: str) -> Path:
    (folder / "set.toml").write_text('version = "t-1"\nfiles = ["c.toml"]\n')
    (folder / "c.toml").write_text(f'category = "general"\n[[items]]\n{item}')
    return folder / "set.toml"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ('id = "general/a"\nmax_tokens = 64\nprompt = "hi"\ncheck = {kind = "vibes"}', "vibes"),
        ('id = "coding/a"\nmax_tokens = 64\nprompt = "hi"\ncheck = {kind = "open"}', "general/"),
        ('id = "general/a"\nmax_tokens = 9999\nprompt = "x"\ncheck = {kind = "open"}', "16..1024"),
        (
            'id = "general/a"\nmax_tokens = 64\nprompt = "x"\n'
            'check = {kind = "constraints", rules = {rhymes = 2}}',
            "rhymes",
        ),
        ('id = "general/a"\nmax_tokens = 64\ncheck = {kind = "open"}', "missing 'prompt'"),
    ],
)
def test_a_broken_prompt_file_is_refused_with_the_item_named(
    tmp_path: Path, item: str, message: str
) -> None:
    with pytest.raises(PromptSetError, match=message) as caught:
        load_prompt_set(_write_set(tmp_path, item))
    assert item.split('"')[1] in str(caught.value)
