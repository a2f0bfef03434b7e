"""The plan's target publics: the fiches each gathers; the list the coordination edits."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from pilotis.core.cells import xml_safe
from pilotis.plans import perms, publics
from pilotis.plans.models import Plan


@require_http_methods(["GET", "POST"])
def plan_publics(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_view_plan(request.user, plan)
    may_edit = perms.can_edit_plan_content(request.user, plan)
    vocabulary = publics.vocabulary((plan.extra or {}).get("publics"))
    text = publics.as_lines(vocabulary)
    problems: list[str] = []
    if request.method == "POST":
        perms.ensure(may_edit, request.user, plan, "Seule la coordination modifie cette liste.")
        text = request.POST.get("publics", "")[:20_000]
        if request.POST.get("reset"):
            plan.extra = {k: v for k, v in (plan.extra or {}).items() if k != "publics"}
        else:
            if xml_safe(text) != text:
                problems.append("le texte contient un caractère de contrôle invisible")
            parsed, found = publics.parse_lines(text)
            problems += found
            if not problems:
                plan.extra = {**(plan.extra or {}), "publics": publics.to_stored(parsed)}
        if not problems:
            plan._history_user = request.user
            plan._change_reason = "Liste des publics cibles"
            plan.save(update_fields=["extra"])
            messages.success(request, "La liste des publics est enregistrée.")
            return redirect("plans:publics", slug=plan.slug)
    fiches = list(
        perms.visible_fiches(request.user, plan)
        .filter(archived=False)
        .order_by("position", "pk")
        .only("plan", "number", "title", "public")
    )
    for fiche in fiches:
        fiche.plan = plan
    groups: dict[str, list] = {p.label: [] for p in vocabulary}
    groups[publics.OTHER_LABEL] = []
    for fiche in fiches:
        for label in publics.resolve(fiche.public, vocabulary):
            groups.setdefault(label, []).append(fiche)
    return render(
        request,
        "plans/publics.html",
        {
            "plan": plan,
            "groups": [(label, items) for label, items in groups.items() if items],
            "may_edit": may_edit,
            "text": text,
            "problems": problems,
            "title": f"Publics cibles — {plan.title}",
            "breadcrumb_data": {
                "links": [{"url": plan.get_absolute_url(), "title": plan.title[:40]}],
                "current": "Publics cibles",
            },
        },
        status=400 if problems else 200,
    )
