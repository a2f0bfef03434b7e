"""Parser of the PRS Occitanie 2023-2028 departmental schemes (schémas territoriaux de santé).

A scheme reads, in order: an editorial, a *Data repère* page of key figures, the challenges named by
the territorial health council (CTS) and the proposals of the CNR, then 6 *engagements* → *défis* →
*objectifs opérationnels*, then the care-supply targets by activity. The text comes from a PDF
conversion: columns come one after the other, lines are double-spaced in places, a page starts with
a stray leading space, the map of Occitanie leaves its department codes on bare lines.

Choices worth knowing:

- Engagements are not numbered in the text: they are numbered by their order. Défis and objectives
  keep their *regional* numbers, which are not contiguous (engagement 3, défi 2 holds objectives 2,
  3 and 4). A fiche number must be unique in a plan, so an objective's `FicheDraft.number` is
  "engagement.défi.objective" ("3.2.2") and its regional number is kept in
  `extra["regional_number"]`.
  Section keys are "E3" (engagement) and "E3.D2" (défi); a défi's section number is "3.2".
- An engagement whose title page is missing from the text (the sixth one of the Ariège scheme) gets
  its title from the regional list of the PRS's engagements (`PRS_ENGAGEMENTS`), with a note in
  `PlanDraft.extra["notes"]`.
- The *Data repère* figures are looked for with a catalogue of the template's phrasings
  (`KEY_FIGURES`): every departmental scheme uses the same page, so the catalogue names each figure
  with a stable key the observatory can map, while values, comparators and sources are read from the
  text. A figure of the catalogue the text lacks is listed in the notes.
- Care-supply tables are kept row by row as the text gives them: a label and its values as written
  ("1", "0/1", "-"); a row label without values is kept as such (a group heading or an empty cell:
  the text cannot tell them apart).

Every non-blank line of the document is either placed in the draft (a field, a section, an entry of
`PlanDraft.extra`) or listed in `PlanDraft.unplaced` with a French reason. `fiche_part` is the span
of the engagements (first engagement page to the last objective).

What goes where (all JSON-serialisable; spans are [first_line, last_line], 1-based):

- `FicheDraft` (one per objective): `title`, `strategic_objective` (« L'objectif »), and in `extra`
  (strings): `regional_number`, `challenge` (« Le défi à relever »), `findings` (« Les constats »),
  `expected_results`, `in_practice`, `key_figures` (« Chiffres-clés », one figure a line),
  `themes`, `pathways`, `keywords` (one a line), `citizen_voice` (« Parole de citoyen », quotes
  separated by a blank line). Paragraphs are separated by a blank line ("\n\n").
- `PlanDraft.extra`:
  - `key_figures`: the Data repère figures, each {key, label, value, unit, territory,
    comparators: {"Occitanie": n|None, "France": n|None}, source, as_written, span, [year]};
  - `data_repere`: {title, text (the whole page), sources: [{name, url}], sources_note, span};
  - `challenges`: [{text, span}] named by the CTS; `cnr_proposals`: [{theme, text, span}];
  - `section_details`: by section key, an engagement's {kind, title, title_from ("document" or
    "regional_list"), span} or a défi page's {kind, regional_number, title, page, stakes, themes,
    pathways, keywords, key_figures, citizen_voice, objectives_listed, regional_objective, span};
  - `care_supply_targets`: [{activity, tables: [{title, columns, zone, rows: [{label, values,
    span}], span}], notes: [{heading, text, span}], span}];
  - `editorial`: {text, signature, span}, `tagline`, `published` (the footer's month);
  - `notes`: [{message, span, [section], [field]}], what the coordinator should know or check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pilotis.core.text import fold, join_lines, squash, word_set
from pilotis.importers.common import LabelTable
from pilotis.plans.draft import (
    FicheDraft,
    ParseError,
    PlanDraft,
    ReviewFlag,
    SectionDraft,
    Span,
    UnplacedLine,
)

# The six engagements of the Schéma régional de santé, which every departmental scheme declines.
PRS_ENGAGEMENTS = [
    "Dynamiser et adapter la prévention et la promotion de la santé aux âges clés et aux milieux "
    "de vie",
    "Accompagner chaque personne pour lui permettre d’être actrice de sa santé",
    "Renforcer l’accès pour tous à une prise en charge adaptée aux besoins de santé sur l’ensemble "
    "des territoires",
    "Renforcer la coordination des acteurs pour assurer la continuité des prises en charge et des "
    "accompagnements",
    "Promouvoir et garantir la qualité, la sécurité et la pertinence des prises en charge et des "
    "accompagnements",
    "Soutenir l’attractivité des métiers de la santé",
]

# Departments of Occitanie: folded name -> (INSEE code, name, "de" form used in titles).
DEPARTMENTS = {
    "ariege": ("09", "Ariège", "de l'Ariège"),
    "aude": ("11", "Aude", "de l'Aude"),
    "aveyron": ("12", "Aveyron", "de l'Aveyron"),
    "gard": ("30", "Gard", "du Gard"),
    "haute-garonne": ("31", "Haute-Garonne", "de la Haute-Garonne"),
    "gers": ("32", "Gers", "du Gers"),
    "herault": ("34", "Hérault", "de l'Hérault"),
    "lot": ("46", "Lot", "du Lot"),
    "lozere": ("48", "Lozère", "de la Lozère"),
    "hautes-pyrenees": ("65", "Hautes-Pyrénées", "des Hautes-Pyrénées"),
    "pyrenees-orientales": ("66", "Pyrénées-Orientales", "des Pyrénées-Orientales"),
    "tarn": ("81", "Tarn", "du Tarn"),
    "tarn-et-garonne": ("82", "Tarn-et-Garonne", "du Tarn-et-Garonne"),
}
MAP_CODES = {code for code, _, _ in DEPARTMENTS.values()}

OBJECTIVE_WORD = re.compile(r"^\s*Objectif\s*$")
OBJECTIVE_LABEL = re.compile(r"^\s*Op[ée]rationnel\s*$", re.IGNORECASE)
OBJECTIVE_NUMBER = re.compile(r"^\s*#\s*(\d+)\s*$")
DEFI_HEADER = re.compile(r"^\s*D[ÉE]FI\s*#\s*(\d+)\s+(\S.*?)\s*$")
DEFI_TOC = re.compile(r"^\s*D[ÉE]FI\s*#\s*(\d+)\s*$")
TOC_LEADER = re.compile(r"^(.*?)\s*\.{3,}\s*(\d+)\s*$")
PAGE_START = re.compile(r"^ [A-ZÀ-Ý]")
URL = re.compile(r"^\s*https?://\S+\s*$")
BULLET = re.compile(r"^\s*[•→\-–]\s*")
DATA_REPERE = re.compile(r"^\s*DATA\s*$")
NEEDS_HEADER = re.compile(r"^\s*Description des besoins\b")
CTS_HEADER = re.compile(r"^\s*Les d[ée]fis identifi[ée]s par le CTS", re.IGNORECASE)
CNR_HEADER = re.compile(r"^\s*Les propositions du CNR", re.IGNORECASE)
CARE_SUPPLY_HEADER = re.compile(r"^\s*[ÉE]VOLUTION\s*$")
ACTIVITY_HEADER = re.compile(r"^\s*ACTIVIT[ÉE] DE SOINS\s*/\s*FILI[ÈE]RE DE SOINS\s*$")
TABLE_TITLE = re.compile(
    r"^\s*(?:Bilan des objectifs|Bilan de l.existant|Objectifs quantitatifs de l.offre de soins)"
)
TABLE_HEADER = re.compile(r"^\s*Zones?\b")
ZONE_CODE = re.compile(r"^(\d{2}|2[AB])(?:\s+(.*))?$")
NOTE_HEADING = re.compile(
    r"^\s*(Recours et expertises supra-territoriales|Transformations\s*[–-]\s*regroupements"
    r"\s*[–-]\s*coop[ée]rations)\s*$"
)
VALUE_TOKEN = re.compile(r"^(?:\d+/\d+|\d+|-)$")
SPACED_FOOTER = re.compile(r"^\s*P R O J E T\b")
YEARS = re.compile(r"Projet r[ée]gional de sant[ée]\s+(20\d\d)\s*[-–]\s*(20\d\d)", re.IGNORECASE)
PUBLISHED = re.compile(
    r"^\s*((?:Janvier|F[ée]vrier|Mars|Avril|Mai|Juin|Juillet|Ao[uû]t|Septembre|Octobre"
    r"|Novembre|D[ée]cembre)\s+20\d\d)\s*$"
)

# Labels of the rubrics of défi and objective pages, as a whole line.
LABELS = LabelTable(
    {
        "challenge": ["Le défi à relever"],
        "themes": ["Thèmes associés"],
        "pathways": ["Parcours associés"],
        "keywords": ["Mots clés"],
        "key_figures": ["Chiffres-clés", "Chiffres clés"],
        "citizen_voice": ["Parole de citoyen"],
        "findings": ["Les constats"],
        "objective": ["L'objectif"],
        "expected_results": ["Les résultats attendus"],
        "in_practice": ["En pratique"],
        "stakes": ["Les enjeux"],
        "objectives_listed": ["Les objectifs opérationnels"],
        "regional_objective": ["Objectif régional de rattachement"],
    }
)
LABEL_NAMES = {
    "challenge": "Le défi à relever",
    "findings": "Les constats",
    "objective": "L’objectif",
    "expected_results": "Les résultats attendus",
    "in_practice": "En pratique",
}
# Rubrics every objective should carry; a missing one is flagged for review.
CORE_RUBRICS = ["challenge", "findings", "objective", "expected_results", "in_practice"]


def looks_like(text: str) -> bool:
    """Whether a text has the landmarks of a PRS territorial scheme (used by format detection)."""
    objectives = re.findall(
        r"(?m)^[ \t]*Objectif[ \t]*\n[ \t]*Op[ée]rationnel[ \t]*\n[ \t]*#\d+", text
    )
    defis = re.findall(r"(?m)^\s*D[ÉE]FI\s*#\s*\d+", text)
    return len(objectives) >= 2 and len(defis) >= 2


def parse(text: str, document: str) -> PlanDraft:
    return PrsSchemeParser(text, document).parse()


# --- Data repère: the catalogue of the template's key figures ---------------------------------

NUMBER = r"[+-]?\d[\d  \u202f]*(?:,\d+)?"


@dataclass(frozen=True)
class KeyFigure:
    key: str  # stable English code, for the observatory
    label: str  # French, shown to users
    pattern: str  # regex on the page's text; group "value" (or "num"/"den"), optional comparators
    unit: str
    convert: Callable[[re.Match], float | int] | None = None


def _one_in(match: re.Match) -> float:
    """ "1 habitant sur 4" -> 25 (%)."""
    return round(int(match.group("num")) * 100 / int(match.group("den")), 2)


KEY_FIGURES = [
    KeyFigure("population", "Population", rf"Avec (?P<value>{NUMBER}) habitants", "habitants"),
    KeyFigure(
        "population_share_of_region",
        "Part de la population régionale",
        rf"accueille (?P<value>{NUMBER}) ?% de la population régionale",
        "%",
    ),
    KeyFigure(
        "population_density",
        "Densité de population",
        rf"Densité de population (?:parmi les plus faibles )?(?P<value>{NUMBER}) habitants/km²",
        "habitants/km²",
    ),
    KeyFigure(
        "population_in_main_urban_areas",
        "Part des habitants résidant dans une des principales agglomérations",
        r"(?P<num>\d)\.? ?habitants? sur (?P<den>\d+) réside dans une des \d+ principales "
        r"agglomérations",
        "%",
        _one_in,
    ),
    KeyFigure(
        "population_growth_rate",
        "Taux de croissance annuel de la population",
        rf"taux de croissance faible (?P<value>{NUMBER}) ?% par an",
        "% par an",
    ),
    KeyFigure(
        "population_65_plus",
        "Part des 65 ans et plus",
        rf"Les \+65 ans (?P<value>{NUMBER}) ?% aujourd'hui",
        "%",
    ),
    KeyFigure(
        "population_65_plus_2050",
        "Part des 65 ans et plus en 2050 (projection)",
        rf"(?P<value>{NUMBER}) ?% en (?P<year>2050)",
        "%",
    ),
    KeyFigure(
        "poverty_rate",
        "Taux de pauvreté",
        rf"Un taux de pauvreté qui concerne (?P<value>{NUMBER}) ?% de la population",
        "%",
    ),
    KeyFigure(
        "non_taxed_households",
        "Ménages non imposés",
        rf"(?P<value>{NUMBER}) ?% de ménages non imposés",
        "%",
    ),
    KeyFigure(
        "single_parent_families",
        "Familles monoparentales",
        rf"(?P<value>{NUMBER}) ?% de familles monoparentales",
        "%",
    ),
    KeyFigure("unemployed", "Chômeurs", rf"(?P<value>{NUMBER}) ?% de chômeurs", "%"),
    KeyFigure("employees", "Employés", rf"(?P<value>{NUMBER}) ?% d'employés", "%"),
    KeyFigure("farmers", "Agriculteurs", rf"(?P<value>{NUMBER}) ?% d'agriculteurs", "%"),
    KeyFigure(
        "graduates_bac_plus_2",
        "Diplômés Bac+2",
        rf"(?P<value>{NUMBER}) ?% de diplômés Bac\+2",
        "%",
    ),
    KeyFigure(
        "second_homes",
        "Résidences secondaires",
        rf"(?P<value>{NUMBER}) ?% de résidences secondaires",
        "%",
    ),
    KeyFigure(
        "c2s_beneficiaries",
        "Bénéficiaires de la complémentaire santé solidaire (C2S)",
        rf"(?P<value>{NUMBER}) ?% de bénéficiaires de la C2S(?: présents sur tout le territoire)?",
        "%",
    ),
    KeyFigure(
        "life_expectancy",
        "Espérance de vie",
        rf"(?P<value>{NUMBER}) ans L'espérance de vie est [^(]*?celle de la région "
        rf"\((?P<occitanie>{NUMBER}) ans\)",
        "ans",
    ),
    KeyFigure(
        "mco_stays_outside_department",
        "Séjours hospitaliers MCO réalisés hors du département",
        rf"(?P<value>{NUMBER}) ?% des séjours hospitaliers sont réalisés hors du département",
        "%",
    ),
    KeyFigure(
        "mco_stays_outside_in_occitanie",
        "Part des séjours MCO hors du département réalisés en Occitanie",
        rf"mais (?P<value>{NUMBER}) ?% d'entre eux ont lieu en Occitanie",
        "%",
    ),
    KeyFigure(
        "gps_aged_60_plus",
        "Médecins généralistes âgés de 60 ans et plus",
        rf"(?P<value>{NUMBER}) ?% des médecins généralistes sont âgés de 60 ans et plus",
        "%",
    ),
    KeyFigure(
        "without_referring_doctor",
        "Habitants sans médecin traitant",
        rf"(?P<value>{NUMBER}) ?% des habitants n'ont pas de médecin traitant",
        "%",
    ),
    KeyFigure(
        "gp_consultations_per_inhabitant",
        "Consultations de médecin généraliste par an et par habitant",
        rf"(?P<value>{NUMBER}) consultations du médecin généraliste par an et par habitant",
        "consultations par an et par habitant",
    ),
    KeyFigure(
        "maternity_within_45_minutes",
        "Habitants à moins de 45 minutes d'une maternité",
        rf"(?P<value>{NUMBER}) ?% des habitants vivent à moins de 45 mn d'une maternité",
        "%",
    ),
    KeyFigure(
        "health_establishments",
        "Établissements de santé",
        r"(?P<value>\d+) établissements de santé",
        "établissements",
    ),
    KeyFigure(
        "ght",
        "Groupements hospitaliers de territoire",
        r"(?P<value>\d+) Groupements? hospitaliers? de territoire",
        "GHT",
    ),
    KeyFigure("maternities", "Maternités", r"(?P<value>\d+) maternités?", "maternités"),
    KeyFigure(
        "emergency_structures",
        "Structures des urgences",
        r"(?P<value>\d+) Structures? des Urgences",
        "structures",
    ),
    KeyFigure("samu", "SAMU", r"(?P<value>\d+) SAMU", "SAMU"),
    KeyFigure("smur", "SMUR", r"(?P<value>\d+) SMUR", "SMUR"),
    KeyFigure(
        "on_call_medical_centres",
        "Maisons médicales de garde",
        r"(?P<value>\d+) maisons? médicales? de garde",
        "maisons médicales de garde",
    ),
    KeyFigure(
        "msp",
        "Maisons de santé pluri-professionnelles",
        r"(?P<value>\d+) maisons? de santé pluri-professionnelles?",
        "MSP",
    ),
    KeyFigure(
        "cpts",
        "Communautés professionnelles territoriales de santé",
        r"(?P<value>\d+) Communautés? professionnelles? territoriales? de santé",
        "CPTS",
    ),
    KeyFigure(
        "dac",
        "Dispositifs d'appui à la coordination",
        r"(?P<value>\d+) Dispositifs? d'appui à la coordination(?: pour les situations complexes)?",
        "DAC",
    ),
    KeyFigure(
        "disability_places",
        "Places pour adultes et enfants vivant avec un handicap",
        rf"(?P<value>{NUMBER}) places pour adultes et enfants vivant avec un handicap",
        "places",
    ),
    KeyFigure("ehpad", "EHPAD", r"(?P<value>\d+) EHPAD", "EHPAD"),
    KeyFigure("ssiad", "SSIAD", r"(?P<value>\d+) SSIAD", "SSIAD"),
    KeyFigure("cls", "Contrats locaux de santé", r"(?P<value>\d+) CLS sur le département", "CLS"),
    KeyFigure(
        "radon_zone", "Zone à potentiel radon", r"Radon : .{0,40}?en zone (?P<value>\d)", "zone"
    ),
    KeyFigure(
        "poverty_rate_2020",
        "Taux de pauvreté en 2020",
        rf"taux de pauvreté de (?P<value>{NUMBER}) ?% en (?P<year>20\d\d) "
        rf"\((?P<france>{NUMBER}) ?% au national\)",
        "%",
    ),
    KeyFigure(
        "substandard_housing_cases",
        "Dossiers d'habitat indigne traités",
        r"(?P<value>\d+) dossiers d'habitat indigne en (?P<year>20\d\d)",
        "dossiers",
    ),
    KeyFigure(
        "drinking_water_catchments",
        "Captages d'eau potable",
        r"(?P<value>\d+) captages d'eau potable",
        "captages",
    ),
    KeyFigure(
        "leisure_pools",
        "Bassins de baignade de loisir",
        r"(?P<value>\d+) bassins de baignade de loisir",
        "bassins",
    ),
    KeyFigure(
        "natural_bathing_sites",
        "Sites de baignade en milieu naturel",
        r"(?P<value>\d+) sites de baignade en milieu naturel",
        "sites",
    ),
    KeyFigure("spas", "Stations thermales", r"(?P<value>\d+) stations thermales", "stations"),
]

COMPARATORS = re.compile(r"^\s*\((?P<inner>[^()]*)\)")
OCCITANIE_VALUE = re.compile(rf"(?P<v>{NUMBER})\s*%?\s*(?:ans\s*)?(?:en moyenne\s+)?en Occitanie")
FRANCE_VALUE = re.compile(rf"(?P<v>{NUMBER})\s*%?\s*(?:en France|au national)")
SOURCE = re.compile(r"^\s*Source\s*:\s*(?P<source>[^()]+\([^)]*\)|[^.]+\.)")


def french_number(text: str) -> int | float:
    """ "150 000" -> 150000, "+0,05" -> 0.05, "82,0" -> 82.0."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".").lstrip("+")
    return float(cleaned) if "." in cleaned else int(cleaned)


# --- the parser --------------------------------------------------------------------------------


@dataclass
class _Page:
    """Lines of a défi or objective page, by rubric (line numbers, in order)."""

    preamble: list[int] = field(default_factory=list)
    rubrics: dict[str, list[int]] = field(default_factory=dict)
    label_lines: dict[str, int] = field(default_factory=dict)


@dataclass
class _Engagement:
    number: int
    title: str
    first: int
    last: int
    title_lines: list[int]
    toc: dict[str, dict] = field(default_factory=dict)  # défi number -> {"title", "page"}
    title_from: str = "document"  # or "regional_list" when the title page is missing


class PrsSchemeParser:
    """Reads one scheme; `parse()` returns a PlanDraft or raises ParseError."""

    def __init__(self, text: str, document: str):
        self.document = document
        self.lines = text.split("\n")
        self.words = word_set(text)
        self.placed: set[int] = set()
        self.unplaced: list[UnplacedLine] = []
        self.notes: list[dict] = []
        self.row_text: dict[int, str] = {}  # care-supply lines read without their zone code
        self.label_only: set[int] = set()  # care-supply lines whose trailing numbers are label

    # Line numbers are 1-based everywhere, as an editor shows them.
    def line(self, number: int) -> str:
        return self.lines[number - 1]

    def stripped(self, number: int) -> str:
        return squash(self.line(number))

    def nonblank(self, first: int, last: int) -> list[int]:
        return [n for n in range(first, last + 1) if self.line(n).strip()]

    def take(self, numbers) -> None:
        self.placed.update(numbers)

    def skip(self, number: int, reason: str) -> None:
        text = self.line(number).strip()
        if text and number not in self.placed:
            self.placed.add(number)
            self.unplaced.append(UnplacedLine(line=number, text=text, reason=reason))

    def join(self, numbers: list[int]) -> str:
        return join_lines([self.line(n) for n in numbers], self.words)

    def note(self, message: str, first: int | None = None, last: int | None = None, **kw) -> None:
        entry = {"message": message, **kw}
        entry["span"] = [first, last if last is not None else first] if first else None
        self.notes.append(entry)

    def span(self, first: int, last: int) -> Span:
        return Span(self.document, first, last)

    # --- the document as a whole ---------------------------------------------------------

    def parse(self) -> PlanDraft:
        objectives = self._objective_headers()
        if not objectives:
            raise ParseError(
                f"« {self.document} » n'a pas la forme d'un schéma territorial de santé : aucun "
                "objectif opérationnel (« Objectif Opérationnel #… ») n'y a été trouvé."
            )
        total = len(self.lines)
        care_start = next(
            (n for n in range(objectives[-1], total + 1) if CARE_SUPPLY_HEADER.match(self.line(n))),
            None,
        ) or next(
            (n for n in range(objectives[-1], total + 1) if ACTIVITY_HEADER.match(self.line(n))),
            total + 1,
        )
        engagements = self._engagement_pages(care_start)
        fiche_start = engagements[0].first if engagements else self._first_defi(objectives[0])
        plan = self._plan_header()

        data_start = next(
            (n for n in range(1, fiche_start) if DATA_REPERE.match(self.line(n))), None
        )
        needs_start = next(
            (n for n in range(1, fiche_start) if NEEDS_HEADER.match(self.line(n))), None
        )
        self._editorial(plan, 1, (data_start or needs_start or fiche_start) - 1)
        if data_start:
            self._data_repere(plan, data_start, (needs_start or fiche_start) - 1)
        if needs_start:
            self._needs(plan, needs_start, fiche_start - 1)

        fiche_end = self._last_content_line(care_start - 1)
        self._plan_body(plan, engagements, objectives, fiche_start, fiche_end)
        plan.fiche_part = (fiche_start, fiche_end)
        if care_start <= total:
            plan.extra["care_supply_targets"] = self._care_supply(care_start, total)

        self._sweep(data_start, needs_start, fiche_start, care_start)
        plan.extra["notes"] = self.notes
        plan.unplaced = sorted(self.unplaced, key=lambda u: u.line)
        return plan

    def _objective_headers(self) -> list[int]:
        """Lines of the "Objectif" word of each "Objectif / Opérationnel / #n" header."""
        found = []
        for n in range(1, len(self.lines) + 1):
            if not OBJECTIVE_WORD.match(self.line(n)):
                continue
            rest = self.nonblank(n + 1, min(n + 6, len(self.lines)))[:2]
            if (
                len(rest) == 2
                and OBJECTIVE_LABEL.match(self.line(rest[0]))
                and OBJECTIVE_NUMBER.match(self.line(rest[1]))
            ):
                found.append(n)
        return found

    def _first_defi(self, before: int) -> int:
        return next(
            (n for n in range(1, before) if DEFI_HEADER.match(self.line(n))),
            before,
        )

    def _last_content_line(self, last: int) -> int:
        while last > 1 and not self.line(last).strip():
            last -= 1
        return last

    # --- plan header --------------------------------------------------------------------

    def _plan_header(self) -> PlanDraft:
        region, department = "", ""
        published = ""
        for n, raw in enumerate(self.lines, start=1):
            if SPACED_FOOTER.match(raw):
                words = _despace(raw)
                match = re.search(r"PROJET RÉGIONAL DE SANTÉ (\w+)", words)
                region = match.group(1).capitalize() if match else region
                following = self.nonblank(n + 1, min(n + 6, len(self.lines)))
                if following:
                    department = _despace(self.line(following[0]))
                    self.take([n, following[0]])
                for m in following[1:]:
                    if found := PUBLISHED.match(self.line(m)):
                        published = found.group(1)
                        self.take([m])
                        break
                break
        if not department:
            match = re.search(
                r"(?im)^\s*en ([A-ZÀ-Ý][A-ZÀ-Ý\- ]+?)\s*$", "\n".join(self.lines[:400])
            )
            department = match.group(1) if match else ""
        code, name, of_name = DEPARTMENTS.get(fold(department), ("", department.title(), ""))
        if not of_name and name:
            of_name = f"de {name}"
        years = YEARS.search(" ".join(squash(line) for line in self.lines[:400]))
        start = int(years.group(1)) if years else None
        end = int(years.group(2)) if years else None
        region = region or "Occitanie"
        head = f"Projet régional de santé {region}" + (f" {start}-{end}" if years else "")
        title = f"{head} — Schéma territorial de santé {of_name}".strip()
        slug = "-".join(
            p for p in ["prs", fold(region), f"{start}-{end}" if years else "", fold(name)] if p
        )
        slug = re.sub(r"[^a-z0-9]+", "-", slug).strip("-")[:80]
        plan = PlanDraft(
            kind="prs_scheme",
            slug=slug,
            title=title,
            document=self.document,
            levels=["Engagement", "Défi"],
            start_year=start,
            # "2023-2028" covers six calendar years: 2023 is year 1, 2028 year 6.
            duration_years=(end - start + 1) if years else 5,
            territory_name=name,
            territory_level="department" if code else "",
            territory_code=code,
        )
        if published:
            plan.extra["published"] = published
        if not years:
            self.note("Période du projet régional de santé introuvable dans le texte.")
        return plan

    # --- before the plan: editorial, Data repère, needs ------------------------------------

    def _editorial(self, plan: PlanDraft, first: int, last: int) -> None:
        lines = self.nonblank(first, last)
        if not lines:
            return
        tagline: list[int] = []
        # The cover's tagline stands alone before a long run of blank lines.
        if len(lines) > 1 and lines[1] - lines[0] > 10:
            tagline = [lines[0]]
            lines = lines[1:]
        signature = []
        if lines:
            # The signature: a name in capitals, then the signatory's function.
            for index, n in enumerate(lines):
                if re.match(
                    r"^\s*[A-ZÀ-Ý][a-zà-ÿ]+(?:[ -][A-ZÀ-Ý][a-zà-ÿ]+)* [A-ZÀ-Ý]{2,}", self.line(n)
                ):
                    signature = lines[index:]
                    lines = lines[:index]
                    break
        editorial = {
            "text": self._paragraph_text(lines),
            "signature": self.join(signature),
            "span": [(lines or signature)[0], (signature or lines)[-1]]
            if lines or signature
            else None,
        }
        if tagline:
            plan.extra["tagline"] = self.join(tagline)
        plan.extra["editorial"] = editorial
        self.take(tagline + lines + signature)

    def _data_repere(self, plan: PlanDraft, first: int, last: int) -> None:
        lines = self.nonblank(first, last)
        # "DATA" / "REPÈRE" / "L'essentiel sur la santé" / "en ARIÈGE": the page title.
        title_lines = lines[:4] if len(lines) >= 4 else lines
        body = lines[len(title_lines) :]
        more = next((n for n in body if re.match(r"^\s*Pour en savoir", self.line(n))), None)
        sources: list[dict] = []
        sources_note = ""
        text_lines = body
        if more:
            tail = [n for n in body if n > more]
            names = []
            urls = []
            others = []
            for n in tail:
                stripped = self.stripped(n)
                if URL.match(stripped):
                    urls.append(stripped)
                elif re.match(r"^Sources? et définitions", stripped):
                    sources_note = stripped
                elif not urls and not sources_note:
                    names.append(stripped)
                else:
                    others.append(n)
            for index, name in enumerate(names):
                sources.append({"name": name, "url": urls[index] if index < len(urls) else ""})
            sources += [{"name": "", "url": u} for u in urls[len(names) :]]
            text_lines = [n for n in body if n < more] + others
            self.take([more] + tail)
        page_text = " ".join(
            self.stripped(n).replace("’", "'").replace("\u202f", " ") for n in text_lines
        )
        starts = []
        position = 0
        for n in text_lines:
            starts.append((position, n))
            position += len(self.stripped(n)) + 1
        default_source = "Data repère du schéma territorial de santé" + (
            " (sources citées : " + ", ".join(s["name"] for s in sources if s["name"]) + ")"
            if sources
            else ""
        )
        plan.extra["key_figures"] = self._key_figures(
            page_text, starts, plan.territory_name, default_source
        )
        plan.extra["data_repere"] = {
            "title": self.join(title_lines[2:]) if len(title_lines) > 2 else "",
            "text": self._paragraph_text(text_lines),
            "sources": sources,
            "sources_note": sources_note,
            "span": [first, self._last_content_line(last)],
        }
        self.take(title_lines + text_lines)

    def _key_figures(
        self, text: str, starts: list[tuple[int, int]], territory: str, default_source: str
    ) -> list[dict]:
        def line_at(offset: int) -> int:
            number = starts[0][1]
            for position, n in starts:
                if position > offset:
                    break
                number = n
            return number

        figures = []
        for figure in KEY_FIGURES:
            match = re.search(figure.pattern, text)
            if not match:
                self.note(f"Data repère : chiffre « {figure.label} » introuvable dans le texte.")
                continue
            groups = match.groupdict()
            value = figure.convert(match) if figure.convert else french_number(groups["value"])
            comparators = {"Occitanie": None, "France": None}
            if groups.get("occitanie"):
                comparators["Occitanie"] = french_number(groups["occitanie"])
            if groups.get("france"):
                comparators["France"] = french_number(groups["france"])
            end = match.end()
            paren = COMPARATORS.match(text[end:])
            if paren and comparators == {"Occitanie": None, "France": None}:
                inner = paren.group("inner")
                occitanie = OCCITANIE_VALUE.search(inner)
                france = FRANCE_VALUE.search(inner)
                if occitanie:
                    comparators["Occitanie"] = french_number(occitanie.group("v"))
                if france:
                    comparators["France"] = french_number(france.group("v"))
                elif occitanie and re.search(r"comme en France", inner):
                    comparators["France"] = comparators["Occitanie"]
                if occitanie or france:
                    end += paren.end()
            source = SOURCE.match(text[end:])
            if source:
                end += source.end()
            entry = {
                "key": figure.key,
                "label": figure.label,
                "value": value,
                "unit": figure.unit,
                "territory": territory,
                "comparators": comparators,
                "source": squash(source.group("source")) if source else default_source,
                "as_written": squash(text[match.start() : end]),
                "span": [line_at(match.start()), line_at(max(match.start(), end - 1))],
            }
            if groups.get("year"):
                entry["year"] = int(groups["year"])
            figures.append(entry)
        return figures

    def _needs(self, plan: PlanDraft, first: int, last: int) -> None:
        """The CTS's challenges and the CNR's proposals: arrow items, the latter under themes."""
        cts = next((n for n in range(first, last + 1) if CTS_HEADER.match(self.line(n))), None)
        cnr = next((n for n in range(first, last + 1) if CNR_HEADER.match(self.line(n))), None)
        for n in self.nonblank(first, (cts or cnr or last + 1) - 1):
            self.skip(n, "intertitre de la description des besoins, sans contenu dans le texte")
        if cts:
            self.take([cts])
            plan.extra["challenges"] = [
                {"text": text, "span": span}
                for _, text, span in self._arrow_items(cts + 1, (cnr or last + 1) - 1)
            ]
        if cnr:
            self.take([cnr])
            plan.extra["cnr_proposals"] = [
                {"theme": theme, "text": text, "span": span}
                for theme, text, span in self._arrow_items(cnr + 1, last)
            ]

    def _arrow_items(self, first: int, last: int) -> list[tuple[str, str, list[int]]]:
        items: list[tuple[str, list[int]]] = []
        theme = ""
        for n in self.nonblank(first, last):
            stripped = self.stripped(n)
            if stripped.startswith("→"):
                items.append((theme, [n]))
            elif stripped.endswith(":") and len(stripped) < 60:
                theme = stripped.rstrip(" :")
                self.take([n])
                continue
            elif items:
                items[-1][1].append(n)
            else:
                self.skip(n, "ligne avant la première proposition")
                continue
            self.take([n])
        return [
            (theme, self.join(numbers).lstrip("→ ").strip(), [numbers[0], numbers[-1]])
            for theme, numbers in items
        ]

    # --- engagements, défis, objectives --------------------------------------------------

    def _engagement_pages(self, end: int) -> list[_Engagement]:
        """Title pages: the engagement's title, then the défis it holds with their pages."""
        pages: list[_Engagement] = []
        n = 1
        while n < end:
            if not DEFI_TOC.match(self.line(n)):
                n += 1
                continue
            toc_first = n
            toc: dict[str, dict] = {}
            toc_lines: list[int] = []
            while n < end:
                if not self.line(n).strip():
                    n += 1
                    continue
                match = DEFI_TOC.match(self.line(n))
                if not match:
                    break
                entry, n = self._toc_entry(n, end)
                toc[match.group(1)] = entry
                toc_lines += entry["lines"]
            title_lines = self._engagement_title_lines(toc_first)
            pages.append(
                _Engagement(
                    number=len(pages) + 1,
                    title=self.join(title_lines),
                    first=title_lines[0] if title_lines else toc_first,
                    last=toc_lines[-1],
                    title_lines=title_lines,
                    toc=toc,
                )
            )
            self.take(title_lines + toc_lines)
        return pages

    def _toc_entry(self, n: int, end: int) -> tuple[dict, int]:
        """ "DÉFI #3" then its title, the last line ending in a dotted leader and a page."""
        lines = [n]
        n += 1
        while n < end and len(lines) < 6:
            if self.line(n).strip():
                if DEFI_TOC.match(self.line(n)) or DEFI_HEADER.match(self.line(n)):
                    break
                lines.append(n)
                if TOC_LEADER.match(self.line(n)):
                    n += 1
                    break
            n += 1
        texts = [self.line(m) for m in lines[1:]]
        page = None
        if texts and (leader := TOC_LEADER.match(texts[-1])):
            texts[-1] = leader.group(1)
            page = int(leader.group(2))
        return {"title": join_lines(texts, self.words), "page": page, "lines": lines}, n

    def _engagement_title_lines(self, toc_first: int) -> list[int]:
        """Short lines above the table of défis, up to the page's first line or a long gap."""
        found: list[int] = []
        n = toc_first - 1
        gap = 0
        while n >= 1:
            raw = self.line(n)
            if not raw.strip():
                gap += 1
                if found and gap > 6:
                    break
                n -= 1
                continue
            gap = 0
            if len(raw.strip()) > 40:
                break
            found.insert(0, n)
            if PAGE_START.match(raw):
                break
            n -= 1
        return found

    def _plan_body(
        self,
        plan: PlanDraft,
        engagements: list[_Engagement],
        objectives: list[int],
        first: int,
        last: int,
    ) -> None:
        defis = [
            n
            for n in range(first, last + 1)
            if DEFI_HEADER.match(self.line(n)) and n not in self.placed
        ]
        # Every landmark ends the page before it.
        landmarks = sorted(set(objectives) | set(defis) | {e.first for e in engagements})
        landmarks = [m for m in landmarks if first <= m <= last]

        def page_end(start: int) -> int:
            following = [m for m in landmarks if m > start]
            end = (following[0] - 1) if following else last
            return self._last_content_line(end)

        details: dict[str, dict] = {}
        sections: list[SectionDraft] = []
        fiches: list[FicheDraft] = []
        current: _Engagement | None = None
        engagement_count = 0
        by_first = {e.first: e for e in engagements}
        current_defi: dict | None = None
        titles_from: dict[str, str] = {}
        # Walk the landmarks in order: engagement pages, défi pages, objective pages.
        for start in landmarks:
            if start in by_first:
                current = by_first[start]
                engagement_count += 1
                current.number = engagement_count
                sections.append(self._engagement_section(current))
                titles_from[f"E{current.number}"] = current.title_from
                current_defi = None
                continue
            if start in defis:
                match = DEFI_HEADER.match(self.line(start))
                number = match.group(1)
                # Défis come in increasing order within an engagement.
                if current is None or (
                    current_defi is not None and int(number) <= int(current_defi["number"])
                ):
                    # A défi outside its engagement's table: the engagement's title page is
                    # missing from the text.
                    engagement_count += 1
                    current = self._missing_engagement(engagement_count, start)
                    sections.append(self._engagement_section(current))
                    titles_from[f"E{current.number}"] = current.title_from
                end = page_end(start)
                current_defi = self._defi_page(current, number, start, end, details)
                sections.append(current_defi["section"])
                continue
            if current_defi is None:
                for n in self.nonblank(start, page_end(start)):
                    self.skip(n, "objectif opérationnel hors de tout défi")
                continue
            fiches.append(self._objective_page(current, current_defi, start, page_end(start)))

        for engagement_section in [s for s in sections if s.level == 0]:
            details[engagement_section.key] = {
                "kind": "engagement",
                "title": engagement_section.title,
                "title_from": titles_from[engagement_section.key],
                "span": [engagement_section.span.first_line, engagement_section.span.last_line],
            }
        # Spans of engagements and défis cover their objectives.
        ends: dict[str, int] = {}
        for fiche in fiches:
            for key in (fiche.section_key, fiche.section_key.split(".")[0]):
                ends[key] = max(ends.get(key, 0), fiche.span.last_line)
        for section in sections:
            if section.key in ends and section.span:
                section.span = self.span(section.span.first_line, ends[section.key])
        for key, detail in details.items():
            if key in ends:
                detail["span"][1] = max(detail["span"][1], ends[key])

        numbers = [f.number for f in fiches]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            raise ParseError(
                f"« {self.document} » contient plusieurs objectifs opérationnels numérotés "
                + ", ".join(duplicates)
                + " dans le même défi : corrigez la numérotation avant l'import."
            )
        plan.sections = sections
        plan.fiches = fiches
        plan.extra["section_details"] = {
            s.key: details[s.key] for s in sections if s.key in details
        }
        self.note(
            "Les engagements ne sont pas numérotés dans le texte : ils le sont dans leur ordre "
            "de lecture. Défis et objectifs opérationnels gardent leur numéro régional ; le numéro "
            "d'un objectif dans le plan est « engagement.défi.objectif » (ex. 3.2.2), son numéro "
            "régional est dans extra.regional_number."
        )

    def _engagement_section(self, engagement: _Engagement) -> SectionDraft:
        expected = (
            PRS_ENGAGEMENTS[engagement.number - 1]
            if engagement.number <= len(PRS_ENGAGEMENTS)
            else ""
        )
        if (
            expected
            and engagement.title_lines
            and _apostrophes(fold(engagement.title)) != (_apostrophes(fold(expected)))
        ):
            self.note(
                f"Engagement {engagement.number} : l'intitulé lu (« {engagement.title} ») diffère "
                f"de celui de la liste régionale (« {expected} ») : à vérifier.",
                engagement.title_lines[0],
                engagement.title_lines[-1],
                section=f"E{engagement.number}",
            )
        return SectionDraft(
            key=f"E{engagement.number}",
            level=0,
            number=str(engagement.number),
            title=engagement.title,
            parent_key=None,
            span=self.span(engagement.first, engagement.last),
        )

    def _missing_engagement(self, number: int, defi_line: int) -> _Engagement:
        title = PRS_ENGAGEMENTS[number - 1] if number <= len(PRS_ENGAGEMENTS) else ""
        if title:
            message = (
                f"Engagement {number} : sa page de titre manque au texte ; son intitulé "
                f"« {title} » vient de la liste des engagements du projet régional de santé, "
                "non de ce document : à vérifier."
            )
        else:
            title = f"Engagement {number}"
            message = (
                f"Engagement {number} : sa page de titre manque au texte et la liste régionale "
                "n'en compte pas autant : intitulé à compléter."
            )
        self.note(message, defi_line, defi_line, section=f"E{number}", field="title")
        return _Engagement(
            number=number,
            title=title,
            first=defi_line,
            last=defi_line,
            title_lines=[],
            title_from="regional_list",
        )

    def _read_page(self, first: int, last: int) -> _Page:
        page = _Page()
        current: list[int] = page.preamble
        for n in range(first, last + 1):
            stripped = self.stripped(n)
            if not stripped:
                continue
            key = LABELS.match(stripped)
            if key and key not in page.rubrics:
                page.rubrics[key] = []
                page.label_lines[key] = n
                current = page.rubrics[key]
                self.take([n])
                continue
            if re.fullmatch(r"\d{2}", stripped) and stripped in MAP_CODES:
                self.skip(n, "code de département de la carte de l'Occitanie")
                continue
            current.append(n)
        return page

    def _defi_page(
        self, engagement: _Engagement, number: str, first: int, last: int, details: dict
    ) -> dict:
        page = self._read_page(first, last)
        header = DEFI_HEADER.match(self.line(first))
        title_lines = [first]
        for n in page.preamble:
            if n == title_lines[-1] + 1:
                title_lines.append(n)
        title = join_lines([header.group(2)] + [self.line(n) for n in title_lines[1:]], self.words)
        self.take(title_lines)
        key = f"E{engagement.number}.D{number}"
        listed = engagement.toc.get(number)
        if listed and fold(_apostrophes(listed["title"])) != fold(_apostrophes(title)):
            self.note(
                f"Défi #{number} : l'intitulé du sommaire (« {listed['title']} ») diffère de "
                f"celui de sa page (« {title} ») ; celui de la page est retenu.",
                first,
                first,
                section=key,
            )
        detail: dict = {"kind": "defi", "regional_number": number, "title": title}
        if listed:
            detail["page"] = listed["page"]
        rubrics = page.rubrics
        if "stakes" in rubrics:
            detail["stakes"] = self._paragraph_text(rubrics["stakes"])
        for name in ("themes", "pathways", "keywords"):
            if name in rubrics:
                detail[name] = self._list_items(rubrics[name])
        if "key_figures" in rubrics:
            detail["key_figures"] = self._figure_items(rubrics["key_figures"])
        if "citizen_voice" in rubrics:
            detail["citizen_voice"] = self._quotes(rubrics["citizen_voice"])
        if "objectives_listed" in rubrics:
            detail["objectives_listed"] = self._bullets(rubrics["objectives_listed"])
        if "regional_objective" in rubrics:
            detail["regional_objective"] = self.join(rubrics["regional_objective"])
        for name, numbers in rubrics.items():
            if name in ("challenge", "findings", "objective", "expected_results", "in_practice"):
                # Rubrics of an objective page on a défi page: kept, as read.
                detail[name] = self._paragraph_text(numbers)
            self.take(numbers)
        detail["span"] = [first, last]
        details[key] = detail
        section = SectionDraft(
            key=key,
            level=1,
            number=f"{engagement.number}.{number}",
            title=title,
            parent_key=f"E{engagement.number}",
            span=self.span(first, last),
        )
        return {
            "number": number,
            "key": key,
            "title": title,
            "section": section,
            "listed": detail.get("objectives_listed", []),
            "objectives": 0,
        }

    def _objective_page(
        self, engagement: _Engagement, defi: dict, first: int, last: int
    ) -> FicheDraft:
        header = self.nonblank(first, last)[:3]
        regional = OBJECTIVE_NUMBER.match(self.line(header[2])).group(1)
        self.take(header)
        page = self._read_page(header[2] + 1, last)
        span = self.span(first, last)
        rubrics = page.rubrics
        title = self.join(page.preamble)
        self.take(page.preamble)
        flags: list[ReviewFlag] = []
        extra: dict[str, str] = {"regional_number": regional}
        texts = {}
        for name, numbers in rubrics.items():
            if name in ("themes", "pathways", "keywords"):
                texts[name] = "\n".join(self._list_items(numbers))
            elif name == "key_figures":
                texts[name] = "\n".join(self._figure_items(numbers))
            elif name == "citizen_voice":
                texts[name] = "\n\n".join(self._quotes(numbers))
            elif name == "challenge":
                texts[name] = self.join(numbers)
            else:
                texts[name] = self._paragraph_text(numbers, repeated_urls=True)
            self.take(numbers)
        for name in ("challenge", "findings", "expected_results", "in_practice", "key_figures"):
            if texts.get(name):
                extra[name] = texts[name]
        for name in ("themes", "pathways", "keywords", "citizen_voice"):
            if texts.get(name):
                extra[name] = texts[name]
        for name in ("stakes", "objectives_listed", "regional_objective"):
            if texts.get(name):
                extra[name] = texts[name]
        for name in CORE_RUBRICS:
            if not texts.get(name):
                flags.append(
                    ReviewFlag(
                        "extra",
                        f"Rubrique « {LABEL_NAMES[name]} » absente ou vide dans le document.",
                        span,
                    )
                )
        challenge = texts.get("challenge", "")
        if challenge and not _apostrophes(fold(challenge)).startswith(
            _apostrophes(fold(defi["title"])).rstrip(" .")
        ):
            line = page.label_lines["challenge"]
            flags.append(
                ReviewFlag(
                    "extra",
                    f"« Le défi à relever » (« {challenge} ») ne reprend pas mot pour mot "
                    f"l'intitulé du défi #{defi['number']} (« {defi['title']} ») : à vérifier.",
                    self.span(line, rubrics["challenge"][-1] if rubrics["challenge"] else line),
                )
            )
        position = defi["objectives"]
        defi["objectives"] += 1
        listed = defi["listed"]
        if position < len(listed) and _similarity(listed[position], title) < 0.6:
            flags.append(
                ReviewFlag(
                    "title",
                    f"L'intitulé de l'objectif diffère de celui listé sur la page du défi "
                    f"(« {listed[position]} ») : à vérifier.",
                    span,
                )
            )
        if not title:
            flags.append(ReviewFlag("title", "Intitulé de l'objectif introuvable.", span))
        return FicheDraft(
            number=f"{engagement.number}.{defi['number']}.{regional}",
            title=title,
            section_key=defi["key"],
            span=span,
            strategic_objective=texts.get("objective", ""),
            extra=extra,
            flags=flags,
        )

    # --- text helpers ----------------------------------------------------------------------

    def _paragraph_text(self, numbers: list[int], repeated_urls: bool = False) -> str:
        """Lines joined into paragraphs separated by a blank line ("\\n\\n").

        A paragraph starts at a bullet, or at a capitalised line after a line that ended a
        sentence or stopped well short of the text's width.
        """
        kept = []
        seen_urls = set()
        for n in numbers:
            stripped = self.stripped(n)
            if URL.match(stripped) and repeated_urls:
                if stripped in seen_urls:
                    self.skip(n, "adresse web répétée en note de bas de page")
                    continue
                seen_urls.add(stripped)
            kept.append(n)
        if not kept:
            return ""
        width = max(len(self.stripped(n)) for n in kept)
        paragraphs: list[list[int]] = [[]]
        previous = ""
        for n in kept:
            stripped = self.stripped(n)
            first_word = stripped.split(" ")[0]
            starts_sentence = (
                stripped[:1].isupper()
                or stripped[:1] in '«•→("'
                or re.match(r"^\d+[.)] ", stripped) is not None
            )
            # The previous line stopped short: its next word would have fitted on it.
            short = len(previous) + 1 + len(first_word) <= 0.9 * width
            if (
                paragraphs[-1]
                and not previous.endswith("-")
                and (
                    BULLET.match(stripped)
                    or URL.match(stripped)
                    or (starts_sentence and (previous.endswith((".", ":", "!", "?", ";")) or short))
                )
            ):
                paragraphs.append([])
            paragraphs[-1].append(n)
            previous = stripped
        return "\n\n".join(self.join(p) for p in paragraphs if p)

    def _list_items(self, numbers: list[int]) -> list[str]:
        """Themes, pathways, keywords: a capitalised line starts an item, others continue it."""
        items: list[list[int]] = []
        for n in numbers:
            stripped = self.stripped(n)
            if not items or not stripped[:1].islower():
                items.append([n])
            else:
                items[-1].append(n)
        return [self.join(item) for item in items]

    def _figure_items(self, numbers: list[int]) -> list[str]:
        """Key figures of a page: a line starting with a number starts a figure."""
        items: list[list[int]] = []
        for n in numbers:
            if not items or self.stripped(n)[:1].isdigit():
                items.append([n])
            else:
                items[-1].append(n)
        return [self.join(item) for item in items]

    def _quotes(self, numbers: list[int]) -> list[str]:
        items: list[list[int]] = []
        for n in numbers:
            if not items or self.stripped(n).startswith(("«", '"', "“")):
                items.append([n])
            else:
                items[-1].append(n)
        return [self.join(item) for item in items]

    def _bullets(self, numbers: list[int]) -> list[str]:
        items: list[list[int]] = []
        for n in numbers:
            if not items or BULLET.match(self.line(n)):
                items.append([n])
            else:
                items[-1].append(n)
        return [BULLET.sub("", self.join(item), count=1).rstrip(" .") for item in items]

    # --- care-supply targets ---------------------------------------------------------------

    def _care_supply(self, first: int, last: int) -> list[dict]:
        layout = self._care_supply_layout(first, last)
        self.take(layout)
        activities: list[dict] = []
        activity: dict | None = None
        table: dict | None = None
        note: dict | None = None
        pending: list[int] = []
        state = ""

        def flush_pending() -> None:
            nonlocal pending
            if pending and table is not None:
                table["rows"].append(self._row(pending, []))
            pending = []

        def close(current_last: int) -> None:
            if activity is not None:
                activity["span"][1] = current_last

        last_line = first
        for n in range(first, last + 1):
            stripped = self.stripped(n)
            if not stripped or n in self.placed:
                continue
            if URL.match(stripped):
                self.skip(n, "adresse web en note de bas de page")
                continue
            if ACTIVITY_HEADER.match(stripped):
                flush_pending()
                close(last_line)
                activity = {"activity": "", "tables": [], "notes": [], "span": [n, n]}
                activities.append(activity)
                table, note, state = None, None, "name"
                self.take([n])
                last_line = n
                continue
            if activity is None:
                self.skip(n, "ligne avant la première activité de soins")
                continue
            last_line = n
            self.take([n])
            if state == "name":
                activity["activity"] = re.sub(r"^Activité de soins\s*:?\s*", "", stripped)
                state = "intro"
            elif TABLE_TITLE.match(stripped):
                flush_pending()
                table = {"title": stripped, "columns": "", "zone": "", "rows": [], "span": [n, n]}
                activity["tables"].append(table)
                state = "title"
            elif TABLE_HEADER.match(stripped) and state != "header":
                flush_pending()
                if state != "title":
                    # A second table under the same title (a page break in the table).
                    title = table["title"] if table else ""
                    table = {"title": title, "columns": "", "zone": "", "rows": [], "span": [n, n]}
                    activity["tables"].append(table)
                table["columns"] = stripped
                state = "header"
            elif state == "title":
                table["title"] = join_lines([table["title"], stripped], self.words)
            elif state == "header" and (zone := ZONE_CODE.match(stripped)):
                table["zone"] = zone.group(1)
                state = "rows"
                if zone.group(2):
                    pending = self._row_line(n, zone.group(2), table, pending)
            elif state == "header":
                table["columns"] = join_lines([table["columns"], stripped], self.words)
            elif (heading := NOTE_HEADING.match(stripped)) or (
                state == "rows" and stripped.startswith("*")
            ):
                flush_pending()
                note = {
                    "heading": squash(heading.group(1)) if heading else "Note",
                    "lines": [] if heading else [n],
                    "line": n,
                }
                activity["notes"].append(note)
                state = "note"
            elif state == "rows":
                pending = self._row_line(n, stripped, table, pending)
            elif state == "note":
                note["lines"].append(n)
            else:
                self.placed.discard(n)
                self.skip(
                    n, "ligne non reconnue dans les objectifs quantitatifs de l'offre de soins"
                )
            if table is not None and state in ("rows", "header", "title"):
                table["span"][1] = n
        flush_pending()
        close(last_line)
        for activity in activities:
            notes = []
            for note in activity["notes"]:
                lines = note["lines"]
                notes.append(
                    {
                        "heading": note["heading"],
                        "text": self._paragraph_text(lines),
                        "span": [note["line"], lines[-1] if lines else note["line"]],
                    }
                )
            activity["notes"] = notes
        return activities

    def _care_supply_layout(self, first: int, last: int) -> list[int]:
        """Repeated page titles ("Objectifs / quantitatifs / de l'offre / de soins") and the
        part's heading ("ÉVOLUTION / de l'offre / en regard des besoins")."""
        layout = []
        lines = self.nonblank(first, last)
        for index, n in enumerate(lines):
            stripped = self.stripped(n)
            following = [self.stripped(m) for m in lines[index + 1 : index + 4]]
            if stripped == "Objectifs" and following[:1] == ["quantitatifs"]:
                layout += lines[index : index + 4]
            elif CARE_SUPPLY_HEADER.match(stripped):
                layout += lines[index : index + 3]
        return layout

    def _row_line(self, n: int, text: str, table: dict, pending: list[int]) -> list[int]:
        """One line of a table: a label, values, or both; returns the label lines still open."""
        self.row_text[n] = text
        label, values = _split_values(text)
        rows = table["rows"]
        if (
            label
            and not pending
            and rows
            and rows[-1]["values"]
            and rows[-1]["span"][1] == self._previous_nonblank(n)
            and _continues(label, "")
            and all(v.isdigit() for v in rows[-1]["values"])
        ):
            # "… de moins de 18" / "ans comprenant …": the number ended a wrapped label.
            previous = rows.pop()
            first, last = previous["span"]
            self.label_only.add(last)
            pending = [m for m in range(first, last + 1) if self.line(m).strip()]
        if label and pending and _continues(label, self.stripped(pending[-1])):
            pending = pending + [n]
            if values:
                table["rows"].append(self._row(pending, values))
                return []
            return pending
        if pending and label:
            table["rows"].append(self._row(pending, []))
            pending = []
        if label and values:
            table["rows"].append(self._row([n], values))
            return []
        if label:
            return [n]
        # Values alone close the open label, or make a row without label.
        table["rows"].append(self._row(pending or [n], values, own=not pending, line=n))
        return []

    def _previous_nonblank(self, n: int) -> int:
        n -= 1
        while n > 1 and not self.line(n).strip():
            n -= 1
        return n

    def _row(self, numbers: list[int], values: list[str], own: bool = False, line: int = 0) -> dict:
        if own:
            label = ""
        else:
            parts = []
            for n in numbers:
                text = self.row_text.get(n, self.stripped(n))
                parts.append(text if n in self.label_only else _split_values(text)[0])
            label = join_lines(parts, self.words)
        last = max(numbers + ([line] if line else []))
        return {"label": label, "values": values, "span": [min(numbers), last]}

    # --- what is left --------------------------------------------------------------------

    def _sweep(
        self, data_start: int | None, needs_start: int | None, fiche_start: int, care_start: int
    ) -> None:
        for n in range(1, len(self.lines) + 1):
            if n in self.placed or not self.line(n).strip():
                continue
            if URL.match(self.line(n)):
                reason = "adresse web en note de bas de page"
            elif n >= care_start:
                reason = "ligne non reconnue dans les objectifs quantitatifs de l'offre de soins"
            elif n >= fiche_start:
                reason = "ligne non reconnue dans les engagements"
            elif needs_start and n >= needs_start:
                reason = "ligne non reconnue dans la description des besoins"
            elif data_start and n >= data_start:
                reason = "ligne non reconnue dans la page Data repère"
            else:
                reason = "ligne non reconnue dans l'éditorial"
            self.skip(n, reason)


def _despace(line: str) -> str:
    """ "P R O J E T  R ÉG I O N A L" -> "PROJET RÉGIONAL": letters spaced out, words by two."""
    words = re.split(r"\s{2,}", line.strip())
    return " ".join(w.replace(" ", "") for w in words if w)


def _apostrophes(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def _similarity(a: str, b: str) -> float:
    wa, wb = set(re.findall(r"\w+", fold(a))), set(re.findall(r"\w+", fold(b)))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


# A label ending in one of these words takes the number after it ("Modalité 1", "Niveau 2").
NUMBERED_WORDS = {"modalite", "niveau", "type"}


def _split_values(text: str) -> tuple[str, list[str]]:
    """ "Scanner  3  4" -> ("Scanner", ["3", "4"]); "A* 1 / 2" -> ("A*", ["1/2"])."""
    normalised = re.sub(r"(\d)\s*/\s*(\d)", r"\1/\2", squash(text))
    tokens = normalised.split(" ") if normalised else []
    values: list[str] = []
    while tokens and VALUE_TOKEN.match(tokens[-1]):
        values.insert(0, tokens.pop())
    if tokens and values and fold(tokens[-1]) in NUMBERED_WORDS:
        tokens.append(values.pop(0))
    return " ".join(tokens), values


def _continues(label: str, previous: str) -> bool:
    """Whether a label line continues the one above (a wrapped table cell)."""
    return label[:1].islower() or label[:1] in "(-–" or previous.rstrip().endswith((",", "-"))
