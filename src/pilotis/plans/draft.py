"""The plan as plain data (`PlanDraft`): what every way in produces — document readers, the plan
spreadsheet, the JSON export, the editor — before one transaction writes it; and the French
vocabulary of its fields. Pure: no database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from django.utils.text import slugify

from pilotis.core.text import fold


@dataclass(frozen=True)
class Span:
    """Provenance of an element: the document and its first and last line (1-based, inclusive).

    For a spreadsheet, the lines are the rows of the sheet `sheet` (empty for a text document or
    a CSV file).
    """

    document: str
    first_line: int
    last_line: int
    sheet: str = ""


@dataclass
class OrganisationDraft:
    """An organisation as the plan knows it, after deduplication of acronyms and variants."""

    key: str  # stable slug, e.g. "caf", "departement-aude"
    name: str  # full name shown to users
    acronym: str = ""
    aliases: list[str] = field(default_factory=list)  # every spelling met in the document


@dataclass
class RoleDraft:
    """A pilot, co-pilot or partner mention of a fiche: as written and resolved."""

    role: str  # "pilot" | "copilot" | "partner"
    as_written: str
    organisation: str  # OrganisationDraft.key


@dataclass
class ActionDraft:
    letter: str  # "A", "B"… or "1", "2"…
    text: str
    deadline_years: list[int]  # contract years (1 = signature year); empty when not stated
    deadline_as_written: str
    span: Span
    # Format-specific details kept as written, e.g. {"calendrier": "1 mois après la signature
    # des ACI", "start_month": "1"} for a CPTS project counted from its ACI contract.
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class IndicatorDraft:
    kind: str  # "result" | "monitoring"
    actions: list[str]  # letters the indicator names ("A et C-" -> ["A", "C"]); may be empty
    text: str
    span: Span


# French names of FicheDraft fields, as review flags, reports and the preview show them.
FIELD_LABELS = {
    "number": "numéro",
    "title": "intitulé",
    "section_key": "section",
    "pilotage_label": "pilotage",
    "roles": "pilotes et partenaires",
    "pilots": "pilotage",
    "partners": "partenaires",
    "context": "contexte",
    "linked_fiches": "fiches liées",
    "strategic_objective": "objectif stratégique",
    "operational_objectives": "objectifs opérationnels",
    "actions": "actions",
    "public": "public cible",
    "programmes": "programmes liés",
    "indicators": "indicateurs",
    "extra": "autres rubriques",
}

# French labels of the stable codes of `FicheDraft.extra` and `ActionDraft.extra`, every parser's,
# in the order a fiche page shows them: what situates the fiche, what it says, how it is carried
# out, what it is filed under. A key no parser documents yet is shown under its code.
EXTRA_LABELS: dict[str, str] = {
    # Where the fiche sits (PRS scheme, CPTS project).
    "regional_number": "Numéro régional",
    "mission": "Mission concernée",
    "axis": "Axe",
    "label": "Libellé de l’action",
    # What it says.
    "description": "Description de l’action",
    "challenge": "Défi à relever",
    "findings": "Constats",
    "expected_results": "Résultats attendus",
    "in_practice": "En pratique",
    "key_figures": "Chiffres-clés",
    "citizen_voice": "Parole de citoyen",
    # How it is carried out.
    "modalities": "Modalités de mise en œuvre",
    "territory": "Territoire concerné",
    "pilots": "Pilotes de l’action",
    "working_group": "Groupe de travail",
    "actors": "Acteurs concernés",
    "partners_note": "Précision sur les partenaires",
    "facilitators": "Éléments facilitateurs",
    "obstacles": "Freins",
    "calendar": "Calendrier",
    "means": "Moyens",
    "budget": "Budget",
    "funding": "Financements mobilisables",
    # Of a fiche from the Territoires en Transitions spreadsheet (importers.tet).
    "funders": "Financeurs",
    "governance": "Instances de gouvernance",
    "lead_service": "Direction ou service pilote",
    "lead_person": "Personne pilote",
    "elected_referent": "Élu·e référent·e",
    "citizen_participation": "Participation citoyenne",
    "status": "Statut",
    "priority": "Niveau de priorité",
    "start_date": "Date de début",
    "end_date": "Date de fin",
    # What it is filed under (PRS scheme).
    "themes": "Thèmes associés",
    "pathways": "Parcours associés",
    "keywords": "Mots-clés",
    # Of an action (CPTS project: months counted from the signature of the ACI contract).
    "details": "Étapes",
    "start_month": "Mois de démarrage",
    "start_month_latest": "Mois de démarrage au plus tard",
    "end_month": "Mois de fin",
    # Of an action added after the signature (a COPIL decision): not from the document.
    "origin": "Origine",
    # Of a fiche merged into another by an avenant (governance.amendments).
    "merged_into": "Fusionnée dans la fiche n°",
}

# Extra keys whose text the parsers store one item a line (a list, not paragraphs of prose).
EXTRA_LINE_ITEMS = frozenset(
    {
        "facilitators",
        "obstacles",
        "calendar",
        "funding",
        "key_figures",
        "themes",
        "pathways",
        "keywords",
        "working_group",
        "actors",
        "means",
        "details",
        "funders",
    }
)


@dataclass
class ReviewFlag:
    """A field the parser read with doubt: shown to the coordinator before saving."""

    field: str
    message: str
    span: Span | None = None


@dataclass
class FicheDraft:
    number: str
    title: str
    section_key: str  # key of the innermost SectionDraft holding the fiche
    span: Span
    pilotage_label: str = "pilotage"  # "pilotage" | "co-pilotage", as the source labels it
    roles: list[RoleDraft] = field(default_factory=list)
    context: str = ""
    linked_fiches: list[str] = field(default_factory=list)
    strategic_objective: str = ""
    operational_objectives: list[str] = field(default_factory=list)
    actions: list[ActionDraft] = field(default_factory=list)
    public: str = ""
    # Programmes as written, e.g. "PRS Occitanie 2023-2028".
    programmes: list[str] = field(default_factory=list)
    indicators: list[IndicatorDraft] = field(default_factory=list)
    # Fields some formats carry and others do not: facilitators, obstacles, funding, calendar…
    extra: dict[str, str] = field(default_factory=dict)
    flags: list[ReviewFlag] = field(default_factory=list)

    @property
    def pilots(self) -> list[RoleDraft]:
        return [r for r in self.roles if r.role in ("pilot", "copilot")]

    @property
    def partners(self) -> list[RoleDraft]:
        return [r for r in self.roles if r.role == "partner"]


@dataclass
class SectionDraft:
    key: str  # stable within the plan, e.g. "A1", "A1.O2"
    level: int  # 0 = root level
    number: str
    title: str
    parent_key: str | None
    span: Span | None = None


@dataclass
class CommuneDraft:
    """A commune of a plan's perimeter, as the document lists it."""

    name: str
    insee_code: str = ""
    population: int | None = None


@dataclass
class UnplacedLine:
    line: int
    text: str
    reason: str


@dataclass
class PlanDraft:
    kind: str  # Plan.Kind value: "cls", "cpts", "prs_scheme"
    slug: str
    title: str
    document: str
    levels: list[str]  # level names from the root, e.g. ["Ambition", "Objectif général"]
    signatories: list[str] = field(default_factory=list)
    signature_date: date | None = None
    start_year: int | None = None
    duration_years: int = 5
    territory_name: str = ""
    territory_level: str = ""  # Territory.Level value
    territory_code: str = ""
    # Communes of the perimeter when the document lists them (a CPTS project does).
    perimeter: list[CommuneDraft] = field(default_factory=list)
    sections: list[SectionDraft] = field(default_factory=list)
    fiches: list[FicheDraft] = field(default_factory=list)
    organisations: list[OrganisationDraft] = field(default_factory=list)
    unplaced: list[UnplacedLine] = field(default_factory=list)
    # Lines of the fiche part the parser read (first, last); the report counts coverage on them.
    fiche_part: tuple[int, int] | None = None
    # Plan-level structured data some formats carry, JSON-serialisable: "budget" (CPTS),
    # "governance" and "members" (CPTS), "key_figures" (PRS Data repère)… See each parser.
    extra: dict = field(default_factory=dict)


class ParseError(ValueError):
    """The document cannot be read as a plan; the message is French and names where and why."""


# --- Derived from a draft: how the plan is searched and its roles ordered ----------------------


def fiche_search_text(fiche: FicheDraft, organisations: Mapping[str, OrganisationDraft]) -> str:
    """The folded text the fiche search runs on: every text of the fiche, each piece once."""
    pieces: list[str] = [
        fiche.number,
        fiche.title,
        fiche.context,
        fiche.strategic_objective,
        *fiche.operational_objectives,
        *(a.text for a in fiche.actions),
        # Extras in key order: PostgreSQL's jsonb does not keep the order keys were written in.
        *(str(a.extra[k]) for a in fiche.actions for k in sorted(a.extra)),
        # Result indicators then monitoring ones, as exported, so a round trip keeps the text.
        *(i.text for i in sorted(fiche.indicators, key=lambda i: i.kind != "result")),
        fiche.public,
        *fiche.programmes,
    ]
    for role in ordered_roles(fiche):
        pieces.append(role.as_written)
        org = organisations.get(role_organisation_key(role))
        if org:
            pieces += [org.name, org.acronym]
    pieces += [str(fiche.extra[k]) for k in sorted(fiche.extra)]
    seen: dict[str, None] = {}
    for piece in pieces:
        folded = fold(piece or "")
        if folded:
            seen.setdefault(folded, None)
    return " ".join(seen)


def ordered_roles(fiche: FicheDraft) -> list[RoleDraft]:
    """Pilots then partners: the order an export lists them, so export → import is a no-op."""
    return fiche.pilots + fiche.partners


def role_organisation_key(role: RoleDraft) -> str:
    """The organisation key of a role; a role the parser left unresolved gets a slug of its text."""
    return role.organisation or slugify(fold(role.as_written))[:80] or "inconnue"
