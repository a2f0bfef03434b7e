"""The plan's JSON exchange format (docs/export-format.md): export a stored plan, read one back."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.db.models import Prefetch, Q

from pilotis.plans.draft import (
    ActionDraft,
    CommuneDraft,
    FicheDraft,
    IndicatorDraft,
    OrganisationDraft,
    ParseError,
    PlanDraft,
    ReviewFlag,
    RoleDraft,
    SectionDraft,
    Span,
    UnplacedLine,
)
from pilotis.plans.models import Fiche, FicheProgramme, FicheRole, Plan, Territory

FORMAT = "pilotis.plan"
VERSION = 1


# --- Export -----------------------------------------------------------------------------------


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The whole plan as plain JSON-ready data, in a constant number of queries."""
    perimeter, communes = _perimeter_and_communes(plan.perimeter_id)
    sections = list(plan.sections.all())
    organisations = list(plan.organisations.order_by("key"))
    fiches = list(
        plan.fiches.prefetch_related(
            Prefetch("roles", queryset=FicheRole.objects.select_related("organisation")),
            "actions",
            "indicators",
            Prefetch(
                "programme_links", queryset=FicheProgramme.objects.select_related("programme")
            ),
            Prefetch("linked_fiches", queryset=Fiche.objects.only("pk", "number", "position")),
        )
    )
    section_by_pk = {s.pk: s for s in sections}
    return {
        "format": FORMAT,
        "version": VERSION,
        "slug": plan.slug,
        "kind": plan.kind,
        "kind_label": plan.get_kind_display(),
        "title": plan.title,
        "signatories": list(plan.signatories),
        "signature_date": plan.signature_date.isoformat() if plan.signature_date else None,
        "start_year": plan.start_year,
        "duration_years": plan.duration_years,
        "perimeter": _perimeter(perimeter, communes),
        "levels": list(plan.levels),
        "source": {
            "document": plan.source_document,
            "sha256": plan.source_sha256,
            "imported_at": plan.imported_at.isoformat() if plan.imported_at else None,
        },
        "extra": plan.extra,
        "sections": _section_tree(plan, sections),
        "organisations": [
            {"key": o.key, "name": o.name, "acronym": o.acronym, "aliases": list(o.aliases)}
            for o in organisations
        ],
        "fiches": [_fiche(plan, fiche, section_by_pk) for fiche in fiches],
        "unplaced_lines": [
            {"line": u.line, "text": u.text, "reason": u.reason} for u in plan.unplaced_lines.all()
        ],
    }


def plan_to_json(plan: Plan) -> str:
    """plan_to_dict as UTF-8 friendly, indented JSON text (accents kept as they are)."""
    return json.dumps(plan_to_dict(plan), ensure_ascii=False, indent=2) + "\n"


def _perimeter_and_communes(pk: int | None) -> tuple[Territory | None, list[Territory]]:
    """The perimeter and its communes in one query, so the export's query count stays fixed."""
    if pk is None:
        return None, []
    rows = Territory.objects.filter(Q(pk=pk) | Q(containers=pk)).distinct()
    perimeter = next((t for t in rows if t.pk == pk), None)
    return perimeter, sorted((t for t in rows if t.pk != pk), key=lambda t: (t.name, t.code))


def _perimeter(territory: Territory | None, communes: list[Territory]) -> dict[str, Any] | None:
    if territory is None:
        return None
    return {
        "name": territory.name,
        "level": territory.level,
        "code": territory.code,
        "communes": [
            {"name": c.name, "insee_code": c.code, "population": c.population} for c in communes
        ],
    }


def _source(first: int | None, last: int | None) -> dict[str, int | None]:
    return {"first_line": first, "last_line": last}


def _section_tree(plan: Plan, sections: list) -> list[dict[str, Any]]:
    nodes = {
        s.pk: {
            "key": s.key,
            "level": s.depth,
            "level_name": plan.level_name(s.depth),
            "number": s.number,
            "title": s.title,
            "source": _source(s.source_first_line, s.source_last_line),
            "children": [],
        }
        for s in sections
    }
    roots = []
    for s in sections:  # in document order, so children lists are too
        parent = nodes.get(s.parent_id)
        (parent["children"] if parent else roots).append(nodes[s.pk])
    return roots


def _section_path(section_id: int | None, section_by_pk: dict) -> list[str]:
    titles = []
    seen = set()
    while section_id in section_by_pk and section_id not in seen:
        seen.add(section_id)
        section = section_by_pk[section_id]
        titles.append(section.title)
        section_id = section.parent_id
    return titles[::-1]


def _role(role: FicheRole) -> dict[str, Any]:
    return {
        "role": role.role,
        "as_written": role.as_written,
        "organisation": role.organisation.name,
        "organisation_key": role.organisation.key,
    }


def _indicator(indicator) -> dict[str, Any]:
    letters = list(indicator.action_letters)
    return {
        "action": letters[0] if letters else None,
        "actions": letters,
        "text": indicator.text,
        "source": _source(indicator.source_first_line, indicator.source_last_line),
    }


def _fiche(plan: Plan, fiche: Fiche, section_by_pk: dict) -> dict[str, Any]:
    section = section_by_pk.get(fiche.section_id)
    roles = list(fiche.roles.all())
    indicators = list(fiche.indicators.all())
    linked = sorted(fiche.linked_fiches.all(), key=lambda f: f.position)
    return {
        "number": fiche.number,
        "title": fiche.title,
        "section_key": section.key if section else None,
        "sections": _section_path(fiche.section_id, section_by_pk),
        "pilotage": fiche.pilotage_label,
        "pilots": [_role(r) for r in roles if r.role != FicheRole.Role.PARTNER],
        "partners": [_role(r) for r in roles if r.role == FicheRole.Role.PARTNER],
        "linked_fiches": [f.number for f in linked],
        "context": fiche.context,
        "strategic_objective": fiche.strategic_objective,
        "operational_objectives": list(fiche.operational_objectives),
        "actions": [
            {
                "letter": a.letter,
                "text": a.text,
                "deadline_years": list(a.deadline_years),
                "deadline_as_written": a.deadline_as_written,
                "calendar_years": a.calendar_years(plan.start_year),
                "extra": dict(a.extra),
                "source": _source(a.source_first_line, a.source_last_line),
            }
            for a in fiche.actions.all()
        ],
        "public": fiche.public,
        "programmes": [
            {"code": p.programme.code, "name": p.programme.name, "as_written": p.as_written}
            for p in fiche.programme_links.all()
        ],
        "result_indicators": [_indicator(i) for i in indicators if i.kind == "result"],
        "monitoring_indicators": [_indicator(i) for i in indicators if i.kind == "monitoring"],
        "extra": dict(fiche.extra),
        "review_flags": list(fiche.review_flags),
        "source": {
            "document": plan.source_document,
            **_source(fiche.source_first_line, fiche.source_last_line),
        },
    }


# --- Import -----------------------------------------------------------------------------------


class _Missing:
    pass


_MISSING = _Missing()


class _Reader:
    """Typed access to the decoded JSON that names the faulty field in French when it fails."""

    def __init__(self, data: Any, path: str = ""):
        self.data = data
        self.path = path

    def _where(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
        if not isinstance(self.data, dict):
            raise ParseError(f"{self.path or 'le fichier'} : un objet JSON est attendu.")
        if key not in self.data or self.data[key] is None:
            if default is _MISSING:
                raise ParseError(f"Champ « {self._where(key)} » manquant.")
            return default
        value = self.data[key]
        # bool is an int in Python, but true is never a valid year or line number.
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
            raise ParseError(
                f"Champ « {self._where(key)} » : type inattendu ({_json_type(value)})."
            )
        return value

    def text(self, key: str, default: str | _Missing = _MISSING) -> str:
        return self.get(key, str, default)

    def number(self, key: str, default: int | None | _Missing = _MISSING) -> int | None:
        return self.get(key, int, default)

    def str_list(self, key: str) -> list[str]:
        values = self.get(key, list, [])
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise ParseError(f"Champ « {self._where(key)}[{i}] » : texte attendu.")
        return list(values)

    def items(self, key: str) -> list[_Reader]:
        where = self._where(key)
        return [_Reader(item, f"{where}[{i}]") for i, item in enumerate(self.get(key, list, []))]

    def child(self, key: str) -> _Reader | None:
        value = self.get(key, dict, None)
        return None if value is None else _Reader(value, self._where(key))


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _json_type(value: Any) -> str:
    names = {bool: "booléen", int: "nombre", float: "nombre", str: "texte", list: "liste"}
    return names.get(type(value), "objet")


def plan_from_dict(data: Any) -> PlanDraft:
    """The PlanDraft of an exported plan: importing it restores the plan as it was exported.

    Raises ParseError (French message naming the field) when `data` is not a Pilotis export.
    """
    root = _Reader(data)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ParseError(
            f"Ce fichier JSON n'est pas un export de plan Pilotis (format « {FORMAT} »)."
        )
    version = root.number("version")
    if version != VERSION:
        raise ParseError(
            f"Version {version} du format d'export non prise en charge (attendue : {VERSION})."
        )
    source = root.child("source")
    document = source.text("document", "") if source else ""
    perimeter = root.child("perimeter")
    signature_date = root.text("signature_date", "")
    try:
        parsed_date = date.fromisoformat(signature_date) if signature_date else None
    except ValueError as exc:
        raise ParseError(f"Champ « signature_date » : date invalide « {signature_date} ».") from exc
    return PlanDraft(
        kind=root.text("kind"),
        slug=root.text("slug"),
        title=root.text("title"),
        document=document,
        levels=root.str_list("levels"),
        signatories=root.str_list("signatories"),
        signature_date=parsed_date,
        start_year=root.number("start_year", None),
        duration_years=root.number("duration_years", 5),
        territory_name=perimeter.text("name", "") if perimeter else "",
        territory_level=perimeter.text("level", "") if perimeter else "",
        territory_code=perimeter.text("code", "") if perimeter else "",
        perimeter=[
            CommuneDraft(
                name=c.text("name"),
                insee_code=c.text("insee_code", ""),
                population=c.number("population", None),
            )
            for c in (perimeter.items("communes") if perimeter else [])
        ],
        extra=root.get("extra", dict, {}),
        sections=_sections_from(root.items("sections"), None, document),
        fiches=[_fiche_from(f, document) for f in root.items("fiches")],
        organisations=[
            OrganisationDraft(
                key=o.text("key"),
                name=o.text("name"),
                acronym=o.text("acronym", ""),
                aliases=o.str_list("aliases"),
            )
            for o in root.items("organisations")
        ],
        unplaced=[
            UnplacedLine(line=u.number("line"), text=u.text("text"), reason=u.text("reason", ""))
            for u in root.items("unplaced_lines")
        ],
    )


def plan_from_json(data: bytes) -> PlanDraft:
    """Read an exported plan from the bytes of its JSON file (the registry's `.json` reader)."""
    try:
        decoded = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ParseError("Le fichier JSON n'est pas encodé en UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"JSON invalide, ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}."
        ) from exc
    return plan_from_dict(decoded)


def json_source_sha256(data: bytes) -> str | None:
    """The source document's SHA-256 an export carries, so re-importing it keeps the provenance."""
    try:
        decoded = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    source = decoded.get("source") if isinstance(decoded, dict) else None
    sha = source.get("sha256") if isinstance(source, dict) else None
    return sha if isinstance(sha, str) else None


def _span(reader: _Reader | None, document: str) -> Span:
    # Lines are 1-based: 0 stands for "unknown" in a Span, which requires integers.
    if reader is None:
        return Span(document, 0, 0)
    return Span(document, reader.number("first_line", 0), reader.number("last_line", 0))


def _optional_span(reader: _Reader | None, document: str) -> Span | None:
    span = _span(reader, document)
    return span if span.first_line or span.last_line else None


def _sections_from(items: list[_Reader], parent_key: str | None, document: str) -> list:
    out: list[SectionDraft] = []
    for item in items:
        key = item.text("key")
        out.append(
            SectionDraft(
                key=key,
                level=item.number("level", 0),
                number=item.text("number", ""),
                title=item.text("title"),
                parent_key=parent_key,
                span=_optional_span(item.child("source"), document),
            )
        )
        out += _sections_from(item.items("children"), key, document)
    return out


def _roles_from(items: list[_Reader], default_role: str) -> list[RoleDraft]:
    return [
        RoleDraft(
            role=r.text("role", default_role),
            as_written=r.text("as_written"),
            organisation=r.text("organisation_key"),
        )
        for r in items
    ]


def _indicators_from(items: list[_Reader], kind: str, document: str) -> list[IndicatorDraft]:
    out = []
    for i in items:
        letters = i.str_list("actions")
        single = i.text("action", "")
        if single and not letters:
            letters = [single]
        out.append(
            IndicatorDraft(
                kind=kind,
                actions=letters,
                text=i.text("text"),
                span=_span(i.child("source"), document),
            )
        )
    return out


def _fiche_from(f: _Reader, document: str) -> FicheDraft:
    fiche_document = document
    source = f.child("source")
    if source is not None:
        fiche_document = source.text("document", document)
    flags = []
    for flag in f.items("review_flags"):
        first, last = flag.number("first_line", None), flag.number("last_line", None)
        flag_span = Span(fiche_document, first or 0, last or 0) if first or last else None
        flags.append(
            ReviewFlag(field=flag.text("field", ""), message=flag.text("message"), span=flag_span)
        )
    return FicheDraft(
        number=f.text("number"),
        title=f.text("title"),
        section_key=f.text("section_key", ""),
        span=_span(source, fiche_document),
        pilotage_label=f.text("pilotage", "pilotage"),
        roles=_roles_from(f.items("pilots"), "pilot") + _roles_from(f.items("partners"), "partner"),
        context=f.text("context", ""),
        linked_fiches=f.str_list("linked_fiches"),
        strategic_objective=f.text("strategic_objective", ""),
        operational_objectives=f.str_list("operational_objectives"),
        actions=[
            ActionDraft(
                letter=a.text("letter"),
                text=a.text("text"),
                deadline_years=_int_list(a, "deadline_years"),
                deadline_as_written=a.text("deadline_as_written", ""),
                extra=_str_dict(a, "extra"),
                span=_span(a.child("source"), fiche_document),
            )
            for a in f.items("actions")
        ],
        public=f.text("public", ""),
        programmes=[p.text("as_written") for p in f.items("programmes")],
        indicators=_indicators_from(f.items("result_indicators"), "result", fiche_document)
        + _indicators_from(f.items("monitoring_indicators"), "monitoring", fiche_document),
        extra=_str_dict(f, "extra"),
        flags=flags,
    )


def _str_dict(reader: _Reader, key: str) -> dict[str, str]:
    values = reader.get(key, dict, {})
    for name, value in values.items():
        if not isinstance(value, str):
            raise ParseError(f"Champ « {reader.path}.{key}.{name} » : texte attendu.")
    return dict(values)


def _int_list(reader: _Reader, key: str) -> list[int]:
    values = reader.get(key, list, [])
    for i, value in enumerate(values):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ParseError(f"Champ « {reader.path}.{key}[{i}] » : nombre entier attendu.")
    return list(values)
