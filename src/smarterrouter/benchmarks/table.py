"""The bundled table of published scores: loaded once, checked as it is loaded.

`data/published.json` holds, per model (family, version, line, tuning, size), the
figures its publisher reported, each naming its source. `load_table()` refuses a
file that is not exactly that shape, with the entry and the field at fault.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from smarterrouter.benchmarks.names import ModelSize, parse_size

TABLE_FILE = "published.json"
TABLE_VERSION = 1
TUNINGS = ("base", "instruct")


class BenchmarkDataError(ValueError):
    """A benchmark data file (table, mapping, synced figures) is malformed."""


@dataclass(frozen=True)
class Figure:
    """One published number: `benchmark` is a key of the table's `benchmarks`."""

    benchmark: str
    value: float
    source: str  # the document's name, e.g. "Qwen2.5-Coder Technical Report (…)"
    url: str
    origin: str = "bundled"  # or the sync source's name: "open_llm_leaderboard", "lmarena"
    leaderboard_name: str | None = None  # the row's name, for synced figures

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "benchmark": self.benchmark,
            "value": self.value,
            "source": self.source,
            "url": self.url,
            "origin": self.origin,
        }
        if self.leaderboard_name:
            out["leaderboard_name"] = self.leaderboard_name
        return out


@dataclass(frozen=True)
class Entry:
    id: str
    family: str
    version: str | None
    line: str | None  # a model line within the family: coder, nemo, distill-qwen…
    tuning: str  # base | instruct
    size: ModelSize
    figures: tuple[Figure, ...]
    names: tuple[str, ...] = ()  # exact names known to be this model
    note: str | None = None


@dataclass(frozen=True)
class BenchmarkTable:
    version: int
    benchmarks: Mapping[str, str]  # key -> what it measures
    entries: tuple[Entry, ...]
    default_sizes: Mapping[str, ModelSize]  # official short name -> size served under it

    def get(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def by_exact_name(self) -> dict[str, Entry]:
        return {name.lower(): e for e in self.entries for name in e.names}


def load_table() -> BenchmarkTable:
    """The bundled table; raises BenchmarkDataError if the file is malformed."""
    text = resources.files("smarterrouter.benchmarks.data").joinpath(TABLE_FILE).read_text("utf-8")
    return parse_table(json.loads(text))


def parse_table(doc: Any) -> BenchmarkTable:
    if not isinstance(doc, dict):
        raise BenchmarkDataError("the table must be a JSON object")
    if doc.get("version") != TABLE_VERSION:
        raise BenchmarkDataError(f"table version {doc.get('version')!r}, expected {TABLE_VERSION}")
    benchmarks = _str_map(doc.get("benchmarks"), "benchmarks")
    sources = _sources(doc.get("sources"))
    entries = tuple(
        _entry(raw, benchmarks, sources) for raw in _list(doc.get("entries"), "entries")
    )
    ids = [e.id for e in entries]
    if dupes := sorted({i for i in ids if ids.count(i) > 1}):
        raise BenchmarkDataError(f"duplicate entry ids {dupes}")
    defaults = {}
    for raw in _list(doc.get("default_sizes"), "default_sizes"):
        name, size = _text(raw, "name", "default_sizes"), _text(raw, "size", "default_sizes")
        if _text(raw, "source", "default_sizes") not in sources:
            raise BenchmarkDataError(f"default_sizes {name}: unknown source")
        defaults[name.lower()] = _size(size, f"default_sizes {name}")
    return BenchmarkTable(TABLE_VERSION, benchmarks, entries, defaults)


def _entry(
    raw: Any, benchmarks: Mapping[str, str], sources: Mapping[str, tuple[str, str]]
) -> Entry:
    if not isinstance(raw, dict):
        raise BenchmarkDataError("each entry must be an object")
    entry_id = _text(raw, "id", "entry")
    where = f"entry {entry_id}"
    tuning = _text(raw, "tuning", where)
    if tuning not in TUNINGS:
        raise BenchmarkDataError(f"{where}: tuning must be one of {TUNINGS}")
    figures = []
    for fig in _list(raw.get("figures"), f"{where}: figures"):
        bench, source = _text(fig, "benchmark", where), _text(fig, "source", where)
        value = fig.get("value")
        if bench not in benchmarks:
            raise BenchmarkDataError(f"{where}: unknown benchmark {bench!r}")
        if source not in sources:
            raise BenchmarkDataError(f"{where}: unknown source {source!r}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise BenchmarkDataError(f"{where}: {bench} must be a number from 0 to 100")
        name, url = sources[source]
        figures.append(Figure(bench, float(value), name, url))
    if not figures:
        raise BenchmarkDataError(f"{where}: no figures")
    return Entry(
        id=entry_id,
        family=_text(raw, "family", where),
        version=_optional(raw, "version", where),
        line=_optional(raw, "line", where),
        tuning=tuning,
        size=_size(_text(raw, "size", where), where),
        figures=tuple(figures),
        names=tuple(str(n) for n in raw.get("names", [])),
        note=_optional(raw, "note", where),
    )


def _size(text: str, where: str) -> ModelSize:
    size = parse_size(text)
    if size is None:
        raise BenchmarkDataError(f"{where}: size {text!r} is not like 7b, 135m, 8x7b or 30b-a3b")
    return size


def _sources(raw: Any) -> dict[str, tuple[str, str]]:
    if not isinstance(raw, dict):
        raise BenchmarkDataError("sources must be an object")
    return {
        k: (_text(v, "name", f"source {k}"), _text(v, "url", f"source {k}")) for k, v in raw.items()
    }


def _str_map(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise BenchmarkDataError(f"{where} must map names to descriptions")
    return dict(raw)


def _list(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise BenchmarkDataError(f"{where} must be a list")
    return raw


def _text(raw: Any, key: str, where: str) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(value, str) or not value:
        raise BenchmarkDataError(f"{where}: {key} must be a non-empty string")
    return value


def _optional(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise BenchmarkDataError(f"{where}: {key} must be a string or null")
    return value
