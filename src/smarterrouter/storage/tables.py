"""The database tables. Change them only together with a new migration in
`migrations/versions/` (a test compares the two on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints, so that later migrations can drop or alter them by name on
# both databases (SQLite would otherwise leave them anonymous).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in, and out, on every database.

    SQLite has no time zones and hands back naive values; PostgreSQL answers in
    the session's zone. Both come back as UTC here; naive values are refused on
    the way in rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware one")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class ModelRow(Base):
    """A model some backend served once; `removed_at` is set when it is gone."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(512), unique=True)  # the public name
    backend: Mapped[str] = mapped_column(String(128))
    native_name: Mapped[str] = mapped_column(String(512))  # the backend's own name
    family: Mapped[str | None] = mapped_column(String(128))
    parameter_count_b: Mapped[float | None] = mapped_column(Float)
    quantization: Mapped[str | None] = mapped_column(String(64))
    context_length: Mapped[int | None] = mapped_column(Integer)
    capabilities: Mapped[list[Any]]
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    digest: Mapped[str | None] = mapped_column(String(128))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class DecisionRow(Base):
    """One routing decision: what was asked, what was chosen, and why."""

    __tablename__ = "routing_decisions"
    __table_args__ = (
        CheckConstraint("status IN ('ok', 'error')", name="status"),
        Index("ix_routing_decisions_created_at", "created_at"),
        Index("ix_routing_decisions_prompt_hash", "prompt_hash"),
        Index("ix_routing_decisions_request_id", "request_id"),
        Index("ix_routing_decisions_response_id", "response_id"),
    )

    # BIGINT on PostgreSQL (the table only grows); SQLite's rowid is an INTEGER.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    created_at: Mapped[datetime]
    request_id: Mapped[str] = mapped_column(String(128))
    prompt_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex, never the text
    requested_model: Mapped[str] = mapped_column(String(512))
    chosen_model: Mapped[str | None] = mapped_column(String(512))
    backend: Mapped[str | None] = mapped_column(String(128))
    category: Mapped[str | None] = mapped_column(String(64))
    difficulty: Mapped[str | None] = mapped_column(String(64))
    scores: Mapped[dict[str, Any]]  # per candidate: its score breakdown
    fallbacks: Mapped[list[Any]]  # models tried before the answer, and why each failed
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    latency_ms: Mapped[float] = mapped_column(Float)
    cached: Mapped[bool]
    # The `id` of the answer the client got, so that feedback can name it.
    response_id: Mapped[str | None] = mapped_column(String(128))


class FeedbackRow(Base):
    """A user's rating of one answer (by its response id) or of a model in a category."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("score >= -1 AND score <= 1", name="score"),
        Index("ix_feedback_model_category", "model", "category"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    created_at: Mapped[datetime]
    response_id: Mapped[str | None] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(512))
    category: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)


class ProfileRow(Base):
    """One profile of one model: written whole when the model is done, never in parts.
    Older rows stay as history; the newest per model is its current profile."""

    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint("status IN ('ok', 'failed')", name="status"),
        Index("ix_profiles_model_created_at", "model", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(512))  # the public name
    backend: Mapped[str] = mapped_column(String(128))
    identity: Mapped[str] = mapped_column(String(1024))  # digest or file: what was profiled
    prompt_set_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    duration_s: Mapped[float | None] = mapped_column(Float)
    categories: Mapped[dict[str, Any]]  # per category: score, method, passed/total, detail
    speed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    memory: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    items: Mapped[list[Any]]  # per prompt: its grade


class ProfileJobRow(Base):
    """A profiling job and each model's progress in it."""

    __tablename__ = "profile_jobs"
    __table_args__ = (
        CheckConstraint("state IN ('running', 'done', 'cancelled', 'interrupted')", name="state"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    force: Mapped[bool]
    models: Mapped[list[Any]]  # per model: name, state, done, total, reason
