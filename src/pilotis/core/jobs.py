"""Long work out of the web request: a `Job` row for the page, a django-tasks task for the work.

A view calls `start(...)` with the app's task (decorated with `django_tasks.task`), which the
worker (`pilotis db_worker`) runs; the task calls `execute(job_id, work)`, which marks the job
running, lets `work(job, progress)` report its steps, and records the result or the reason of the
failure. Whatever `work` writes must appear at once or not at all (temporary file, then rename; a
transaction): a job killed half-way leaves nothing behind, is shown as interrupted and can be
started again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from pilotis.core.models import Job

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]


class JobError(Exception):
    """A failure the user can act on: its message (in French) is shown as the reason."""


def active(key: str) -> Job | None:
    """The queued or running job for `key`, if one is still alive."""
    for job in Job.objects.filter(key=key, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]):
        if not job.is_stale():
            return job
    return None


def start(task, *, kind: str, key: str, title: str, params: dict, user=None) -> Job:
    """The job doing `key`'s work: the one already under way, else a new one, enqueued."""
    job = active(key)
    if job is not None:
        return job
    job = Job.objects.create(
        kind=kind,
        key=key,
        title=title,
        params=params,
        requested_by=user if user is not None and user.is_authenticated else None,
    )
    result = task.enqueue(str(job.pk))
    # The immediate backend (tests) has already run the job: keep what it wrote.
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.refresh_from_db()
    return job


def retry(job: Job, task, user=None) -> Job:
    """Start `job`'s work again (after a failure or an interruption)."""
    if job.status == Job.Status.RUNNING:  # interrupted: it will never finish
        _fail(job, "Interrompue avant la fin (service de tâches arrêté) ; relancée.")
    return start(task, kind=job.kind, key=job.key, title=job.title, params=job.params, user=user)


def _progress(job_id) -> Progress:
    def progress(percent: int, step: str) -> None:
        Job.objects.filter(pk=job_id).update(
            progress=max(0, min(100, percent)), step=step[:200], heartbeat_at=timezone.now()
        )

    return progress


def _fail(job: Job, reason: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED, error=reason, finished_at=timezone.now()
    )


def execute(job_id: str, work: Callable[[Job, Progress], dict[str, Any]]) -> None:
    """Run `work` for the job: running, then ready with its result, or failed with a reason."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, progress=0, error=""
    )
    try:
        result = work(job, _progress(job.pk))
    except JobError as exc:
        _fail(job, str(exc))
    except BaseException as exc:  # interrupted (SystemExit from the worker's SIGTERM) included
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        if isinstance(exc, Exception):
            reason = (
                f"Erreur inattendue ({type(exc).__name__}) : le détail est dans le journal "
                "du service de tâches. Vous pouvez relancer la préparation."
            )
        else:
            reason = "Interrompue avant la fin (service de tâches arrêté). Vous pouvez la relancer."
        _fail(job, reason)
        raise
    else:
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.READY,
            progress=100,
            step="",
            result=result,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
