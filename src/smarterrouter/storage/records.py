"""The values that go into the database and come out of it.

Rows never leave the storage package as ORM objects: callers get these frozen
values, which are safe to pass between threads and outlive any session.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from smarterrouter.backends.base import ModelInfo

DecisionStatus = Literal["ok", "error"]
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def utc_now() -> datetime:
    return datetime.now(UTC)


def hash_conversation(messages: Iterable[Mapping[str, Any]]) -> str:
    """The sha256 hex digest of a conversation: the same messages, the same hash.

    Key order inside a message does not matter; message order does. This is
    what `DecisionRecord.prompt_hash` holds, so that repeated prompts can be
    found without the database ever holding their text.
    """
    canonical = json.dumps(
        list(messages), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DecisionRecord:
    """One routing decision, as the routing code reports it.

    `scores` maps each candidate model to its JSON-ready score breakdown;
    `fallbacks` lists the models tried before the answer, each as a JSON-ready
    mapping such as `{"model": "…", "error": "…"}`.
    """

    request_id: str
    prompt_hash: str
    requested_model: str
    chosen_model: str | None
    backend: str | None
    status: DecisionStatus
    latency_ms: float
    category: str | None = None
    difficulty: str | None = None
    scores: Mapping[str, Any] = field(default_factory=dict)
    fallbacks: Sequence[Mapping[str, Any]] = ()
    reason: str = ""
    cached: bool = False
    created_at: datetime = field(default_factory=utc_now)
    response_id: str | None = None  # the `id` of the answer the client got

    def __post_init__(self) -> None:
        # The hash column must never receive the prompt itself.
        if not _SHA256_HEX.fullmatch(self.prompt_hash):
            raise ValueError("prompt_hash must be a sha256 hex digest (see hash_conversation)")
        if self.status not in ("ok", "error"):
            raise ValueError(f"status must be 'ok' or 'error', got {self.status!r}")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")


@dataclass(frozen=True)
class StoredModel:
    """A model the router has seen, with its history.

    `name` is the public name clients use; `info.name` is the backend's own name.
    `removed_at` is set when the model stopped being served, and cleared when it
    comes back.
    """

    name: str
    info: ModelInfo
    first_seen: datetime
    last_seen: datetime
    removed_at: datetime | None

    @property
    def removed(self) -> bool:
        return self.removed_at is not None


@dataclass(frozen=True)
class Feedback:
    """A rating from -1 (bad) to 1 (great) of `model` in `category`; `response_id`
    names the rated answer when the client gave one."""

    model: str
    category: str | None
    score: float
    comment: str | None = None
    response_id: str | None = None
    created_at: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        if not -1.0 <= self.score <= 1.0:
            raise ValueError(f"score must be between -1 and 1, got {self.score}")


@dataclass(frozen=True)
class FeedbackTotal:
    """Every rating of one model in one category, summed."""

    model: str
    category: str | None
    count: int
    total: float
