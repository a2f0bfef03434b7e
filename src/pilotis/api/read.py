"""Read endpoints: plans, sections, fiches, actions, indicators and organisations."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Path, Query, Router

from pilotis.api import access, schemas
from pilotis.api.errors import validation_failed
from pilotis.plans.models import (
    Action,
    Fiche,
    FicheIndicator,
    FicheProgramme,
    FicheRole,
    Organisation,
    Plan,
    Section,
)

router = Router(tags=["Plans"])

STEERING = (FicheRole.Role.PILOT, FicheRole.Role.COPILOT)
# Every endpoint validates its parameters (400) and the token presented (401).
NOT_FOUND = {400: schemas.FieldErrors, 401: schemas.Error, 404: schemas.Error}
FicheNumber = Path(..., max_length=20, pattern=schemas.NO_NUL, description="Numéro de la fiche.")


# --- Loading with the caller's rights: what they may not see does not exist (404) ----------------


def get_plan(request: HttpRequest, slug: str, queryset: QuerySet | None = None) -> Plan:
    plan = (queryset if queryset is not None else Plan.objects).filter(slug=slug).first()
    if plan is None or not access.can_view_plan(request.user, plan):
        raise Http404
    return plan


def get_fiche(request: HttpRequest, plan: Plan, number: str, queryset=None) -> Fiche:
    fiche = (
        (queryset if queryset is not None else Fiche.objects)
        .filter(plan=plan, number=number)
        .first()
    )
    if fiche is None:
        raise Http404
    fiche.plan = plan  # already loaded and checked: no second query for it
    if not access.can_view_fiche(request.user, fiche):
        raise Http404
    return fiche


def paginate(
    queryset: QuerySet | list, page: schemas.PageParams, build: Callable[[Any], Any]
) -> dict[str, Any]:
    """One page of a list; its order must be total (ending on pk) for pages to be stable."""
    count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
    rows: Iterable = queryset[page.offset : page.offset + page.limit] if page.offset < count else []
    return {
        "count": count,
        "limit": page.limit,
        "offset": page.offset,
        "items": [build(row) for row in rows],
    }


def _count_per_fiche(model) -> Coalesce:
    """Number of `model` rows per fiche, as a correlated subquery (no join fan-out)."""
    rows = (
        model.objects.filter(fiche=OuterRef("pk"))
        .order_by()
        .values("fiche")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


# --- Shapes --------------------------------------------------------------------------------------


def _lines(element) -> dict[str, int | None]:
    return {"first_line": element.source_first_line, "last_line": element.source_last_line}


def _plan_summary(plan: Plan) -> dict[str, Any]:
    perimeter = plan.perimeter
    return {
        "slug": plan.slug,
        "kind": plan.kind,
        "kind_label": plan.get_kind_display(),
        "title": plan.title,
        "signature_date": plan.signature_date,
        "start_year": plan.start_year,
        "duration_years": plan.duration_years,
        "perimeter": (
            {"name": perimeter.name, "level": perimeter.level, "code": perimeter.code}
            if perimeter
            else None
        ),
        "fiche_count": plan.fiche_count,
        "url": plan.get_absolute_url(),
    }


def _section_ref(section: Section | None) -> dict[str, str] | None:
    if section is None:
        return None
    return {"key": section.key, "number": section.number, "title": section.title}


def _organisation_ref(organisation: Organisation) -> dict[str, str]:
    return {"key": organisation.key, "name": organisation.name, "acronym": organisation.acronym}


def _role(role: FicheRole) -> dict[str, Any]:
    return {
        "role": role.role,
        "role_label": role.get_role_display(),
        "as_written": role.as_written,
        "organisation": _organisation_ref(role.organisation),
    }


def _fiche_url(plan: Plan, number: str) -> str:
    return reverse("plans:fiche", args=[plan.slug, number])


def _action(plan: Plan) -> Callable[[Action], dict[str, Any]]:
    def build(action: Action) -> dict[str, Any]:
        return {
            "id": action.pk,
            "letter": action.letter,
            "text": action.text,
            "deadline_years": list(action.deadline_years),
            "deadline_as_written": action.deadline_as_written,
            "calendar_years": action.calendar_years(plan.start_year),
            "extra": dict(action.extra),
            "source": _lines(action),
        }

    return build


def _indicator(indicator: FicheIndicator) -> dict[str, Any]:
    return {
        "id": indicator.pk,
        "kind": indicator.kind,
        "kind_label": indicator.get_kind_display(),
        "action_letters": list(indicator.action_letters),
        "text": indicator.text,
        "source": _lines(indicator),
    }


def _organisation(plan: Plan) -> Callable[[Organisation], dict[str, Any]]:
    def build(organisation: Organisation) -> dict[str, Any]:
        return {
            **_organisation_ref(organisation),
            "aliases": list(organisation.aliases),
            "url": reverse("plans:organisation", args=[plan.slug, organisation.key]),
        }

    return build


# --- Plans ---------------------------------------------------------------------------------------


@router.get(
    "/plans",
    response={200: schemas.PlanPage, 400: schemas.FieldErrors, 401: schemas.Error},
    summary="Plans visibles",
)
def list_plans(request: HttpRequest, page: Query[schemas.PageParams]):
    """Les plans que l'appelant peut consulter, par titre."""
    plans = (
        access.visible_plans(request.user)
        .select_related("perimeter")
        .annotate(fiche_count=Count("fiches"))
        .order_by("title", "pk")
    )
    return paginate(plans, page, _plan_summary)


@router.get(
    "/plans/{slug:slug}", response={200: schemas.PlanDetail, **NOT_FOUND}, summary="Un plan"
)
def plan_detail(request: HttpRequest, slug: str):
    """Le plan, ses signataires, ses années et le document dont il est issu."""
    plan = get_plan(
        request,
        slug,
        Plan.objects.select_related("perimeter").annotate(
            fiche_count=Count("fiches", distinct=True),
            section_count=Count("sections", distinct=True),
            organisation_count=Count("organisations", distinct=True),
        ),
    )
    return {
        **_plan_summary(plan),
        "signatories": [str(s) for s in plan.signatories],
        "levels": [str(level) for level in plan.levels],
        "contract_years": [
            {"year": year, "calendar_year": calendar} for year, calendar in plan.contract_years
        ],
        "source": {
            "document": plan.source_document,
            "sha256": plan.source_sha256,
            "imported_at": plan.imported_at,
        },
        "section_count": plan.section_count,
        "organisation_count": plan.organisation_count,
    }


@router.get(
    "/plans/{slug:slug}/sections",
    response={200: schemas.SectionPage, **NOT_FOUND},
    summary="Arborescence du plan",
)
def list_sections(request: HttpRequest, slug: str, page: Query[schemas.PageParams]):
    """Les sections dans l'ordre du document, à plat : chacune donne son parent et sa profondeur."""
    plan = get_plan(request, slug)
    sections = Section.objects.filter(plan=plan).select_related("parent").order_by("position", "pk")

    def build(section: Section) -> dict[str, Any]:
        return {
            "id": section.pk,
            "key": section.key,
            "parent_id": section.parent_id,
            "parent_key": section.parent.key if section.parent else None,
            "depth": section.depth,
            "level_name": plan.level_name(section.depth),
            "number": section.number,
            "title": section.title,
            "position": section.position,
            "source": _lines(section),
        }

    return paginate(sections, page, build)


# --- Fiches --------------------------------------------------------------------------------------


class FicheFilters(schemas.Schema):
    section: str | None = schemas.Field(
        None,
        max_length=40,
        pattern=schemas.NO_NUL,
        description="Clé d'une section : ses fiches et celles de ses sous-sections.",
    )
    organisation: str | None = schemas.Field(
        None,
        max_length=80,
        pattern=r"^[-a-zA-Z0-9_]+$",
        description="Clé d'une organisation : les fiches où elle a un rôle.",
    )
    q: str | None = schemas.Field(
        None,
        max_length=200,
        pattern=schemas.NO_NUL,
        description="Mots à chercher (sans accents ni casse), tous présents.",
    )


def _subtree(sections: list[tuple[int, int | None]], root: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for pk, parent in sections:
        children.setdefault(parent, []).append(pk)
    found, todo = set(), [root]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo += children.get(pk, [])
    return found


@router.get(
    "/plans/{slug:slug}/fiches",
    response={200: schemas.FichePage, **NOT_FOUND},
    summary="Fiches du plan",
)
def list_fiches(
    request: HttpRequest,
    slug: str,
    filters: Query[FicheFilters],
    page: Query[schemas.PageParams],
):
    """Les fiches visibles de l'appelant, dans l'ordre du plan, avec leurs pilotes."""
    plan = get_plan(request, slug)
    fiches = access.visible_fiches(request.user, plan)
    if filters.section:
        rows = list(plan.sections.values_list("pk", "parent_id", "key"))
        root = next((pk for pk, _, key in rows if key == filters.section), None)
        if root is None:
            return validation_failed({"section": ["Aucune section de ce plan n'a cette clé."]})
        fiches = fiches.filter(section__in=_subtree([(pk, p) for pk, p, _ in rows], root))
    if filters.organisation:
        organisation = plan.organisations.filter(key=filters.organisation).first()
        if organisation is None:
            return validation_failed(
                {"organisation": ["Aucune organisation de ce plan n'a cette clé."]}
            )
        fiches = fiches.filter(
            pk__in=FicheRole.objects.filter(organisation=organisation).values("fiche_id")
        )
    if filters.q:
        fiches = fiches.search(filters.q)
    pilots = FicheRole.objects.filter(role__in=STEERING).select_related("organisation")
    fiches = (
        fiches.select_related("section")
        .annotate(
            action_count=_count_per_fiche(Action),
            indicator_count=_count_per_fiche(FicheIndicator),
        )
        .prefetch_related(Prefetch("roles", queryset=pilots, to_attr="pilot_roles"))
        .defer("context", "search_text", "extra")
        .order_by("position", "pk")
    )

    def build(fiche: Fiche) -> dict[str, Any]:
        return {
            "number": fiche.number,
            "title": fiche.title,
            "section": _section_ref(fiche.section),
            "pilotage_label": fiche.pilotage_label,
            "pilots": [_role(r) for r in fiche.pilot_roles],
            "action_count": fiche.action_count,
            "indicator_count": fiche.indicator_count,
            "url": _fiche_url(plan, fiche.number),
        }

    return paginate(fiches, page, build)


@router.get(
    "/plans/{slug:slug}/fiches/{number}",
    response={200: schemas.FicheDetail, **NOT_FOUND},
    summary="Une fiche",
)
def fiche_detail(request: HttpRequest, slug: str, number: str = FicheNumber):
    """Tous les champs de la fiche : pilotes et partenaires tels qu'écrits et reconnus, actions
    avec leurs échéances, indicateurs, programmes, fiches liées et lignes du document source."""
    plan = get_plan(request, slug)
    fiche = get_fiche(
        request,
        plan,
        number,
        Fiche.objects.prefetch_related(
            Prefetch("roles", queryset=FicheRole.objects.select_related("organisation")),
            Prefetch("actions", queryset=Action.objects.order_by("position", "pk")),
            Prefetch("indicators", queryset=FicheIndicator.objects.order_by("position", "pk")),
            Prefetch(
                "programme_links",
                queryset=FicheProgramme.objects.select_related("programme").order_by(
                    "position", "pk"
                ),
            ),
        ),
    )
    # Linked fiches the caller may not see are left out, as they would be from a list.
    linked = (
        access.visible_fiches(request.user, plan)
        .filter(linked_from=fiche)
        .order_by("position", "pk")
        .values_list("number", flat=True)
    )
    # "plan" too: rows of a related manager are tied back to their plan through it.
    section_rows = plan.sections.only("pk", "plan", "parent_id", "key", "number", "title")
    sections = {s.pk: s for s in section_rows.order_by("position", "pk")}
    path, section_id, seen = [], fiche.section_id, set()
    while section_id in sections and section_id not in seen:
        seen.add(section_id)
        path.append(sections[section_id])
        section_id = sections[section_id].parent_id
    roles = list(fiche.roles.all())
    return {
        "number": fiche.number,
        "title": fiche.title,
        "plan": plan.slug,
        "section": _section_ref(sections.get(fiche.section_id)),
        "sections": [_section_ref(s) for s in reversed(path)],
        "pilotage_label": fiche.pilotage_label,
        "pilots": [_role(r) for r in roles if r.role in STEERING],
        "partners": [_role(r) for r in roles if r.role == FicheRole.Role.PARTNER],
        "context": fiche.context,
        "strategic_objective": fiche.strategic_objective,
        "operational_objectives": [str(o) for o in fiche.operational_objectives],
        "public": fiche.public,
        "actions": [_action(plan)(a) for a in fiche.actions.all()],
        "indicators": [_indicator(i) for i in fiche.indicators.all()],
        "programmes": [
            {"code": p.programme.code, "name": p.programme.name, "as_written": p.as_written}
            for p in fiche.programme_links.all()
        ],
        "linked_fiches": list(linked),
        "extra": dict(fiche.extra),
        "review_flags": [f for f in fiche.review_flags if isinstance(f, dict)],
        "source": {"document": plan.source_document, **_lines(fiche)},
        "url": _fiche_url(plan, fiche.number),
    }


@router.get(
    "/plans/{slug:slug}/fiches/{number}/actions",
    response={200: schemas.ActionPage, **NOT_FOUND},
    summary="Actions d'une fiche",
)
def list_actions(
    request: HttpRequest, slug: str, page: Query[schemas.PageParams], number: str = FicheNumber
):
    """Les actions de la fiche, avec leurs échéances en années du contrat et en années civiles."""
    plan = get_plan(request, slug)
    fiche = get_fiche(request, plan, number)
    return paginate(fiche.actions.order_by("position", "pk"), page, _action(plan))


@router.get(
    "/plans/{slug:slug}/fiches/{number}/indicators",
    response={200: schemas.IndicatorPage, **NOT_FOUND},
    summary="Indicateurs d'une fiche",
)
def list_indicators(
    request: HttpRequest, slug: str, page: Query[schemas.PageParams], number: str = FicheNumber
):
    """Les indicateurs de résultat et de suivi de la fiche, avec les lettres des actions visées."""
    plan = get_plan(request, slug)
    fiche = get_fiche(request, plan, number)
    return paginate(fiche.indicators.order_by("kind", "position", "pk"), page, _indicator)


# --- Organisations -------------------------------------------------------------------------------


@router.get(
    "/plans/{slug:slug}/organisations",
    response={200: schemas.OrganisationPage, **NOT_FOUND},
    summary="Organisations du plan",
)
def list_organisations(request: HttpRequest, slug: str, page: Query[schemas.PageParams]):
    """Les organisations nommées par les fiches du plan, dédoublonnées, par nom."""
    plan = get_whole_plan(request, slug)
    return paginate(plan.organisations.order_by("name", "pk"), page, _organisation(plan))


def get_whole_plan(request: HttpRequest, slug: str) -> Plan:
    """A plan whose plan-wide lists (organisations) the caller may read."""
    plan = get_plan(request, slug)
    if not access.can_read_whole_plan(request.user, plan):
        raise Http404
    return plan


def _get_organisation(plan: Plan, key: str) -> Organisation:
    organisation = plan.organisations.filter(key=key).first()
    if organisation is None:
        raise Http404
    return organisation


@router.get(
    "/plans/{slug:slug}/organisations/{slug:key}",
    response={200: schemas.Organisation, **NOT_FOUND},
    summary="Une organisation",
)
def organisation_detail(request: HttpRequest, slug: str, key: str):
    """L'organisation et les graphies sous lesquelles le document la nomme."""
    plan = get_whole_plan(request, slug)
    return _organisation(plan)(_get_organisation(plan, key))


@router.get(
    "/plans/{slug:slug}/organisations/{slug:key}/fiches",
    response={200: schemas.OrganisationFichePage, **NOT_FOUND},
    summary="Fiches d'une organisation",
)
def organisation_fiches(request: HttpRequest, slug: str, key: str, page: Query[schemas.PageParams]):
    """Les fiches visibles où l'organisation est pilote, co-pilote ou partenaire, avec ses rôles."""
    plan = get_whole_plan(request, slug)
    organisation = _get_organisation(plan, key)
    own_roles = FicheRole.objects.filter(organisation=organisation).order_by("position", "pk")
    fiches = (
        access.visible_fiches(request.user, plan)
        .filter(pk__in=own_roles.values("fiche_id"))
        .prefetch_related(Prefetch("roles", queryset=own_roles, to_attr="own_roles"))
        .only("pk", "plan", "number", "title", "position")
        .order_by("position", "pk")
    )

    def build(fiche: Fiche) -> dict[str, Any]:
        return {
            "number": fiche.number,
            "title": fiche.title,
            "roles": list(dict.fromkeys(r.role for r in fiche.own_roles)),
            "roles_as_written": list(dict.fromkeys(r.as_written for r in fiche.own_roles)),
            "url": _fiche_url(plan, fiche.number),
        }

    return paginate(fiches, page, build)
