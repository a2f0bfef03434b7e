"""Pages and downloads of the reports: check rights, load the plan once, build, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_safe

from pilotis.followup import perms as followup_perms
from pilotis.plans.models import Plan
from pilotis.reports import files, perms, render_docx, render_pdf, render_xlsx
from pilotis.reports.loader import load_plan_data
from pilotis.reports.model import AnnualReport, FinalReport, annual_report, final_report

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ANNUAL_RENDERERS = {
    "pdf": render_pdf.annual_pdf,
    "docx": render_docx.annual_docx,
    "xlsx": render_xlsx.annual_xlsx,
}
FINAL_RENDERERS = {"pdf": render_pdf.final_pdf, "docx": render_docx.final_docx}


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
    _, report = _annual(request, slug, year)
    return _download(files.rendered(report, fmt, ANNUAL_RENDERERS[fmt]), fmt, report.filename)


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
    _, report = _final(request, slug)
    return _download(files.rendered(report, fmt, FINAL_RENDERERS[fmt]), fmt, report.filename)
