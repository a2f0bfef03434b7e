"""Pages of the COPIL cycle: the review of a frozen campaign, a decision per fiche, the
validation of the year, errata once validated. Same refusal rules as followup.views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pilotis.followup import copil, perms
from pilotis.followup.forms_copil import DecisionForm, ErratumForm, ValidationForm
from pilotis.followup.models import Campaign, Decision, Erratum, FicheReport, Validation
from pilotis.followup.views import _crumbs, _followed_plan
from pilotis.plans.models import Fiche

STATUS_LABELS = dict(FicheReport.Status.choices)
DONE_LABELS = {"yes": "Oui", "no": "Non", "partly": "En partie"}


def _campaign(request, slug: str, year: int) -> Campaign:
    plan = _followed_plan(request, slug)
    campaign = get_object_or_404(Campaign, plan=plan, year=year)
    campaign.plan = plan
    if not perms.can_view_copil(request.user, campaign):
        raise PermissionDenied("L’examen par le COPIL est réservé aux membres du plan.")
    return campaign


def _copil_crumbs(campaign: Campaign, *links: tuple[str, str], current: str) -> dict:
    plan = campaign.plan
    return _crumbs(
        plan,
        (reverse("followup:campaigns", args=[plan.slug]), "Suivi annuel"),
        (
            reverse("followup:dashboard", args=[plan.slug, campaign.year]),
            campaign.year_label.capitalize(),
        ),
        *links,
        current=current,
    )


@dataclass
class ReviewRow:
    """A fiche as the COPIL reviews it: what the frozen report said, and the decision."""

    number: str
    title: str
    status_label: str
    progress_rate: int | None
    objective_reached: bool | None
    actions_done: int
    actions_due: int
    decision: Decision | None


def _snapshot_reports(campaign: Campaign) -> dict[str, dict[str, Any]]:
    return {r["fiche"]: r for r in campaign.snapshot.get("reports", [])}


@login_required
@require_safe
def review(request, slug, year):
    campaign = _campaign(request, slug, year)
    plan = campaign.plan
    decisions = {
        d.fiche_id: d
        for d in Decision.objects.filter(campaign=campaign).select_related("decided_by")
    }
    fiches = list(
        Fiche.objects.filter(reports__campaign=campaign)
        .order_by("position", "pk")
        .only("plan", "number", "title", "position")
    )
    snapshot = _snapshot_reports(campaign)
    rows = []
    for fiche in fiches:
        frozen = snapshot.get(fiche.number, {})
        actions = frozen.get("actions", [])
        rows.append(
            ReviewRow(
                number=fiche.number,
                title=fiche.title,
                status_label=STATUS_LABELS.get(frozen.get("status", ""), "Non figée"),
                progress_rate=frozen.get("progress_rate"),
                objective_reached=frozen.get("objective_reached"),
                actions_done=sum(a.get("done") == "yes" for a in actions),
                actions_due=len(actions),
                decision=decisions.get(fiche.pk),
            )
        )
    validation = Validation.objects.filter(campaign=campaign).select_related("validated_by").first()
    can_validate = perms.can_validate_campaign(request.user, campaign)
    undecided = sum(1 for r in rows if r.decision is None)
    form = None
    if can_validate:
        form = ValidationForm(
            frozen_on=timezone.localdate(campaign.frozen_at),
            today=timezone.localdate(),
            undecided=undecided,
        )
    kinds = dict(Decision.Kind.choices)
    counts = [
        (label, sum(1 for r in rows if r.decision and r.decision.kind == k))
        for k, label in kinds.items()
    ]
    context = {
        "title": f"Examen par le COPIL — {campaign.year_label} — {plan.title}",
        "plan": plan,
        "campaign": campaign,
        "rows": rows,
        "counts": [c for c in counts if c[1]],
        "undecided": undecided,
        "validation": validation,
        "form": form,
        "can_decide": perms.can_decide(request.user, campaign),
        "can_unfreeze": perms.can_unfreeze(request.user, campaign) and not decisions,
        "can_record_erratum": perms.can_record_erratum(request.user, campaign),
        "errata": Erratum.objects.filter(campaign=campaign)
        .select_related("fiche", "created_by")
        .order_by("created_at", "pk"),
        "breadcrumb_data": _copil_crumbs(campaign, current="Examen par le COPIL"),
    }
    return render(request, "followup/copil.html", context)


def _fiche_report(campaign: Campaign, number: str) -> FicheReport:
    return get_object_or_404(
        FicheReport.objects.select_related("fiche"), campaign=campaign, fiche__number=number
    )


@login_required
@require_http_methods(["GET", "POST"])
def decide(request, slug, year, number):
    campaign = _campaign(request, slug, year)
    plan = campaign.plan
    report = _fiche_report(campaign, number)
    fiche = report.fiche
    current = Decision.objects.filter(campaign=campaign, fiche=fiche).first()
    can_decide = perms.can_decide(request.user, campaign)
    stale: Decision | None | bool = False
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied(
                "Seuls les membres du COPIL et la coordination enregistrent une décision, "
                "tant que l’évaluation de l’année n’est pas validée."
            )
        form = DecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                copil.record_decision(
                    campaign,
                    fiche,
                    kind=data["kind"],
                    reason=data["reason"],
                    new_action_text=data["new_action_text"],
                    user=request.user,
                    loaded=data["loaded"],
                )
            except copil.WrongState as exc:
                messages.error(request, exc.message)
                return redirect("followup:copil", plan.slug, campaign.year)
            except copil.StaleDecision as exc:
                stale = exc.current
                current = exc.current
                data = request.POST.copy()
                data["loaded"] = copil.decision_fingerprint(current)
                form = DecisionForm(data)
                form.is_valid()
            else:
                messages.success(
                    request,
                    f"Décision « {Decision.Kind(data['kind']).label} » enregistrée pour la fiche "
                    f"n°{fiche.number}.",
                )
                return redirect("followup:copil", plan.slug, campaign.year)
    else:
        initial = {"loaded": copil.decision_fingerprint(current)}
        if current:
            initial |= {
                "kind": current.kind,
                "reason": current.reason,
                "new_action_text": current.new_action_text,
            }
        form = DecisionForm(initial=initial)
    if not can_decide:
        for field in form.fields.values():
            field.disabled = True
    frozen = _snapshot_reports(campaign).get(fiche.number, {})
    history = (
        Decision.history.filter(campaign_id=campaign.pk, fiche_id=fiche.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    kinds = dict(Decision.Kind.choices)
    context = {
        "title": f"Décision du COPIL — fiche n°{fiche.number} — {campaign.year_label}",
        "plan": plan,
        "campaign": campaign,
        "fiche": fiche,
        "frozen": frozen,
        "frozen_actions": [
            {**a, "done_label": DONE_LABELS.get(a.get("done") or "", "Non renseigné")}
            for a in frozen.get("actions", [])
        ],
        "status_label": STATUS_LABELS.get(frozen.get("status", ""), ""),
        "form": form,
        "current": current,
        "stale": stale is not False,
        "can_decide": can_decide,
        "history": [{"record": h, "kind_label": kinds.get(h.kind, h.kind)} for h in history],
        "can_record_erratum": perms.can_record_erratum(request.user, campaign),
        "breadcrumb_data": _copil_crumbs(
            campaign,
            (reverse("followup:copil", args=[plan.slug, campaign.year]), "Examen par le COPIL"),
            current=f"Fiche n°{fiche.number}",
        ),
    }
    status = 409 if stale is not False else 400 if form.errors else 200
    return render(request, "followup/copil_decision.html", context, status=status)


@login_required
@require_POST
def validate(request, slug, year):
    campaign = _campaign(request, slug, year)
    plan = campaign.plan
    if not perms.can_validate_campaign(request.user, campaign):
        raise PermissionDenied(
            "Seuls les membres du COPIL et la coordination valident l’évaluation d’une campagne "
            "figée."
        )
    undecided = len(copil.undecided_fiches(campaign))
    form = ValidationForm(
        request.POST,
        frozen_on=timezone.localdate(campaign.frozen_at),
        today=timezone.localdate(),
        undecided=undecided,
    )
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                prefix = f"{label} : " if label and name != "default_continue" else ""
                messages.error(request, f"Évaluation non validée. {prefix}{error}")
        return redirect(reverse("followup:copil", args=[plan.slug, campaign.year]) + "#valider")
    data = form.cleaned_data
    try:
        carried = copil.validate_campaign(
            campaign,
            validated_on=data["validated_on"],
            comment=data["comment"],
            user=request.user,
            default_continue=data.get("default_continue", False),
        )
    except copil.WrongState as exc:
        messages.error(request, f"Évaluation non validée. {exc.message}")
        return redirect("followup:copil", plan.slug, campaign.year)
    parts = [f"L’évaluation de l’{campaign.year_label} est validée."]
    if carried.defaulted:
        parts.append(f"Décision « Poursuite » enregistrée pour {carried.defaulted} fiche(s).")
    if carried.actions:
        parts.append(f"{len(carried.actions)} nouvelle(s) action(s) ajoutée(s) au plan.")
    if carried.stopped:
        numbers = ", ".join(f"n°{f.number}" for f in carried.stopped)
        parts.append(f"Fiche(s) arrêtée(s) : {numbers}.")
    if carried.skipped_demo:
        parts.append("Campagne de démonstration : ses décisions ne modifient pas le plan.")
    messages.success(request, " ".join(parts))
    return redirect("followup:copil", plan.slug, campaign.year)


@login_required
@require_POST
def unfreeze(request, slug, year):
    campaign = _campaign(request, slug, year)
    if not perms.can_unfreeze(request.user, campaign):
        raise PermissionDenied("Seule la coordination rouvre une campagne figée.")
    try:
        copil.unfreeze_campaign(campaign)
    except copil.WrongState as exc:
        messages.error(request, exc.message)
        return redirect("followup:copil", campaign.plan.slug, campaign.year)
    messages.success(
        request,
        f"La campagne de l’{campaign.year_label} est rouverte : les pilotes peuvent de nouveau "
        "modifier leurs fiches.",
    )
    return redirect(campaign.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def erratum(request, slug, year, number):
    campaign = _campaign(request, slug, year)
    plan = campaign.plan
    report = _fiche_report(campaign, number)
    if not perms.can_record_erratum(request.user, campaign):
        raise PermissionDenied(
            "Un erratum corrige une année validée : il est enregistré par les membres du COPIL "
            "ou la coordination."
        )
    items = copil.correctables(report, campaign.allow_partial)
    form = ErratumForm(request.POST or None, items=items, allow_partial=campaign.allow_partial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recorded = copil.record_erratum(
                campaign,
                report,
                key=data["key"],
                raw_value=data["value"],
                reason=data["reason"],
                user=request.user,
            )
        except copil.WrongState as exc:
            messages.error(request, exc.message)
            return redirect("followup:copil", plan.slug, campaign.year)
        except copil.BadCorrection as exc:
            form.add_error("value", str(exc))
        else:
            messages.success(
                request,
                f"Erratum enregistré pour la fiche n°{report.fiche.number} : "
                f"{recorded.field_label}, « {recorded.before} » → « {recorded.after} ».",
            )
            return redirect(reverse("followup:copil", args=[plan.slug, campaign.year]) + "#errata")
    context = {
        "title": f"Erratum — fiche n°{report.fiche.number} — {campaign.year_label}",
        "plan": plan,
        "campaign": campaign,
        "fiche": report.fiche,
        "form": form,
        "items": items,
        "errata": Erratum.objects.filter(campaign=campaign, fiche=report.fiche)
        .select_related("created_by")
        .order_by("created_at", "pk"),
        "breadcrumb_data": _copil_crumbs(
            campaign,
            (reverse("followup:copil", args=[plan.slug, campaign.year]), "Examen par le COPIL"),
            current=f"Erratum, fiche n°{report.fiche.number}",
        ),
    }
    return render(
        request, "followup/copil_erratum.html", context, status=400 if form.errors else 200
    )
