"""The whole plan as one table, filtered by section, pilot, partner, state, year and decision."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from pilotis.plans import perms, progress, publics
from pilotis.plans.models import FicheRole, Plan

STEERING = [FicheRole.Role.PILOT, FicheRole.Role.COPILOT]


def filter_rows(rows: list[dict], filters: dict[str, str]) -> list[dict]:
    """Rows kept by every filter given (pure): section key (the fiche's section or one of its
    ancestors), pilot and partner organisation keys, state and decision labels."""

    def keep(row: dict) -> bool:
        return (
            (not filters.get("section") or filters["section"] in row["sections"])
            and (not filters.get("pilote") or filters["pilote"] in row["pilots"])
            and (not filters.get("partenaire") or filters["partenaire"] in row["partners"])
            and (not filters.get("etat") or filters["etat"] == row["state"])
            and (not filters.get("decision") or filters["decision"] == row["decision"])
            and (not filters.get("public") or filters["public"] in row["publics"])
        )

    return [row for row in rows if keep(row)]


@require_safe
def plan_table(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_view_plan(request.user, plan)
    year = request.GET.get("annee", "")
    followup = progress.plan_progress(plan, request.user, int(year) if year.isdigit() else None)
    sections = {s.pk: s for s in plan.sections.all()}
    vocabulary = publics.vocabulary((plan.extra or {}).get("publics"))
    roles = FicheRole.objects.select_related("organisation").order_by("position", "pk")
    fiches = (
        perms.visible_fiches(request.user, plan)
        .order_by("position", "pk")
        .only("plan", "number", "title", "position", "section", "public")
        .prefetch_related(Prefetch("roles", queryset=roles, to_attr="all_roles"))
    )
    rows = []
    for fiche in fiches:
        chain, section = [], sections.get(fiche.section_id)
        while section is not None:
            chain.append(section)
            section = sections.get(section.parent_id)
        state = followup.fiches.get(fiche.pk) if followup else None
        rows.append(
            {
                "fiche": fiche,
                "sections": {s.key for s in chain},
                "section": chain[0] if chain else None,
                "pilots": {r.organisation.key for r in fiche.all_roles if r.role in STEERING},
                "partners": {r.organisation.key for r in fiche.all_roles if r.role not in STEERING},
                "pilot_names": [r.organisation.name for r in fiche.all_roles if r.role in STEERING],
                "rate": state.rate if state else None,
                "state": state.state if state else "",
                "decision": state.decision if state else "",
                "publics": set(publics.resolve(fiche.public, vocabulary)),
            }
        )
    filters = {
        k: request.GET.get(k, "")
        for k in ("section", "pilote", "partenaire", "etat", "decision", "public")
    }
    organisations = {}
    for fiche in fiches:
        for r in fiche.all_roles:
            organisations[r.organisation.key] = r.organisation.name
    context = {
        "plan": plan,
        "title": f"Tableau des fiches — {plan.title}",
        "rows": filter_rows(rows, filters),
        "total": len(rows),
        "filters": filters,
        "year": year,
        "followup": followup,
        "section_choices": [
            (s.key, f"{plan.level_name(s.depth)} {s.number}".strip())
            for s in sections.values()
            if s.depth <= 1
        ],
        "organisation_choices": sorted(organisations.items(), key=lambda kv: kv[1].lower()),
        "state_choices": sorted({r["state"] for r in rows if r["state"]}),
        "decision_choices": sorted({r["decision"] for r in rows if r["decision"]}),
        "public_choices": [p.label for p in vocabulary] + [publics.OTHER_LABEL],
        "breadcrumb_data": {
            "links": [{"url": plan.get_absolute_url(), "title": plan.title[:60]}],
            "current": "Tableau des fiches",
        },
    }
    return render(request, "plans/table.html", context)
