"""Report files as background tasks: the worker loads the plan, builds the report, renders it.

The view asks for a file (`request_file`); a file already rendered for the same content is served
at once, otherwise a job renders it in `pilotis db_worker` and its page follows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django_tasks import task

from pilotis.core import jobs
from pilotis.core.models import Job
from pilotis.plans.models import Plan
from pilotis.reports import files, render_docx, render_pdf, render_xlsx
from pilotis.reports.loader import load_plan_data
from pilotis.reports.model import annual_report, final_report

KIND = "report"
ANNUAL = "annual"
FINAL = "final"

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMAT_LABELS = {"pdf": "PDF", "docx": "DOCX", "xlsx": "XLSX"}
ANNUAL_RENDERERS = {
    "pdf": render_pdf.annual_pdf,
    "docx": render_docx.annual_docx,
    "xlsx": render_xlsx.annual_xlsx,
}
FINAL_RENDERERS = {"pdf": render_pdf.final_pdf, "docx": render_docx.final_docx}
RENDERERS = {ANNUAL: ANNUAL_RENDERERS, FINAL: FINAL_RENDERERS}


@dataclass(frozen=True)
class Request:
    """Which file of which report: what a job needs to build it again from the database."""

    plan_id: int
    report: str  # ANNUAL or FINAL
    fmt: str
    year: int | None = None

    @classmethod
    def of(cls, params: dict) -> Request:
        return cls(params["plan"], params["report"], params["fmt"], params.get("year"))

    @property
    def params(self) -> dict:
        return {"plan": self.plan_id, "report": self.report, "fmt": self.fmt, "year": self.year}


def build(plan: Plan, request: Request):
    """The report model of `request` as of today (None: the year has no campaign)."""
    data = load_plan_data(plan)
    today = timezone.localdate()
    if request.report == ANNUAL:
        if data.campaign(request.year) is None:
            return None
        return annual_report(data, request.year, today)
    return final_report(data, today)


def title(report, request: Request) -> str:
    label = FORMAT_LABELS[request.fmt]
    if request.report == ANNUAL:
        return f"Rapport annuel d’évaluation — {report.year_label.lower()} ({label})"
    return f"Évaluation finale du contrat ({label})"


def request_file(report, request: Request, user) -> tuple[bytes | None, Job | None]:
    """The file at once if it was rendered already, else the job that renders it."""
    content = files.cached(report, request.fmt)
    if content is not None:
        return content, None
    job = jobs.start(
        render_report,
        kind=KIND,
        key=files.key(report, request.fmt),
        title=title(report, request),
        params=request.params,
        user=user,
    )
    if job.status == Job.Status.READY:  # the immediate backend rendered it already
        return files.stored(job.result["cache_key"]), job
    return None, job


def _render(job: Job, progress: jobs.Progress) -> dict:
    request = Request.of(job.params)
    progress(5, "Lecture des données du plan")
    plan = Plan.objects.select_related("perimeter").filter(pk=request.plan_id).first()
    if plan is None:
        raise jobs.JobError("Le plan de ce rapport n’existe plus.")
    report = build(plan, request)
    if report is None:
        raise jobs.JobError(f"Aucune campagne de suivi pour l’année {request.year} de ce plan.")
    progress(20, f"Mise en page du fichier {FORMAT_LABELS[request.fmt]}")
    files.rendered(report, request.fmt, RENDERERS[request.report][request.fmt])
    return {
        "cache_key": files.key(report, request.fmt),
        "filename": f"{report.filename}.{request.fmt}",
    }


@task()
def render_report(job_id: str) -> None:
    """Render one report file into the store of reports.files (see pilotis.core.jobs)."""
    jobs.execute(job_id, _render)
