"""The bundled table: loaded and checked, with every figure sourced."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from smarterrouter.benchmarks.table import BenchmarkDataError, load_table, parse_table


def _doc() -> dict[str, Any]:
    text = resources.files("smarterrouter.benchmarks.data").joinpath("published.json").read_text()
    return dict(json.loads(text))


def test_the_table_covers_forty_family_and_size_pairs_of_the_main_families() -> None:
    table = load_table()
    pairs = {(e.family, e.version, e.line, e.size.label) for e in table.entries}
    assert len(pairs) >= 40
    families = {e.family for e in table.entries}
    assert {"llama", "qwen", "mistral", "mixtral", "gemma", "phi", "deepseek-r1"} <= families
    assert {"deepseek-coder", "smollm", "tinyllama"} <= families


def test_every_figure_names_a_source_document_and_its_url() -> None:
    for entry in load_table().entries:
        assert entry.figures, entry.id
        for fig in entry.figures:
            assert fig.source and fig.url.startswith("https://"), entry.id
            assert 0 <= fig.value <= 100 and fig.origin == "bundled"


def test_the_versions_and_default_sizes_say_where_they_come_from() -> None:
    table = load_table()
    assert table.version == 1
    assert table.default_sizes["mistral"].label == "7b"
    assert table.default_sizes["mixtral"].label == "8x7b"


def _broken(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_doc())
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(version=2), "table version 2"),
        (lambda d: d["entries"][0]["figures"][0].update(benchmark="bogus"), "unknown benchmark"),
        (lambda d: d["entries"][0]["figures"][0].update(value=101), "from 0 to 100"),
        (lambda d: d["entries"][0]["figures"][0].update(value="88"), "from 0 to 100"),
        (lambda d: d["entries"][0]["figures"][0].update(source="nowhere"), "unknown source"),
        (lambda d: d["entries"][0].update(size="big"), "size 'big'"),
        (lambda d: d["entries"][0].update(tuning="chat"), "tuning must be"),
        (lambda d: d["entries"][1].update(id=d["entries"][0]["id"]), "duplicate entry ids"),
        (lambda d: d["entries"][0].update(figures=[]), "no figures"),
        (lambda d: d.pop("sources"), "sources must be an object"),
    ],
)
def test_a_malformed_table_is_refused_with_the_fault_named(change: Any, message: str) -> None:
    with pytest.raises(BenchmarkDataError, match=message):
        parse_table(_broken(change))
