"""Parser of CPTS health projects laid out like the CPTS du Bassin Carcassonnais's (2022).

The document has a cover table, a table of contents, a glossary and an introduction, then three
parts: a territorial diagnostic, the missions of the CPTS with their "fiches action", and the
organisation of the CPTS (governance, members by profession, information system, budget,
planning). It mixes tab-separated tables, HTML fragments (`<p>`, `<ul>`, `<input
type="checkbox">`…), Markdown emphasis and LaTeX formulas (`$28 \\times 4,5$`): `clean` reads
through them. Every non-blank line of the document ends up in a field of the draft, in
`PlanDraft.extra`, or in `PlanDraft.unplaced` with a French reason.

Sections and fiches
    Missions are level-0 sections (keys "M1"…"M6"); each fiche ("1.A", "1.B", "2.A"…, "4", "5",
    "6") hangs under the mission whose "MISSION n" banner precedes it. A section is titled with
    the mission's name as its first fiche writes it ("Mission 1- Accès aux soins"); when that
    line carries another number (fiche 5 says "Mission 6-") the fiche is flagged.

Fiche fields
    "Problématiques constatées" -> context; "Objectif général" -> strategic_objective;
    "Objectifs opérationnels" -> operational_objectives; "Public cible" -> public; "Action n :"
    -> ActionDraft (letter "n", the heading as text, its sub-steps in extra["details"]);
    "Indicateurs retenus" -> IndicatorDraft, one per numbered indicator with its sub-items. An
    indicator labelled "Indicateur de suivi / de processus / de moyens" is "monitoring", one
    labelled "de résultat" is "result"; the document labels almost none, so unlabelled ones are
    read as "monitoring" (process indicators, what most of them count) and the fiche is flagged.
    FicheDraft.extra (strings): "label" (Libellé de l'action), "mission" (Mission … concernée),
    "axis" (its axis in the list of fiches), "pilots" (names and professions of the pilots),
    "working_group", "actors" (Acteurs concernés, as written), "calendar", "means", "budget".
    The pilots are members of the CPTS acting for it: the CPTS is the pilot organisation of
    every fiche; partners are the organisations that "Acteurs concernés" and the working group
    name and the OrganisationResolver knows (professions such as "IDEL" are not organisations).
    Pilots' e-mail and postal addresses are personal data: they are listed as unplaced lines,
    not imported.

Calendar
    The document counts time in months from the signature of the ACI contract (accord
    conventionnel interprofessionnel with the Assurance Maladie), a date it does not give; so
    `PlanDraft.start_year` stays None and `signature_date` is the date the project itself was
    signed. Each action of a fiche gets the fiche's planning in ActionDraft.extra: "calendar"
    (as written), "start_month" ("1"), "start_month_latest" when a range is given ("6 à 12
    mois" -> "6" and "12"), "end_month" (the deployment deadline). Contract year n covers months
    12(n-1)+1 to 12n: months 1–12 are year 1, 13–24 year 2, and so on. `deadline_years` runs from
    the year of the start to the year of the deadline ("1 mois" … "18 mois maximum" -> [1, 2]);
    it is derived only where that is unambiguous: a start range spanning two years, or a missing
    start or deadline, leaves it empty and flags the fiche. The planning table of the third part
    is read too (extra["planning"]) and each fiche whose calendar differs from it is flagged.

Plan extra (JSON-serialisable)
    "identity", "structure": [{label, value}] of the cover and legal-structure tables;
    "annexes": [str]; "glossary": {acronym: meaning};
    "preamble", "diagnostic", "missions_introduction", "organisation": text blocks
    [{heading, first_line, last_line, text}] of the parts that are not fiches: the diagnostic is
    kept as text, not imported as fiches (tables as "a | b | c" lines, HTML lists as "- " lines;
    a block with an empty text is a heading directly followed by another);
    "perimeter_total": {stated, computed}; "perimeter_check": [check];
    "fiche_list": [{mission, axis, fiche}]; "prs_links": [{table, prs, axis, fiche}];
    "board": [{status, profession, name, place}];
    "members": [{profession, count, share, territory, pending, coverage,
    representativity_as_written}] where share = count / total members and coverage = count /
    professionals of the territory, both computed here (4 decimals), never copied;
    "members_total": {count, territory, pending, representativity_as_written};
    "members_check": [check]; "governance": [{number, name, composition}] (the colleges);
    "information_system": [str]; "information_system_needs": [{scope, need, available,
    to_develop}]; "budget": [{mission, fiche, label, detail, expenses, resources}] in euros;
    "budget_total": {expenses, resources, note} as stated; "budget_check": [check];
    "planning": [{mission, action, start, end, fiche, line}];
    "signature": {label, representative, date, first_line, last_line}.
    A check is {field, message, first_line, last_line}: what a ReviewFlag says, at plan level;
    an empty list means the figures agree.
"""

from __future__ import annotations

import contextlib
import html
import re
from dataclasses import dataclass, field
from datetime import date

from pilotis.core.text import fold, squash
from pilotis.importers.common import LabelTable
from pilotis.importers.common import split_outside_parens as _split_outside_parens
from pilotis.importers.organisations import REFERENCE, OrganisationResolver
from pilotis.plans.draft import (
    ActionDraft,
    CommuneDraft,
    FicheDraft,
    IndicatorDraft,
    ParseError,
    PlanDraft,
    ReviewFlag,
    RoleDraft,
    SectionDraft,
    Span,
    UnplacedLine,
)

# --- markup -------------------------------------------------------------------------------

_AUTOLINK = re.compile(r"<(https?://[^<>\s]+)>")
_CHECKED = re.compile(r"<input\b[^<>]*\bchecked\b[^<>]*>", re.IGNORECASE)
_CHECKBOX = re.compile(r"<input\b[^<>]*>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_MATH = re.compile(r"\$([^$\n]+)\$")
_SUPERSCRIPT = re.compile(r"\^\{([^{}]*)\}")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_LATEX = {
    r"\times": "×",
    r"\cdot": "·",
    r"\div": "÷",
    r"\leq": "≤",
    r"\geq": "≥",
    r"\approx": "≈",
    r"\%": "%",
}


def _math(match: re.Match[str]) -> str:
    formula = match.group(1)
    for command, symbol in _LATEX.items():
        formula = formula.replace(command, f" {symbol} ")
    formula = re.sub(r"\\([a-zA-Z]+)", r"\1", formula)
    return squash(formula.replace("{", "").replace("}", ""))


def clean(line: str) -> str:
    """A source line without its markup, tabs kept (they separate table cells).

    `<input checked type="checkbox"/>` becomes ☒ and an unchecked box ☐; other tags are dropped;
    `$a \\times b$` becomes "a × b"; `1^{er}` becomes "1er"; `**bold**` and `*italic*` lose their
    stars; HTML entities are decoded.
    """
    text = _AUTOLINK.sub(r"\1", line)
    text = _CHECKED.sub("☒ ", text)
    text = _CHECKBOX.sub("☐ ", text)
    text = _TAG.sub(" ", text)
    text = _MATH.sub(_math, text)
    text = _SUPERSCRIPT.sub(r"\1", text)
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    return html.unescape(text)


def text_of(line: str) -> str:
    """A source line as one clean, whitespace-normalised text."""
    return squash(clean(line))


def cells_of(line: str) -> list[str]:
    """The cells of a tab-separated table row, cleaned (empty cells kept)."""
    return [squash(c) for c in clean(line).split("\t")]


def _block_text(line: str) -> str:
    """A line for a text block: cells joined with " | ", HTML list items on their own lines."""
    cells = cells_of(line)
    while cells and not cells[-1]:
        cells.pop()
    text = " | ".join(cells).strip()
    return re.sub(r"\s*○\s*", "\n- ", text).strip()


# --- landmarks ------------------------------------------------------------------------------

TOC_ENTRY = re.compile(r"(?:\.{3,}|\t)\s*\d+\s*$")
MISSION_BANNER = re.compile(r"^\s*MISSION\s+(\d+)\s+(\S.*?)\s*$")
FICHE_HEADER = re.compile(
    r"^\s*Fiche\s+action\s+(\d+)(?:\s*\.\s*([A-Z]))?\s*[-–—]\s*(\S.*?)\s*$", re.IGNORECASE
)
PART_MARKER = re.compile(r"^\s*(\d)\s*(?:\^\{)?(?:ère|ème|re|e|er)\}?\s+partie\s*$", re.I)
HEADING = re.compile(r"^\s*(?:\d\s*[–-]\s*\S|[A-E]\s*[–-]\s*[A-ZÉ]|◆)")
CAPTION = re.compile(r"^\s*(?:Figure|Carte)\s+\d+\s*[:–-]")
BULLET = re.compile(r"^(\s*)(?:->|→|➤|[-–•○])\s*(\S.*)$")
NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.)]\s+(\S.*)$")
ACTION_HEADING = re.compile(r"^\s*Actions?\s*(\d{1,2})\s*:\s*(.*?)\s*$", re.IGNORECASE)
GLOSSARY_ENTRY = re.compile(r"^\s*([A-Za-zÀ-ÿ0-9/\-]{2,20})\s*:\s*(\S.*?)\s*$")
MONTHS = re.compile(r"(\d{1,3})(?:\s*(?:à|a|-|–)\s*(\d{1,3}))?\s*mois", re.IGNORECASE)
AMOUNT = re.compile(r"^(.*?)\s*(\d[\d\s\u202f\u00a0.]*)\s*€\s*$")
INDICATOR_KIND = re.compile(
    r"^\s*Indicateurs?\s+de\s+(suivi|processus|moyens?|r[ée]sultats?)\s*:\s*(.*)$", re.IGNORECASE
)
SIGNATURE_DATE = re.compile(r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})")

# Labels of a fiche's rubrics, as a whole line.
FICHE_LABELS = LabelTable(
    {
        "label": ["Libellé de l'action"],
        "mission": [
            "Mission socle concernée",
            "Missions socles concernées",
            "Mission complémentaire concernée",
            "Missions complémentaires concernées",
        ],
        "pilots": ["Pilote de l'action", "Pilotes de l'action"],
        "working_group": ["Membres du groupe de travail"],
        "actors": ["Acteurs concernés"],
        "context": ["Problématique constatée", "Problématiques constatées"],
        "strategic": ["Objectif général", "Objectif générale", "Objectifs généraux"],
        "public": ["Public cible"],
        "objectives": ["Objectif opérationnel", "Objectifs opérationnels"],
        "actions": [
            f"{what}{planned}{how}"
            for what in ("Actions", "Sous-actions")
            for planned in ("", " envisagées")
            for how in ("", " à mettre en œuvre")
        ],
        "calendar": ["Planning prévisionnel", "Planning prévisionnel de mise en œuvre"],
        "indicators": ["Indicateurs", "Indicateurs retenus", "Indicateurs sélectionnés"],
        "means": ["Estimation des moyens", "Estimation des moyens nécessaires"],
        "budget": ["Estimation du budget…"],
    }
)

# Spellings of this document the organisation reference does not carry, mapped to one it does
# (keys folded).
_ORGANISATION_VARIANTS = {
    "ch de carcassonne": "CH",
    "centre hospitalier carcassonne": "CH",
    "centre hospitalier de carcassonne": "CH",
    "carcassonne-agglomeration": "Carcassonne Agglomération",
    "mairies": "Communes",
}
# Bare names of a department's bodies, used only when the perimeter lies in that department
# (the first two digits of its INSEE codes): "préfecture" is the Aude's in an Aude project only.
_DEPARTMENT_VARIANTS = {
    "11": {
        "prefecture": "Préfecture de l'Aude",
        "centre 15": "SAMU 11",
        "samu": "SAMU 11",
        "sas": "SAS 11",
        "sas 11": "SAS 11",
        "maison medicale de garde": "MMG de Carcassonne",
        "mmg": "MMG de Carcassonne",
        "gerontopole": "Gérontopôle de Toulouse",
    },
}

_REFERENCE_ACRONYMS = {acronym for _key, _name, acronym, _aliases in REFERENCE if acronym}


def looks_like(text: str) -> bool:
    """Whether a text has the landmarks of a CPTS health project of this shape."""
    fiches = banners = 0
    for line in text.split("\n"):
        if TOC_ENTRY.search(line):
            continue
        if FICHE_HEADER.match(line):
            fiches += 1
        elif MISSION_BANNER.match(line):
            banners += 1
    return fiches >= 2 and banners >= 1 and re.search(r"\bCPTS\b", text) is not None


def month_year(month: int) -> int:
    """Contract year of a month counted from the ACI signature (months 1–12 -> year 1)."""
    return (month - 1) // 12 + 1


def months_in(text: str) -> tuple[int, int] | None:
    """ "De 6 à 12 mois après…" -> (6, 12); "18 mois maximum…" -> (18, 18)."""
    match = MONTHS.search(text)
    if not match:
        return None
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    return (low, high) if low <= high else (high, low)


def calendar_years(start: tuple[int, int] | None, end: tuple[int, int] | None) -> list[int]:
    """Contract years from the start to the deadline; empty when either is missing or spans
    two years (see the module docstring)."""
    if not start or not end or start[0] < 1 or end[0] < 1:
        return []
    first, first_latest = month_year(start[0]), month_year(start[1])
    last, last_latest = month_year(end[0]), month_year(end[1])
    if first != first_latest or last != last_latest or last < first:
        return []
    return list(range(first, last + 1))


_STOP_WORDS = {"a", "au", "aux", "avec", "chez", "d", "de", "des", "du", "en", "et", "l", "la"}
_STOP_WORDS |= {"le", "les", "pour", "par", "sur", "un", "une"}


def _words(text: str) -> set[str]:
    """Folded content words of a text, for matching labels written slightly differently."""
    return set(re.findall(r"\w+", fold(text))) - _STOP_WORDS


def _match_score(a: str, b: str) -> tuple[float, float]:
    """(containment of the smaller word set, Jaccard) of two texts."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return (0.0, 0.0)
    common = len(wa & wb)
    return (common / min(len(wa), len(wb)), common / len(wa | wb))


def _euros(text: str) -> int | None:
    digits = re.sub(r"\D", "", text)
    return int(digits) if digits else None


def _check(field_name: str, message: str, first: int | None, last: int | None = None) -> dict:
    return {
        "field": field_name,
        "message": message,
        "first_line": first,
        "last_line": last if last is not None else first,
    }


@dataclass
class _Fiche:
    """Working state of one fiche while its lines are read."""

    number: str
    mission: int
    title: str
    first: int
    last: int
    rubrics: dict[str, list[list[int]]] = field(default_factory=dict)
    flags: list[ReviewFlag] = field(default_factory=list)


class CptsParser:
    """Reads one document; `parse()` returns a PlanDraft or raises ParseError."""

    def __init__(self, text: str, document: str):
        self.document = document
        self.lines = [line.rstrip("\r") for line in text.split("\n")]
        self.unplaced: list[UnplacedLine] = []
        self.placed: set[int] = set()
        self.cpts_name = ""
        self.extra: dict = {}
        self.variants: dict[str, str] = {}

    # Line numbers are 1-based everywhere, as an editor shows them.
    def line(self, number: int) -> str:
        return self.lines[number - 1]

    def blank(self, number: int) -> bool:
        return not text_of(self.line(number))

    def skip(self, number: int, reason: str) -> None:
        text = self.line(number).strip()
        if text and number not in self.placed:
            self.placed.add(number)
            self.unplaced.append(UnplacedLine(line=number, text=text, reason=reason))

    def span(self, first: int, last: int) -> Span:
        return Span(self.document, first, last)

    def find(self, pattern: re.Pattern[str], start: int = 1, end: int | None = None) -> int | None:
        end = len(self.lines) if end is None else end
        for n in range(start, end + 1):
            if pattern.match(self.line(n)):
                return n
        return None

    # --- the document as a whole -----------------------------------------------------------

    def parse(self) -> PlanDraft:
        banners = [
            n
            for n in range(1, len(self.lines) + 1)
            if MISSION_BANNER.match(self.line(n)) and not TOC_ENTRY.search(self.line(n))
        ]
        if not banners:
            raise ParseError(
                f"« {self.document} » n'a pas la forme d'un projet de santé de CPTS : aucune "
                "mission (« MISSION 1 … ») n'y a été trouvée."
            )
        parts = {}
        for n in range(1, len(self.lines) + 1):
            match = PART_MARKER.match(self.line(n))
            if match and match.group(1) not in parts:
                parts[match.group(1)] = n
        total = len(self.lines)
        first_banner = banners[0]
        part3 = parts.get("3") if parts.get("3", 0) > first_banner else None
        fiche_end = (part3 - 1) if part3 else total
        part2 = parts.get("2") if parts.get("2", total + 1) < first_banner else None
        part1 = parts.get("1") if parts.get("1", total + 1) < (part2 or first_banner) else None

        extra: dict = {}
        self.extra = extra
        head_end = (part1 or part2 or first_banner) - 1
        plan = self._front_matter(head_end)
        self.resolver = OrganisationResolver(
            glossary={
                k: v for k, v in extra.get("glossary", {}).items() if k not in _REFERENCE_ACRONYMS
            }
        )
        if part1:
            diagnostic_end = (part2 or first_banner) - 1
            self._fiche_list_and_prs(part1, diagnostic_end)
            self._perimeter(plan, part1, diagnostic_end)
            extra["diagnostic"] = self._blocks(part1, diagnostic_end, placed_ok=True)
        if part2:
            extra["missions_introduction"] = self._blocks(part2, first_banner - 1)

        fiches = self._read_missions(plan, banners, fiche_end)
        if not fiches:
            raise ParseError(
                f"« {self.document} » n'a pas la forme d'un projet de santé de CPTS : aucune "
                "fiche action (« Fiche action 1.A - … ») n'y a été trouvée."
            )
        numbers = [f.number for f in fiches]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            raise ParseError(
                f"« {self.document} » contient plusieurs fiches numérotées "
                + ", ".join(duplicates)
                + " : corrigez la numérotation avant l'import."
            )
        if part3:
            self._organisation(plan, part3, total)
        plan.fiches = [self._draft(f) for f in fiches]
        self._link_planning(plan)
        self._link_fiche_list(plan)
        self._link_budget(plan)
        plan.organisations = self.resolver.organisations()
        plan.fiche_part = (first_banner, fiche_end)
        for n in range(1, total + 1):
            if n not in self.placed:
                self.skip(n, "ligne hors des parties reconnues du document")
        plan.unplaced = sorted(self.unplaced, key=lambda u: u.line)
        plan.extra = extra
        return plan

    def _blocks(self, first: int, last: int, placed_ok: bool = False) -> list[dict]:
        """Text blocks of a part, split at its headings; figure captions are listed as unplaced.

        Lines already placed elsewhere are left out, unless `placed_ok` (the diagnostic is kept
        whole as text even where a table of it was also read as data).
        """
        blocks: list[dict] = []
        current: dict | None = None
        for n in range(first, last + 1):
            raw = self.line(n)
            if not raw.strip() or (n in self.placed and not placed_ok):
                continue
            if CAPTION.match(raw):
                self.skip(n, "légende d'une figure absente du texte converti")
                continue
            text = _block_text(raw)
            if not text:
                self.placed.add(n)
                continue
            self.placed.add(n)
            if self._is_heading(n):
                current = {"heading": text, "first_line": n, "last_line": n, "text": []}
                blocks.append(current)
                continue
            if current is None:
                current = {"heading": "", "first_line": n, "last_line": n, "text": []}
                blocks.append(current)
            current["text"].append(text)
            current["last_line"] = n
        for block in blocks:
            block["text"] = "\n".join(block["text"])
        return blocks

    def _is_heading(self, n: int) -> bool:
        raw = self.line(n)
        if HEADING.match(raw) or PART_MARKER.match(raw):
            return True
        text = text_of(raw)
        before = n == 1 or self.blank(n - 1)
        after = n == len(self.lines) or self.blank(n + 1)
        return (
            before
            and after
            and len(text) <= 60
            and "\t" not in raw
            and ":" not in text
            and text[:1].isupper()
            and not text.endswith((".", ",", ";", "!", "?"))
            and not BULLET.match(raw)
            and not re.search(r"\d", text)
        )

    # --- cover, table of contents, annexes, glossary, introduction -------------------------

    def _front_matter(self, last: int) -> PlanDraft:
        extra = self.extra
        toc = self.find(re.compile(r"^\s*Sommaire\s*$"), 1, last)
        annexes = self.find(re.compile(r"^\s*Annexes?\s*$"), 1, last)
        glossary = self.find(re.compile(r"^\s*Glossaire\s*$"), 1, last)
        cover_end = min(n for n in (toc, annexes, glossary, last + 1) if n) - 1

        title_lines: list[int] = []
        identity: list[dict] = []
        pending_label: tuple[int, str] | None = None
        for n in range(1, cover_end + 1):
            raw = self.line(n)
            if not text_of(raw):
                continue
            cells = [c for c in cells_of(raw) if c]
            if len(cells) >= 2:
                identity.append({"label": cells[0], "value": " ".join(cells[1:])})
                self.placed.add(n)
            elif not identity and pending_label is None and len(title_lines) < 2:
                if text_of(raw).lower().startswith("intitul"):
                    pending_label = (n, cells[0])
                else:
                    title_lines.append(n)
                self.placed.add(n)
            elif pending_label is None:
                pending_label = (n, cells[0])
                self.placed.add(n)
            else:
                identity.append({"label": pending_label[1], "value": cells[0]})
                pending_label = None
                self.placed.add(n)
        if pending_label:
            self.placed.discard(pending_label[0])
            self.skip(pending_label[0], "rubrique de la page de garde sans valeur")
        extra["identity"] = identity

        if toc:
            toc_end = min(n for n in (annexes, glossary, last + 1) if n and n > toc) - 1
            for n in range(toc, toc_end + 1):
                self.skip(n, "sommaire")
        if annexes:
            annexes_end = min(n for n in (glossary, last + 1) if n and n > annexes) - 1
            extra["annexes"] = []
            self.placed.add(annexes)
            for n in range(annexes + 1, annexes_end + 1):
                text = text_of(self.line(n))
                if text:
                    extra["annexes"].append(text)
                    self.placed.add(n)
        preamble_start = (glossary or cover_end) + 1
        if glossary:
            entries: dict[str, str] = {}
            self.placed.add(glossary)
            n = glossary + 1
            while n <= last:
                raw = self.line(n)
                match = GLOSSARY_ENTRY.match(text_of(raw))
                if match:
                    entries[match.group(1)] = match.group(2)
                    self.placed.add(n)
                elif text_of(raw):
                    break
                n += 1
            extra["glossary"] = entries
            preamble_start = n
        extra["preamble"] = self._blocks(preamble_start, last)

        title = " – ".join(text_of(self.line(n)) for n in title_lines) or "Projet de santé"
        name = self.cpts_name = self._cpts_name()
        return PlanDraft(
            kind="cpts",
            slug=re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:80],
            title=title,
            document=self.document,
            levels=["Mission"],
            signatories=[name] if name else [],
            territory_name=name,
            territory_level="perimeter",
        )

    def _cpts_name(self) -> str:
        """The CPTS as the document most often names it ("CPTS du Bassin Carcassonnais")."""
        counts: dict[str, int] = {}
        pattern = r"\bCPTS\s+(?:du|de la|des|de l'|d')\s*[A-ZÉÈ][\w'’-]*(?:\s+[A-ZÉÈ][\w'’-]*)*"
        for match in re.findall(pattern, "\n".join(self.lines)):
            counts[squash(match)] = counts.get(squash(match), 0) + 1
        if not counts:
            return ""
        return max(counts, key=lambda k: (counts[k], -len(k)))

    # --- part 1: perimeter, list of fiches, links with the regional health project ----------

    def _table(self, header: int, last: int) -> list[tuple[int, list[str]]]:
        """Rows of a tab-separated table after its header line, until a blank line."""
        rows = []
        for n in range(header + 1, last + 1):
            raw = self.line(n)
            if not raw.strip():
                if rows:
                    break
                continue
            if "\t" not in raw:
                break
            rows.append((n, cells_of(raw)))
        return rows

    def _perimeter(self, plan: PlanDraft, first: int, last: int) -> None:
        header = next(
            (
                n
                for n in range(first, last + 1)
                if "\t" in self.line(n)
                and "commune" in fold(self.line(n))
                and "habitants" in fold(self.line(n))
            ),
            None,
        )
        checks: list[dict] = []
        self.extra["perimeter_check"] = checks
        if header is None:
            return
        columns = [fold(c) for c in cells_of(self.line(header))]
        population = next((i for i, c in enumerate(columns) if "habitant" in c), None)
        code_columns = {
            i: ("insee" if "insee" in c else "postal")
            for i, c in enumerate(columns)
            if "insee" in c or "postal" in c
        }
        communes: list[tuple[int, list[str]]] = []
        stated_total = None
        total_line = None
        for n, cells in self._table(header, last):
            if fold(cells[0]).startswith("total"):
                # From a PDF, empty cells vanish into one gap: the total is then the last cell.
                if population is not None:
                    stated_total = _euros(cells[population if population < len(cells) else -1])
                total_line = n
                break
            if cells[0]:
                communes.append((n, cells))
        insee_column = None
        for index, label in sorted(code_columns.items(), key=lambda kv: kv[1] != "insee"):
            values = [c[index] if index < len(c) else "" for _n, c in communes]
            if all(re.fullmatch(r"\d[\dAB]\d{3}", v) for v in values) and len(set(values)) == len(
                values
            ):
                insee_column = index
                if label == "postal":
                    checks.append(
                        _check(
                            "perimeter",
                            "La colonne « Code Insee » répète des valeurs (des codes postaux) ; "
                            "les codes INSEE sont lus dans la colonne « Code postal », dont les "
                            "valeurs sont uniques : colonnes inversées dans le document, à "
                            "vérifier.",
                            header,
                            communes[-1][0] if communes else header,
                        )
                    )
                break
        if code_columns and insee_column is None:
            checks.append(
                _check(
                    "perimeter",
                    "Aucune colonne de codes uniques à cinq chiffres : codes INSEE non importés.",
                    header,
                )
            )
        for _n, cells in communes:
            pop = cells[population] if population is not None and population < len(cells) else ""
            plan.perimeter.append(
                CommuneDraft(
                    name=cells[0],
                    insee_code=cells[insee_column] if insee_column is not None else "",
                    population=_euros(pop),
                )
            )
        departments = {c.insee_code[:2] for c in plan.perimeter}
        if len(departments) == 1:
            self.variants = _DEPARTMENT_VARIANTS.get(departments.pop(), {})
        computed = sum(c.population or 0 for c in plan.perimeter)
        self.extra["perimeter_total"] = {"stated": stated_total, "computed": computed}
        if stated_total is not None and stated_total != computed:
            checks.append(
                _check(
                    "perimeter",
                    f"La population totale indiquée ({stated_total}) diffère de la somme des "
                    f"communes ({computed}).",
                    total_line,
                )
            )
        # The cover lists the communes too: both lists should agree.
        listed = next(
            (
                item["value"]
                for item in self.extra.get("identity", [])
                if re.search(r"\d+\s+communes", item["value"])
            ),
            None,
        )
        if listed:
            match = re.search(r"(\d+)\s+communes\s+(.+)$", listed)
            names = {fold(n) for n in re.split(r"\s*,\s*", match.group(2)) if n.strip()}
            table = {fold(c.name) for c in plan.perimeter}
            if names != table or int(match.group(1)) != len(plan.perimeter):
                checks.append(
                    _check(
                        "perimeter",
                        "La liste des communes de la page de garde diffère du tableau des "
                        f"communes : {', '.join(sorted(names ^ table)) or 'nombre différent'}.",
                        header,
                    )
                )

    def _fiche_list_and_prs(self, first: int, last: int) -> None:
        """The list of fiches by mission and axis, and the PRS tables linking axes to it."""
        fiche_list: list[dict] = []
        prs_links: list[dict] = []
        for n in range(first, last + 1):
            raw = self.line(n)
            if "\t" not in raw:
                continue
            columns = [fold(c) for c in cells_of(raw)]
            if any("fiche action" in c for c in columns) and any("axes" in c for c in columns):
                mission = ""
                for _row, cells in self._table(n, last):
                    cells = cells + [""] * (3 - len(cells))
                    mission = cells[0] or mission
                    number = re.search(r"(\d)\s*\.?\s*([A-Z])?\s*$", cells[2])
                    fiche_list.append(
                        {
                            "mission": mission,
                            "axis": cells[1],
                            "fiche": ".".join(g for g in number.groups() if g) if number else "",
                        }
                    )
            elif len(columns) == 2 and "prs" in columns[0] and "axes" in columns[1]:
                table = cells_of(raw)[0]
                prs = ""
                for _row, cells in self._table(n, last):
                    cells = cells + [""] * (2 - len(cells))
                    prs = cells[0] or prs
                    prs_links.append({"table": table, "prs": prs, "axis": cells[1], "fiche": ""})
        self.extra["fiche_list"] = fiche_list
        self.extra["prs_links"] = prs_links

    # --- part 2: missions and fiches --------------------------------------------------------

    def _read_missions(self, plan: PlanDraft, banners: list[int], last: int) -> list[_Fiche]:
        fiches: list[_Fiche] = []
        bounds = banners + [last + 1]
        for index, banner in enumerate(banners):
            end = bounds[index + 1] - 1
            match = MISSION_BANNER.match(self.line(banner))
            number = int(match.group(1))
            self.placed.add(banner)
            headers = [n for n in range(banner + 1, end + 1) if FICHE_HEADER.match(self.line(n))]
            for n in range(banner + 1, (headers[0] if headers else end + 1)):
                self.skip(n, "texte entre le titre de la mission et sa première fiche")
            mission_fiches = []
            for h_index, header in enumerate(headers):
                fiche_end = headers[h_index + 1] - 1 if h_index + 1 < len(headers) else end
                mission_fiches.append(self._read_fiche(number, header, fiche_end))
            fiches += mission_fiches
            plan.sections.append(
                SectionDraft(
                    key=f"M{number}",
                    level=0,
                    number=str(number),
                    title=self._mission_title(match.group(2), mission_fiches),
                    parent_key=None,
                    span=self.span(banner, end),
                )
            )
        return fiches

    def _mission_title(self, banner_title: str, fiches: list[_Fiche]) -> str:
        for fiche in fiches:
            for lines in fiche.rubrics.get("mission", []):
                text = " ".join(text_of(self.line(n)) for n in lines).strip()
                match = re.match(r"^Missions?\s+\d+\s*[-–—:]?\s*(\S.*)$", text)
                if match:
                    return match.group(1)
        text = squash(banner_title)
        return text[:1].upper() + text[1:].lower()

    def _read_fiche(self, mission: int, header: int, last: int) -> _Fiche:
        match = FICHE_HEADER.match(self.line(header))
        number = match.group(1) + (f".{match.group(2)}" if match.group(2) else "")
        fiche = _Fiche(
            number=number, mission=mission, title=squash(match.group(3)), first=header, last=last
        )
        self.placed.add(header)
        if int(match.group(1)) != mission:
            fiche.flags.append(
                ReviewFlag(
                    "number",
                    f"La fiche {number} est rangée sous la mission {mission}.",
                    self.span(header, header),
                )
            )
        current: list[int] | None = None
        for n in range(header + 1, last + 1):
            text = text_of(self.line(n))
            if not text:
                continue
            label = self._label(text)
            if label:
                self.placed.add(n)
                current = []
                fiche.rubrics.setdefault(label, []).append(current)
            elif current is None:
                self.skip(n, "ligne avant la première rubrique de la fiche")
            else:
                current.append(n)
        return fiche

    @staticmethod
    def _label(text: str) -> str | None:
        return FICHE_LABELS.match(text)

    # --- from working state to draft --------------------------------------------------------

    def _render(self, lines: list[int]) -> str:
        """List-like lines as text: one item a line, "- " bullets, sub-items indented, a line
        that starts in lower case glued to the previous item (a sentence cut by the layout)."""
        items: list[str] = []
        for n in lines:
            raw = clean(self.line(n))
            text = squash(raw)
            if not text:
                continue
            self.placed.add(n)
            bullet = BULLET.match(raw)
            if bullet:
                nested = bool(bullet.group(1).replace("\t", "  ")) or raw.lstrip()[:1] in "→➤"
                nested = nested or raw.lstrip().startswith("->")
                items.append(("  - " if nested else "- ") + squash(bullet.group(2)))
            elif items and text[:1].islower():
                items[-1] += " " + text
            else:
                items.append(text)
        return "\n".join(items)

    def _plain(self, lines: list[int], sep: str = " ") -> str:
        texts = []
        for n in lines:
            text = text_of(self.line(n))
            if text:
                self.placed.add(n)
                texts.append(text)
        return sep.join(texts)

    def _items(self, lines: list[int]) -> list[str]:
        """Bulleted items, a continuation line (lower case start) glued to its item."""
        items: list[str] = []
        for n in lines:
            raw = clean(self.line(n))
            text = squash(raw)
            if not text:
                continue
            self.placed.add(n)
            bullet = BULLET.match(raw)
            if bullet:
                items.append(squash(bullet.group(2)))
            elif items and text[:1].islower():
                items[-1] += " " + text
            else:
                items.append(text)
        return items

    def _draft(self, fiche: _Fiche) -> FicheDraft:
        rubrics = fiche.rubrics
        flags = list(fiche.flags)
        span = self.span(fiche.first, fiche.last)
        extra: dict[str, str] = {}

        def all_lines(name: str) -> list[int]:
            return [n for block in rubrics.get(name, []) for n in block]

        groups = rubrics.get("working_group", [])
        # Three fiches repeat "Membres du groupe de travail" above what is the list of actors.
        if len(groups) > 1:
            for block in groups[1:]:
                rubrics.setdefault("actors", []).append(block)
                flags.append(
                    ReviewFlag(
                        "extra",
                        "Second intitulé « Membres du groupe de travail » lu comme « Acteurs "
                        "concernés » (liste d'acteurs à puces).",
                        self.span(block[0], block[-1]) if block else span,
                    )
                )
            rubrics["working_group"] = groups[:1]

        if "label" in rubrics:
            extra["label"] = self._plain(all_lines("label"))
        mission_text = self._plain(all_lines("mission"))
        if mission_text:
            extra["mission"] = mission_text
            stated = re.match(r"^Missions?\s+(\d+)", mission_text)
            if stated and int(stated.group(1)) != fiche.mission:
                flags.append(
                    ReviewFlag(
                        "extra",
                        f"La fiche indique « {mission_text} » mais elle est rangée sous la "
                        f"mission {fiche.mission} : numéro de mission à vérifier.",
                        self.span(all_lines("mission")[0], all_lines("mission")[-1]),
                    )
                )
        pilots = self._pilots(all_lines("pilots"))
        if pilots:
            extra["pilots"] = "; ".join(pilots)
        else:
            flags.append(ReviewFlag("pilots", "Aucun pilote (« Nom : … ») lisible.", span))
        if "working_group" in rubrics:
            extra["working_group"] = self._render(all_lines("working_group"))
        if "actors" in rubrics:
            extra["actors"] = self._render(all_lines("actors"))

        roles = []
        cpts = self.resolver.resolve(self.cpts_name) if self.cpts_name else ""
        if cpts:
            roles.append(RoleDraft("pilot", self.cpts_name, cpts))
        seen = {cpts}
        for as_written, key in self._partners(all_lines("working_group"), all_lines("actors")):
            if key not in seen:
                seen.add(key)
                roles.append(RoleDraft("partner", as_written, key))

        actions, action_flags = self._actions(all_lines("actions"), fiche)
        flags += action_flags
        calendar_lines = all_lines("calendar")
        calendar = self._plain(calendar_lines, " ; ")
        if calendar:
            extra["calendar"] = calendar
        action_extra, years = self._calendar(calendar_lines)
        if not years:
            flags.append(
                ReviewFlag(
                    "actions",
                    "Calendrier absent ou ambigu : années du contrat non déduites "
                    f"(« {calendar or '—'} »).",
                    self.span(calendar_lines[0], calendar_lines[-1]) if calendar_lines else span,
                )
            )
        for action in actions:
            action.deadline_years = list(years)
            action.deadline_as_written = calendar[:200]
            action.extra.update(action_extra)

        indicators, unlabelled = self._indicators(all_lines("indicators"))
        if unlabelled:
            flags.append(
                ReviewFlag(
                    "indicators",
                    "Nature non précisée par le document (résultat ou suivi) pour les "
                    f"indicateurs {', '.join(unlabelled)} : lus comme indicateurs de suivi.",
                    self.span(all_lines("indicators")[0], all_lines("indicators")[-1]),
                )
            )
        if "means" in rubrics:
            extra["means"] = self._plain(all_lines("means"), "\n")
        if "budget" in rubrics:
            extra["budget"] = self._plain(all_lines("budget"), "\n")

        objectives = self._items(all_lines("objectives"))
        for name, label in [
            ("strategic", "objectif général"),
            ("objectives", "objectifs opérationnels"),
            ("actions", "actions"),
            ("indicators", "indicateurs"),
        ]:
            if not all_lines(name):
                flags.append(
                    ReviewFlag(
                        "strategic_objective" if name == "strategic" else name,
                        f"Rubrique « {label} » absente ou vide.",
                        span,
                    )
                )
        return FicheDraft(
            number=fiche.number,
            title=fiche.title,
            section_key=f"M{fiche.mission}",
            span=span,
            pilotage_label="pilotage",
            roles=roles,
            context=self._render(all_lines("context")),
            strategic_objective=self._plain(all_lines("strategic")),
            operational_objectives=objectives,
            actions=actions,
            public="; ".join(self._items(all_lines("public"))),
            indicators=indicators,
            extra=extra,
            flags=flags,
        )

    def _pilots(self, lines: list[int]) -> list[str]:
        """ "Nom : Mandonnaud Prénom : Anne Profession : Médecin généraliste" -> "Anne Mandonnaud
        (Médecin généraliste)"; the e-mail and address lines are listed as unplaced."""
        pilots = []
        pattern = re.compile(
            r"Nom\s*:\s*(.+?)\s+Pr[ée]nom\s*:\s*(.+?)\s+Profession\s*:\s*(.+)$", re.IGNORECASE
        )
        for n in lines:
            text = text_of(self.line(n))
            match = pattern.search(text)
            if match:
                self.placed.add(n)
                pilots.append(f"{match.group(2)} {match.group(1)} ({match.group(3)})")
            elif text:
                self.skip(
                    n, "coordonnées du pilote (adresse électronique et postale), non importées"
                )
        return pilots

    def _partners(self, group: list[int], actors: list[int]) -> list[tuple[str, str]]:
        """Organisations named by the working group ("DAC : Brigitte Albert") and the actors
        ("Collectivités locales : Conseil départemental, CLS"), as (as written, key)."""
        found: list[tuple[str, str]] = []
        for n in group:
            text = text_of(self.line(n))
            head = re.split(r"\s*[:;]\s+", text, maxsplit=1)[0]
            key = self._known(head)
            if key and ":" in text:
                found.append((head, key))
        for n in actors:
            text = text_of(self.line(n))
            bullet = BULLET.match(text)
            text = bullet.group(2) if bullet else text
            category, _sep, rest = text.partition(":")
            for candidate in [category, *_split_outside_parens(rest, ",")]:
                for piece in _split_outside_parens(candidate, "/"):
                    found += self._candidates(piece)
        return found

    def _candidates(self, piece: str) -> list[tuple[str, str]]:
        piece = squash(piece).strip(" .:;…")
        piece = re.sub(r"\.{2,}$", "", piece).strip()
        if not piece:
            return []
        key = self._known(piece)
        if key:
            return [(piece, key)]
        inner = re.search(r"\(([^()]*)\)", piece)
        if inner:
            return [
                (squash(p).strip(" .…"), k)
                for p in inner.group(1).split(",")
                if (k := self._known(squash(p).strip(" .…")))
            ]
        return []

    def _known(self, text: str) -> str | None:
        text = squash(text).strip(" .:;")
        if not text:
            return None
        folded = fold(text.replace("’", "'"))
        variant = _ORGANISATION_VARIANTS.get(folded) or self.variants.get(folded) or text
        if self.resolver.known(variant):
            return self.resolver.resolve(variant)
        return None

    def _actions(self, lines: list[int], fiche: _Fiche) -> tuple[list[ActionDraft], list]:
        actions: list[ActionDraft] = []
        details: list[list[int]] = []
        flags: list[ReviewFlag] = []
        for n in lines:
            text = text_of(self.line(n))
            match = ACTION_HEADING.match(text)
            if match:
                self.placed.add(n)
                letter = match.group(1)
                if any(a.letter == letter for a in actions):
                    flags.append(ReviewFlag("actions", f"Deux actions portent le numéro {letter}."))
                actions.append(
                    ActionDraft(
                        letter=letter,
                        text=match.group(2).rstrip(" :"),
                        deadline_years=[],
                        deadline_as_written="",
                        span=self.span(n, n),
                    )
                )
                details.append([])
            elif details:
                details[-1].append(n)
            elif text:
                self.skip(n, "texte avant la première action de la fiche")
        for action, steps in zip(actions, details, strict=True):
            rendered = self._render(steps)
            if rendered:
                action.extra["details"] = rendered
            if steps:
                action.span = self.span(action.span.first_line, max(steps))
        expected = [str(i) for i in range(1, len(actions) + 1)]
        if [a.letter for a in actions] != expected:
            flags.append(
                ReviewFlag(
                    "actions",
                    "Actions numérotées "
                    + ", ".join(a.letter for a in actions)
                    + " : numérotation non continue.",
                )
            )
        return actions, flags

    def _calendar(self, lines: list[int]) -> tuple[dict[str, str], list[int]]:
        start = end = None
        for n in lines:
            text = text_of(self.line(n))
            months = months_in(text)
            if not months:
                continue
            if "demarrage" in fold(text) or (start is None and "deploiement" not in fold(text)):
                start = start or months
            else:
                end = end or months
        extra: dict[str, str] = {}
        calendar = self._plain(lines, " ; ")
        if calendar:
            extra["calendar"] = calendar
        if start:
            extra["start_month"] = str(start[0])
            if start[1] != start[0]:
                extra["start_month_latest"] = str(start[1])
        if end:
            extra["end_month"] = str(end[1])
        return extra, calendar_years(start, end)

    def _indicators(self, lines: list[int]) -> tuple[list[IndicatorDraft], list[str]]:
        items: list[dict] = []
        for n in lines:
            raw = clean(self.line(n))
            text = squash(raw)
            if not text:
                continue
            self.placed.add(n)
            numbered = NUMBERED.match(raw)
            bullet = BULLET.match(raw)
            if numbered:
                items.append({"number": numbered.group(1), "head": numbered.group(2), "subs": []})
                items[-1]["lines"] = [n]
            elif bullet and items:
                items[-1]["subs"].append(squash(bullet.group(2)))
                items[-1]["lines"].append(n)
            elif items and text[:1].islower():
                target = "subs" if items[-1]["subs"] else "head"
                if target == "subs":
                    items[-1]["subs"][-1] += " " + text
                else:
                    items[-1]["head"] += " " + text
                items[-1]["lines"].append(n)
            else:
                items.append(
                    {"number": str(len(items) + 1), "head": text, "subs": [], "lines": [n]}
                )
        indicators, unlabelled = [], []
        for item in items:
            head = squash(item["head"])
            kind_match = INDICATOR_KIND.match(head)
            if kind_match:
                kind = "result" if fold(kind_match.group(1)).startswith("result") else "monitoring"
                head = kind_match.group(2)
            else:
                kind = "monitoring"
                unlabelled.append(item["number"])
            text = head
            if item["subs"]:
                text = head + (" " if head.endswith(":") else " : ") + " ; ".join(item["subs"])
            indicators.append(
                IndicatorDraft(
                    kind=kind,
                    actions=[],
                    text=text,
                    span=self.span(min(item["lines"]), max(item["lines"])),
                )
            )
        return indicators, unlabelled

    # --- part 3: organisation and operation -------------------------------------------------

    def _organisation(self, plan: PlanDraft, first: int, last: int) -> None:
        extra = self.extra
        self._structure(first, last)
        self._board(first, last)
        self._members(first, last)
        self._colleges(first, last)
        self._information_system(first, last)
        self._budget(first, last)
        self._planning(first, last)
        self._signature(plan, first, last)
        extra["organisation"] = self._blocks(first, last)

    def _header_row(self, first: int, last: int, *words: str) -> int | None:
        for n in range(first, last + 1):
            raw = self.line(n)
            if "\t" in raw and all(w in fold(raw) for w in words):
                return n
        return None

    def _structure(self, first: int, last: int) -> None:
        header = self.find(re.compile(r"^\s*Statut juridique\b.*\t"), first, last)
        rows: list[dict] = []
        if header is not None:
            for n in range(header, last + 1):
                raw = self.line(n)
                if "\t" not in raw:
                    break
                cells = [c for c in cells_of(raw) if c]
                rows.append({"label": cells[0], "value": " ".join(cells[1:])})
                self.placed.add(n)
        self.extra["structure"] = rows

    def _board(self, first: int, last: int) -> None:
        header = self._header_row(first, last, "statut", "profession", "nom")
        board = []
        if header is not None:
            self.placed.add(header)
            for n, cells in self._table(header, last):
                cells = cells + [""] * (4 - len(cells))
                board.append(
                    {
                        "status": cells[0],
                        "profession": cells[1],
                        "name": cells[2],
                        "place": cells[3],
                    }
                )
                self.placed.add(n)
        self.extra["board"] = board

    def _members(self, first: int, last: int) -> None:
        header = self._header_row(first, last, "profession", "membres")
        members: list[dict] = []
        checks: list[dict] = []
        self.extra["members"] = members
        self.extra["members_check"] = checks
        if header is None:
            return
        self.placed.add(header)
        columns = [fold(c) for c in cells_of(self.line(header))]

        def column(*words: str) -> int | None:
            return next((i for i, c in enumerate(columns) if all(w in c for w in words)), None)

        count_col = column("membres")
        territory_col = column("territoire")
        pending_col = column("en cours")
        share_col = column("representativite")

        def cell(cells: list[str], index: int | None) -> str:
            return cells[index] if index is not None and index < len(cells) else ""

        def number(text: str) -> int | None:
            return int(text) if re.fullmatch(r"\d+", text.replace(" ", "")) else None

        total_row = None
        for n, cells in self._table(header, last):
            self.placed.add(n)
            row = {
                "profession": cells[0],
                "count": number(cell(cells, count_col)),
                "territory": number(cell(cells, territory_col)),
                "pending": number(cell(cells, pending_col)),
                "representativity_as_written": cell(cells, share_col),
            }
            if fold(cells[0]) == "total":
                total_row = (n, row)
                break
            members.append(row)
        total = sum(r["count"] or 0 for r in members)
        for row in members:
            row["share"] = round((row["count"] or 0) / total, 4) if total else 0.0
            row["coverage"] = (
                round(row["count"] / row["territory"], 4)
                if row["count"] is not None and row["territory"]
                else None
            )
        first_row = header + 1
        summary = {"count": total, "territory": None, "pending": None}
        summary["representativity_as_written"] = ""
        if total_row:
            n, row = total_row
            summary.update(
                territory=row["territory"],
                pending=row["pending"],
                representativity_as_written=row["representativity_as_written"],
            )
            if row["count"] != total:
                checks.append(
                    _check(
                        "members",
                        f"Total des membres indiqué ({row['count']}) différent de la somme des "
                        f"lignes ({total}).",
                        n,
                    )
                )
            territory = sum(r["territory"] or 0 for r in members)
            if row["territory"] is not None and row["territory"] != territory:
                checks.append(
                    _check(
                        "members",
                        f"Total des professionnels du territoire indiqué ({row['territory']}) "
                        f"différent de la somme des lignes ({territory}).",
                        n,
                    )
                )
            stated = _percent(row["representativity_as_written"])
            if stated is not None and row["territory"]:
                members_rate = total / row["territory"]
                if abs(members_rate * 100 - stated) > 1:
                    message = (
                        f"Représentativité totale indiquée ({row['representativity_as_written']}) "
                        f"différente de membres / professionnels du territoire ({total}/"
                        f"{row['territory']} = {members_rate * 100:.1f} %)"
                    )
                    if row["pending"] is not None:
                        with_pending = (total + row["pending"]) / row["territory"] * 100
                        if abs(with_pending - stated) <= 1:
                            message += (
                                " ; elle compte les adhésions en cours "
                                f"(({total} + {row['pending']})/{row['territory']} = "
                                f"{with_pending:.1f} %)"
                            )
                    checks.append(_check("members", message + ".", n))
        for index, row in enumerate(members):
            stated = _percent(row["representativity_as_written"])
            coverage = row["coverage"]
            if stated is not None and coverage is not None and abs(coverage * 100 - stated) > 1:
                checks.append(
                    _check(
                        "members",
                        f"{row['profession']} : représentativité indiquée "
                        f"({row['representativity_as_written']}) différente de "
                        f"{row['count']}/{row['territory']}.",
                        first_row + index,
                    )
                )
        self.extra["members_total"] = summary
        # The text states the number of members too ("l'association compte 85 adhérents").
        for n in range(first, last + 1):
            match = re.search(r"compte\s+(\d+)\s+adh[ée]rents", self.line(n))
            if match and int(match.group(1)) != total:
                checks.append(
                    _check(
                        "members",
                        f"Le texte annonce {match.group(1)} adhérents, le tableau en compte "
                        f"{total}.",
                        n,
                    )
                )

    def _colleges(self, first: int, last: int) -> None:
        colleges = []
        pattern = re.compile(r"^\s*(?:[-•]\s*)?Coll[èe]ge\s*(\d+)\s*:\s*(\S.*?)\s*$")
        for n in range(first, last + 1):
            match = pattern.match(text_of(self.line(n)))
            if not match:
                continue
            self.placed.add(n)
            composition = []
            m = n + 1
            while m <= last and text_of(self.line(m)) and not BULLET.match(self.line(m)):
                composition.append(text_of(self.line(m)))
                self.placed.add(m)
                m += 1
            colleges.append(
                {
                    "number": match.group(1),
                    "name": match.group(2),
                    "composition": " ".join(composition),
                }
            )
        self.extra["governance"] = colleges

    def _information_system(self, first: int, last: int) -> None:
        header = self._header_row(first, last, "besoins", "outil")
        needs: list[dict] = []
        strings: list[str] = []
        if header is not None:
            self.placed.add(header)
            for n, cells in self._table(header, last):
                self.placed.add(n)
                cells = cells + [""] * (4 - len(cells))
                items = [squash(i) for i in re.split(r"(?:^|\s)-(?=\S)", cells[1]) if squash(i)]
                available = cells[2].split()
                to_develop = cells[3].split()
                aligned = len(available) == len(items) and len(to_develop) == len(items)
                for index, item in enumerate(items):
                    row = {
                        "scope": cells[0],
                        "need": item,
                        "available": available[index] if aligned else "",
                        "to_develop": to_develop[index] if aligned else "",
                    }
                    needs.append(row)
                    detail = (
                        f" (outil disponible : {row['available'].lower()} ; à développer : "
                        f"{row['to_develop'].lower()})"
                        if aligned
                        else ""
                    )
                    strings.append(f"{cells[0]} : {item}{detail}")
                if not aligned:
                    strings.append(f"{cells[0]} : colonnes Oui/Non « {cells[2]} » / « {cells[3]} »")
        self.extra["information_system"] = strings
        self.extra["information_system_needs"] = needs

    def _budget(self, first: int, last: int) -> None:
        """The budget by mission: a table of expenses, then resources as label/amount lines."""
        titles = [
            n
            for n in range(first, last + 1)
            if re.match(r"^\s*Budget global\b", self.line(n), re.IGNORECASE)
        ]
        rows: list[dict] = []
        checks: list[dict] = []
        totals: dict = {"expenses": None, "resources": None, "note": ""}
        self.extra.update(budget=rows, budget_total=totals, budget_check=checks)
        if not titles:
            return
        end = next(
            (n for n in range(titles[-1], last + 1) if re.match(r"^\s*\d\s*[-–]\s", self.line(n))),
            last + 1,
        )
        mode = None
        by_label: dict[str, dict] = {}
        previous: dict | None = None
        lines_of: dict[str, list[int]] = {}
        for n in range(titles[0], end):
            raw = self.line(n)
            text = text_of(raw)
            if not text:
                previous = None
                continue
            folded = fold(text)
            if re.match(r"^budget global\b", folded):
                self.placed.add(n)
                continue
            if folded in ("depenses", "ressources"):
                mode = "expenses" if folded == "depenses" else "resources"
                self.placed.add(n)
                continue
            if folded.startswith("point de vigilance"):
                totals["note"] = text
                self.placed.add(n)
                continue
            if mode is None:
                continue
            cells = [c for c in cells_of(raw) if c]
            label_raw = raw.split("\t")[0] if "\t" in raw else raw
            detail_match = re.search(r"<i>(.*?)</i>", label_raw)
            amount = AMOUNT.match(cells[-1] if len(cells) > 1 else text)
            if len(cells) > 1 and amount and not amount.group(1):
                label = squash(clean(_TAG.sub(" ", re.sub(r"<i>.*?</i>", "", label_raw))))
                value = _euros(amount.group(2))
            elif amount and amount.group(1):
                label, value = squash(amount.group(1)), _euros(amount.group(2))
            else:
                # The line under a resources row repeats the italic detail of the expenses table.
                if previous is not None:
                    if not previous["detail"]:
                        previous["detail"] = text
                    elif fold(previous["detail"]) != folded:
                        previous["detail"] += " ; " + text
                    self.placed.add(n)
                continue
            self.placed.add(n)
            if fold(label).startswith("total"):
                totals[mode] = value
                lines_of.setdefault(f"total-{mode}", []).append(n)
                previous = None
                continue
            key = fold(label)
            row = by_label.get(key)
            if row is None:
                mission = re.match(r"^Mission\s+(\d+)\s*([A-Z])?\b", label)
                row = {
                    "mission": mission.group(1) if mission else None,
                    "fiche": f"{mission.group(1)}.{mission.group(2)}"
                    if mission and mission.group(2)
                    else None,
                    "label": label,
                    "detail": squash(clean(detail_match.group(1))) if detail_match else "",
                    "expenses": None,
                    "resources": None,
                }
                by_label[key] = row
                rows.append(row)
            row[mode] = value
            lines_of.setdefault(key, []).append(n)
            previous = row
        for key, row in by_label.items():
            lines = lines_of.get(key, [None])
            if row["expenses"] != row["resources"]:
                checks.append(
                    _check(
                        "budget",
                        f"« {row['label']} » : dépenses ({row['expenses']}) ≠ ressources "
                        f"({row['resources']}).",
                        min(lines),
                        max(lines),
                    )
                )
        for mode, label in (("expenses", "dépenses"), ("resources", "ressources")):
            computed = sum(r[mode] or 0 for r in rows)
            lines = lines_of.get(f"total-{mode}", [titles[0]])
            if totals[mode] is None:
                checks.append(_check("budget", f"Total des {label} non indiqué.", titles[0]))
            elif totals[mode] != computed:
                checks.append(
                    _check(
                        "budget",
                        f"Total des {label} indiqué ({totals[mode]} €) différent de la somme des "
                        f"lignes ({computed} €).",
                        lines[0],
                    )
                )
        if totals["expenses"] is not None and totals["expenses"] != totals["resources"]:
            checks.append(
                _check(
                    "budget",
                    f"Budget non équilibré : dépenses {totals['expenses']} € ≠ ressources "
                    f"{totals['resources']} €.",
                    titles[0],
                    end - 1,
                )
            )

    def _planning(self, first: int, last: int) -> None:
        header = self._header_row(first, last, "intitule de l", "realisation")
        rows: list[dict] = []
        self.extra["planning"] = rows
        if header is None:
            return
        self.placed.add(header)
        mission = ""
        for n, cells in self._table(header, last):
            self.placed.add(n)
            if any("date de" in fold(c) for c in cells):
                continue
            cells = cells + [""] * (4 - len(cells))
            mission = cells[0] or mission
            rows.append(
                {
                    "mission": mission,
                    "action": cells[1],
                    "start": cells[2],
                    "end": cells[3],
                    "fiche": "",
                    "line": n,
                }
            )

    def _signature(self, plan: PlanDraft, first: int, last: int) -> None:
        start = self.find(re.compile(r"^\s*Signature du\b", re.IGNORECASE), first, last)
        if start is None:
            return
        signature: dict = {
            "label": text_of(self.line(start)),
            "representative": "",
            "date": "",
            "first_line": start,
        }
        self.placed.add(start)
        n = start + 1
        image_expected = False
        while n <= last:
            text = text_of(self.line(n))
            if not text:
                n += 1
                continue
            folded = fold(text)
            if folded.startswith("nom et prenom"):
                self.placed.add(n)
                value = text.split(":", 1)[1].strip() if ":" in text else ""
                if not value:
                    m = n + 1
                    while m <= last and not text_of(self.line(m)):
                        m += 1
                    if m <= last:
                        value = text_of(self.line(m))
                        self.placed.add(m)
                        n = m
                signature["representative"] = value
            elif folded.startswith("date de la signature"):
                self.placed.add(n)
                signature["date"] = text.split(":", 1)[1].strip() if ":" in text else ""
                match = SIGNATURE_DATE.search(text)
                if match:
                    day, month, year = (int(g) for g in match.groups())
                    with contextlib.suppress(ValueError):
                        plan.signature_date = date(year, month, day)
            elif folded.startswith("signature"):
                self.placed.add(n)
                image_expected = True
            elif image_expected:
                self.skip(n, "description d'une image (signature manuscrite)")
                image_expected = False
                signature["last_line"] = n
                break
            else:
                break
            signature["last_line"] = n
            n += 1
        self.extra["signature"] = signature

    # --- cross-references ------------------------------------------------------------------

    def _link_planning(self, plan: PlanDraft) -> None:
        """Match each row of the planning table to a fiche and compare their calendars."""
        rows = self.extra.get("planning", [])
        taken: set[str] = set()
        for row in rows:
            best = None
            for fiche in plan.fiches:
                if fiche.number in taken:
                    continue
                texts = [fiche.title, fiche.extra.get("label", ""), fiche.strategic_objective]
                score = max(_match_score(row["action"], t) for t in texts)
                if best is None or score > best[0]:
                    best = (score, fiche)
            if best is None or best[0][0] < 0.6:
                continue
            fiche = best[1]
            taken.add(fiche.number)
            row["fiche"] = fiche.number
            if not fiche.actions:
                continue
            extra = fiche.actions[0].extra
            start, end = months_in(row["start"]), months_in(row["end"])
            fiche_start = (
                (
                    int(extra["start_month"]),
                    int(extra.get("start_month_latest", extra["start_month"])),
                )
                if "start_month" in extra
                else None
            )
            fiche_end = (int(extra["end_month"]),) * 2 if "end_month" in extra else None
            if start != fiche_start or end != fiche_end:
                fiche.flags.append(
                    ReviewFlag(
                        "actions",
                        f"Calendrier de la fiche (« {fiche.extra.get('calendar', '')} ») différent "
                        f"de la planification du projet (« {row['start']} » – « {row['end']} »).",
                        self.span(row["line"], row["line"]),
                    )
                )

    def _link_budget(self, plan: PlanDraft) -> None:
        """A budget row of a mission that has a single fiche is that fiche's budget."""
        for row in self.extra.get("budget", []):
            if row["mission"] and not row["fiche"]:
                fiches = [f.number for f in plan.fiches if f.section_key == f"M{row['mission']}"]
                if len(fiches) == 1:
                    row["fiche"] = fiches[0]

    def _link_fiche_list(self, plan: PlanDraft) -> None:
        """Each fiche's axis from the list of fiches; PRS pathways linked through the axis."""
        by_number = {f.number: f for f in plan.fiches}
        axes: dict[str, str] = {}
        for row in self.extra.get("fiche_list", []):
            fiche = by_number.get(row["fiche"])
            if fiche and row["axis"]:
                fiche.extra["axis"] = row["axis"]
                axes[fiche.number] = re.sub(r"^Axe\s*\d+\s*:\s*", "", row["axis"])
        for link in self.extra.get("prs_links", []):
            scored = [(_match_score(link["axis"], axis), number) for number, axis in axes.items()]
            if not scored:
                continue
            score, number = max(scored)
            if score[0] < 0.8:
                continue
            link["fiche"] = number
            programme = f"PRS Occitanie – {link['prs']}"
            fiche = by_number[number]
            if programme not in fiche.programmes:
                fiche.programmes.append(programme)


def _percent(text: str) -> float | None:
    match = re.match(r"^\s*(\d+(?:[.,]\d+)?)\s*%\s*$", text or "")
    return float(match.group(1).replace(",", ".")) if match else None


# Inside a line, a gap of two spaces or more between words: a table's column gap once a PDF is
# turned back into text (PDFs have no tab characters, only room between columns).
_COLUMN_GAP = re.compile(r"(?<=\S) {2,}(?=\S)")


def parse(text: str, document: str) -> PlanDraft:
    if "\t" not in text:
        # The source text separates table cells with tabs and never puts two spaces between
        # words elsewhere: a text without any tab comes from a PDF, whose gaps are the cells.
        text = "\n".join(_cells_from_gaps(line) for line in text.split("\n"))
    return CptsParser(text, document).parse()


def _cells_from_gaps(line: str) -> str:
    row = _COLUMN_GAP.sub("\t", line)
    if row != line and re.match(r" {2,}\S", row):
        # A table row indented: its first cell is empty (a mission spanning several rows).
        row = "\t" + row.lstrip(" ")
    return row
