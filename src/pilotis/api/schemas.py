"""Shapes of the API's answers and of what it accepts, as they appear in the OpenAPI schema."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, WithJsonSchema

from pilotis.core import limits

# PostgreSQL refuses NUL in text: refused at the door (400) rather than by the database (500).
# No character XML cannot hold (exports write these texts), the NUL included.
NO_NUL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]*$"


class Error(Schema):
    detail: str = Field(description="Message en français.")


class FieldErrors(Error):
    errors: dict[str, list[str]] = Field(description="Messages par champ (chemin JSON).")


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=200, description="Nombre d'éléments par page (200 au plus).")
    offset: int = Field(0, ge=0, le=1_000_000, description="Rang du premier élément (0 d'abord).")


class Page(Schema):
    count: int = Field(description="Nombre total d'éléments.")
    limit: int
    offset: int


class SourceLines(Schema):
    first_line: int | None
    last_line: int | None


# --- Plans ---------------------------------------------------------------------------------------


class Territory(Schema):
    name: str
    level: str
    code: str


class PlanSummary(Schema):
    slug: str
    kind: str
    kind_label: str
    title: str
    signature_date: date | None
    start_year: int | None
    duration_years: int
    perimeter: Territory | None
    fiche_count: int
    url: str = Field(description="Page du plan dans Pilotis.")


class PlanPage(Page):
    items: list[PlanSummary]


class ContractYear(Schema):
    year: int = Field(description="Année du contrat (1 = année de signature, sauf mention).")
    calendar_year: int | None


class PlanSource(Schema):
    document: str
    sha256: str
    imported_at: datetime | None


class PlanDetail(PlanSummary):
    signatories: list[str]
    levels: list[str] = Field(description="Nom de chaque niveau de l'arborescence.")
    contract_years: list[ContractYear]
    source: PlanSource
    section_count: int
    organisation_count: int


class Section(Schema):
    id: int
    key: str
    parent_id: int | None
    parent_key: str | None
    depth: int
    level_name: str
    number: str
    title: str
    position: int
    source: SourceLines


class SectionPage(Page):
    items: list[Section]


# --- Fiches --------------------------------------------------------------------------------------


class SectionRef(Schema):
    key: str
    number: str
    title: str


class OrganisationRef(Schema):
    key: str
    name: str
    acronym: str


class FicheRole(Schema):
    role: str = Field(description="pilot, copilot ou partner.")
    role_label: str
    as_written: str = Field(description="Libellé tel qu'écrit dans le document.")
    organisation: OrganisationRef = Field(description="Organisation reconnue derrière le libellé.")


class FicheSummary(Schema):
    number: str
    title: str
    section: SectionRef | None
    pilotage_label: str
    pilots: list[FicheRole]
    action_count: int
    indicator_count: int
    url: str


class FichePage(Page):
    items: list[FicheSummary]


class Action(Schema):
    id: int
    letter: str
    text: str
    deadline_years: list[int] = Field(description="Échéance en années du contrat.")
    deadline_as_written: str
    calendar_years: list[int] = Field(description="Échéance en années civiles.")
    extra: dict[str, Any]
    source: SourceLines


class ActionPage(Page):
    items: list[Action]


class Indicator(Schema):
    id: int
    kind: str = Field(description="result (résultat) ou monitoring (suivi).")
    kind_label: str
    action_letters: list[str] = Field(description="Lettres des actions visées.")
    text: str
    source: SourceLines


class IndicatorPage(Page):
    items: list[Indicator]


class ProgrammeLink(Schema):
    code: str
    name: str
    as_written: str


class FicheSource(SourceLines):
    document: str


class ReviewFlag(Schema):
    field: str = ""
    message: str = ""
    first_line: int | None = None
    last_line: int | None = None


class FicheDetail(Schema):
    number: str
    title: str
    plan: str = Field(description="Identifiant du plan.")
    section: SectionRef | None
    sections: list[SectionRef] = Field(description="Chemin de la racine à la section.")
    pilotage_label: str
    pilots: list[FicheRole] = Field(description="Pilotes et co-pilotes.")
    partners: list[FicheRole]
    context: str
    strategic_objective: str
    operational_objectives: list[str]
    public: str
    actions: list[Action]
    indicators: list[Indicator]
    programmes: list[ProgrammeLink]
    linked_fiches: list[str] = Field(description="Numéros des fiches liées (du même plan).")
    extra: dict[str, Any] = Field(description="Autres rubriques, sous leur libellé d'origine.")
    review_flags: list[ReviewFlag]
    source: FicheSource
    url: str


# --- Organisations -------------------------------------------------------------------------------


class Organisation(OrganisationRef):
    aliases: list[str] = Field(description="Graphies rencontrées dans le document.")
    url: str


class OrganisationPage(Page):
    items: list[Organisation]


class OrganisationFiche(Schema):
    number: str
    title: str
    roles: list[str] = Field(description="Rôles de l'organisation sur la fiche.")
    roles_as_written: list[str]
    url: str


class OrganisationFichePage(Page):
    items: list[OrganisationFiche]


# --- Follow-up ------------------------------------------------------------------------------------


class Campaign(Schema):
    year: int = Field(description="Année du contrat.")
    calendar_year: int | None
    deadline: date = Field(description="Date limite de saisie.")
    status: str = Field(description="open (ouverte), frozen (figée) ou validated (validée).")
    status_label: str
    allow_partial: bool = Field(description="La réponse « partly » (en partie) est acceptée.")


class CampaignPage(Page):
    items: list[Campaign]


class FicheRef(Schema):
    number: str
    title: str


class ActionReport(Schema):
    id: int
    letter: str
    text: str
    done: str | None = Field(description="yes, no, partly ou null (non renseigné).")
    comment: str


class IndicatorReport(Schema):
    id: int
    kind: str
    text: str
    action_letters: list[str]
    value_number: Decimal | None
    value_text: str
    unit: str
    baseline: str
    target: str


class Report(Schema):
    plan: str
    campaign: Campaign
    fiche: FicheRef
    status: str = Field(description="to_do, in_progress, submitted ou validated.")
    status_label: str
    progress_rate: int | None = Field(description="Taux d'avancement : 0, 20, 40, 60, 80 ou 100.")
    objective_reached: bool | None
    obstacles: str
    comment: str
    version: int = Field(description="À renvoyer avec une modification (contrôle de concurrence).")
    fingerprint: str = Field(
        description="Empreinte des valeurs lues : renvoyée avec une modification, elle permet "
        "de dire précisément quels champs ont changé entre-temps en cas de conflit."
    )
    updated_by: str | None
    updated_at: datetime | None
    submitted_at: datetime | None
    validated_at: datetime | None
    can_edit: bool = Field(description="L'appelant peut modifier ce suivi.")
    actions: list[ActionReport] = Field(description="Actions prévues cette année-là.")
    indicators: list[IndicatorReport]


class StrictSchema(Schema):
    # A misspelt field must not be silently ignored: the client believes it wrote it.
    model_config = ConfigDict(extra="forbid")


class ActionUpdate(StrictSchema):
    letter: str = Field(max_length=10, pattern=NO_NUL, description="Lettre de l'action.")
    done: Literal["yes", "no", "partly"] | None = Field(
        None, description="Réalisée : yes, no, partly (si la campagne l'accepte) ou null."
    )
    comment: str | None = Field(None, max_length=limits.LONG_TEXT, pattern=NO_NUL)


def _indicator_number(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e14:
        # A JSON number is a binary float (0.1 + 0.2 arrives as 0.30000000000000004): kept to
        # the ten-thousandth, the precision the value is stored with. A larger one is left to
        # max_digits to refuse (quantizing it would overflow the decimal context).
        return Decimal(repr(value)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
    if isinstance(value, str) and not DECIMAL_TEXT.fullmatch(value):
        # pydantic would take "1e3" or " 12 ": a text is a plain decimal, as the schema says.
        raise ValueError("Nombre décimal attendu, au plus 4 décimales (ex. « 12.5 »).")
    return value


DECIMAL_TEXT = re.compile(r"-?[0-9]{1,14}(\.[0-9]{1,4})?")
IndicatorNumber = Annotated[
    Decimal | None,
    BeforeValidator(_indicator_number),
    # pydantic would describe any string: the schema says what is really accepted.
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": -1e14, "exclusiveMaximum": 1e14},
                {"type": "string", "pattern": f"^{DECIMAL_TEXT.pattern}$"},
                {"type": "null"},
            ],
            "description": "Valeur nombre : un nombre (arrondi au dix-millième) ou un texte "
            "décimal d'au plus 14 chiffres avant le point et 4 après.",
        }
    ),
]


class IndicatorUpdate(StrictSchema):
    id: int = Field(ge=1, le=2**53, description="Identifiant de l'indicateur de la fiche.")
    value_number: IndicatorNumber = Field(
        None, max_digits=18, decimal_places=4, allow_inf_nan=False
    )
    value_text: str | None = Field(None, max_length=limits.LONG_TEXT, pattern=NO_NUL)
    unit: str | None = Field(None, max_length=limits.UNIT, pattern=NO_NUL)
    baseline: str | None = Field(None, max_length=limits.SHORT_TEXT, pattern=NO_NUL)
    target: str | None = Field(None, max_length=limits.SHORT_TEXT, pattern=NO_NUL)


class ReportUpdate(StrictSchema):
    """Only the fields sent change; null empties a field."""

    version: int = Field(ge=1, le=2**31 - 1, description="La version lue (champ version).")
    fingerprint: str | None = Field(None, max_length=limits.LONG_TEXT, pattern=NO_NUL)
    intent: Literal["draft", "submit", "validate"] = Field(
        "draft",
        description="draft : enregistrer (en cours) ; submit : transmettre à la coordination "
        "(taux et actions prévues obligatoires) ; validate : valider (coordination).",
    )
    progress_rate: Literal[0, 20, 40, 60, 80, 100] | None = None
    objective_reached: bool | None = None
    obstacles: str | None = Field(None, max_length=limits.LONG_TEXT, pattern=NO_NUL)
    comment: str | None = Field(None, max_length=limits.LONG_TEXT, pattern=NO_NUL)
    actions: list[ActionUpdate] = Field([], max_length=200)
    indicators: list[IndicatorUpdate] = Field([], max_length=200)


class ChangedField(Schema):
    field: str = Field(description="Chemin du champ, comme dans la requête.")
    label: str
    value: str = Field(description="Valeur enregistrée entre-temps, telle que l'affiche la page.")


class Conflict(Error):
    current_version: int
    changed_fields: list[ChangedField]
