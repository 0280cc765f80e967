"""The mapping file: overrides checked at start, a bad file named in the error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smarterrouter.benchmarks.matching import Match, Matcher, NoMatch, load_mapping
from smarterrouter.benchmarks.table import BenchmarkDataError, load_table
from smarterrouter.settings import SettingsError, load_settings


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.json"
    path.write_text(text)
    return path


def test_a_mapping_file_maps_names_to_entries_or_to_none(tmp_path: Path) -> None:
    path = _write(
        tmp_path, json.dumps({"house-coder": "qwen-2.5-coder-7b-instruct", "llama3.1:8b": None})
    )
    table = load_table()
    matcher = Matcher(table, load_mapping(path, table))
    found = matcher.match("house-coder")
    assert isinstance(found, Match) and (found.entry.id, found.how) == (
        "qwen-2.5-coder-7b-instruct",
        "mapping file",
    )
    assert matcher.match("llama3.1:8b") == NoMatch("mapping file: no entry")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must hold a JSON object"),
        ('{"m": 3}', "must map to an entry id or null"),
        ('{"m": "qwen-9-99b"}', "unknown entry 'qwen-9-99b'"),
    ],
)
def test_a_bad_mapping_file_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BenchmarkDataError, match=message):
        load_mapping(_write(tmp_path, text), load_table())


def test_a_bad_mapping_file_stops_the_start_with_the_setting_named(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"m": "no-such-entry"}')
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None, benchmark_mapping_file=str(path))
    assert "ROUTER_BENCHMARK_MAPPING_FILE" in str(err.value)
    assert "unknown entry 'no-such-entry'" in str(err.value)
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(_env_file=None, benchmark_mapping_file=str(tmp_path / "missing.json"))


def test_benchmark_sources_read_as_a_comma_list() -> None:
    settings = load_settings(_env_file=None, benchmark_sources="lmarena, open_llm_leaderboard")
    assert settings.benchmark_sources == ["lmarena", "open_llm_leaderboard"]
    with pytest.raises(SettingsError, match="ROUTER_BENCHMARK_SOURCES"):
        load_settings(_env_file=None, benchmark_sources="paperswithcode")
