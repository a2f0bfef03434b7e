"""Pages of the plans: thin views that load, call the core and render."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_safe

from pilotis.core.text import fold
from pilotis.plans import display, panels, partners, perms, progress, views_links
from pilotis.plans.export import plan_to_dict, plan_to_json
from pilotis.plans.models import (
    Action,
    Fiche,
    FicheIndicator,
    FicheProgramme,
    FicheRole,
    Organisation,
    Plan,
)
from pilotis.plans.spreadsheet import plan_to_xlsx

PILOT_ROLES = [FicheRole.Role.PILOT, FicheRole.Role.COPILOT]
SEARCH_LIMIT = 100


def _count_per_fiche(model) -> Coalesce:
    """Number of `model` rows per fiche, as a correlated subquery (no join fan-out)."""
    rows = (
        model.objects.filter(fiche=OuterRef("pk"), archived=False)
        .order_by()
        .values("fiche")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _crumb(text: str) -> str:
    return Truncator(text).chars(60)


@require_safe
def index(request):
    plans = (
        perms.visible_plans(request.user)
        .select_related("perimeter")
        .annotate(fiche_count=Count("fiches", filter=Q(fiches__archived=False)))
        .order_by("title")
    )
    context = {
        "plans": plans,
        "title": "Plans",
        "can_create_plan": perms.can_create_plan(request.user),
    }
    return render(request, "plans/index.html", context)


@require_safe
def overview(request, slug):
    plan = get_object_or_404(Plan.objects.select_related("perimeter"), slug=slug)
    user = request.user
    perms.ensure_can_view_plan(user, plan)
    # A partner of an unpublished plan sees its structure and the fiches naming their organisation.
    whole = perms.can_read_whole_plan(user, plan)
    sections = list(plan.sections.order_by("position", "pk"))
    pilots = FicheRole.objects.filter(role__in=PILOT_ROLES).select_related("organisation")
    fiches = list(
        perms.visible_fiches(user, plan)
        .filter(archived=False)  # archived fiches left the current plan
        .order_by("position", "pk")
        .annotate(
            action_count=_count_per_fiche(Action),
            indicator_count=_count_per_fiche(FicheIndicator),
        )
        .prefetch_related(Prefetch("roles", queryset=pilots, to_attr="pilot_roles"))
        .defer("context", "search_text")
    )
    tree = display.section_tree(sections, fiches, plan.level_name)
    # The follow-up, when its app is installed and the reader may see it (plans.progress).
    followup = progress.plan_progress(plan, user)
    if followup is not None:
        progress.annotate_tree(tree, followup)
    context = {
        "followup": followup,
        "plan": plan,
        "title": plan.title,
        "tree": tree,
        "fiche_count": len(fiches),
        "action_count": sum(f.action_count for f in fiches),
        "indicator_count": sum(f.indicator_count for f in fiches),
        "flagged_count": sum(1 for f in fiches if f.review_flags),
        # A PRS scheme's objectives have no pilots or actions: no columns saying so on each row.
        "shows_followup": plan.kind != Plan.Kind.PRS_SCHEME
        or any(f.action_count or f.pilot_roles for f in fiches),
        "unplaced_count": plan.unplaced_lines.count() if whole else 0,
        "end_year": plan.start_year + plan.duration_years - 1 if plan.start_year else None,
        "breadcrumb_data": {"current": _crumb(plan.title)},
        "reads_whole_plan": whole,
        "can_publish": perms.can_publish(user, plan),
        "can_edit_plan": perms.can_edit_plan(user, plan),
        **(views_links.plan_links_context(plan, user) if whole else {}),
    }
    return render(request, "plans/overview.html", context)


@require_safe
def fiche_detail(request, slug, number):
    fiche = get_object_or_404(
        Fiche.objects.select_related("plan", "plan__perimeter").prefetch_related(
            Prefetch("roles", queryset=FicheRole.objects.select_related("organisation")),
            Prefetch("actions", queryset=Action.objects.order_by("position", "pk")),
            Prefetch("indicators", queryset=FicheIndicator.objects.order_by("position", "pk")),
            Prefetch(
                "programme_links",
                queryset=FicheProgramme.objects.select_related("programme"),
            ),
            Prefetch(
                "linked_fiches",
                queryset=Fiche.objects.order_by("position", "pk").only("number", "title"),
            ),
        ),
        plan__slug=slug,
        number=number,
    )
    plan = fiche.plan
    user = request.user
    perms.ensure_can_view_fiche(user, fiche)
    # "plan" stays loaded: the related manager reads plan_id on each row to attach `plan`.
    sections = list(plan.sections.only("plan", "parent", "depth", "number", "title", "key"))
    chain = display.ancestors(fiche.section_id, sections)
    # Previous and next among the fiches this reader may open.
    siblings = perms.visible_fiches(user, plan).only("plan", "number", "title", "position")
    previous = (
        siblings.filter(
            Q(position__lt=fiche.position) | Q(position=fiche.position, pk__lt=fiche.pk)
        )
        .order_by("-position", "-pk")
        .first()
    )
    following = (
        siblings.filter(
            Q(position__gt=fiche.position) | Q(position=fiche.position, pk__gt=fiche.pk)
        )
        .order_by("position", "pk")
        .first()
    )

    whole = perms.can_read_whole_plan(user, plan)
    linked_fiches = list(fiche.linked_fiches.all())
    if not whole:
        # A partner follows links only to the fiches open to them (one query, partners only).
        open_ids = set(siblings.values_list("pk", flat=True))
        linked_fiches = [f for f in linked_fiches if f.pk in open_ids]
    roles = list(fiche.roles.all())
    for role in roles:
        # "jeunesse" written for "Jeunesse" says nothing new: show only spellings that differ.
        role.shows_as_written = fold(role.as_written) != fold(role.organisation.name)
    # Archived actions and indicators left the current plan (their past reports stay).
    actions = [a for a in fiche.actions.all() if not a.archived]
    indicators = [i for i in fiche.indicators.all() if not i.archived]
    columns = display.year_columns(plan.contract_years, plan.start_year, actions)
    rubrics = display.fiche_rubrics(fiche.extra)
    fiche_calendar = next((r.text for r in rubrics["more"] if r.code == "calendar"), "")
    for action in actions:
        action.cells = display.year_cells(action.deadline_years, columns)
        action.schedule = display.action_schedule(action.extra, fiche_calendar)
    for indicator in indicators:
        indicator.letters_label = display.letters_label(indicator.action_letters)

    overview_url = reverse("plans:overview", args=[plan.slug])
    links = [{"url": overview_url, "title": _crumb(plan.title)}]
    for section in chain:
        label = display.section_label(plan.level_name(section.depth), section.number)
        links.append({"url": f"{overview_url}#section-{section.pk}", "title": _crumb(label)})
    context = {
        "plan": plan,
        "fiche": fiche,
        "panels": panels.fiche_panels(user, fiche, indicators),
        "title": f"Fiche n°{fiche.number} — {fiche.title}",
        "sections": [(display.section_label(plan.level_name(s.depth), s.number), s) for s in chain],
        "pilots": [r for r in roles if r.role in PILOT_ROLES],
        "partners": [r for r in roles if r.role == FicheRole.Role.PARTNER],
        "context_blocks": display.text_blocks(fiche.context),
        "objective_blocks": display.text_blocks(fiche.strategic_objective),
        "rubrics": rubrics,
        # A PRS scheme's objectives have no pilots, actions or indicators of their own: their
        # pages leave out those rubrics rather than list them as missing.
        "shows_followup": plan.kind != Plan.Kind.PRS_SCHEME,
        "actions": actions,
        "columns": columns,
        "result_indicators": [i for i in indicators if i.kind == FicheIndicator.Kind.RESULT],
        "monitoring_indicators": [
            i for i in indicators if i.kind == FicheIndicator.Kind.MONITORING
        ],
        "flags": display.flag_items(fiche.review_flags),
        "source_lines": display.lines_label(fiche.source_first_line, fiche.source_last_line),
        "previous": previous,
        "following": following,
        "breadcrumb_data": {"links": links, "current": f"Fiche n°{fiche.number}"},
        "reads_whole_plan": whole,
        "linked_fiches": linked_fiches,
        "can_edit_content": perms.can_edit_plan_content(user, plan),
        "can_view_history": perms.can_view_history(user, plan),
        **views_links.fiche_links_context(request, fiche),
    }
    return render(request, "plans/fiche.html", context)


@require_safe
def organisations(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_read_whole_plan(request.user, plan)
    orgs = plan.organisations.annotate(
        pilot_count=Count(
            "fiche_roles__fiche", filter=Q(fiche_roles__role__in=PILOT_ROLES), distinct=True
        ),
        partner_count=Count(
            "fiche_roles__fiche",
            filter=Q(fiche_roles__role=FicheRole.Role.PARTNER),
            distinct=True,
        ),
    ).order_by("name")
    context = {
        "plan": plan,
        "organisations": orgs,
        "title": f"Organisations — {plan.title}",
        "breadcrumb_data": {
            "links": [{"url": plan.get_absolute_url(), "title": _crumb(plan.title)}],
            "current": "Organisations",
        },
    }
    return render(request, "plans/organisations.html", context)


@require_safe
def organisation_detail(request, slug, key):
    organisation = get_object_or_404(
        Organisation.objects.select_related("plan"), plan__slug=slug, key=key
    )
    plan = organisation.plan
    perms.ensure_can_read_whole_plan(request.user, plan)
    roles = list(
        organisation.fiche_roles.select_related("fiche")
        .only(
            "organisation",  # read by the related manager on each row
            "role",
            "as_written",
            "fiche__number",
            "fiche__title",
            "fiche__position",
        )
        .order_by("fiche__position", "fiche__pk", "position")
    )
    context = {
        "plan": plan,
        "organisation": organisation,
        "roles": roles,
        "pilot_count": len({r.fiche_id for r in roles if r.role in PILOT_ROLES}),
        "partner_count": len({r.fiche_id for r in roles if r.role == FicheRole.Role.PARTNER}),
        "panels": panels.organisation_panels(organisation, request.user),
        "guessed_kind": ""
        if organisation.kind
        else dict(Organisation.Kind.choices).get(
            partners.guess_kind(organisation.name, organisation.acronym), ""
        ),
        "may_edit": perms.can_edit_plan_content(request.user, plan),
        "title": f"{organisation.name} — {plan.title}",
        "breadcrumb_data": {
            "links": [
                {"url": plan.get_absolute_url(), "title": _crumb(plan.title)},
                {"url": reverse("plans:organisations", args=[plan.slug]), "title": "Organisations"},
            ],
            "current": _crumb(organisation.name),
        },
    }
    return render(request, "plans/organisation.html", context)


@require_safe
def import_report(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_read_whole_plan(request.user, plan)
    unplaced = list(plan.unplaced_lines.all())
    # Flags are a JSON list: filtering "non-empty" in SQL differs between SQLite and PostgreSQL,
    # and a plan has at most a few hundred fiches, so the filter runs here.
    fiches = plan.fiches.order_by("position", "pk").only("plan", "number", "title", "review_flags")
    flagged = [(f, display.flag_items(f.review_flags)) for f in fiches if f.review_flags]
    context = {
        "plan": plan,
        "unplaced": unplaced,
        "flagged": flagged,
        "title": f"Rapport d’import — {plan.title}",
        "breadcrumb_data": {
            "links": [{"url": plan.get_absolute_url(), "title": _crumb(plan.title)}],
            "current": "Rapport d’import",
        },
    }
    return render(request, "plans/import_report.html", context)


@require_safe
def export_json(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_read_whole_plan(request.user, plan)
    # The same text as `pilotis export`, so a downloaded file and a command's output compare equal.
    response = HttpResponse(plan_to_json(plan), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{plan.slug}.json"'
    return response


@require_safe
def export_xlsx(request, slug):
    plan = get_object_or_404(Plan, slug=slug)
    perms.ensure_can_read_whole_plan(request.user, plan)
    # The plan spreadsheet (docs/plan-spreadsheet.md): edited, it imports back through the review.
    response = HttpResponse(
        plan_to_xlsx(plan_to_dict(plan)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{plan.slug}.xlsx"'
    return response


@require_safe
def search(request):
    query = request.GET.get("q", "").strip()
    plan_slug = request.GET.get("plan", "").strip()
    plans = list(perms.visible_plans(request.user).only("slug", "title").order_by("title"))
    selected_plan = next((p for p in plans if p.slug == plan_slug), None)
    results: list[Fiche] = []
    truncated = False
    if query:
        qs = (
            Fiche.objects.search(query)
            .filter(perms.visible_fiches_filter(request.user))
            .select_related("plan")
            .only(
                "number",
                "title",
                "context",
                "strategic_objective",
                "public",
                "operational_objectives",
                "plan__slug",
                "plan__title",
            )
        )
        if selected_plan:
            qs = qs.filter(plan=selected_plan)
        qs = qs.order_by("plan__title", "position", "pk").prefetch_related(
            Prefetch("actions", queryset=Action.objects.only("fiche", "text", "position"))
        )
        results = list(qs[: SEARCH_LIMIT + 1])
        truncated = len(results) > SEARCH_LIMIT
        results = results[:SEARCH_LIMIT]
        for fiche in results:
            texts = [
                fiche.title,
                fiche.strategic_objective,
                *fiche.operational_objectives,
                *(a.text for a in fiche.actions.all()),
                fiche.public,
                fiche.context,
            ]
            fiche.excerpt = display.excerpt(texts, query)
    context = {
        "query": query,
        "plans": plans,
        "selected_plan": selected_plan,
        "results": results,
        "truncated": truncated,
        "limit": SEARCH_LIMIT,
        "title": f"Recherche « {query} »" if query else "Recherche",
    }
    return render(request, "plans/search.html", context)
