"""Export files: written from profiles, read back the same, refused with the reason."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from smarterrouter.profiling.commands import ImportProblem, export_document, parse_document
from smarterrouter.profiling.grading import Grade
from smarterrouter.profiling.profile import ModelProfile, item_score, summarize_categories

ITEMS = [
    item_score("coding/a", "coding", Grade(1.0, "checks", "5/5 tests passed", 5, 5)),
    item_score("coding/b", "coding", Grade(0.5, "checks", "3/6 tests passed", 3, 6)),
    item_score("creativity/c", "creativity", Grade(0.6, "heuristic", "no refusal")),
    item_score("creativity/d", "creativity", Grade(0.8, "judge", "8/10")),
]
PROFILE = ModelProfile(
    model="qwen",
    backend="box",
    identity="digest:abc",
    prompt_set_version="2026.11-1",
    status="ok",
    created_at=datetime(2026, 11, 22, 4, 0, tzinfo=UTC),
    categories=summarize_categories(ITEMS),
    speed={"ttft_ms": 80.0, "source": "backend"},
    memory={"bytes": 1_000_000, "source": "ollama: size_vram"},
    items=tuple(ITEMS),
)


def test_category_scores_say_how_they_were_obtained() -> None:
    coding, creativity = PROFILE.categories["coding"], PROFILE.categories["creativity"]
    assert (coding.score, coding.method, coding.passed, coding.total) == (0.75, "checks", 8, 11)
    assert (creativity.method, creativity.passed, creativity.total) == ("mixed", None, None)
    assert "coding/b: 3/6 tests passed" in coding.detail


def test_an_export_reads_back_as_the_same_profiles() -> None:
    text = json.dumps(export_document([PROFILE]))
    [back] = parse_document(text)
    assert back.as_dict() == PROFILE.as_dict()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "not JSON"),
        ('{"format": "something-else"}', "not a profiles export"),
        ('{"format": "smarterrouter-profiles", "version": 7}', "export version 7"),
        ('{"format": "smarterrouter-profiles", "version": 1, "profiles": {}}', "must be a list"),
        (
            '{"format": "smarterrouter-profiles", "version": 1, "profiles": [{"model": "m"}]}',
            "profile #1: missing field 'status'",
        ),
        (
            '{"format": "smarterrouter-profiles", "version": 1, "profiles": [{"model": "m", '
            '"status": "great", "prompt_set_version": "1", "created_at": "2026-01-01T00:00:00Z"}]}',
            "profile #1: status must be 'ok' or 'failed'",
        ),
        (
            '{"format": "smarterrouter-profiles", "version": 1, "profiles": [{"model": "m", '
            '"status": "ok", "prompt_set_version": "1", "created_at": "2026-01-01T00:00:00"}]}',
            "profile #1: created_at needs a time zone",
        ),
    ],
)
def test_a_bad_file_is_refused_with_the_reason(content: str, said: str) -> None:
    with pytest.raises(ImportProblem, match=re.escape(said)):
        parse_document(content)
