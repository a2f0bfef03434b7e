"""Links across plans: their part of the fiche and overview pages, the links page, actions."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pilotis.plans import crosslinks, display, perms
from pilotis.plans.models import CrossLink, Fiche, Plan, Section

Status = CrossLink.Status
DENIED = "Seule la coordination de ce plan peut modifier ses liens avec d’autres plans."
NOT_YOURS_TO_ACCEPT = (
    "Ce lien a été proposé par ce plan : c’est à la coordination de l’autre plan de l’accepter."
)


def _crumb(text: str) -> str:
    return Truncator(text).chars(60)


class OtherPlanForm(forms.Form):
    """First step of a manual link: the other plan (a GET form, it only narrows the choice)."""

    plan = forms.ModelChoiceField(
        label="Plan",
        queryset=Plan.objects.none(),
        to_field_name="slug",
        empty_label="Choisir un plan",
        widget=forms.Select(attrs={"class": "fr-select"}),
        error_messages={"invalid_choice": "Choisissez un autre plan de la liste."},
    )

    def __init__(self, *args, current: Plan, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only plans the user may see: a link names the other plan on both fiche pages.
        self.fields["plan"].queryset = (
            perms.visible_plans(user).exclude(pk=current.pk).only("slug", "title").order_by("title")
        )


class TargetForm(forms.Form):
    """Second step: a fiche or a section of the chosen plan."""

    target = forms.ChoiceField(
        label="Plan entier, fiche ou section liée",
        widget=forms.Select(attrs={"class": "fr-select"}),
        error_messages={
            "required": "Choisissez une fiche ou une section.",
            "invalid_choice": "Choisissez une fiche ou une section de la liste.",
        },
    )

    def __init__(self, *args, other: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.other = other
        self.fiches = {
            f"fiche-{f.pk}": f
            for f in other.fiches.only("plan", "number", "title").order_by("position", "pk")
        }
        self.sections = {
            f"section-{s.pk}": s
            for s in other.sections.only("plan", "number", "title", "depth").order_by("position")
        }
        self.fields["target"].choices = [
            ("", "Choisir"),
            ("plan", f"Le plan entier : {_crumb(other.title)}"),
            ("Fiches", [(k, f"n°{f.number} — {_crumb(f.title)}") for k, f in self.fiches.items()]),
            (
                "Sections",
                [
                    (k, f"{other.level_name(s.depth)} {s.number} — {_crumb(s.title)}")
                    for k, s in self.sections.items()
                ],
            ),
        ]

    def target_object(self) -> Fiche | Section | Plan:
        key = self.cleaned_data["target"]
        if key == "plan":
            return self.other
        return self.fiches.get(key) or self.sections[key]


# --- Parts of the plan pages (called by views.fiche_detail and views.overview) ------------------


def fiche_links_context(request, fiche: Fiche) -> dict:
    """Links of a fiche with other plans; for coordinators, the proposals and the manual form.

    One query for readers, two more for coordinators (their group, the other plans): constant.
    """
    user = request.user
    editor = perms.can_edit_links(user, fiche.plan)
    statuses = [Status.ACCEPTED, Status.PROPOSED] if editor else [Status.ACCEPTED]
    ends = [
        crosslinks.far_end(link, fiche_id=fiche.pk)
        for link in crosslinks.links_of_fiche(fiche, statuses)
    ]
    # A link to a plan the reader may not see is left out: its title would reveal it.
    ends = [e for e in ends if perms.can_view_plan(user, e.plan)]
    context = {
        "cross_links": [e for e in ends if e.link.status == Status.ACCEPTED],
        "proposed_links": [e for e in ends if e.link.status == Status.PROPOSED],
        "can_edit_links": editor,
        "acceptable_links": _acceptable(user, ends, fiche.plan_id) if editor else set(),
    }
    if editor:
        context["other_plan_form"] = OtherPlanForm(current=fiche.plan, user=user)
    return context


def plan_links_context(plan: Plan, user) -> dict:
    """The PRS sections a plan serves and the plans serving its own sections: one query.

    Only plans `user` may see are named.
    """
    served, serving = crosslinks.section_links_of_plan(plan)
    served = [link for link in served if perms.can_view_plan(user, link.section.plan)]
    serving = [link for link in serving if perms.can_view_plan(user, link.plan)]
    served_items = [
        {
            "link": link,
            "label": display.section_label(
                link.section.plan.level_name(link.section.depth), link.section.number
            ),
            "lines": display.lines_label(link.source_first_line, link.source_last_line),
        }
        for link in served
    ]
    by_plan: dict[int, dict] = {}
    for link in serving:
        item = by_plan.setdefault(link.plan_id, {"plan": link.plan, "links": []})
        item["links"].append(link)
    serving_items = [
        {
            **item,
            "label": ", ".join(
                display.section_label(plan.level_name(link.section.depth), link.section.number)
                for link in item["links"]
            ),
        }
        for item in by_plan.values()
    ]
    return {"served_sections": served_items, "serving_plans": serving_items}


def _acceptable(user, ends, plan_id: int) -> set[int]:
    """Ids of the links the user may accept from this plan's pages (the other side proposed)."""
    return {e.link.pk for e in ends if perms.can_accept_link(user, e.link, plan_id)}


# --- Pages and actions --------------------------------------------------------------------------


@require_safe
def plan_links(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    user = request.user
    perms.ensure_can_read_whole_plan(user, plan)
    editor = perms.can_edit_links(user, plan)
    statuses = list(Status) if editor else [Status.ACCEPTED]
    ends = [
        crosslinks.far_end(link, plan_id=plan.pk)
        for link in crosslinks.links_of_plan(plan, statuses)
    ]
    ends = [e for e in ends if perms.can_view_plan(user, e.plan)]
    # Listed in the order of this plan's fiches, best score first for each.
    ends.sort(key=lambda e: (e.near.position, e.near.pk, -(e.link.score or 0), e.link.pk))
    context = {
        "plan": plan,
        "accepted": [e for e in ends if e.link.status == Status.ACCEPTED],
        "proposed": [e for e in ends if e.link.status == Status.PROPOSED],
        "rejected": [e for e in ends if e.link.status == Status.REJECTED],
        "can_edit_links": editor,
        "acceptable_links": _acceptable(user, ends, plan.pk) if editor else set(),
        **plan_links_context(plan, user),
        "title": f"Liens avec d’autres plans — {plan.title}",
        "breadcrumb_data": {
            "links": [{"url": plan.get_absolute_url(), "title": _crumb(plan.title)}],
            "current": "Liens avec d’autres plans",
        },
    }
    return render(request, "plans/links/plan_links.html", context)


@login_required
@require_POST
def propose(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure(perms.can_edit_links(request.user, plan), request.user, plan, DENIED)
    created = crosslinks.suggest_links(plan)
    created += len(
        crosslinks.cpts_links_from_document(
            plan, may_accept=lambda other: perms.can_edit_links(request.user, other)
        )
    )
    document = crosslinks.links_from_document(plan) if plan.extra.get("prs_engagements") else None
    if created:
        label = "nouveau lien proposé" if created == 1 else "nouveaux liens proposés"
        messages.success(request, f"{created} {label}.")
    else:
        messages.info(request, "Aucun nouveau lien à proposer.")
    if document is not None:
        if document.created:
            n = len(document.matched)
            messages.success(
                request,
                f"D’après le document, le plan sert {n} engagement{'s' if n > 1 else ''} du PRS.",
            )
        if document.note:
            messages.warning(request, document.note)
        if document.unmatched:
            numbers = ", ".join(str(e.get("number", "?")) for e in document.unmatched)
            messages.warning(
                request,
                f"Engagements déclarés sans équivalent dans le schéma du PRS : {numbers}.",
            )
    return redirect("plans:links", slug=plan.slug)


@login_required
@require_POST
def decide(request, slug, pk):
    link = get_object_or_404(
        CrossLink.objects.select_related("source_plan", "target_plan"),
        Q(source_plan__slug=slug) | Q(target_plan__slug=slug),
        pk=pk,
    )
    plan = link.source_plan if link.source_plan.slug == slug else link.target_plan
    perms.ensure(perms.can_edit_links(request.user, plan), request.user, plan, DENIED)
    decision = request.POST.get("decision")
    if decision not in (Status.ACCEPTED, Status.REJECTED):
        return HttpResponseBadRequest("Décision inconnue.")
    if decision == Status.ACCEPTED and not perms.can_accept_link(request.user, link, plan):
        raise PermissionDenied(NOT_YOURS_TO_ACCEPT)
    crosslinks.decide(link, decision, request.user)
    if decision == Status.ACCEPTED:
        messages.success(request, "Lien accepté.")
    else:
        messages.success(request, "Lien rejeté : il ne sera plus proposé.")
    return _back(request, reverse("plans:links", args=[plan.slug]))


@login_required
@require_http_methods(["GET", "POST"])
def add_link(request, slug, number):
    fiche = get_object_or_404(Fiche.objects.select_related("plan"), plan__slug=slug, number=number)
    plan = fiche.plan
    perms.ensure(perms.can_edit_links(request.user, plan), request.user, plan, DENIED)
    data = request.POST if request.method == "POST" else request.GET
    plan_form = OtherPlanForm(data if "plan" in data else None, current=plan, user=request.user)
    target_form = None
    if plan_form.is_valid():
        other = plan_form.cleaned_data["plan"]
        target_form = TargetForm(request.POST or None, other=other)
        if request.method == "POST" and target_form.is_valid():
            target = target_form.target_object()
            link, created = crosslinks.add_manual_link(
                fiche, target, request.user, accept=perms.can_edit_links(request.user, other)
            )
            label = f"« {other.title} »"
            if link.status != Status.ACCEPTED:
                message = (
                    f"Lien proposé à la coordination de {label} : "
                    "il sera affiché une fois accepté par elle."
                )
            else:
                message = f"Lien ajouté avec {label}." if created else f"Lien avec {label} accepté."
            messages.success(request, message)
            return redirect(fiche)
    fiche_url = fiche.get_absolute_url()
    context = {
        "plan": plan,
        "fiche": fiche,
        "plan_form": plan_form,
        "target_form": target_form,
        "title": f"Ajouter un lien — Fiche n°{fiche.number}",
        "breadcrumb_data": {
            "links": [
                {"url": plan.get_absolute_url(), "title": _crumb(plan.title)},
                {"url": fiche_url, "title": f"Fiche n°{fiche.number}"},
            ],
            "current": "Ajouter un lien",
        },
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "plans/links/add_link.html", context, status=status)


def _back(request, default: str):
    """Back to the page the form was on, if it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)
