"""Write a PlanDraft into the database in one transaction; importing it again is a no-op."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.text import slugify

from pilotis.core import history, personal
from pilotis.importers.programmes import ProgrammeRef, programme_for
from pilotis.plans.draft import (
    OrganisationDraft,
    ParseError,
    PlanDraft,
    ReviewFlag,
    Span,
    fiche_search_text,
    ordered_roles,
    role_organisation_key,
)
from pilotis.plans.draft import UnplacedLine as DraftUnplacedLine
from pilotis.plans.models import (
    ACTION_ORIGIN_KEY,
    Action,
    Fiche,
    FicheIndicator,
    FicheLink,
    FicheProgramme,
    FicheRole,
    Organisation,
    Plan,
    Programme,
    Section,
    Territory,
    UnplacedLine,
)

# The kinds of rows an import writes, in the order the report lists them.
KINDS = (
    "plan",
    "communes",
    "sections",
    "organisations",
    "programmes",
    "fiches",
    "roles",
    "programme_links",
    "fiche_links",
    "actions",
    "indicators",
    "unplaced_lines",
)

CommuneLink = Territory.communes.through


class DraftError(ParseError):
    """The draft contradicts itself (duplicate numbers, unknown parents…): nothing is written."""


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def stored(self) -> int:
        """Rows of this kind the plan holds after the import."""
        return self.created + self.updated + self.unchanged

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


@dataclass
class ImportSummary:
    plan_slug: str
    plan_id: int | None = None
    counts: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    # Personal contact data taken out of the plan's content before storing it (RGPD).
    personal_data: list[personal.Located] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.counts.values())


def save_draft(
    draft: PlanDraft, source_sha256: str = "", *, dry_run: bool = False, user=None
) -> ImportSummary:
    """Store `draft` as the plan of slug `draft.slug`, in one transaction.

    Rows are matched by stable keys (plan slug, section key, fiche number, organisation key,
    action letter, indicator kind and position…) and updated in place, so ids referenced by the
    follow-up survive a re-import; rows the new draft no longer has are deleted. With `dry_run`
    everything runs then rolls back: the summary says what an import would do.

    Every row created, changed or deleted is recorded in the history with `user` (the person
    importing; none for a command) and the reason « Import de <document> ».
    """
    removed = drop_personal_data(draft)
    problems = check_draft(draft)
    if problems:
        raise DraftError("Le plan lu est incohérent : " + " ; ".join(problems))
    summary = ImportSummary(plan_slug=draft.slug, dry_run=dry_run, personal_data=removed)
    with transaction.atomic():
        plan = _Writer(draft, source_sha256, summary, user=user).run()
        if dry_run:
            transaction.set_rollback(True)
        else:
            summary.plan_id = plan.pk
    return summary


# --- Pure helpers -----------------------------------------------------------------------------

PERSONAL_DATA_REASON = "Donnée personnelle écartée"


def drop_personal_data(draft: PlanDraft) -> list[personal.Located]:
    """Take the phone numbers and personal e-mail addresses out of everything `draft` would
    store (a published plan is read by anyone), and list each one, masked, among the lines of
    the import report so that the coordinator sees what was left out and where."""
    removed = personal.redact_tree(draft)
    draft.unplaced.extend(
        DraftUnplacedLine(
            line=item.line,
            text=f"{item.finding.label.capitalize()} {item.finding.masked} ({item.where})",
            reason=PERSONAL_DATA_REASON,
        )
        for item in removed
    )
    return removed


def check_draft(draft: PlanDraft) -> list[str]:
    """French descriptions of what makes `draft` impossible to store; empty when it is fine."""
    problems: list[str] = []
    if draft.kind not in Plan.Kind.values:
        problems.append(f"type de plan inconnu « {draft.kind} »")
    if not draft.slug or slugify(draft.slug) != draft.slug:
        problems.append(f"identifiant de plan invalide « {draft.slug} »")
    if not draft.title.strip():
        problems.append("le plan n'a pas de titre")
    if draft.territory_level and draft.territory_level not in Territory.Level.values:
        problems.append(f"niveau de territoire inconnu « {draft.territory_level} »")
    problems += _duplicates("section", [s.key for s in draft.sections])
    problems += _duplicates("fiche n°", [f.number for f in draft.fiches])
    problems += _duplicates("organisation", [o.key for o in draft.organisations])
    problems += _section_tree_problems(draft)
    for fiche in draft.fiches:
        where = f"fiche n°{fiche.number}"
        for role in fiche.roles:
            if role.role not in FicheRole.Role.values:
                problems.append(f"{where} : rôle inconnu « {role.role} »")
        for indicator in fiche.indicators:
            if indicator.kind not in FicheIndicator.Kind.values:
                problems.append(f"{where} : type d'indicateur inconnu « {indicator.kind} »")
    problems += _length_problems(draft)
    return problems


def flag_to_dict(flag: ReviewFlag) -> dict[str, Any]:
    """How a review flag is stored in Fiche.review_flags (and exported)."""
    first, last = span_lines(flag.span)
    return {"field": flag.field, "message": flag.message, "first_line": first, "last_line": last}


def span_lines(span: Span | None) -> tuple[int | None, int | None]:
    """(first, last) line of a span; 0 or a missing span means "unknown" and is stored as NULL."""
    if span is None:
        return None, None
    return span.first_line or None, span.last_line or None


def keyed_by_occurrence(keys: Iterable[Hashable]) -> list[tuple[Hashable, int]]:
    """Make repeated keys unique by numbering their occurrences: A, A, B → (A,0), (A,1), (B,0)."""
    seen: dict[Hashable, int] = defaultdict(int)
    out = []
    for key in keys:
        out.append((key, seen[key]))
        seen[key] += 1
    return out


def _duplicates(label: str, keys: list[str]) -> list[str]:
    counts: dict[str, int] = defaultdict(int)
    for key in keys:
        counts[key] += 1
    sep = "" if label.endswith("°") else " "
    return [f"{label}{sep}{key} en double" for key, n in counts.items() if n > 1]


def _section_tree_problems(draft: PlanDraft) -> list[str]:
    parents = {s.key: s.parent_key for s in draft.sections}
    problems = []
    for key, parent in parents.items():
        if parent is not None and parent not in parents:
            problems.append(f"la section {key} a un parent inconnu « {parent} »")
    for key in parents:
        seen = {key}
        current = parents.get(key)
        while current is not None and current in parents:
            if current in seen:
                problems.append(f"la section {key} est sa propre ancêtre")
                break
            seen.add(current)
            current = parents[current]
    return problems


def _max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


def _length_problems(draft: PlanDraft) -> list[str]:
    """Values longer than their column: PostgreSQL would refuse them, SQLite would not notice."""
    checks: list[tuple[str, str, type[models.Model], str]] = [
        ("le titre du plan", draft.title, Plan, "title"),
        ("l'identifiant du plan", draft.slug, Plan, "slug"),
        ("le document source", draft.document, Plan, "source_document"),
        ("le nom du territoire", draft.territory_name, Territory, "name"),
        ("le code du territoire", draft.territory_code, Territory, "code"),
    ]
    for c in draft.perimeter:
        checks += [
            ("le nom d'une commune du périmètre", c.name, Territory, "name"),
            (f"le code INSEE de {c.name}", c.insee_code, Territory, "code"),
        ]
    for s in draft.sections:
        checks += [
            (f"la clé de section {s.key}", s.key, Section, "key"),
            (f"le numéro de la section {s.key}", s.number, Section, "number"),
        ]
    for o in draft.organisations:
        checks += [
            (f"la clé d'organisation {o.key}", o.key, Organisation, "key"),
            (f"le nom de l'organisation {o.key}", o.name, Organisation, "name"),
            (f"le sigle de l'organisation {o.key}", o.acronym, Organisation, "acronym"),
        ]
    for f in draft.fiches:
        where = f"fiche n°{f.number}"
        checks += [
            (f"le numéro de la {where}", f.number, Fiche, "number"),
            (f"{where} : le libellé du pilotage", f.pilotage_label, Fiche, "pilotage_label"),
        ]
        checks += [(f"{where} : l'acteur", r.as_written, FicheRole, "as_written") for r in f.roles]
        checks += [
            (f"{where} : le programme", p, FicheProgramme, "as_written") for p in f.programmes
        ]
        for a in f.actions:
            checks += [
                (f"{where} : la lettre d'action", a.letter, Action, "letter"),
                (
                    f"{where} : l'échéance de l'action {a.letter}",
                    a.deadline_as_written,
                    Action,
                    "deadline_as_written",
                ),
            ]
    checks += [
        (f"la raison de la ligne {u.line} non placée", u.reason, UnplacedLine, "reason")
        for u in draft.unplaced
    ]
    problems = []
    for label, value, model, name in checks:
        limit = _max_length(model, name)
        if value and len(value) > limit:
            problems.append(f"{label} dépasse {limit} caractères (« {value[:60]}… »)")
    return problems


# --- The writer -------------------------------------------------------------------------------


class _Writer:
    """One import: loads each table's rows of the plan once, diffs them, writes in bulk."""

    def __init__(self, draft: PlanDraft, source_sha256: str, summary: ImportSummary, user=None):
        self.draft = draft
        self.sha256 = source_sha256
        self.summary = summary
        self.counts = summary.counts
        self.organisations = self._organisations_with_unknown_keys()
        self.user = user if user is not None and user.is_authenticated else None
        self.reason = import_reason(draft)

    def run(self) -> Plan:
        plan = self._plan()
        sections, stale_sections = self._sections(plan)
        organisations, stale_orgs = self._organisations(plan)
        programmes = self._programmes()
        fiches, stale_fiches = self._fiches(plan, sections)
        stale_children = [
            self._roles(plan, fiches, organisations),
            self._programme_links(plan, fiches, programmes),
            self._actions(plan, fiches),
            self._indicators(plan, fiches),
            self._fiche_links(plan, fiches),
        ]
        # Delete children before what they point to (roles protect organisations, fiches protect
        # sections); deleting a stale parent section cascades to its stale children only, since
        # kept children were moved to their new parent above.
        for model, kind, rows in stale_children:
            self._delete(model, kind, rows)
        self._delete(Fiche, "fiches", stale_fiches)
        self._delete(Section, "sections", stale_sections)
        self._delete(Organisation, "organisations", stale_orgs)
        self._unplaced(plan)
        # imported_at says when the stored content last came from a document: a no-op re-import
        # leaves it alone so that "nothing changed" holds for every column.
        if self.summary.changed and self.counts["plan"].created == 0:
            plan.imported_at = timezone.now()
            self._save_plan(plan, update_fields=["imported_at"])
        return plan

    def _sync(self, model, existing, desired, kind: str, versioned: bool = False):
        return _sync(
            model,
            existing,
            desired,
            self.counts[kind],
            user=self.user,
            reason=self.reason,
            versioned=versioned,
        )

    def _save_plan(self, plan: Plan, **kwargs) -> None:
        # Read by simple_history's post_save handler: the import's user and reason, not the
        # request's (a command has no request at all).
        plan._history_user = self.user
        plan._change_reason = self.reason
        plan.save(**kwargs)

    # Plan and territory

    def _territory(self) -> Territory | None:
        d = self.draft
        if not d.territory_name:
            if d.perimeter:
                self.summary.warnings.append(
                    f"{len(d.perimeter)} communes sont listées mais le périmètre n'a pas de nom : "
                    "elles ne sont pas enregistrées."
                )
            return None
        territory, _ = Territory.objects.get_or_create(
            level=d.territory_level or Territory.Level.PERIMETER,
            code=d.territory_code,
            name=d.territory_name,
        )
        if d.perimeter:
            self._communes(territory)
        return territory

    def _communes(self, territory: Territory) -> None:
        """Make the perimeter's communes those the document lists.

        Territories are shared by the plans on them, so a document that lists no commune leaves
        the known ones alone; one that lists them is taken as the reference.
        """
        commune = Territory.Level.COMMUNE
        wanted = {(c.insee_code, c.name) for c in self.draft.perimeter}
        known = {
            (t.code, t.name): t
            for t in Territory.objects.filter(level=commune, name__in={n for _, n in wanted})
        }
        missing = [
            Territory(level=commune, code=code, name=name)
            for code, name in sorted(wanted)
            if (code, name) not in known
        ]
        Territory.objects.bulk_create(missing)
        known |= {(t.code, t.name): t for t in missing}
        existing = {
            link.to_territory_id: link
            for link in CommuneLink.objects.filter(from_territory=territory)
        }
        desired = {
            known[key].pk: {"from_territory_id": territory.pk, "to_territory_id": known[key].pk}
            for key in wanted
        }
        self._sync(CommuneLink, existing, desired, "communes")
        self._delete(CommuneLink, "communes", _stale(existing, desired))
        # Populations as the document states them; a document without figures keeps the known.
        source = self.draft.document
        changed = []
        for c in self.draft.perimeter:
            t = known[(c.insee_code, c.name)]
            if c.population is not None and (t.population, t.population_source) != (
                c.population,
                source,
            ):
                t.population, t.population_source = c.population, source
                changed.append(t)
        if changed:
            Territory.objects.bulk_update(changed, ["population", "population_source"])
            self.counts["communes"].updated += len(changed)

    def _plan(self) -> Plan:
        d = self.draft
        territory = self._territory()
        values = {
            "kind": d.kind,
            "title": d.title,
            "signatories": list(d.signatories),
            "signature_date": d.signature_date,
            "start_year": d.start_year,
            "duration_years": d.duration_years,
            "perimeter_id": territory.pk if territory else None,
            "levels": list(d.levels),
            "source_document": d.document,
            "source_sha256": self.sha256,
            "extra": dict(d.extra),
        }
        counts = self.counts["plan"]
        # Lock the plan row: two imports of the same plan at once would otherwise both diff against
        # the same rows and create children twice (PostgreSQL; SQLite serialises writers anyway).
        plan = Plan.objects.select_for_update().filter(slug=d.slug).first()
        if plan is None:
            plan = Plan(slug=d.slug, imported_at=timezone.now(), **values)
            self._save_plan(plan)
            counts.created += 1
            return plan
        diff = _diff(plan, values)
        if diff:
            self._save_plan(plan, update_fields=diff)
            counts.updated += 1
        else:
            counts.unchanged += 1
        return plan

    # Sections: created parents first, one batch per generation of the tree

    def _sections(self, plan: Plan) -> tuple[dict[str, Section], list[int]]:
        existing = {s.key: s for s in Section.objects.filter(plan=plan)}
        drafts = {s.key: s for s in self.draft.sections}
        generation: dict[str, int] = {}

        def gen(key: str) -> int:
            if key not in generation:
                parent = drafts[key].parent_key
                generation[key] = 0 if parent is None else gen(parent) + 1
            return generation[key]

        by_generation: dict[int, list[str]] = defaultdict(list)
        for key in drafts:
            by_generation[gen(key)].append(key)
        # Positions follow the tree depth first, siblings in document order: a parser listing
        # sections level by level and an export listing them depth first store the same plan.
        children: dict[str | None, list[str]] = defaultdict(list)
        for key, s in drafts.items():
            children[s.parent_key].append(key)
        position: dict[str, int] = {}

        def visit(parent: str | None) -> None:
            for key in children.get(parent, []):
                position[key] = len(position)
                visit(key)

        visit(None)
        stored: dict[str, Section] = {}
        for g in sorted(by_generation):
            desired = {}
            for key in by_generation[g]:
                s = drafts[key]
                first, last = span_lines(s.span)
                desired[key] = {
                    "plan_id": plan.pk,
                    "parent_id": stored[s.parent_key].pk if s.parent_key else None,
                    "key": key,
                    "depth": s.level,
                    "number": s.number,
                    "title": s.title,
                    "position": position[key],
                    "source_first_line": first,
                    "source_last_line": last,
                }
            stored |= self._sync(Section, existing, desired, "sections")
        return stored, _stale(existing, drafts)

    # Organisations and programmes

    def _organisations_with_unknown_keys(self) -> dict[str, OrganisationDraft]:
        """The draft's organisations plus one per role naming a key the draft does not define.

        A parser that resolves a pilot to an undefined key is wrong, but refusing the whole
        import for it would hide every other fiche: the organisation is created from the text as
        written and the summary warns about it.
        """
        orgs = {o.key: o for o in self.draft.organisations}
        for fiche in self.draft.fiches:
            for role in fiche.roles:
                key = role_organisation_key(role)
                if key in orgs:
                    continue
                orgs[key] = OrganisationDraft(
                    key=key, name=role.as_written, aliases=[role.as_written]
                )
                self.summary.warnings.append(
                    f"Fiche n°{fiche.number} : « {role.as_written} » renvoie à une organisation "
                    f"non définie ({key}) ; elle est créée sous ce nom."
                )
        return orgs

    def _organisations(self, plan: Plan) -> tuple[dict[str, Organisation], list[int]]:
        existing = {o.key: o for o in Organisation.objects.filter(plan=plan)}
        desired = {
            key: {
                "plan_id": plan.pk,
                "key": key,
                "name": o.name,
                "acronym": o.acronym,
                "aliases": list(o.aliases),
            }
            for key, o in self.organisations.items()
        }
        stored = self._sync(Organisation, existing, desired, "organisations")
        return stored, _stale(existing, desired)

    def _programmes(self) -> dict[str, Programme]:
        """Programmes are shared by every plan: create the missing ones, never rename or delete."""
        refs: dict[str, ProgrammeRef] = {}
        for fiche in self.draft.fiches:
            for text in fiche.programmes:
                ref = programme_for(text)
                refs.setdefault(ref.code, ref)
        existing = {p.code: p for p in Programme.objects.filter(code__in=list(refs))}
        missing = [
            Programme(code=r.code, name=r.name) for c, r in refs.items() if c not in existing
        ]
        Programme.objects.bulk_create(missing)
        counts = self.counts["programmes"]
        counts.created += len(missing)
        counts.unchanged += len(existing)
        return existing | {p.code: p for p in missing}

    # Fiches and what hangs on them

    def _fiches(
        self, plan: Plan, sections: dict[str, Section]
    ) -> tuple[dict[str, Fiche], list[int]]:
        existing = {f.number: f for f in Fiche.objects.filter(plan=plan)}
        desired = {}
        for position, fiche in enumerate(self.draft.fiches):
            section = sections.get(fiche.section_key)
            if section is None and fiche.section_key:
                self.summary.warnings.append(
                    f"Fiche n°{fiche.number} : section « {fiche.section_key} » inconnue ; "
                    "la fiche est rangée hors section."
                )
            first, last = span_lines(fiche.span)
            desired[fiche.number] = {
                "plan_id": plan.pk,
                "section_id": section.pk if section else None,
                "number": fiche.number,
                "position": position,
                "title": fiche.title,
                "pilotage_label": fiche.pilotage_label,
                "context": fiche.context,
                "strategic_objective": fiche.strategic_objective,
                "operational_objectives": list(fiche.operational_objectives),
                "public": fiche.public,
                "extra": dict(fiche.extra),
                "review_flags": [flag_to_dict(f) for f in fiche.flags],
                "search_text": fiche_search_text(fiche, self.organisations),
                "source_first_line": first,
                "source_last_line": last,
            }
        # Versioned: a coordinator's edit form opened before this import is refused afterwards.
        stored = self._sync(Fiche, existing, desired, "fiches", versioned=True)
        return stored, _stale(existing, desired)

    def _children(
        self,
        model: type[models.Model],
        kind: str,
        plan: Plan,
        existing_key: Callable[[Any], Hashable],
        desired: dict[Hashable, dict[str, Any]],
        keep: Callable[[Any], bool] = lambda o: False,
    ) -> tuple[type[models.Model], str, list[int]]:
        # Rows for which `keep` holds are not the document's: neither updated nor deleted.
        existing = {
            existing_key(o): o for o in model.objects.filter(fiche__plan=plan) if not keep(o)
        }
        self._sync(model, existing, desired, kind)
        return model, kind, _stale(existing, desired)

    def _roles(self, plan, fiches, organisations):
        desired = {}
        for fiche in self.draft.fiches:
            fiche_id = fiches[fiche.number].pk
            for position, role in enumerate(ordered_roles(fiche)):
                desired[(fiche_id, position)] = {
                    "fiche_id": fiche_id,
                    "organisation_id": organisations[role_organisation_key(role)].pk,
                    "role": role.role,
                    "as_written": role.as_written,
                    "position": position,
                }
        return self._children(FicheRole, "roles", plan, lambda o: (o.fiche_id, o.position), desired)

    def _programme_links(self, plan, fiches, programmes):
        desired = {}
        for fiche in self.draft.fiches:
            fiche_id = fiches[fiche.number].pk
            for position, text in enumerate(fiche.programmes):
                desired[(fiche_id, position)] = {
                    "fiche_id": fiche_id,
                    "programme_id": programmes[programme_for(text).code].pk,
                    "as_written": text,
                    "position": position,
                }
        return self._children(
            FicheProgramme, "programme_links", plan, lambda o: (o.fiche_id, o.position), desired
        )

    def _actions(self, plan, fiches):
        # Keyed by letter rather than position: inserting an action in the document must not
        # shift the yearly statuses recorded against the following ones.
        desired = {}
        for fiche in self.draft.fiches:
            fiche_id = fiches[fiche.number].pk
            keys = keyed_by_occurrence(a.letter for a in fiche.actions)
            for position, (action, key) in enumerate(zip(fiche.actions, keys, strict=True)):
                first, last = span_lines(action.span)
                desired[(fiche_id, *key)] = {
                    "fiche_id": fiche_id,
                    "letter": action.letter,
                    "text": action.text,
                    "deadline_years": list(action.deadline_years),
                    "deadline_as_written": action.deadline_as_written,
                    "extra": dict(action.extra),
                    "position": position,
                    "source_first_line": first,
                    "source_last_line": last,
                }
        occurrence: dict[tuple[int, str], int] = defaultdict(int)

        def existing_key(action: Action) -> Hashable:
            # Rows come ordered by position, so occurrences are numbered as in the draft.
            n = occurrence[(action.fiche_id, action.letter)]
            occurrence[(action.fiche_id, action.letter)] += 1
            return (action.fiche_id, action.letter, n)

        def added_after_signature(action: Action) -> bool:
            # An action a COPIL decision added is no line of the document: a re-import keeps it.
            return isinstance(action.extra, dict) and ACTION_ORIGIN_KEY in action.extra

        return self._children(
            Action, "actions", plan, existing_key, desired, keep=added_after_signature
        )

    def _indicators(self, plan, fiches):
        # Position counts within the kind, so a new result indicator leaves the monitoring
        # indicators' rows untouched.
        desired = {}
        for fiche in self.draft.fiches:
            fiche_id = fiches[fiche.number].pk
            keys = keyed_by_occurrence(i.kind for i in fiche.indicators)
            for indicator, (kind, position) in zip(fiche.indicators, keys, strict=True):
                first, last = span_lines(indicator.span)
                desired[(fiche_id, kind, position)] = {
                    "fiche_id": fiche_id,
                    "kind": kind,
                    "action_letters": list(indicator.actions),
                    "text": indicator.text,
                    "position": position,
                    "source_first_line": first,
                    "source_last_line": last,
                }
        return self._children(
            FicheIndicator, "indicators", plan, lambda o: (o.fiche_id, o.kind, o.position), desired
        )

    def _fiche_links(self, plan, fiches):
        desired = {}
        for fiche in self.draft.fiches:
            source = fiches[fiche.number].pk
            for number in fiche.linked_fiches:
                target = fiches.get(number)
                if target is None:
                    self.summary.warnings.append(
                        f"Fiche n°{fiche.number} : la fiche liée n°{number} n'existe pas dans le "
                        "plan ; le lien est ignoré."
                    )
                    continue
                desired[(source, target.pk)] = {"from_fiche_id": source, "to_fiche_id": target.pk}
        existing = {
            (link.from_fiche_id, link.to_fiche_id): link
            for link in FicheLink.objects.filter(from_fiche__plan=plan)
        }
        self._sync(FicheLink, existing, desired, "fiche_links")
        return FicheLink, "fiche_links", _stale(existing, desired)

    def _unplaced(self, plan: Plan) -> None:
        """Replace the previous import's unplaced lines, keeping the rows that did not change."""
        existing_rows = list(UnplacedLine.objects.filter(plan=plan).order_by("line", "pk"))
        existing = dict(
            zip(
                keyed_by_occurrence((u.line, u.text, u.reason) for u in existing_rows),
                existing_rows,
                strict=True,
            )
        )
        lines = self.draft.unplaced
        desired = {
            key: {"plan_id": plan.pk, "line": u.line, "text": u.text, "reason": u.reason}
            for u, key in zip(
                lines, keyed_by_occurrence((u.line, u.text, u.reason) for u in lines), strict=True
            )
        }
        self._sync(UnplacedLine, existing, desired, "unplaced_lines")
        self._delete(UnplacedLine, "unplaced_lines", _stale(existing, desired))

    def _delete(self, model: type[models.Model], kind: str, rows: list[models.Model]) -> None:
        if not rows:
            return
        try:
            history.delete(model, rows, user=self.user, reason=self.reason)
        except (ProtectedError, RestrictedError) as exc:
            # Follow-up data (or another plan) points to a row the document no longer has: the
            # import is refused whole rather than deleting what others rely on.
            blocking = sorted({str(obj) for obj in exc.args[1]})[:5]
            raise DraftError(
                f"{_deleted_label(model, rows)} ne figure plus dans le document, mais d'autres "
                f"données y renvoient ({' ; '.join(blocking)}) : l'import est refusé, rien n'a "
                "été enregistré."
            ) from exc
        self.counts[kind].deleted += len(rows)


def import_reason(draft: PlanDraft) -> str:
    """The history's change reason for an import of `draft`."""
    return f"Import de {draft.document or draft.title}"


def _deleted_label(model: type[models.Model], rows: list[models.Model]) -> str:
    names = ", ".join(str(row) for row in rows[:5]) + (" …" if len(rows) > 5 else "")
    return f"{str(model._meta.verbose_name).capitalize()} ({names})"


def _diff(obj: models.Model, values: Mapping[str, Any]) -> list[str]:
    """Set the fields of `obj` that differ from `values`; return their names."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


def _sync(
    model: type[models.Model],
    existing: Mapping[Hashable, models.Model],
    desired: Mapping[Hashable, dict[str, Any]],
    counts: KindCounts,
    user=None,
    reason: str = "",
    versioned: bool = False,
) -> dict[Hashable, models.Model]:
    """Create and update rows so that each key of `desired` has its values; deletion is left to
    the caller, which knows the order foreign keys allow. Returns the rows by key.

    Writes are recorded in the history (one query more per kind written). With `versioned`, each
    changed row's `version` goes up by one.
    """
    to_create, to_update, fields = [], [], set()
    stored = {}
    for key, values in desired.items():
        obj = existing.get(key)
        if obj is None:
            obj = model(**values)
            to_create.append(obj)
        else:
            changed = _diff(obj, values)
            if changed:
                if versioned:
                    obj.version += 1
                    changed.append("version")
                to_update.append(obj)
                fields.update(changed)
            else:
                counts.unchanged += 1
        stored[key] = obj
    if to_create:
        history.bulk_create(model, to_create, user=user, reason=reason)
    if to_update:
        history.bulk_update(model, to_update, sorted(fields), user=user, reason=reason)
    counts.created += len(to_create)
    counts.updated += len(to_update)
    return stored


def _stale(
    existing: Mapping[Hashable, models.Model], desired: Iterable[Hashable]
) -> list[models.Model]:
    keep = set(desired)
    return [obj for key, obj in existing.items() if key not in keep]
