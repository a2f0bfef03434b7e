"""Pages and downloads of the reports: check rights, load the plan once, build; files come from
the store of rendered reports or from a background job (reports.tasks), whose page follows it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_POST, require_safe

from pilotis.core import jobs
from pilotis.core.models import Job
from pilotis.followup import perms as followup_perms
from pilotis.plans.models import Plan
from pilotis.reports import files, perms, tasks
from pilotis.reports.loader import load_plan_data
from pilotis.reports.model import AnnualReport, FinalReport, annual_report, final_report
from pilotis.reports.tasks import ANNUAL_RENDERERS, CONTENT_TYPES, FINAL_RENDERERS


def _plan(request, slug: str) -> Plan:
    """The plan, if the user may read its reports (refusals as on the follow-up pages)."""
    plan = get_object_or_404(Plan.objects.select_related("perimeter"), slug=slug)
    if not followup_perms.can_view_followup(request.user, plan):
        if not plan.published:
            raise Http404("Plan introuvable.")
        raise PermissionDenied("Le suivi de ce plan est réservé à ses membres.")
    if not perms.can_view_reports(request.user, plan):
        raise PermissionDenied(
            "Les rapports couvrent toutes les fiches du plan : ils sont réservés à la "
            "coordination, aux membres du COPIL et aux pilotes."
        )
    return plan


def _annual(request, slug: str, year: int) -> tuple[Plan, AnnualReport]:
    plan = _plan(request, slug)
    data = load_plan_data(plan)
    if data.campaign(year) is None:
        raise Http404("Aucune campagne de suivi pour cette année.")
    return plan, annual_report(data, year, timezone.localdate())


def _final(request, slug: str) -> tuple[Plan, FinalReport]:
    plan = _plan(request, slug)
    return plan, final_report(load_plan_data(plan), timezone.localdate())


def _download(content: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _file_or_job(request, plan: Plan, report, ask: tasks.Request) -> HttpResponse:
    """The file when it is ready, else the page of the job that prepares it."""
    content, job = tasks.request_file(report, ask, request.user)
    if content is not None:
        return _download(content, ask.fmt, report.filename)
    return redirect("reports:job", job.pk)


def _crumbs(plan: Plan, *links: tuple[str, str], current: str) -> dict:
    return {
        "links": [
            {"url": plan.get_absolute_url(), "title": Truncator(plan.title).chars(60)},
            {"url": reverse("followup:campaigns", args=[plan.slug]), "title": "Suivi annuel"},
            *({"url": url, "title": title} for url, title in links),
        ],
        "current": current,
    }


@login_required
@require_safe
def annual(request, slug, year):
    plan, report = _annual(request, slug, year)
    context = {
        "title": f"Rapport annuel d’évaluation — {report.year_label.lower()} — {plan.title}",
        "plan": plan,
        "report": report,
        "downloads": [
            (fmt, reverse("reports:annual_file", args=[plan.slug, year, fmt]))
            for fmt in ANNUAL_RENDERERS
        ],
        "breadcrumb_data": _crumbs(
            plan,
            (reverse("followup:dashboard", args=[plan.slug, year]), report.year_label),
            current="Rapport annuel",
        ),
    }
    return render(request, "reports/annual.html", context)


@login_required
@require_safe
def annual_file(request, slug, year, fmt):
    if fmt not in ANNUAL_RENDERERS:
        raise Http404("Format inconnu.")
    plan, report = _annual(request, slug, year)
    return _file_or_job(request, plan, report, tasks.Request(plan.pk, tasks.ANNUAL, fmt, year))


@login_required
@require_safe
def final(request, slug):
    plan, report = _final(request, slug)
    context = {
        "title": f"Évaluation finale — {plan.title}",
        "plan": plan,
        "report": report,
        "downloads": [
            (fmt, reverse("reports:final_file", args=[plan.slug, fmt])) for fmt in FINAL_RENDERERS
        ],
        "breadcrumb_data": _crumbs(plan, current="Évaluation finale"),
    }
    return render(request, "reports/final.html", context)


@login_required
@require_safe
def final_file(request, slug, fmt):
    if fmt not in FINAL_RENDERERS:
        raise Http404("Format inconnu.")
    plan, report = _final(request, slug)
    return _file_or_job(request, plan, report, tasks.Request(plan.pk, tasks.FINAL, fmt))


def _job(request, job_id) -> tuple[Job, Plan, tasks.Request]:
    """A report job, if the user may read the reports of its plan."""
    job = get_object_or_404(Job, pk=job_id, kind=tasks.KIND)
    ask = tasks.Request.of(job.params)
    plan = get_object_or_404(Plan, pk=ask.plan_id)
    return job, _plan(request, plan.slug), ask


def _report_url(plan: Plan, ask: tasks.Request) -> str:
    if ask.report == tasks.ANNUAL:
        return reverse("reports:annual", args=[plan.slug, ask.year])
    return reverse("reports:final", args=[plan.slug])


def _job_context(job: Job, plan: Plan, ask: tasks.Request) -> dict:
    return {
        "job": job,
        "plan": plan,
        "fmt_label": tasks.FORMAT_LABELS[ask.fmt],
        "stale": job.is_stale(),
        "no_worker": job.waits_for_a_worker(),
        "report_url": _report_url(plan, ask),
    }


@login_required
@require_safe
def job(request, job_id):
    """The page of a file being prepared: its state, refreshed until the file is offered."""
    job, plan, ask = _job(request, job_id)
    context = _job_context(job, plan, ask)
    report_title = "Rapport annuel" if ask.report == tasks.ANNUAL else "Évaluation finale"
    context.update(
        title=f"{job.title} — {plan.title}",
        breadcrumb_data=_crumbs(
            plan, (context["report_url"], report_title), current="Préparation du fichier"
        ),
    )
    return render(request, "reports/job.html", context)


@login_required
@require_safe
def job_status(request, job_id):
    """The state block of the job page alone, fetched again by the page's script."""
    job, plan, ask = _job(request, job_id)
    return render(request, "reports/_job_status.html", _job_context(job, plan, ask))


@login_required
@require_safe
def job_file(request, job_id):
    """The file a finished job produced; if the store dropped it, prepare it again."""
    job, plan, ask = _job(request, job_id)
    if job.status != Job.Status.READY:
        return redirect("reports:job", job.pk)
    content = files.stored(job.result["cache_key"])
    if content is None:
        if ask.report == tasks.ANNUAL:
            return redirect("reports:annual_file", plan.slug, ask.year, ask.fmt)
        return redirect("reports:final_file", plan.slug, ask.fmt)
    response = HttpResponse(content, content_type=CONTENT_TYPES[ask.fmt])
    response["Content-Disposition"] = f'attachment; filename="{job.result["filename"]}"'
    return response


@login_required
@require_POST
def job_retry(request, job_id):
    """Start a failed or interrupted job again."""
    job, _, _ = _job(request, job_id)
    if not job.can_retry:
        return redirect("reports:job", job.pk)
    return redirect("reports:job", jobs.retry(job, tasks.render_report, request.user).pk)
