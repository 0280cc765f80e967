"""A model's profile as a value: per-category quality, speed, memory, and status.

The same dictionary shape is stored, served by `GET /admin/profiles`, and
exported to files (`as_dict` / `profile_from_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from smarterrouter.backends.base import ModelInfo
from smarterrouter.profiling.grading import Grade

ProfileStatus = Literal["ok", "failed"]


@dataclass(frozen=True)
class ItemScore:
    """One prompt's grade (kept so that a score can be explained)."""

    id: str
    category: str
    score: float
    method: str
    detail: str
    passed: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class CategoryScore:
    score: float  # mean of the category's items, 0..1
    method: str  # "checks", "judge", "heuristic", or "mixed"
    passed: int | None  # checks passed / run, summed over the items that have them
    total: int | None
    items: int
    detail: str


@dataclass(frozen=True)
class ModelProfile:
    model: str  # public name
    backend: str
    identity: str  # digest or file identity: a change means a new profile is due
    prompt_set_version: str
    status: ProfileStatus
    created_at: datetime
    reason: str | None = None  # why it failed
    categories: Mapping[str, CategoryScore] = field(default_factory=dict)
    speed: Mapping[str, Any] | None = None
    memory: Mapping[str, Any] | None = None
    items: tuple[ItemScore, ...] = ()
    duration_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "backend": self.backend,
            "identity": self.identity,
            "prompt_set_version": self.prompt_set_version,
            "status": self.status,
            "reason": self.reason,
            "created_at": self.created_at.isoformat(),
            "duration_s": self.duration_s,
            "categories": {k: _category_dict(v) for k, v in self.categories.items()},
            "speed": dict(self.speed) if self.speed is not None else None,
            "memory": dict(self.memory) if self.memory is not None else None,
            "items": [vars(i).copy() for i in self.items],
        }


def _category_dict(c: CategoryScore) -> dict[str, Any]:
    return {
        "score": round(c.score, 4),
        "method": c.method,
        "passed": c.passed,
        "total": c.total,
        "items": c.items,
        "detail": c.detail,
    }


def model_identity(info: ModelInfo) -> str:
    """What changes when the model's weights change: Ollama's digest, else the
    file llama.cpp names (with its size), else the size, else the name alone."""
    if info.digest:
        return f"digest:{info.digest}"
    source = info.details.get("source") if isinstance(info.details, Mapping) else None
    if source and info.size_bytes:
        return f"file:{source}:{info.size_bytes}"
    if info.size_bytes:
        return f"size:{info.size_bytes}"
    return f"name:{info.name}"


def item_score(item_id: str, category: str, grade: Grade) -> ItemScore:
    return ItemScore(
        item_id, category, grade.score, grade.method, grade.detail, grade.passed, grade.total
    )


def summarize_category(items: Sequence[ItemScore]) -> CategoryScore:
    """The mean score of a category's items, and how it was obtained."""
    methods = sorted({i.method for i in items})
    checked = [i for i in items if i.total is not None]
    passed = sum(i.passed or 0 for i in checked) if checked else None
    total = sum(i.total or 0 for i in checked) if checked else None
    return CategoryScore(
        score=sum(i.score for i in items) / len(items),
        method=methods[0] if len(methods) == 1 else "mixed",
        passed=passed,
        total=total,
        items=len(items),
        detail="; ".join(f"{i.id}: {i.detail}" for i in items),
    )


def summarize_categories(items: Sequence[ItemScore]) -> dict[str, CategoryScore]:
    categories = sorted({i.category for i in items})
    return {c: summarize_category([i for i in items if i.category == c]) for c in categories}


def profile_from_dict(data: Mapping[str, Any]) -> ModelProfile:
    """A profile from its dictionary (stored or imported); KeyError/ValueError/TypeError
    when a field is missing or wrong (the importer turns those into clear errors)."""
    categories = {
        str(name): CategoryScore(
            score=float(c["score"]),
            method=str(c["method"]),
            passed=_opt_int(c.get("passed")),
            total=_opt_int(c.get("total")),
            items=int(c.get("items", 0)),
            detail=str(c.get("detail", "")),
        )
        for name, c in (data.get("categories") or {}).items()
    }
    status = data["status"]
    if status not in ("ok", "failed"):
        raise ValueError(f"status must be 'ok' or 'failed', not {status!r}")
    created = datetime.fromisoformat(str(data["created_at"]))
    if created.tzinfo is None:
        raise ValueError("created_at needs a time zone")
    return ModelProfile(
        model=str(data["model"]),
        backend=str(data.get("backend", "")),
        identity=str(data.get("identity", "")),
        prompt_set_version=str(data["prompt_set_version"]),
        status=status,
        created_at=created,
        reason=data.get("reason"),
        categories=categories,
        speed=data.get("speed"),
        memory=data.get("memory"),
        items=tuple(ItemScore(**i) for i in data.get("items") or []),
        duration_s=data.get("duration_s"),
    )


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)
