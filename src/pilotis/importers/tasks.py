"""The confirmed import as a background task: parse again, check, save in one transaction.

The preview (pilotis.importers.views) parses the document in the request to show what will
change; once the coordinator confirms, the work that grows with the plan — parsing the signed
document again and writing every section, fiche, action and indicator with their history — runs
in `pilotis db_worker`. The transaction of `save_draft` is all or nothing: a failed or killed
import leaves the stored plan as it was.
"""

from __future__ import annotations

from django_tasks import task

from pilotis.accounts import roles
from pilotis.core import jobs
from pilotis.core.models import Job
from pilotis.importers.persist import save_draft
from pilotis.importers.review import apply_corrections
from pilotis.plans.draft import ParseError
from pilotis.plans.models import Plan

KIND = "import"


def start_import(user, pending: dict) -> Job:
    """The job that imports the pending document the coordinator confirmed."""
    params = {
        "token": pending["token"],
        "filename": pending["filename"],
        "sha256": pending["sha256"],
        "label_mapping": pending.get("label_mapping"),
        "corrections": pending.get("corrections", {}),
    }
    return jobs.start(
        import_document,
        kind=KIND,
        key=f"import:{pending['token']}",
        title=f"Import de « {pending['filename']} »",
        params=params,
        user=user,
    )


def _import(job: Job, progress: jobs.Progress) -> dict:
    # The page's helpers (the pending file, parsing with the label mapping, the right to replace
    # a stored plan), imported here: the views module imports this one.
    from pilotis.importers import views

    params = job.params
    path = views.pending_path(params["token"])
    user = job.requested_by
    try:
        if user is None:
            raise jobs.JobError("Le compte qui a confirmé cet import n’existe plus.")
        if not path.exists():
            raise jobs.JobError("Le document déposé n’est plus disponible : envoyez-le de nouveau.")
        progress(10, "Lecture du document")
        draft = views.parse(path.read_bytes(), params["filename"], params["label_mapping"])
        draft = apply_corrections(draft, params["corrections"])
        views.check_may_replace(user, draft)
        progress(50, "Enregistrement du plan")
        outcome = save_draft(draft, source_sha256=params["sha256"], user=user)
    except ParseError as exc:
        raise jobs.JobError(f"Le document n’a pas pu être importé : {exc}") from exc
    finally:
        path.unlink(missing_ok=True)
    if outcome.counts["plan"].created and not roles.is_administrator(user):
        # Whoever brings a new plan in coordinates it: it is unpublished, so nobody else sees it.
        roles.grant(user, Plan.objects.get(pk=outcome.plan_id), roles.Role.COORDINATOR)
    summary = views.draft_summary(draft)
    return {
        "slug": draft.slug,
        "message": (
            f"Le plan « {draft.title} » a été importé : {summary['fiches']} fiches, "
            f"{summary['actions']} actions, {summary['indicators']} indicateurs."
        ),
    }


@task()
def import_document(job_id: str) -> None:
    """Import a confirmed document (see pilotis.core.jobs)."""
    jobs.execute(job_id, _import)
