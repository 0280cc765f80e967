"""A profiling job's state and each model's progress in it, as values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

JobState = Literal["running", "done", "cancelled", "interrupted"]
ModelState = Literal["pending", "running", "ok", "failed", "skipped", "cancelled", "interrupted"]


@dataclass(frozen=True)
class ModelProgress:
    model: str
    state: ModelState = "pending"
    done: int = 0  # prompts answered
    total: int = 0
    reason: str | None = None  # why it failed, or was skipped

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class JobStatus:
    id: str
    state: JobState
    created_at: datetime
    force: bool
    models: tuple[ModelProgress, ...]
    finished_at: datetime | None = None

    def with_model(self, progress: ModelProgress) -> JobStatus:
        models = tuple(progress if m.model == progress.model else m for m in self.models)
        return replace(self, models=models)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "force": self.force,
            "models": [m.as_dict() for m in self.models],
        }


def progress_from_dict(data: Mapping[str, Any]) -> ModelProgress:
    return ModelProgress(
        model=str(data["model"]),
        state=data.get("state", "pending"),
        done=int(data.get("done", 0)),
        total=int(data.get("total", 0)),
        reason=data.get("reason"),
    )
