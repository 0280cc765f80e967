"""The profiling prompt sets: versioned data files, one per category.

data/prompts/set.toml names the set's version and its files; each file holds one
category's items, each a short chat prompt with a grading spec (`check`, see
grading.py). The version is bumped whenever a prompt or a check changes, so that
profiles made with different sets are never compared as equals.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast, get_args

from smarterrouter.profiling.checks import RULE_NAMES, TYPE_NAMES

Category = Literal["reasoning", "coding", "creativity", "general"]
CATEGORIES: tuple[Category, ...] = get_args(Category)
BUNDLED = Path(__file__).parent / "data" / "prompts" / "set.toml"
_KINDS = ("python_tests", "numeric_answer", "exact_answer", "json", "constraints", "open")


@dataclass(frozen=True)
class PromptItem:
    id: str  # stable, e.g. "coding/fizzbuzz"
    category: Category
    messages: tuple[dict[str, str], ...]  # OpenAI chat messages
    max_tokens: int
    check: Mapping[str, Any]  # the grading spec: {"kind": ..., ...}


@dataclass(frozen=True)
class PromptSet:
    version: str  # bumped whenever a prompt or check changes
    items: tuple[PromptItem, ...]


class PromptSetError(ValueError):
    """A prompt set file is missing, unreadable or wrong; the message names the item."""


def load_prompt_set(path: Path | None = None) -> PromptSet:
    """Read and check a prompt set (the bundled one by default). Reads files: call it
    once, off the event loop."""
    manifest_path = path or BUNDLED
    manifest = _read_toml(manifest_path)
    version = manifest.get("version")
    if not isinstance(version, str) or not version:
        raise PromptSetError(f"{manifest_path}: no version")
    items: list[PromptItem] = []
    for name in manifest.get("files", []):
        items += _load_file(manifest_path.parent / str(name))
    _check_unique(items)
    return PromptSet(version, tuple(items))


def select(
    prompt_set: PromptSet, per_category: int, *, seed: int | None = None
) -> list[PromptItem]:
    """`per_category` items from each category: the first ones in file order, the
    same on every machine; with a `seed`, a reproducible random draw instead."""
    if per_category < 1:
        raise ValueError("per_category must be at least 1")
    chosen: list[PromptItem] = []
    for category in CATEGORIES:
        pool = [item for item in prompt_set.items if item.category == category]
        if seed is None:
            chosen += pool[:per_category]
        else:
            rng = random.Random(f"{seed}:{category}")
            chosen += rng.sample(pool, min(per_category, len(pool)))
    return chosen


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PromptSetError(f"{path}: {exc}") from None


def _load_file(path: Path) -> list[PromptItem]:
    data = _read_toml(path)
    category = data.get("category")
    if category not in CATEGORIES:
        raise PromptSetError(f"{path}: unknown category {category!r}")
    return [_item(cast(Category, category), raw) for raw in data.get("items", [])]


def _item(category: Category, raw: Mapping[str, Any]) -> PromptItem:
    item_id = str(raw.get("id", "?"))
    try:
        messages = _messages(raw)
        item = PromptItem(
            item_id, category, messages, int(raw["max_tokens"]), MappingProxyType(raw["check"])
        )
        _validate(item)
    except KeyError as exc:
        raise PromptSetError(f"prompt {item_id}: missing {exc}") from None
    except (TypeError, ValueError) as exc:
        raise PromptSetError(f"prompt {item_id}: {exc}") from None
    return item


def _messages(raw: Mapping[str, Any]) -> tuple[dict[str, str], ...]:
    system = [{"role": "system", "content": str(raw["system"])}] if "system" in raw else []
    return (*system, {"role": "user", "content": str(raw["prompt"]).strip()})


def _validate(item: PromptItem) -> None:
    if not item.id.startswith(item.category + "/"):
        raise ValueError(f"id must start with {item.category}/")
    if not 16 <= item.max_tokens <= 1024:
        raise ValueError("max_tokens must be within 16..1024")
    kind = item.check.get("kind")
    if kind not in _KINDS:
        raise ValueError(f"unknown check kind {kind!r}")
    _validate_check(str(kind), item.check)


def _validate_check(kind: str, check: Mapping[str, Any]) -> None:
    if kind == "python_tests" and not (check["tests"] and isinstance(check["reference"], str)):
        raise ValueError("python_tests needs tests and a reference solution")
    if kind in ("numeric_answer", "exact_answer") and "answer" not in check:
        raise ValueError(f"{kind} needs an answer")
    if kind == "json" and not set(check.get("keys", {}).values()) <= TYPE_NAMES:
        raise ValueError(f"json key types must be among {sorted(TYPE_NAMES)}")
    if kind == "constraints" and not set(check["rules"]) <= RULE_NAMES:
        raise ValueError(f"unknown rules {sorted(set(check['rules']) - RULE_NAMES)}")


def _check_unique(items: list[PromptItem]) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise PromptSetError(f"prompt {item.id}: id used twice")
        seen.add(item.id)
