"""Profiling jobs: chosen models profiled one after the other in a background task.

`start()` returns at once with the job's status; the task profiles each model
with the runner, stores each finished profile (one transaction per model), and
keeps the job's progress in memory and in the database. Jobs run one at a time
(the runner's lock), in the order they were started. Cancelling a job stops the
model in progress (its profile is not written) and skips the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from smarterrouter.errors import ModelNotFound
from smarterrouter.profiling.profile import ModelProfile, model_identity
from smarterrouter.profiling.progress import JobState, JobStatus, ModelProgress, ModelState
from smarterrouter.profiling.runner import ProfileRunner
from smarterrouter.profiling.store import ProfileStore
from smarterrouter.routing.policy import RoutedModel, Snapshot

log = logging.getLogger(__name__)


def profilable(snapshot: Snapshot) -> list[RoutedModel]:
    """The models a profile means something for: those that chat."""
    return sorted(
        (m for m in snapshot.models if "chat" in m.info.capabilities), key=lambda m: m.public_name
    )


def choose(snapshot: Snapshot, names: Sequence[str] | None) -> list[RoutedModel]:
    """The named models (ModelNotFound for a name no backend serves), or all that chat."""
    if not names:
        return profilable(snapshot)
    chosen = []
    for name in names:
        model = snapshot.find(name)
        if model is None:
            raise ModelNotFound(name)
        chosen.append(model)
    return chosen


def is_current(model: RoutedModel, profile: ModelProfile | None, version: str) -> bool:
    """A profile still holds when it succeeded on the same weights and prompt set."""
    return (
        profile is not None
        and profile.status == "ok"
        and profile.identity == model_identity(model.info)
        and profile.prompt_set_version == version
    )


def _seen(model: RoutedModel, profile: ModelProfile | None, version: str) -> bool:
    return (
        profile is not None
        and profile.identity == model_identity(model.info)
        and profile.prompt_set_version == version
    )


class ProfileJobs:
    def __init__(self, runner: ProfileRunner, store: ProfileStore) -> None:
        self._runner = runner
        self._store = store
        self._jobs: dict[str, JobStatus] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closing = False
        # Called after each stored profile (routing's priors follow the profiles).
        self.on_stored: Callable[[], Awaitable[None]] | None = None

    async def start(self, models: Sequence[RoutedModel], *, force: bool = False) -> JobStatus:
        """Start profiling `models` (those with a current profile are skipped unless
        `force`); returns at once."""
        latest = {p.model: p for p in await self._store.latest_profiles()}
        version = self._runner.plan.version
        progress = tuple(
            ModelProgress(m.public_name, "skipped", reason="profile is current")
            if not force and is_current(m, latest.get(m.public_name), version)
            else ModelProgress(m.public_name)
            for m in models
        )
        job = JobStatus(uuid.uuid4().hex, "running", datetime.now(UTC), force, progress)
        await self._save(job)
        todo = [m for m, p in zip(models, progress, strict=True) if p.state == "pending"]
        self._tasks[job.id] = asyncio.create_task(self._run(job.id, todo), name=f"job-{job.id}")
        return job

    async def start_discovered(self, snapshot: Snapshot) -> JobStatus | None:
        """Profile the models that are new or changed since their last profile (any
        outcome: a failed model is tried again only when it changes, or when asked),
        leaving out those a running job already holds; None when there are none."""
        latest = {p.model: p for p in await self._store.latest_profiles()}
        version = self._runner.plan.version
        busy = self._queued()
        due = [
            m
            for m in profilable(snapshot)
            if m.public_name not in busy and not _seen(m, latest.get(m.public_name), version)
        ]
        if not due:
            return None
        log.info("profiling new or changed models: %s", ", ".join(m.public_name for m in due))
        return await self.start(due, force=True)

    def _queued(self) -> set[str]:
        return {
            m.model
            for job in self._jobs.values()
            if job.state == "running"
            for m in job.models
            if m.state in ("pending", "running")
        }

    async def status(self, job_id: str) -> JobStatus | None:
        return self._jobs.get(job_id) or await self._store.job(job_id)

    async def cancel(self, job_id: str) -> JobStatus | None:
        """Stop the job (a no-op once it has ended); its status, or None if unknown."""
        task = self._tasks.get(job_id)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return await self.status(job_id)

    async def wait(self, job_id: str) -> JobStatus | None:
        """Return when the job has ended (for the CLI and tests)."""
        task = self._tasks.get(job_id)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
        return await self.status(job_id)

    async def aclose(self) -> None:
        """Cancel what still runs (shutdown): those jobs end as interrupted."""
        self._closing = True
        for task in list(self._tasks.values()):
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _run(self, job_id: str, models: Sequence[RoutedModel]) -> None:
        try:
            for model in models:
                await self._profile_one(job_id, model)
        except asyncio.CancelledError:
            await self._finish(job_id, "interrupted" if self._closing else "cancelled")
            raise
        except Exception:  # the job must end in a state, whatever happened
            log.exception("profiling job %s stopped", job_id)
        await self._finish(job_id, "done")

    async def _profile_one(self, job_id: str, model: RoutedModel) -> None:
        name = model.public_name
        self._set(job_id, ModelProgress(name, "running"))
        await self._save(self._jobs[job_id])

        def progress(done: int, total: int) -> None:
            self._set(job_id, ModelProgress(name, "running", done, total))

        profile = await self._runner.profile(model, progress)
        await self._store.add_profile(profile)
        if self.on_stored is not None:
            await self.on_stored()
        current = self._model(job_id, name)
        self._set(job_id, replace(current, state=profile.status, reason=profile.reason))
        await self._save(self._jobs[job_id])

    async def _finish(self, job_id: str, state: JobState) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.state != "running":
            return
        ended: ModelState = "cancelled" if state == "cancelled" else "interrupted"
        models = tuple(
            replace(m, state=ended) if m.state in ("pending", "running") else m for m in job.models
        )
        final = replace(
            job,
            state=state,
            models=models,
            finished_at=datetime.now(UTC),
        )
        await self._save(final)
        # An ended job is read from the database from now on: memory stays bounded.
        self._jobs.pop(job_id, None)
        self._tasks.pop(job_id, None)

    def _set(self, job_id: str, progress: ModelProgress) -> None:
        self._jobs[job_id] = self._jobs[job_id].with_model(progress)

    def _model(self, job_id: str, name: str) -> ModelProgress:
        return next(m for m in self._jobs[job_id].models if m.model == name)

    async def _save(self, job: JobStatus) -> None:
        self._jobs[job.id] = job
        await self._store.save_job(job)
