"""Pages of the yearly follow-up: thin views that check rights, load, call the core and render.

One rule for refusals on every route: anonymous visitors are sent to the sign-in page; a signed-in
user without a role in the plan gets 404 if the plan is unpublished (its existence is not
revealed, as on the plan pages) and 403 if it is published; a member lacking the right for the
page or the action gets 403. What does not exist (a campaign, a fiche) is 404, looked up only
after the plan-level check, so a campaign's existence does not leak either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pilotis.accounts import roles
from pilotis.core.people import person_name
from pilotis.followup import perms, services, summary, tracking, weights
from pilotis.followup.forms import (
    CampaignSettingsForm,
    OpenCampaignForm,
    ReportForm,
    changes_meanwhile,
    report_initial,
    stored_values,
    year_label,
)
from pilotis.followup.models import ActionStatus, Campaign, FicheReport, IndicatorValue
from pilotis.plans.models import Fiche, FicheIndicator, FicheRole, Plan

Status = FicheReport.Status
INTENTS = {
    "draft": services.DRAFT,
    "submit": services.SUBMIT,
    "validate": services.VALIDATE,
}


def _crumb(text: str) -> str:
    return Truncator(text).chars(60)


def _followed_plan(request, slug: str) -> Plan:
    plan = get_object_or_404(Plan, slug=slug)
    if not perms.can_view_followup(request.user, plan):
        # As on the plan pages: an unpublished plan's existence is not revealed to outsiders.
        if not plan.published:
            raise Http404("Plan introuvable.")
        raise PermissionDenied("Le suivi de ce plan est réservé à ses membres.")
    return plan


def _crumbs(plan: Plan, *links: tuple[str, str], current: str) -> dict:
    return {
        "links": [
            {"url": plan.get_absolute_url(), "title": _crumb(plan.title)},
            *({"url": url, "title": title} for url, title in links),
        ],
        "current": current,
    }


def _steering_roles() -> Prefetch:
    return Prefetch(
        "roles",
        queryset=FicheRole.objects.filter(role__in=roles.STEERING_FICHE_ROLES)
        .select_related("organisation")
        .order_by("position", "pk"),
        to_attr="steering_roles",
    )


# --- Campaigns of a plan -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def campaigns(request, slug):
    plan = _followed_plan(request, slug)
    campaign_list = list(
        plan.campaigns.select_related("validation")
        .annotate(
            fiche_count=Count("reports"),
            done_count=Count(
                "reports", filter=Q(reports__status__in=[Status.SUBMITTED, Status.VALIDATED])
            ),
        )
        .order_by("year")
    )
    for campaign in campaign_list:
        campaign.plan = plan  # calendar_year reads it: no query per row
    can_open = perms.can_open_campaign(request.user, plan)
    form = None
    if can_open:
        form = OpenCampaignForm(
            plan,
            {c.year for c in campaign_list},
            timezone.localdate(),
            request.POST or None,
        )
    if request.method == "POST":
        if not can_open:
            raise PermissionDenied("Seuls les coordinateurs du plan ouvrent une campagne.")
        if form.is_valid():
            year = form.cleaned_data["year"]
            try:
                campaign = services.open_campaign(
                    plan,
                    year,
                    form.cleaned_data["deadline"],
                    allow_partial=form.cleaned_data["allow_partial"],
                    opened_by=request.user,
                )
            except services.CampaignExists:
                messages.error(
                    request,
                    f"La campagne de l’{year_label(plan, year).lower()} "
                    "vient d’être ouverte par quelqu’un d’autre.",
                )
                return redirect("followup:campaigns", plan.slug)
            messages.success(
                request,
                f"Campagne de suivi de l’{year_label(plan, year).lower()} ouverte : "
                "les pilotes peuvent saisir leurs fiches.",
            )
            return redirect(campaign.get_absolute_url())
    can_set_weights = perms.can_set_weights(request.user, plan)
    context = {
        "title": f"Suivi annuel — {plan.title}",
        "plan": plan,
        "campaigns": campaign_list,
        "form": form,
        "can_set_weights": can_set_weights,
        # Coordinators have the page one click away; the others read what differs from 1 here.
        "set_weights": None
        if can_set_weights or not perms.can_view_weights(request.user, plan)
        else weights.non_default_weights(plan),
        "years_left": bool(form and form.fields["year"].choices),
        "breadcrumb_data": _crumbs(plan, current="Suivi annuel"),
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "followup/campaigns.html", context, status=status)


# --- Dashboard of a campaign ---------------------------------------------------------------------


@dataclass
class Row:
    """A fiche on the dashboard: its report's state for the year."""

    fiche: Fiche
    status: str
    status_label: str
    progress_rate: int | None
    updated_at: datetime | None
    updated_by: str
    pilots: list[str]
    lateness: str | None

    @property
    def lateness_label(self) -> str:
        return tracking.LATENESS_LABELS.get(self.lateness or "", "")


@login_required
@require_safe
def dashboard(request, slug, year):
    plan = _followed_plan(request, slug)
    # With its validation: the state reads « figée le …, validée par le COPIL du … » everywhere.
    campaign = get_object_or_404(
        Campaign.objects.select_related("validation"), plan=plan, year=year
    )
    campaign.plan = plan
    fiches = list(
        plan.fiches.filter(services.expected_fiches(campaign))  # not stopped nor archived
        .order_by("position", "pk")
        .only("plan", "number", "title", "position", "archived")
        .prefetch_related(_steering_roles())
    )
    reports = {
        r.fiche_id: r
        for r in campaign.reports.select_related("updated_by").only(
            "campaign",  # the related manager reads it on each row
            "fiche_id",
            "status",
            "progress_rate",
            "updated_at",
            "updated_by__first_name",
            "updated_by__last_name",
            "updated_by__username",
        )
    }
    if not perms.reads_every_report(request.user, plan):
        # A partner sees the fiches naming their organisations, not the whole plan's.
        shown_ids = perms.partner_fiche_ids(request.user, plan)
        fiches = [f for f in fiches if f.pk in shown_ids]
    today = timezone.localdate()
    labels = dict(Status.choices)
    rows = []
    for fiche in fiches:
        report = reports.get(fiche.pk)
        status = report.status if report else Status.TO_DO
        rows.append(
            Row(
                fiche=fiche,
                status=status,
                status_label=labels[status],
                progress_rate=report.progress_rate if report else None,
                updated_at=report.updated_at if report else None,
                updated_by=person_name(report.updated_by, "") if report else "",
                pilots=[r.organisation.name for r in fiche.steering_roles],
                lateness=tracking.lateness(status, campaign.deadline, today)
                if campaign.is_open
                else None,
            )
        )
    late_only = request.GET.get("retard") == "1"
    shown = [r for r in rows if r.lateness] if late_only else rows
    names = {r.organisation_id: r.organisation.name for f in fiches for r in f.steering_roles}
    missing = tracking.missing_by_organisation(
        [(r.fiche, r.status, [s.organisation_id for s in r.fiche.steering_roles]) for r in rows],
        names,
        roles.pilot_people(plan),
    )
    counts = tracking.status_counts(r.status for r in rows)
    can_change = perms.can_change_campaign(request.user, campaign)
    context = {
        "title": f"Suivi de l’{campaign.year_label} — {plan.title}",
        "plan": plan,
        "campaign": campaign,
        "rows": shown,
        "late_only": late_only,
        "late_count": sum(1 for r in rows if r.lateness),
        "counts": [(labels[s], n, s) for s, n in counts.items()],
        "total": len(rows),
        "missing": missing,
        "days_left": (campaign.deadline - today).days,
        "days_late": (today - campaign.deadline).days,
        "settings_form": CampaignSettingsForm(instance=campaign) if can_change else None,
        "can_freeze": perms.can_freeze(request.user, campaign),
        "breadcrumb_data": _crumbs(
            plan,
            (reverse("followup:campaigns", args=[plan.slug]), "Suivi annuel"),
            current=campaign.year_label.capitalize(),
        ),
    }
    return render(request, "followup/dashboard.html", context)


def _campaign_for_coordinator(request, slug: str, year: int, check) -> Campaign:
    plan = _followed_plan(request, slug)
    campaign = get_object_or_404(Campaign, plan=plan, year=year)
    campaign.plan = plan
    if not check(request.user, campaign):
        raise PermissionDenied("Seuls les coordinateurs du plan modifient une campagne ouverte.")
    return campaign


@login_required
@require_POST
def campaign_settings(request, slug, year):
    campaign = _campaign_for_coordinator(request, slug, year, perms.can_change_campaign)
    form = CampaignSettingsForm(
        request.POST, instance=campaign, partly_count=services.partly_answers(campaign)
    )
    if form.is_valid():
        form.save()
        messages.success(request, "Les réglages de la campagne sont enregistrés.")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"Réglages non enregistrés : {error}")
    return redirect(campaign.get_absolute_url())


@login_required
@require_POST
def freeze(request, slug, year):
    campaign = _campaign_for_coordinator(request, slug, year, perms.can_freeze)
    services.freeze_campaign(campaign)
    messages.success(
        request,
        f"La campagne de l’{campaign.year_label} est figée : les fiches ne sont plus "
        "modifiables et leur contenu est conservé pour le COPIL.",
    )
    return redirect(campaign.get_absolute_url())


# --- The report of one fiche ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report(request, slug, year, number):
    plan = _followed_plan(request, slug)
    campaign = get_object_or_404(Campaign, plan=plan, year=year)
    campaign.plan = plan
    fiche = get_object_or_404(
        Fiche.objects.prefetch_related(_steering_roles()), plan=plan, number=number
    )
    fiche.plan = plan
    try:
        fiche_report = services.report_for(campaign, fiche)
    except services.FicheStopped as exc:
        raise Http404(exc.message) from exc
    fiche_report.campaign, fiche_report.fiche = campaign, fiche
    user = request.user
    if not perms.can_view_report(user, fiche_report):
        raise PermissionDenied("Vous ne pouvez pas consulter le suivi de cette fiche.")
    can_edit = perms.can_edit_report(user, fiche_report)
    can_validate = perms.can_validate_report(user, fiche_report)

    statuses = {s.action_id: s for s in ActionStatus.objects.filter(report=fiche_report)}
    values = {v.indicator_id: v for v in IndicatorValue.objects.filter(report=fiche_report)}
    # Archived actions and indicators are asked no more, unless this report already answers them.
    all_actions = services.current_parts(fiche.actions.order_by("position", "pk"), statuses)
    actions = tracking.actions_due(all_actions, campaign.year)
    # Result indicators first, as on the paper fiche, then the monitoring ones.
    indicators = sorted(
        services.current_parts(fiche.indicators.order_by("position", "pk"), values),
        key=lambda i: i.kind != FicheIndicator.Kind.RESULT,
    )
    stored = stored_values(fiche_report, actions, indicators, statuses, values)

    conflict: list[dict[str, str]] | None = None
    intent = services.DRAFT
    if request.method == "POST":
        choice = request.POST.get("intent", "draft")
        if choice == "reopen":
            if not perms.can_reopen_report(user, fiche_report):
                raise PermissionDenied("Seule la coordination reprend une fiche validée.")
            services.set_status(fiche_report, Status.IN_PROGRESS, user)
            messages.success(request, "La fiche est de nouveau modifiable par ses pilotes.")
            return redirect(request.path)
        intent = INTENTS.get(choice, services.DRAFT)
        allowed = can_validate if intent == services.VALIDATE else can_edit
        if not allowed:
            raise PermissionDenied("Vous ne pouvez pas modifier le suivi de cette fiche.")
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        initial=report_initial(fiche_report, stored),
        actions=actions,
        indicators=indicators,
        allow_partial=campaign.allow_partial,
        intent=intent,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_report(
                fiche_report,
                form.report_data(),
                version=form.cleaned_data["version"],
                user=user,
                intent=intent,
                actions=actions,
                indicators=indicators,
                statuses=statuses,
                values=values,
            )
        except services.StaleReport:
            fiche_report.refresh_from_db()
            fiche_report.campaign, fiche_report.fiche = campaign, fiche
            statuses = {s.action_id: s for s in ActionStatus.objects.filter(report=fiche_report)}
            values = {v.indicator_id: v for v in IndicatorValue.objects.filter(report=fiche_report)}
            stored = stored_values(fiche_report, actions, indicators, statuses, values)
            conflict = changes_meanwhile(form, stored)
            # The person's input stays on the page; the new version and fingerprint let a
            # second, deliberate save go through once they have read what changed.
            data = request.POST.copy()
            data["version"] = str(fiche_report.version)
            data["loaded"] = report_initial(fiche_report, stored)["loaded"]
            form = ReportForm(
                data,
                actions=actions,
                indicators=indicators,
                allow_partial=campaign.allow_partial,
                intent=intent,
            )
            form.is_valid()
            can_edit = perms.can_edit_report(user, fiche_report)
            can_validate = perms.can_validate_report(user, fiche_report)
        else:
            messages.success(request, _saved_message(intent, fiche))
            return redirect(request.path)

    if not (can_edit or can_validate):
        for field in form.fields.values():
            field.disabled = True
    lateness = (
        tracking.lateness(fiche_report.status, campaign.deadline, timezone.localdate())
        if campaign.is_open
        else None
    )
    dashboard_url = reverse("followup:dashboard", args=[plan.slug, campaign.year])
    context = {
        "title": f"Suivi de la fiche n°{fiche.number} — {campaign.year_label}",
        "plan": plan,
        "campaign": campaign,
        "fiche": fiche,
        "report": fiche_report,
        "form": form,
        "conflict": conflict,
        "editable": can_edit or can_validate,
        "can_edit": can_edit,
        "can_validate": can_validate,
        "can_reopen": perms.can_reopen_report(user, fiche_report),
        "pilots": [r.organisation.name for r in fiche.steering_roles],
        "not_due": [a for a in all_actions if a not in actions],
        "lateness": lateness,
        "lateness_label": tracking.LATENESS_LABELS.get(lateness or "", ""),
        "breadcrumb_data": _crumbs(
            plan,
            (reverse("followup:campaigns", args=[plan.slug]), "Suivi annuel"),
            (dashboard_url, campaign.year_label.capitalize()),
            current=f"Fiche n°{fiche.number}",
        ),
    }
    status = 409 if conflict is not None else 400 if form.errors else 200
    return render(request, "followup/report.html", context, status=status)


def _saved_message(intent: str, fiche: Fiche) -> str:
    if intent == services.SUBMIT:
        return f"Fiche n°{fiche.number} transmise à la coordination. Merci !"
    if intent == services.VALIDATE:
        return f"Fiche n°{fiche.number} validée par la coordination."
    return f"Brouillon de la fiche n°{fiche.number} enregistré : vous pourrez le reprendre."


# --- A pilot's fiches across plans ---------------------------------------------------------------


@login_required
@require_safe
def my_fiches(request):
    plan_ids, todos = summary.pilot_todos(request.user)
    context = {
        "title": "Mes fiches à suivre",
        "pending": [t for t in todos if not tracking.is_done(t.status)],
        "done": [t for t in todos if tracking.is_done(t.status)],
        "is_pilot": bool(plan_ids),
        "breadcrumb_data": {"current": "Mes fiches à suivre"},
    }
    return render(request, "followup/my_fiches.html", context)
