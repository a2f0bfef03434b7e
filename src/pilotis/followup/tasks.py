"""The reminders to pilots as a background task (pilotis.core.jobs), run by `pilotis db_worker`."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django_tasks import task

from pilotis.core import jobs
from pilotis.core.models import Job
from pilotis.followup import reminders

KIND = "reminders"


def start_reminders(plan_slug: str | None, days: int) -> Job:
    """The job that e-mails today's reminders (joined if one is already under way)."""
    today = timezone.localdate()
    scope = f"du plan « {plan_slug} »" if plan_slug else "de tous les plans"
    return jobs.start(
        remind_late_pilots,
        kind=KIND,
        key=f"reminders:{plan_slug or '*'}:{days}:{today.isoformat()}",
        title=f"Relance des pilotes {scope} du {today:%d/%m/%Y}",
        params={"plan": plan_slug, "days": days},
    )


def _remind(job: Job, progress: jobs.Progress) -> dict:
    lines: list[list[str]] = []
    progress(10, "Recherche des fiches en retard")
    # French dates and labels, whatever the locale the worker runs with.
    with translation.override(settings.LANGUAGE_CODE):
        failed = reminders.remind(
            timezone.localdate(),
            job.params["days"],
            job.params["plan"],
            dry_run=False,
            say=lambda stream, text: lines.append([stream, text]),
        )
    return {"lines": lines, "failed": failed}


@task()
def remind_late_pilots(job_id: str) -> None:
    """E-mail each pilot their fiches still to transmit (see followup.reminders)."""
    jobs.execute(job_id, _remind)
