"""pilotis.core.jobs: a job's states around the work it runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pilotis.core import jobs
from pilotis.core.models import Job

pytestmark = pytest.mark.django_db


def new_job(**fields) -> Job:
    return Job.objects.create(kind="test", key="k", title="Essai", **fields)


def test_the_work_reports_its_steps_and_its_result():
    job = new_job()
    seen = []

    def work(job, progress):
        progress(40, "Mise en page")
        seen.append(Job.objects.values_list("status", "progress", "step").get(pk=job.pk))
        return {"answer": 42}

    jobs.execute(str(job.pk), work)
    job.refresh_from_db()
    assert seen == [("running", 40, "Mise en page")]
    assert (job.status, job.progress, job.result) == ("ready", 100, {"answer": 42})
    assert job.started_at <= job.finished_at


def test_a_job_error_is_the_reason_shown():
    job = new_job()

    def work(job, progress):
        raise jobs.JobError("Le plan de ce rapport n’existe plus.")

    jobs.execute(str(job.pk), work)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "Le plan de ce rapport n’existe plus.")


def test_an_unexpected_error_fails_the_job_and_reaches_the_worker():
    job = new_job()

    def work(job, progress):
        raise KeyError("x")

    with pytest.raises(KeyError):
        jobs.execute(str(job.pk), work)
    job.refresh_from_db()
    assert job.status == "failed" and job.error.startswith("Erreur inattendue (KeyError)")


def test_a_stopped_worker_marks_the_job_interrupted():
    job = new_job()

    def work(job, progress):
        raise SystemExit(1)  # what db_worker raises on a second SIGTERM

    with pytest.raises(SystemExit):
        jobs.execute(str(job.pk), work)
    job.refresh_from_db()
    assert job.status == "failed" and job.error.startswith("Interrompue avant la fin")


def test_a_finished_job_is_not_run_again():
    job = new_job(status=Job.Status.READY, result={"answer": 1})
    jobs.execute(str(job.pk), lambda job, progress: pytest.fail("ran again"))
    jobs.execute("00000000-0000-0000-0000-000000000000", lambda job, progress: None)


def test_states_seen_from_the_page(settings):
    now = timezone.now()
    queued = new_job(created_at=now - timedelta(seconds=settings.PILOTIS_WORKER_WAIT_SECONDS - 1))
    assert not queued.waits_for_a_worker(now) and not queued.can_retry
    assert queued.waits_for_a_worker(now + timedelta(seconds=2))
    running = new_job(status=Job.Status.RUNNING, heartbeat_at=now)
    assert not running.is_stale(now) and jobs.active("k") in (queued, running)
    assert running.is_stale(now + timedelta(minutes=4))
    assert new_job(status=Job.Status.FAILED).can_retry
