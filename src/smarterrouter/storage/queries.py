"""The queries, synchronous: each runs inside the caller's session and transaction.

`Storage` runs them in a worker thread; tests and the CLI may call them directly.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from smarterrouter.backends.base import Capability, ModelInfo
from smarterrouter.storage.engine import translate_errors
from smarterrouter.storage.records import DecisionRecord, StoredModel
from smarterrouter.storage.tables import DecisionRow, ModelRow

# Columns an upsert refreshes; `first_seen` is deliberately not among them.
_REFRESHED = (
    "backend",
    "native_name",
    "family",
    "parameter_count_b",
    "quantization",
    "context_length",
    "capabilities",
    "size_bytes",
    "digest",
    "last_seen",
    "removed_at",
)


def upsert_models(
    session: Session,
    models: Mapping[str, ModelInfo],
    seen_at: datetime,
    *,
    backends: Collection[str] | None = None,
) -> None:
    """Record that `models` (public name -> what its backend says) are served at `seen_at`.

    New models are inserted; known ones are refreshed and un-removed, keeping
    their `first_seen`. Models served before but absent now get `removed_at =
    seen_at` and stay in the table. With `backends`, only models of those
    backends can be marked removed: pass the backends that answered, so that
    one backend being down does not look like all its models were deleted.
    """
    if models:
        rows = [_model_values(name, info, seen_at) for name, info in models.items()]
        session.execute(_upsert_statement(session), rows)
    gone = update(ModelRow).where(ModelRow.removed_at.is_(None), ModelRow.name.not_in(list(models)))
    if backends is not None:
        gone = gone.where(ModelRow.backend.in_(list(backends)))
    session.execute(gone.values(removed_at=seen_at).execution_options(synchronize_session=False))


def _upsert_statement(session: Session) -> Any:
    # Insert-or-update in one statement, so that replicas sharing a PostgreSQL
    # database cannot both insert the same new model.
    if session.get_bind().dialect.name == "postgresql":
        pg = postgresql.insert(ModelRow)
        return pg.on_conflict_do_update(
            index_elements=[ModelRow.name],
            set_={col: getattr(pg.excluded, col) for col in _REFRESHED},
        )
    lite = sqlite.insert(ModelRow)
    return lite.on_conflict_do_update(
        index_elements=[ModelRow.name],
        set_={col: getattr(lite.excluded, col) for col in _REFRESHED},
    )


def _model_values(name: str, info: ModelInfo, seen_at: datetime) -> dict[str, Any]:
    return {
        "name": name,
        "backend": info.backend,
        "native_name": info.name,
        "family": info.family,
        "parameter_count_b": info.parameter_count_b,
        "quantization": info.quantization,
        "context_length": info.context_length,
        "capabilities": sorted(info.capabilities),
        "size_bytes": info.size_bytes,
        "digest": info.digest,
        "first_seen": seen_at,
        "last_seen": seen_at,
        "removed_at": None,
    }


def list_models(session: Session, *, include_removed: bool = False) -> list[StoredModel]:
    """Known models by public name; removed ones only with `include_removed`."""
    query = select(ModelRow).order_by(ModelRow.name)
    if not include_removed:
        query = query.where(ModelRow.removed_at.is_(None))
    return [_stored_model(row) for row in session.scalars(query)]


def _stored_model(row: ModelRow) -> StoredModel:
    info = ModelInfo(
        name=row.native_name,
        backend=row.backend,
        family=row.family,
        parameter_count_b=row.parameter_count_b,
        quantization=row.quantization,
        context_length=row.context_length,
        capabilities=frozenset(cast(list[Capability], row.capabilities)),
        size_bytes=row.size_bytes,
        digest=row.digest,
    )
    return StoredModel(
        name=row.name,
        info=info,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        removed_at=row.removed_at,
    )


def record_decisions(session: Session, rows: Sequence[DecisionRecord]) -> None:
    """Insert `rows` in one batch.

    Through the table (Core executemany), not the ORM entity: the ORM's bulk
    path costs several times more CPU per row, and this runs for every request.
    """
    if rows:
        table = cast(Table, DecisionRow.__table__)
        session.execute(insert(table), [_decision_values(row) for row in rows])


def _decision_values(row: DecisionRecord) -> dict[str, Any]:
    return {
        "created_at": row.created_at,
        "request_id": row.request_id,
        "prompt_hash": row.prompt_hash,
        "requested_model": row.requested_model,
        "chosen_model": row.chosen_model,
        "backend": row.backend,
        "category": row.category,
        "difficulty": row.difficulty,
        "scores": dict(row.scores),
        "fallbacks": [dict(item) for item in row.fallbacks],
        "reason": row.reason,
        "status": row.status,
        "latency_ms": row.latency_ms,
        "cached": row.cached,
        "response_id": row.response_id,
    }


def recent_decisions(session: Session, limit: int = 50) -> list[DecisionRecord]:
    """The `limit` latest decisions, newest first."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    query = (
        select(DecisionRow)
        .order_by(DecisionRow.created_at.desc(), DecisionRow.id.desc())
        .limit(limit)
    )
    return [_decision_record(row) for row in session.scalars(query)]


def _decision_record(row: DecisionRow) -> DecisionRecord:
    return DecisionRecord(
        request_id=row.request_id,
        prompt_hash=row.prompt_hash,
        requested_model=row.requested_model,
        chosen_model=row.chosen_model,
        backend=row.backend,
        status="ok" if row.status == "ok" else "error",
        latency_ms=row.latency_ms,
        category=row.category,
        difficulty=row.difficulty,
        scores=row.scores,
        fallbacks=tuple(row.fallbacks),
        reason=row.reason,
        cached=row.cached,
        created_at=row.created_at,
        response_id=row.response_id,
    )


def check(engine: Engine) -> None:
    """Return when the database answers a trivial query; raise StorageError otherwise."""
    with translate_errors(engine, "the readiness check"), engine.connect() as conn:
        conn.execute(text("SELECT 1")).scalar_one()
