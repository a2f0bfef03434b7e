"""Links across plans: store the engine's suggestions, decisions, manual links, document links."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from pilotis.core.text import fold
from pilotis.plans import linking
from pilotis.plans.models import (
    Action,
    CrossLink,
    Fiche,
    FicheRole,
    Plan,
    PlanSectionLink,
    Section,
)

# Measured on the seed documents (CLS, CPTS, PRS scheme, second CLS): from about this cosine up,
# a suggestion is more often relevant than not; below it, shared words are mostly incidental.
DEFAULT_MIN_SCORE = 0.06
DEFAULT_LIMIT_PER_FICHE = 3
# Folded title similarity (difflib ratio) from which a declared engagement is the scheme's.
TITLE_MATCH = 0.8


# --- Suggestions --------------------------------------------------------------------------------


def fiche_text(fiche: Fiche) -> str:
    """What a fiche says, as one text: objectives, actions, public, context, other rubrics.

    `fiche.actions` should be prefetched. Extras are included only when they are text (a PRS
    objective keeps its findings and expected results there; numbers are not words).
    """
    parts = [
        fiche.strategic_objective,
        *fiche.operational_objectives,
        *(action.text for action in fiche.actions.all()),
        fiche.public,
        fiche.context,
        *(value for value in fiche.extra.values() if isinstance(value, str)),
    ]
    return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Proposal:
    """A suggestion of the engine, with the fiches loaded and what is already stored for it."""

    source: Fiche
    target: Fiche
    score: float
    terms: tuple[str, ...]
    existing: str | None  # status of the stored link for this pair, if any

    @property
    def reason(self) -> str:
        return linking.reason(self.terms)


def _load_fiches(plans: Sequence[Plan]) -> list[Fiche]:
    """Every fiche of `plans` with its actions and plan: two queries whatever the plan sizes."""
    by_id = {p.pk: p for p in plans}
    fiches = list(
        Fiche.objects.filter(plan__in=list(by_id))
        .order_by("plan_id", "position", "pk")
        .defer("search_text", "review_flags")
        .prefetch_related(
            Prefetch("actions", queryset=Action.objects.only("fiche", "text", "position"))
        )
    )
    for fiche in fiches:
        fiche.plan = by_id[fiche.plan_id]  # already loaded: no query per fiche for its plan
    return fiches


def _pair_links(plan: Plan) -> dict[frozenset[int], CrossLink]:
    """Fiche-to-fiche links touching `plan`, by unordered pair: one query."""
    links = CrossLink.objects.filter(
        Q(source_plan=plan) | Q(target_plan=plan), target_fiche__isnull=False
    )
    return {frozenset((link.source_fiche_id, link.target_fiche_id)): link for link in links}


def _others(plan: Plan, others: Iterable[Plan] | None) -> list[Plan]:
    if others is None:
        return list(Plan.objects.exclude(pk=plan.pk).order_by("pk"))
    return [o for o in others if o.pk != plan.pk]


def compute_suggestions(
    plan: Plan,
    others: Iterable[Plan] | None = None,
    limit_per_fiche: int = DEFAULT_LIMIT_PER_FICHE,
    min_score: float = DEFAULT_MIN_SCORE,
) -> list[Proposal]:
    """What the engine proposes for the fiches of `plan` against those of `others` (default:
    every other plan), best first, each with the status already stored for the pair."""
    plans = [plan, *_others(plan, others)]
    fiches = _load_fiches(plans)
    by_id = {f.pk: f for f in fiches}
    records = [linking.Record(f.pk, f.plan_id, f.title, fiche_text(f)) for f in fiches]
    found = linking.suggest(
        records,
        [f.pk for f in fiches if f.plan_id == plan.pk],
        limit_per_source=limit_per_fiche,
        min_score=min_score,
    )
    existing = _pair_links(plan)
    proposals = []
    for s in found:
        link = existing.get(frozenset((s.source_id, s.target_id)))
        proposals.append(
            Proposal(
                source=by_id[s.source_id],
                target=by_id[s.target_id],
                score=s.score,
                terms=s.terms,
                existing=link.status if link else None,
            )
        )
    return proposals


def suggest_links(
    plan: Plan,
    others: Iterable[Plan] | None = None,
    limit_per_fiche: int = DEFAULT_LIMIT_PER_FICHE,
    min_score: float = DEFAULT_MIN_SCORE,
) -> int:
    """Store the engine's proposals for `plan` as `proposed` links; return how many are new."""
    return store_proposals(plan, compute_suggestions(plan, others, limit_per_fiche, min_score))


def store_proposals(plan: Plan, proposals: Iterable[Proposal]) -> int:
    """Save proposals of `plan` as `proposed` links; return how many are new.

    A pair the coordinator rejected is never proposed again and an accepted one is left as it
    is; a pair still waiting for a decision gets the fresh score and shared terms.
    """
    with transaction.atomic():
        existing = _pair_links(plan)  # read again: a decision may have come since computing
        new, refreshed = [], []
        for p in proposals:
            link = existing.get(frozenset((p.source.pk, p.target.pk)))
            if link is None:
                new.append(
                    CrossLink(
                        source_plan_id=p.source.plan_id,
                        source_fiche=p.source,
                        target_plan_id=p.target.plan_id,
                        target_fiche=p.target,
                        status=CrossLink.Status.PROPOSED,
                        origin=CrossLink.Origin.SUGGESTION,
                        score=p.score,
                        reason=p.reason[:300],
                    )
                )
            elif link.status == CrossLink.Status.PROPOSED:
                link.score, link.reason = p.score, p.reason[:300]
                refreshed.append(link)
        # Two coordinators may propose for two plans at once and meet on the same pair: the
        # unique pair constraint keeps one row, the other insert is skipped rather than failing.
        CrossLink.objects.bulk_create(new, ignore_conflicts=True)
        if refreshed:
            CrossLink.objects.bulk_update(refreshed, ["score", "reason"])
    return len(new)


# --- Decisions and manual links -----------------------------------------------------------------


def decide(link: CrossLink, status: str, user) -> CrossLink:
    """Accept or reject a link (an accepted link can be withdrawn by rejecting it)."""
    if status not in (CrossLink.Status.ACCEPTED, CrossLink.Status.REJECTED):
        raise ValueError(f"unknown decision {status!r}")
    link.status = status
    link.decided_at = timezone.now()
    link.decided_by = user if user is not None and user.is_authenticated else None
    link.save(update_fields=["status", "decided_at", "decided_by"])
    return link


def add_manual_link(
    source: Fiche, target: Fiche | Section | Plan, user, accept: bool = True
) -> tuple[CrossLink, bool]:
    """Link `source` to another plan, one of its fiches or one of its sections; (link, created).

    A link between two plans is proposed by one side and accepted by the other. With `accept`
    (the user also coordinates the other plan, or a command) the link is accepted at once;
    without it, it is proposed to the other plan's coordination — unless the other side had
    proposed the same pair, which this accepts.

    A pair already stored, in either direction and whatever its status, is decided rather than
    duplicated: adding by hand what was proposed or rejected is a decision on it.
    """
    target_plan_id = target.pk if isinstance(target, Plan) else target.plan_id
    if target_plan_id == source.plan_id:
        raise ValueError("a cross link joins two different plans")
    if isinstance(target, Fiche):
        pair = Q(source_fiche=source, target_fiche=target) | Q(
            source_fiche=target, target_fiche=source
        )
        fields: dict[str, Any] = {"target_fiche": target}
    elif isinstance(target, Section):
        pair = Q(source_fiche=source, target_section=target)
        fields = {"target_section": target}
    else:
        pair = Q(
            source_fiche=source,
            target_plan=target,
            target_fiche__isnull=True,
            target_section__isnull=True,
        )
        fields = {}
    with transaction.atomic():
        link = CrossLink.objects.select_for_update().filter(pair).first()
        if link is not None:
            proposed_by_other_side = link.source_plan_id == target_plan_id
            if link.status == CrossLink.Status.ACCEPTED:
                pass
            elif accept or proposed_by_other_side:
                decide(link, CrossLink.Status.ACCEPTED, user)
            elif link.status == CrossLink.Status.REJECTED:
                # Proposed again by hand: back to the other side's coordination.
                link.status = CrossLink.Status.PROPOSED
                link.decided_at, link.decided_by = None, None
                link.save(update_fields=["status", "decided_at", "decided_by"])
            return link, False
        decided = {
            "status": CrossLink.Status.ACCEPTED,
            "decided_at": timezone.now(),
            "decided_by": user if user is not None and user.is_authenticated else None,
        }
        link = CrossLink.objects.create(
            source_plan_id=source.plan_id,
            source_fiche=source,
            target_plan_id=target_plan_id,
            origin=CrossLink.Origin.MANUAL,
            **(decided if accept else {"status": CrossLink.Status.PROPOSED}),
            **fields,
        )
    return link, True


def links_of_fiche(fiche: Fiche, statuses: Iterable[str]) -> list[CrossLink]:
    """Links of `fiche` in either direction, with both ends and their plans: one query."""
    return list(
        CrossLink.objects.filter(
            Q(source_fiche=fiche) | Q(target_fiche=fiche), status__in=list(statuses)
        )
        .select_related(
            "source_plan", "target_plan", "source_fiche", "target_fiche", "target_section"
        )
        .defer(*_HEAVY_FIELDS)
        .order_by("status", "-score", "pk")
    )


def links_of_plan(plan: Plan, statuses: Iterable[str]) -> list[CrossLink]:
    """Links of any fiche of `plan`, in either direction: one query."""
    return list(
        CrossLink.objects.filter(
            Q(source_plan=plan) | Q(target_plan=plan), status__in=list(statuses)
        )
        .select_related(
            "source_plan", "target_plan", "source_fiche", "target_fiche", "target_section"
        )
        .defer(*_HEAVY_FIELDS)
        .order_by("-score", "pk")
    )


# The long texts of the two ends are never shown next to a link.
_HEAVY_FIELDS = [
    f"{end}__{name}"
    for end in ("source_fiche", "target_fiche")
    for name in ("context", "search_text", "extra", "review_flags", "operational_objectives")
] + ["source_plan__extra", "target_plan__extra"]


@dataclass(frozen=True)
class LinkEnd:
    """The far end of a link, seen from one fiche or plan: what a page lists."""

    link: CrossLink
    plan: Plan
    fiche: Fiche | None
    section: Section | None
    near: Fiche  # the end on the page's side

    @property
    def label(self) -> str:
        if self.fiche is not None:
            return f"Fiche n°{self.fiche.number} — {self.fiche.title}"
        if self.section is None:
            return f"Le plan entier : {self.plan.title}"
        level = self.plan.level_name(self.section.depth)
        return f"{level} {self.section.number} — {self.section.title}".strip()

    @property
    def url(self) -> str:
        # From the loaded plan: the fiche's own `plan` is not loaded with the link.
        if self.fiche is not None:
            return reverse("plans:fiche", args=[self.plan.slug, self.fiche.number])
        if self.section is None:
            return self.plan.get_absolute_url()
        return f"{self.plan.get_absolute_url()}#section-{self.section.pk}"


def far_end(link: CrossLink, fiche_id: int | None = None, plan_id: int | None = None) -> LinkEnd:
    """The end of `link` away from fiche `fiche_id` (or from plan `plan_id`)."""
    seen_from_target = (fiche_id is not None and link.target_fiche_id == fiche_id) or (
        plan_id is not None and link.target_plan_id == plan_id
    )
    if seen_from_target:
        return LinkEnd(link, link.source_plan, link.source_fiche, None, link.target_fiche)
    return LinkEnd(
        link, link.target_plan, link.target_fiche, link.target_section, link.source_fiche
    )


# --- What a document declares: a CLS serving the PRS engagements -------------------------------


@dataclass
class DocumentLinks:
    """What `links_from_document` found (and stored, unless a dry run)."""

    schemes: list[Plan] = field(default_factory=list)
    matched: list[tuple[dict, Section]] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    note: str = ""  # why nothing could be linked, in French
    created: int = 0
    deleted: int = 0


def _title_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text.replace("’", "'"))).strip()


def match_titles(declared: Sequence[dict], sections: Sequence[Section]) -> list[Section | None]:
    """The section each declared engagement names, by folded fuzzy title (None if none does).

    Pure: the number is only a tie-break, since the contract and the scheme may number alike
    but word differently, and a title is what the contract's reader recognises.
    """
    result: list[Section | None] = []
    keys = [(_title_key(s.title), s) for s in sections]
    for engagement in declared:
        wanted = _title_key(engagement.get("title", ""))
        number = str(engagement.get("number", ""))
        best, best_rank = None, None
        for key, section in keys:
            ratio = difflib.SequenceMatcher(None, wanted, key, autojunk=False).ratio()
            rank = (round(ratio, 4), section.number == number, -section.position)
            if ratio >= TITLE_MATCH and (best_rank is None or rank > best_rank):
                best, best_rank = section, rank
        result.append(best)
    return result


def _department_codes(plan: Plan) -> set[str]:
    """Departments of a plan's perimeter, from its communes' INSEE codes (empty if unknown)."""
    if plan.perimeter_id is None:
        return set()
    codes = plan.perimeter.communes.values_list("code", flat=True)
    return {code[:3] if code.startswith("97") else code[:2] for code in codes if code}


def _schemes_for(plan: Plan) -> tuple[list[Plan], str]:
    schemes = list(
        Plan.objects.filter(kind=Plan.Kind.PRS_SCHEME).select_related("perimeter").order_by("pk")
    )
    if len(schemes) <= 1:
        # The engagements are the region's: every departmental scheme declines the same six.
        return schemes, "" if schemes else "Aucun schéma territorial du PRS n’est enregistré."
    departments = _department_codes(plan)
    local = [s for s in schemes if s.perimeter and s.perimeter.code in departments]
    if local:
        return local, ""
    return [], (
        "Plusieurs schémas territoriaux du PRS sont enregistrés et le périmètre du contrat ne "
        "dit pas de quel département il relève : aucun lien n’a été fait."
    )


def links_from_document(plan: Plan, dry_run: bool = False) -> DocumentLinks:
    """Link a contract to the PRS engagements its document says it serves.

    `Plan.extra["prs_engagements"]` holds what the CLS declares ([{number, title, first_line,
    last_line}]); the engagements are the top sections of a stored PRS scheme. Links stored by
    an earlier run that the document no longer supports are removed; links added by hand stay.
    """
    declared = plan.extra.get("prs_engagements") or []
    result = DocumentLinks()
    if not declared:
        result.note = "Le document de ce plan ne déclare aucun engagement du PRS."
        return result
    result.schemes, result.note = _schemes_for(plan)
    if not result.schemes:
        return result
    sections = list(
        Section.objects.filter(plan__in=result.schemes, depth=0).order_by("plan_id", "position")
    )
    schemes_by_id = {scheme.pk: scheme for scheme in result.schemes}
    for section in sections:
        section.plan = schemes_by_id[section.plan_id]  # loaded already: no query per section
    for scheme in result.schemes:
        own = [s for s in sections if s.plan_id == scheme.pk]
        for engagement, section in zip(declared, match_titles(declared, own), strict=True):
            if section is None:
                if engagement not in result.unmatched:
                    result.unmatched.append(engagement)
            else:
                result.matched.append((engagement, section))
    if dry_run:
        return result
    with transaction.atomic():
        existing = {link.section_id: link for link in plan.served_sections.all()}
        wanted = {section.pk for _, section in result.matched}
        new = []
        for engagement, section in result.matched:
            as_written = f"Engagement {engagement.get('number', '')} : {engagement['title']}"
            if section.pk not in existing:
                new.append(
                    PlanSectionLink(
                        plan=plan,
                        section=section,
                        origin=CrossLink.Origin.DOCUMENT,
                        as_written=as_written[:300],
                        source_first_line=engagement.get("first_line"),
                        source_last_line=engagement.get("last_line"),
                    )
                )
        PlanSectionLink.objects.bulk_create(new)
        stale = [
            link.pk
            for section_id, link in existing.items()
            if link.origin == CrossLink.Origin.DOCUMENT and section_id not in wanted
        ]
        if stale:
            PlanSectionLink.objects.filter(pk__in=stale).delete()
    result.created, result.deleted = len(new), len(stale)
    return result


def section_links_of_plan(plan: Plan) -> tuple[list[PlanSectionLink], list[PlanSectionLink]]:
    """(sections of other plans `plan` serves, plans serving a section of `plan`): one query."""
    links = list(
        PlanSectionLink.objects.filter(Q(plan=plan) | Q(section__plan=plan))
        .select_related("plan", "section", "section__plan")
        .defer("plan__extra", "section__plan__extra")
        .order_by("section__plan__title", "section__position", "plan__title")
    )
    return [link for link in links if link.plan_id == plan.pk], [
        link for link in links if link.section.plan_id == plan.pk
    ]


# --- What a document names: fiches working with a CPTS whose project is stored ------------------


def cpts_links_from_document(
    plan: Plan, dry_run: bool = False, may_accept: Callable[[int], bool] | None = None
) -> list[CrossLink]:
    """Link the fiches of a contract to the stored CPTS projects they work with.

    A fiche naming a CPTS among its pilots or partners whose name is a stored CPTS project's
    territory ("CPTS BC", "CPTS Bassin carcassonnais" for the CPTS du Bassin Carcassonnais) is
    linked to that project, accepted: the document says so. A fiche piloted by the CPTS of the
    territory without naming one ("Accompagner les projets de santé des CPTS") is proposed a
    link, for the coordinator to confirm, to the projects of the CPTS the contract names
    elsewhere (a contract naming none is not known to share their territory). Links already decided
    are left as they are. Returns the links created (or that would be, with `dry_run`).

    `may_accept(plan_id)` says whether the caller may accept a link on that project's side; when
    it may not, a named link is only proposed to the project's coordination (a page passes the
    user's rights; commands accept).
    """
    projects = list(Plan.objects.filter(kind=Plan.Kind.CPTS).exclude(pk=plan.pk).order_by("pk"))
    if not projects:
        return []
    names = {project.pk: _cpts_key(_project_name(project)) for project in projects}
    roles = (
        FicheRole.objects.filter(fiche__plan=plan)
        .select_related("organisation", "fiche")
        .order_by("fiche__position", "position")
    )
    roles = list(roles)
    named_by: dict[int, set[int]] = {}  # role id -> projects it names
    for role in roles:
        org = role.organisation
        spellings = {_cpts_key(x) for x in [org.name, org.acronym, role.as_written, *org.aliases]}
        named_by[role.pk] = {
            project.pk
            for project in projects
            if any(_names_project(s, names[project.pk]) for s in spellings if s)
        }
    # A contract that names a CPTS somewhere works on its territory: only then are the fiches
    # piloted by "the CPTS" of the territory proposed a link to that CPTS's project.
    on_territory = set().union(*named_by.values()) if named_by else set()
    wanted: dict[tuple[int, int], CrossLink] = {}
    for role in roles:
        org = role.organisation
        for project in projects:
            named = project.pk in named_by[role.pk]
            accepted = named and (may_accept is None or may_accept(project.pk))
            generic = (
                org.key == "cpts"
                and role.role in ("pilot", "copilot")
                and project.pk in on_territory
            )
            if not (named or generic) or (role.fiche_id, project.pk) in wanted:
                continue
            wanted[(role.fiche_id, project.pk)] = CrossLink(
                source_plan=plan,
                source_fiche=role.fiche,
                target_plan=project,
                status=CrossLink.Status.ACCEPTED if accepted else CrossLink.Status.PROPOSED,
                origin=CrossLink.Origin.DOCUMENT,
                reason=(
                    f"La fiche nomme « {role.as_written} » parmi ses "
                    + ("pilotes." if role.role != "partner" else "partenaires.")
                    if named
                    else "La fiche est pilotée par les CPTS du territoire : à confirmer."
                )[:300],
            )
    existing = set(
        CrossLink.objects.filter(
            source_plan=plan,
            target_plan__in=projects,
            target_fiche__isnull=True,
            target_section__isnull=True,
        ).values_list("source_fiche_id", "target_plan_id")
    )
    new = [link for key, link in wanted.items() if key not in existing]
    if not dry_run:
        CrossLink.objects.bulk_create(new)
    return new


def _project_name(project: Plan) -> str:
    return project.perimeter.name if project.perimeter_id else project.title


def _cpts_key(text: str) -> str:
    """ "CPTS du Bassin Carcassonnais" -> "bassin carcassonnais"; "CPTS BC" -> "bc"."""
    words = _title_key(text).split()
    stop = {"cpts", "du", "de", "des", "la", "le", "l", "d"}
    return " ".join(w for w in words if w not in stop)


def _names_project(spelling: str, project: str) -> bool:
    """Whether an organisation's spelling names the project's CPTS, in full or by initials."""
    if not spelling or not project:
        return False
    initials = "".join(w[0] for w in project.split())
    return spelling == project or (len(spelling) >= 2 and spelling == initials)
