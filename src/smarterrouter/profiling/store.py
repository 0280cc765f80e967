"""Profiles and profiling jobs in the router's database.

A profile is inserted in one transaction once its model is done, so a restart
in the middle of a job leaves no half-written profile; older profiles of a
model stay as its history. Jobs still `running` when the router starts were
cut short by a restart, and are marked `interrupted`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smarterrouter.profiling.profile import ModelProfile, profile_from_dict
from smarterrouter.profiling.progress import JobStatus, progress_from_dict
from smarterrouter.storage import Storage, session_factory
from smarterrouter.storage.engine import translate_errors
from smarterrouter.storage.tables import ProfileJobRow, ProfileRow

T = TypeVar("T")


class ProfileStore:
    """Async access to the profile tables; every method raises StorageError on failure."""

    def __init__(self, storage: Storage) -> None:
        self._engine = storage.engine
        self._sessions = session_factory(storage.engine)

    async def add_profile(self, profile: ModelProfile) -> None:
        await self._run("storing a profile", lambda s: s.add(_profile_row(profile)))

    async def add_profiles(self, profiles: Sequence[ModelProfile]) -> None:
        """Insert all of `profiles` in one transaction (an import: all or none)."""
        rows = [_profile_row(p) for p in profiles]
        await self._run("importing profiles", lambda s: s.add_all(rows))

    async def latest_profiles(self) -> list[ModelProfile]:
        """The newest profile of every model, by model name."""
        return await self._run("reading profiles", _latest)

    async def all_profiles(self) -> list[ModelProfile]:
        """Every profile, history included, oldest first (for export)."""
        return await self._run(
            "reading profiles",
            lambda s: [_profile(r) for r in s.scalars(select(ProfileRow).order_by(ProfileRow.id))],
        )

    async def save_job(self, job: JobStatus) -> None:
        await self._run("storing a profiling job", lambda s: s.merge(_job_row(job)))

    async def job(self, job_id: str) -> JobStatus | None:
        return await self._run(
            "reading a profiling job", lambda s: _job(s.get(ProfileJobRow, job_id))
        )

    async def interrupt_running_jobs(self, now: datetime) -> int:
        """Mark jobs left `running` by a previous process as interrupted; how many."""
        return await self._run("marking interrupted jobs", lambda s: _interrupt(s, now))

    async def _run(self, what: str, work: Callable[[Session], T]) -> T:
        return await asyncio.to_thread(self._transaction, what, work)

    def _transaction(self, what: str, work: Callable[[Session], T]) -> T:
        with translate_errors(self._engine, what), self._sessions.begin() as session:
            return work(session)


def _latest(session: Session) -> list[ModelProfile]:
    newest = select(func.max(ProfileRow.id)).group_by(ProfileRow.model).scalar_subquery()
    rows = session.scalars(
        select(ProfileRow).where(ProfileRow.id.in_(newest)).order_by(ProfileRow.model)
    )
    return [_profile(r) for r in rows]


def _interrupt(session: Session, now: datetime) -> int:
    rows = list(session.scalars(select(ProfileJobRow).where(ProfileJobRow.state == "running")))
    for row in rows:
        row.state = "interrupted"
        row.finished_at = now
        row.models = [
            {**m, "state": "interrupted"} if m.get("state") in ("pending", "running") else m
            for m in row.models
        ]
    return len(rows)


def _profile_row(p: ModelProfile) -> ProfileRow:
    data = p.as_dict()
    return ProfileRow(
        model=p.model,
        backend=p.backend,
        identity=p.identity,
        prompt_set_version=p.prompt_set_version,
        status=p.status,
        reason=p.reason,
        created_at=p.created_at,
        duration_s=p.duration_s,
        categories=data["categories"],
        speed=data["speed"],
        memory=data["memory"],
        items=data["items"],
    )


def _profile(row: ProfileRow) -> ModelProfile:
    return profile_from_dict(
        {
            "model": row.model,
            "backend": row.backend,
            "identity": row.identity,
            "prompt_set_version": row.prompt_set_version,
            "status": row.status,
            "reason": row.reason,
            "created_at": row.created_at.isoformat(),
            "duration_s": row.duration_s,
            "categories": row.categories,
            "speed": row.speed,
            "memory": row.memory,
            "items": row.items,
        }
    )


def _job_row(job: JobStatus) -> ProfileJobRow:
    return ProfileJobRow(
        id=job.id,
        state=job.state,
        created_at=job.created_at,
        finished_at=job.finished_at,
        force=job.force,
        models=[m.as_dict() for m in job.models],
    )


def _job(row: ProfileJobRow | None) -> JobStatus | None:
    if row is None:
        return None
    return JobStatus(
        id=row.id,
        state=row.state,  # type: ignore[arg-type]
        created_at=row.created_at,
        finished_at=row.finished_at,
        force=row.force,
        models=tuple(progress_from_dict(m) for m in row.models),
    )
