"""Parser of the Terres des Confluences CLS (OCR'd scans): axes, operational objectives, actions.

The document is a scan read by OCR, page after page of tables:

- an axis banner ("Axe d'intervention 1", "Axe stratégique 2") repeated on each objective page;
- an operational objective ("Objectif opérationnel 1.1") and, on axis 1, its "Contexte
  d'intervention", shared by every action of the objective;
- one or more actions ("Action 1.1.1"), each a fiche: description, a two-column table of
  pilots and partners whose columns the OCR interleaved, public, facilitating elements,
  obstacles, calendar, process and result indicators, available funding.

Where things go in the draft:

- sections: level 0 "Axe" (key "AX1"), level 1 "Objectif opérationnel" (key "OO1.1");
- fiches: one per action, numbered "1.1.1"; `FicheDraft.context` holds the context (on axis 1
  the objective's context, copied to each of its actions); the description of the action goes to
  `extra["description"]`, since the context is what the other formats call context;
- numbered steps of a description ("Etape 1 : …", "1/ …") become actions "1", "2"…; their
  deadline is the calendar's "Etape 1/2023" when it gives one, kept as written: the document
  states no signature year, so calendar years are not turned into contract years;
- the other fields of a fiche go to `extra` under the stable codes of `EXTRA_LABELS`.

Labels come mangled ("Filotes de [action", "Fublic visé", "Indicatenr(s)") and are matched with
regular expressions that allow the OCR's confusions. Text goes through `fix_ocr`, which repairs
only substitutions that cannot mean anything else ("I'action", " & " for "à", "étre").
The pilot and partner columns are read back from the interleaved lines with layout clues; where the
split between pilots, partners and public is a guess, the fiche carries a ReviewFlag on that field.
Every non-blank line is either placed in a field, a label, or listed in `PlanDraft.unplaced`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pilotis.core.text import fold, join_lines, squash, word_set
from pilotis.importers.organisations import OrganisationResolver, split_pilots
from pilotis.plans.draft import EXTRA_LABELS as EXTRA_LABELS  # codes of `extra`, re-exported
from pilotis.plans.draft import (
    ActionDraft,
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

LEVELS = ["Axe", "Objectif opérationnel"]

# --- OCR repairs --------------------------------------------------------------------------------

# Words the OCR produced that are no French word, with the only word they can stand for.
_WORD_FIXES = {
    "étre": "être",
    "méme": "même",
    "intérét": "intérêt",
    "frangaise": "française",
    "ceuvre": "œuvre",
    "déja": "déjà",
    "rdle": "rôle",
    "réle": "rôle",
    "Pdle": "Pôle",
    "colits": "coûts",
    "ldentification": "Identification",
    "spécifiqguement": "spécifiquement",
    "Mangque": "Manque",
    "problématicques": "problématiques",
    "numeérigque": "numérique",
    "santeé": "santé",
    "sante": "santé",
    "dgées": "âgées",
    "agées": "âgées",
    "Mobhilité": "Mobilité",
    "Sacial": "Social",
    "territaire": "territoire",
    "anneées": "années",
    "hétérogeéne": "hétérogène",
    "recus": "reçus",
    "accés": "accès",
    "auprés": "auprès",
    "aupres": "auprès",
    "progres": "progrès",
    "malgre": "malgré",
    "concrétes": "concrètes",
    "atravers": "à travers",
    "Ia": "la",
    "CcC": "CC",
    "CcD": "CD",
    "oTI": "OTI",
}
_WORD_FIX = re.compile(
    r"(?<![\w&])("
    + "|".join(re.escape(w) for w in sorted(_WORD_FIXES, key=len, reverse=True))
    + r")(?!\w)"
)
_OCR_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"([’'])['’]"), r"\1"),  # "d’'une"
    (re.compile(r"(?<![\w'’])[I|](?=['’][^\W\d_])"), "l"),  # "I'action", "|'action", "I'OTI"
    (re.compile(r"(?<!\S)['’](?=[aeiouyhéèêàâîôû]\w)"), r"l\g<0>"),  # "de 'urbanisme"
    (re.compile(r"(?<!\S)\|l(?!\S)"), "Il"),  # "|l s’agit"
    (re.compile(r"(?<!\S)\|a(?!\S)"), "la"),  # "de |a commission"
    (re.compile(r"(?<!\S)&tre\b"), "être"),
    (re.compile(r"iére(s?)\b"), r"ière\1"),  # "premiére", "matiére": é never comes there
    (re.compile(r"iérement\b"), "ièrement"),
    (re.compile(r"iéme\b"), "ième"),
    (re.compile(r"(?<=\w) & (?=\w)"), " à "),  # "vocation & transformer"
    # "interne 3 la CC", "mettre 3 mal": a 3 or 4 before an article or an infinitive is an "à";
    # before a plural noun ("3 sessions", "3 & 4 fois") it is a number and stays.
    (
        _A_FOR_DIGIT := re.compile(
            r"(?<=[^\W\d_]|,) [34] (?=(?:la|le|les|un|une|mal|même|mobiliser)\b|l['’])"
        ),
        " à ",
    ),
]


def fix_ocr(line: str) -> str:
    """Repair the OCR substitutions of one line that have a single possible reading."""
    for pattern, replacement in _OCR_RULES[:6]:
        line = pattern.sub(replacement, line)
    line = _WORD_FIX.sub(lambda m: _WORD_FIXES[m.group(1)], line)
    for pattern, replacement in _OCR_RULES[6:]:
        line = pattern.sub(replacement, line)
    return line


# --- Labels, as the OCR spells them -------------------------------------------------------------

AXIS = re.compile(r"^\s*Axe\b\s*(.*)$")
AXIS_NUMBER = re.compile(r"^\s*(?:d.intervention|strat[ée]gique)\s+(\d+)\b\s*(.*)$", re.I)
OBJECTIVE = re.compile(r"^\s*Objectif\b\s*(.*)$")
OBJECTIVE_TAIL = re.compile(r"^\s*op[ée]rationnel\b\s*(.*)$", re.I)
OBJECTIVE_NUMBER = re.compile(r"^\s*(\d+)\.(\d+)\s*$")
CONTEXT = re.compile(r"^\s*Contexte\b\s*(.*)$")
CONTEXT_TAIL = re.compile(r"^\s*d.intervention\b\s*\|?\s*(.*)$")
ACTION = re.compile(r"^\s*action\s+(\d+)\.(\d+)\.(\d+)\b\s*(.*)$", re.I)
DESCRIPTION = re.compile(r"^\s*Description\s+de\b\s*(.*)$")
DESCRIPTION_TAIL = re.compile(r"^\s*l['’]\s?action\b\s*(.*)$")
# "Pilotes de l'action / Partenaire(s) à mobiliser/Associés": "Filotes", "Pilates", "Flilates"…
ROLES = re.compile(r"^\s*[PF][il1]{1,3}[oa]tes\s+de\b")
# "Public visé": "Fublic", "FPublic", "Pubilic", "Bublic".
PUBLIC = re.compile(r"^\s*[A-Za-z]{0,2}ub[a-z]{0,2}lic\s+vis[ée]\b\s*(.*)$")
FACILITATORS = re.compile(r"^\s*[EÉ]l[ée]ments\b\s*(.*)$")
FACILITATORS_TAIL = re.compile(r"^\s*fa\w{0,2}ilitateurs\b\s*(.*)$")  # "fagilitateurs"
OBSTACLES = re.compile(r"^\s*Freins_?(?:\s+|$)(.*)$")
CALENDAR = re.compile(r"^\s*Calendrier\b\s*(.*)$")
MODALITIES = re.compile(r"^\s*M\w?odalit[ée]s\s+de\s+suivi\b\s*(.*)$")  # "Muodalités"
# "Indicateur(s)", "Indicatenr(s)", "Indigatenr(s)" de processus / de résultats ("résuftats").
INDICATORS = re.compile(r"^\s*Ind[il1][cg]at[eo][un]r\s*\(s\)\s*de\s+(\w+)\s*(.*)$")
FUNDING = re.compile(r"^\s*Financements\b\s*(.*)$")
# "Financements mohilisables J …", "mobhilisahles | …": the label, then the "|" of the table.
FUNDING_LABEL = re.compile(r"^\s*(?:Financements\s+)?mo\w*les\b\s*(?:[|J](?=\s|$))?\s*(.*)$")
STEP = re.compile(r"^\s*(?:[EÉ]tape\s+(\d+)\s*:|(\d+)\s*/)\s+(\S.*)$")
CALENDAR_STEP = re.compile(r"[EÉ]tape\s+(\d+)\s*/\s*([^,;]+)")
COPORTAGE = re.compile(r"^\s*co-?\s*(?:portage|pilotage)\b\s*", re.I)

# Order of the blocks of a fiche; a label that does not move forward is text ("Calendrier
# renouvelé chaque année" inside the calendar).
_RANKS = {
    "context": 1,
    "description": 2,
    "roles": 3,
    "facilitators": 4,
    "obstacles": 5,
    "calendar": 6,
    "modalities": 7,
    "indicators": 8,
    "funding": 9,
}
_FIELD_PATTERNS = [
    ("context", CONTEXT),
    ("description", DESCRIPTION),
    ("roles", ROLES),
    ("facilitators", FACILITATORS),
    ("obstacles", OBSTACLES),
    ("calendar", CALENDAR),
    ("modalities", MODALITIES),
    ("indicators", INDICATORS),
    ("funding", FUNDING),
]

# Words after which a wrapped line goes on: a line ending with one of them is cut mid-phrase.
PARTICLES = {
    *("de", "des", "du", "d", "la", "le", "les", "l", "et", "à", "a", "au", "aux", "en"),
    *("un", "une", "pour", "sur", "avec", "par", "dans", "ou", "qui", "que"),
}
# A cell of the pilot/partner table wrapped when its line is this long: the columns are narrow.
CELL_WRAP = 36
# Longer than this, a cell of the pilot/partner table is prose, not organisations.
MAX_MENTION = 250
# A body line shorter than this ends its paragraph (body text runs about 100 characters wide).
SHORT_LINE = 75

# Organisations of Tarn-et-Garonne under acronyms the reference table gives to other
# departments' bodies: the names this plan's organisations take.
GLOSSARY = {
    "CD": "Conseil départemental de Tarn-et-Garonne",
    "CPAM": "Caisse primaire d'assurance maladie de Tarn-et-Garonne",
    "CPTS": "CPTS Quercy Garonne",  # the only CPTS the document names (action 1.5.1)
    "GHT": "Groupement hospitalier de territoire",
    "OTI": "Office de tourisme intercommunal",
    "CPIE": "Centre permanent d'initiatives pour l'environnement",
}
# Spellings of this document read as another spelling of the reference table: bare forms that
# mean a Tarn-et-Garonne body here but could mean another elsewhere.
LOCAL_SPELLINGS = {
    "ddars": "DDARS 82",
    "chic": "CHIC Castelsarrasin-Moissac",
    "ordre des medecins": "Conseil de l'Ordre des médecins",
    "les elus": "Elus",
}


_GOES_ON_BESIDE_PUBLIC = "phrase poursuivie à côté du public"


def looks_like(text: str) -> bool:
    """Whether a text has the landmarks of a Terres des Confluences-like CLS."""
    actions = re.findall(r"(?im)^\s*action\s+\d+\.\d+\.\d+\b", text)
    funding = re.search(r"(?im)^\s*(?:financements\s+)?financements\s+mo\w*les\b", text)
    objective = re.search(r"(?im)^\s*op[ée]rationnel\b", text)
    return len(actions) >= 2 and funding is not None and objective is not None


# --- Working state ------------------------------------------------------------------------------


@dataclass
class _Block:
    kind: str
    first: int
    parts: list[tuple[int, str]] = field(default_factory=list)  # (line, text without label)
    kind_detail: str = ""  # indicator kind

    @property
    def last(self) -> int:
        return max([self.first, *(n for n, _ in self.parts)])


@dataclass
class _Cell:
    """One cell of the pilot / partner / public table, as far as the layout tells."""

    column: str  # "pilot" | "partner" | "public" | "unknown"
    parts: list[tuple[int, str]]
    origin: str = ""  # how the column was chosen when it is a guess
    coportage: bool = False
    beside_public: bool = False  # read in the rows of the public, where both columns go on

    @property
    def text(self) -> str:
        return join_lines([p for _, p in self.parts])

    @property
    def last_part(self) -> str:
        return self.parts[-1][1]

    @property
    def last_line(self) -> int:
        return self.parts[-1][0]


@dataclass
class _Fiche:
    number: str
    objective: str
    first: int
    title: list[tuple[int, str]] = field(default_factory=list)
    blocks: dict[str, _Block] = field(default_factory=dict)
    indicators: list[_Block] = field(default_factory=list)
    cells: list[_Cell] = field(default_factory=list)
    last: int = 0
    title_flags: list[str] = field(default_factory=list)


@dataclass
class _Objective:
    number: str
    axis: str
    block: _Block  # its parts: the lines of the title
    span: Span | None = None
    context: _Block | None = None
    number_note: str = ""  # why the number is not the one printed on the objective's page


class ConfluencesParser:
    """Reads one document; `parse()` returns a PlanDraft or raises ParseError."""

    def __init__(self, text: str, document: str):
        self.document = document
        self.lines = [fix_ocr(line) for line in text.split("\n")]
        self.unplaced: list[UnplacedLine] = []
        self.words = word_set("\n".join(self.lines))
        self._met: set[str] = set()  # organisation mentions met, as written

    def line(self, number: int) -> str:
        return self.lines[number - 1]

    def skip(self, number: int, reason: str) -> None:
        text = self.line(number).strip()
        if text:
            self.unplaced.append(UnplacedLine(line=number, text=text, reason=reason))

    def join(self, parts: list[str]) -> str:
        # A "3" for "à" at the end of a line is seen once the lines are joined.
        return _A_FOR_DIGIT.sub(" à ", join_lines(parts, self.words))

    # --- the document as a whole -------------------------------------------------------------

    def parse(self) -> PlanDraft:
        blocks = self._blocks()
        if not any(b.kind == "action" for b in blocks):
            raise ParseError(
                f"« {self.document} » n'a pas la forme d'un contrat local de santé en axes et "
                "actions : aucune action numérotée (« Action 1.1.1 ») n'y a été trouvée."
            )
        axes, objectives, fiches = self._structure(blocks)
        numbers = [f.number for f in fiches]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            raise ParseError(
                f"« {self.document} » contient plusieurs actions numérotées "
                + ", ".join(duplicates)
                + " : corrigez la numérotation avant l'import."
            )
        self.resolver = OrganisationResolver(glossary=dict(GLOSSARY))
        carrier = self._carrier(fiches)
        known_publics = self._known_publics(fiches)
        for fiche in fiches:
            roles = fiche.blocks.get("roles")
            fiche.cells = self._read_table(roles.parts, carrier, known_publics) if roles else []
        # Pilots read from the layout itself (not from a co-portage list), by folded text.
        strong_pilots = {
            fold(item)
            for fiche in fiches
            for cell in fiche.cells
            if cell.column == "pilot" and not cell.coportage
            for item in split_pilots(cell.text, self.resolver)
        }

        title, territory = _title(self.lines, carrier)
        plan = PlanDraft(
            kind="cls",
            slug=re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:80],
            title=title,
            document=self.document,
            levels=list(LEVELS),
            territory_name=territory,
            territory_level="epci",
        )
        plan.sections = axes + [
            SectionDraft(
                key=f"OO{o.number}",
                level=1,
                number=o.number,
                title=self._objective_title(o),
                parent_key=f"AX{o.axis}",
                span=o.span,
            )
            for o in objectives.values()
        ]
        for number in sorted({o.axis for o in objectives.values()} - {a.number for a in axes}):
            # An axis whose banner the scan lost: named by its number only.
            plan.sections.append(
                SectionDraft(
                    key=f"AX{number}",
                    level=0,
                    number=number,
                    title=f"Axe {number}",
                    parent_key=None,
                )
            )
        plan.sections.sort(key=lambda s: (s.level, [int(p) for p in s.number.split(".")]))
        plan.fiches = [self._draft(f, objectives[f.objective], strong_pilots) for f in fiches]
        plan.organisations = self.resolver.organisations()
        first = min(b.first for b in blocks)
        plan.fiche_part = (first, max(f.last for f in fiches))
        for n in range(1, first):
            self.skip(n, "texte avant le premier axe")
        plan.unplaced = sorted(self.unplaced, key=lambda u: u.line)
        return plan

    def _blocks(self) -> list[_Block]:
        """Cut the document at its labels; each block keeps its lines without the label."""
        blocks: list[_Block] = []
        current: _Block | None = None
        rank = 0
        for n, line in enumerate(self.lines, start=1):
            if not line.strip():
                continue
            kind, rest, detail = self._label(line, current, rank)
            if kind is None:
                if current is None:
                    continue  # reported as before the first axis
                current.parts.append((n, line))
                continue
            current = _Block(kind=kind, first=n, kind_detail=detail)
            if rest.strip():
                current.parts.append((n, rest))
            blocks.append(current)
            rank = 0 if kind in ("axis", "objective", "action") else _RANKS[kind]
        return blocks

    def _label(self, line: str, current: _Block | None, rank: int) -> tuple[str | None, str, str]:
        """The block a line opens, with the text after its label; (None, …) for a text line."""
        if m := ACTION.match(line):
            return "action", m.group(4), ""
        if m := AXIS.match(line):
            return "axis", m.group(1), ""
        if m := OBJECTIVE.match(line):
            return "objective", m.group(1), ""
        if current is None:
            return None, "", ""
        if (m := MODALITIES.match(line)) and rank < _RANKS["modalities"]:
            # "Modalités de suivi Indicateur(s) de processus" on one line opens the indicators.
            if INDICATORS.match(m.group(1)):
                line = m.group(1)
            else:
                return "modalities", m.group(1), ""
        if m := INDICATORS.match(line):
            kind = "monitoring" if fold(m.group(1)).startswith("proc") else "result"
            switch = current.kind == "indicators" and current.kind_detail != kind
            if rank < _RANKS["indicators"] or switch:
                return "indicators", m.group(2), kind
            return None, "", ""
        if (m := CONTEXT.match(line)) and current.kind in ("objective", "action"):
            return "context", m.group(1), ""
        for kind, pattern in _FIELD_PATTERNS:
            if kind in ("context", "modalities", "indicators"):
                continue
            if (m := pattern.match(line)) and rank < _RANKS[kind]:
                return kind, m.group(1) if m.groups() else "", ""
        return None, "", ""

    # --- axes, objectives, fiches ----------------------------------------------------------

    def _structure(
        self, blocks: list[_Block]
    ) -> tuple[list[SectionDraft], dict[str, _Objective], list[_Fiche]]:
        axes: dict[str, SectionDraft] = {}
        objectives: dict[str, _Objective] = {}
        fiches: list[_Fiche] = []
        objective: _Objective | None = None
        # An objective's page is read once its first action tells the number it should carry.
        pending: _Block | None = None
        pending_context: _Block | None = None
        fiche: _Fiche | None = None
        for block in blocks:
            if block.kind == "axis":
                self._axis(block, axes)
                fiche = None
            elif block.kind == "objective":
                pending, pending_context = block, None
                objective = fiche = None
            elif block.kind == "action":
                m = ACTION.match(self.line(block.first))
                number = ".".join(m.group(i) for i in (1, 2, 3))
                objective_number = f"{m.group(1)}.{m.group(2)}"
                if pending is not None:
                    objective = self._objective(pending, pending_context, objective_number)
                    objectives[objective.number] = objective
                    pending = pending_context = None
                if objective is None or objective.number != objective_number:
                    # An action without its objective page hangs under its number's objective.
                    objective = objectives.setdefault(
                        objective_number,
                        _Objective(
                            number=objective_number,
                            axis=m.group(1),
                            block=_Block("objective", block.first),
                            number_note=f"Objectif opérationnel {objective_number} sans sa page "
                            f"d'objectif : déduit du numéro de l'action {number}.",
                        ),
                    )
                fiche = _Fiche(number=number, objective=objective.number, first=block.first)
                self._action_title(block, fiche)
                fiches.append(fiche)
            elif block.kind == "context" and fiche is None and pending is not None:
                pending_context = block
            elif fiche is None:
                for n, _ in block.parts:
                    self.skip(n, "texte hors de toute action")
            elif block.kind == "indicators":
                fiche.indicators.append(block)
            else:
                fiche.blocks[block.kind] = block
            if fiche is not None:
                fiche.last = max(fiche.last, block.last)
        return list(axes.values()), objectives, fiches

    def _axis(self, block: _Block, axes: dict[str, SectionDraft]) -> None:
        number = None
        title: list[str] = []
        for n, text in block.parts:
            m = AXIS_NUMBER.match(text)
            if m and number is None:
                number = m.group(1)
                if m.group(2).strip():
                    title.append(m.group(2))
            elif not re.search(r"[^\W\d_]", text):
                self.skip(n, "bruit de numérisation (caractères isolés)")
            else:
                title.append(text)
        if number is None:
            for n, _ in block.parts:
                self.skip(n, "bandeau d'axe sans numéro")
            return
        text = self.join(title)
        if number not in axes:
            axes[number] = SectionDraft(
                key=f"AX{number}",
                level=0,
                number=number,
                title=text,
                parent_key=None,
                span=Span(self.document, block.first, block.last),
            )
        elif fold(text) != fold(axes[number].title):
            for n, _ in block.parts:
                self.skip(n, f"bandeau de l'axe {number} répété avec un autre intitulé")

    def _objective(self, block: _Block, context: _Block | None, action_number: str) -> _Objective:
        number = None
        title: list[tuple[int, str]] = []
        noise: list[int] = []
        for n, text in block.parts:
            m = OBJECTIVE_NUMBER.match(text)
            tail = OBJECTIVE_TAIL.match(text)
            if m and number is None:
                number = f"{m.group(1)}.{m.group(2)}"
            elif tail:
                if tail.group(1).strip():
                    title.append((n, tail.group(1)))
            elif len(text.strip()) <= 3 or not re.search(r"[^\W\d_]", text):
                noise.append(n)
            else:
                title.append((n, text))
        # The action's number says which objective it belongs to; it wins over the page's.
        note = ""
        if number is None:
            note = f"Numéro de l'objectif opérationnel illisible : {action_number} déduit du "
            note += "numéro de son action."
            reason = f"numéro d'objectif illisible ({action_number} déduit de l'action)"
        else:
            reason = "bruit de numérisation (caractères isolés)"
            if number != action_number:
                note = f"Objectif opérationnel numéroté « {number} » sur sa page, {action_number} "
                note += "d'après le numéro de son action."
        for n in noise:
            self.skip(n, reason)
        span = Span(self.document, block.first, block.last)
        block.parts = title
        return _Objective(
            number=action_number,
            axis=action_number.split(".")[0],
            block=block,
            span=span,
            context=context,
            number_note=note,
        )

    def _objective_title(self, objective: _Objective) -> str:
        title = self.join([t for _, t in objective.block.parts])
        return title or f"Objectif opérationnel {objective.number}"

    def _action_title(self, block: _Block, fiche: _Fiche) -> None:
        for n, text in block.parts:
            if not re.search(r"[^\W\d_]{2}", text):
                self.skip(n, "bruit de numérisation (caractères isolés)")
            else:
                fiche.title.append((n, text))
        title = self.join([t for _, t in fiche.title])
        if title.count("(") != title.count(")"):
            fiche.title_flags.append(
                "Intitulé probablement tronqué par la numérisation (parenthèse non fermée)."
            )

    # --- the pilot / partner / public table ---------------------------------------------------

    def _carrier(self, fiches: list[_Fiche]) -> str:
        """The organisation that pilots most actions: the first word of most tables."""
        firsts = Counter(
            fiche.blocks["roles"].parts[0][1].split()[0]
            for fiche in fiches
            if "roles" in fiche.blocks and fiche.blocks["roles"].parts
        )
        firsts.pop("Coportage", None)
        return firsts.most_common(1)[0][0] if firsts else ""

    def _known_publics(self, fiches: list[_Fiche]) -> set[str]:
        """Publics written alone under a bare "Public visé" label: unambiguous readings that
        help split a line where a public and a partner share the row."""
        known: set[str] = set()
        for fiche in fiches:
            block = fiche.blocks.get("roles")
            if not block:
                continue
            after = None
            for _, text in block.parts:
                m = PUBLIC.match(text)
                if m:
                    after = not m.group(1).strip()
                elif after:
                    known.add(fold(text).strip(" .,"))
        return known

    def _read_table(
        self, parts: list[tuple[int, str]], carrier: str, known_publics: set[str]
    ) -> list[_Cell]:
        """Rebuild the cells of the table from its interleaved lines.

        The left column holds the pilots, then the "Public visé" label and the public; the right
        column holds the partners all along. A row of both columns comes as one line.
        """
        cells: list[_Cell] = []
        zone = "pilots"
        right_active = False  # the right column goes on beside the public
        last: _Cell | None = None

        def new(column: str, n: int, text: str, origin: str = "") -> _Cell:
            cell = _Cell(column, [(n, text)], origin, beside_public=right_active)
            cells.append(cell)
            return cell

        def left_cell() -> _Cell | None:
            wanted = ("pilot",) if zone == "pilots" else ("public",)
            return next((c for c in reversed(cells) if c.column in wanted), None)

        for n, raw in parts:
            text = squash(raw)
            if (m := PUBLIC.match(text)) and zone == "pilots":
                zone = "public"
                rest = squash(m.group(1))
                right_active = bool(rest)
                if rest:
                    open_right = last is not None and last.column in ("partner", "unknown")
                    if _starts_lower(rest) and open_right:
                        last.parts.append((n, rest))
                        last.origin = last.origin or _GOES_ON_BESIDE_PUBLIC
                    else:
                        last = new("partner", n, rest, "sur la ligne « Public visé »")
                else:
                    last = None
                continue
            if not cells:
                last = self._first_row(n, text, carrier, cells)
                continue
            if _starts_lower(text):
                head, tail = _lower_head(text) if (zone == "pilots" or right_active) else (text, "")
                if tail:
                    target = left_cell()
                    if target is not None:
                        target.parts.append((n, head))
                    elif last is not None:
                        last.parts.append((n, head))
                    last = new("partner", n, tail, "à droite d'une suite de la colonne de gauche")
                elif last is not None:
                    last.parts.append((n, text))
                else:
                    last = new("public" if zone == "public" else "unknown", n, text)
                continue
            if zone == "pilots":
                if last is not None and _wraps(last, n):
                    last.parts.append((n, text))
                elif split := _split_trailing_name(text):
                    new("pilot", n, split[0], "colonne de gauche d'une ligne à deux colonnes")
                    last = new("partner", n, split[1])
                else:
                    last = new("unknown", n, text)
                continue
            # Zone of the public.
            if not right_active:
                if last is not None and _wraps(last, n):
                    last.parts.append((n, text))
                else:
                    last = new("public", n, text)
                continue
            families = {c.text.split()[0] for c in cells if c.column == "partner" and c.text}
            first_word = text.split()[0]
            if first_word in families:
                last = new("partner", n, text, "même famille que les partenaires voisins")
            elif _is_acronym(text) or self.resolver.known(text):
                last = new("partner", n, text, "sigle ou organisation connue sous le public")
            elif split := _split_family(text, families) or _split_trailing_name(text):
                new("public", n, split[0])
                last = new("partner", n, split[1], "fin de ligne à droite du public")
            elif (
                last is not None
                and last.column == "partner"
                and _is_open(last)
                and (split := _split_known_prefix(text, known_publics))
            ):
                new("public", n, split[0])
                last.parts.append((n, split[1]))
                last.origin = last.origin or _GOES_ON_BESIDE_PUBLIC
            elif last is not None and last.column == "public" and _wraps(last, n):
                last.parts.append((n, text))
            else:
                last = new("public", n, text, "lu comme public à côté de la colonne partenaires")
        return cells

    def _first_row(self, n: int, text: str, carrier: str, cells: list[_Cell]) -> _Cell:
        """The first row: the pilot (up to the carrier's name) and the first partner line."""
        if COPORTAGE.match(text):
            cell = _Cell("pilot", [(n, text)], "co-portage", coportage=True)
            cells.append(cell)
            return cell
        match = re.search(rf"(?<!\w){re.escape(carrier)}(?!\w)(\s*\([^)]*\))?", text)
        if carrier and match:
            pilot, rest = text[: match.end()], text[match.end() :].strip()
            origin = "" if match.start() == 0 else "nom du pilote avant le sigle du porteur"
        else:
            words = text.split()
            cut = next(
                (i for i in range(len(words), 0, -1) if self.resolver.known(" ".join(words[:i]))),
                len(words),
            )
            pilot, rest = " ".join(words[:cut]), " ".join(words[cut:])
            origin = "première ligne du tableau sans le porteur du contrat"
        cell = _Cell("pilot", [(n, pilot)], origin)
        cells.append(cell)
        if rest:
            cell = _Cell("partner", [(n, rest)])
            cells.append(cell)
        return cell

    def _key(self, as_written: str) -> str:
        """Resolve a mention, reading this document's own spellings first ("DDARS" is the
        DDARS 82 here); the organisation lists the mention as written, not the spelling read."""
        text = squash(as_written).strip(" ,;.")
        spelling = LOCAL_SPELLINGS.get(fold(text), text)
        key = self.resolver.resolve(spelling)
        org = next(o for o in self.resolver.organisations() if o.key == key)
        if spelling != text and spelling in org.aliases and spelling not in self._met:
            org.aliases.remove(spelling)
        if text not in org.aliases:
            org.aliases.append(text)
        self._met.add(text)
        return key

    # --- from working state to draft ---------------------------------------------------------

    def _draft(self, fiche: _Fiche, objective: _Objective, strong_pilots: set[str]) -> FicheDraft:
        span = Span(self.document, fiche.first, fiche.last)
        flags = [ReviewFlag("title", message, span) for message in fiche.title_flags]
        if objective.number_note:
            flags.append(ReviewFlag("section_key", objective.number_note, span))
        extra: dict[str, str] = {}
        context_block = fiche.blocks.get("context") or objective.context
        context = self._text(context_block, CONTEXT_TAIL, prose=True) if context_block else ""

        actions: list[ActionDraft] = []
        description = fiche.blocks.get("description")
        if description:
            text, actions = self._description(description)
            if text:
                extra["description"] = text
        for key in ("facilitators", "obstacles", "calendar"):
            block = fiche.blocks.get(key)
            tail = FACILITATORS_TAIL if key == "facilitators" else None
            if block and (text := self._text(block, tail, prose=False)):
                extra[key] = text
        if "calendar" in extra and actions:
            flags += self._deadlines(actions, extra["calendar"], span)
        seen_steps = [a.letter for a in actions]
        for letter in sorted({s for s in seen_steps if seen_steps.count(s) > 1}):
            flags.append(
                ReviewFlag("actions", f"Deux étapes portent le numéro {letter} dans le document.")
            )
        if fiche.blocks.get("funding"):
            parts = []
            for n, text in fiche.blocks["funding"].parts:
                m = FUNDING_LABEL.match(text)
                parts.append((n, m.group(1) if m else text))
            block = _Block("funding", fiche.blocks["funding"].first, [p for p in parts if p[1]])
            if text := self._text(block, None, prose=False):
                extra["funding"] = text
        for block in fiche.blocks.values():
            if block.kind == "modalities":
                for n, _ in block.parts:
                    self.skip(n, "texte inattendu après « Modalités de suivi »")

        roles, public, pilotage_label, role_flags, note = self._roles(fiche, strong_pilots, span)
        flags += role_flags
        if note:
            extra["partners_note"] = note
        return FicheDraft(
            number=fiche.number,
            title=self.join([t for _, t in fiche.title]),
            section_key=f"OO{objective.number}",
            span=span,
            pilotage_label=pilotage_label,
            roles=roles,
            context=context,
            actions=actions,
            public=public,
            indicators=self._indicators(fiche),
            extra=extra,
            flags=flags,
        )

    def _text(self, block: _Block, tail: re.Pattern[str] | None, prose: bool) -> str:
        """Text of a block, the second half of its label taken out ("facilitateurs")."""
        parts = list(block.parts)
        if tail is not None:
            for index, (n, text) in enumerate(parts[:4]):
                if m := tail.match(text):
                    parts[index] = (n, m.group(1))
                    break
        return self._paragraphs([p for p in parts if p[1].strip()], prose)

    def _paragraphs(self, parts: list[tuple[int, str]], prose: bool) -> str:
        """Join wrapped lines into paragraphs (prose, blank-line separated) or items (one a
        line, as the short fields list them)."""
        paragraphs: list[list[str]] = []
        previous: tuple[int, str] | None = None
        for n, text in parts:
            if previous is None or not self._continues(previous, (n, text), prose):
                paragraphs.append([])
            paragraphs[-1].append(text)
            previous = (n, text)
        return ("\n\n" if prose else "\n").join(self.join(p) for p in paragraphs)

    def _continues(self, previous: tuple[int, str], current: tuple[int, str], prose: bool) -> bool:
        """Whether a line goes on with the previous one rather than starting a paragraph."""
        text = current[1].strip()
        before = previous[1].rstrip()
        if STEP.match(text) or text.startswith(("-", "•")):
            return False
        if _starts_lower(text) or before.endswith((",", "-")) or _ends_with_particle(before):
            return True
        if not prose:
            return False
        # In prose a paragraph ends on a short line or a blank line; a full line wrapped at the
        # page's edge, even after a full stop.
        if any(not self.line(n).strip() for n in range(previous[0] + 1, current[0])):
            return False
        return len(self.line(previous[0]).rstrip()) >= SHORT_LINE

    def _description(self, block: _Block) -> tuple[str, list[ActionDraft]]:
        """The description text and the numbered steps it lists."""
        parts = list(block.parts)
        for index, (n, text) in enumerate(parts[:4]):
            if m := DESCRIPTION_TAIL.match(text):
                parts[index] = (n, m.group(1))
                break
        body: list[tuple[int, str]] = []
        steps: list[dict] = []
        current: dict | None = None
        for n, text in parts:
            if not text.strip():
                continue
            if m := STEP.match(text):
                current = {"letter": m.group(1) or m.group(2), "lines": [(n, m.group(3))]}
                steps.append(current)
            elif current is not None and self._continues(current["lines"][-1], (n, text), True):
                current["lines"].append((n, text))
            else:
                current = None
                body.append((n, text))
        actions = [
            ActionDraft(
                letter=step["letter"],
                text=self.join([t for _, t in step["lines"]]),
                deadline_years=[],
                deadline_as_written="",
                span=Span(self.document, step["lines"][0][0], step["lines"][-1][0]),
            )
            for step in steps
        ]
        return self._paragraphs(body, prose=True), actions

    def _deadlines(self, actions: list[ActionDraft], calendar: str, span: Span) -> list[ReviewFlag]:
        """ "Etape 1/2023, Etape 2/2024" gives each step its deadline, as written."""
        found = {m.group(1): squash(m.group(2)) for m in CALENDAR_STEP.finditer(calendar)}
        for action in actions:
            action.deadline_as_written = found.get(action.letter, "")
        if not found:
            return []
        return [
            ReviewFlag(
                "actions",
                "Échéances en années civiles ("
                + ", ".join(found.values())
                + ") : le document ne dit pas l'année de signature du contrat, elles ne sont pas "
                "converties en années du contrat.",
                span,
            )
        ]

    def _indicators(self, fiche: _Fiche) -> list[IndicatorDraft]:
        out: list[IndicatorDraft] = []
        for block in fiche.indicators:
            items: list[list[tuple[int, str]]] = []
            for n, text in block.parts:
                if not text.strip():
                    continue
                if items and self._continues(items[-1][-1], (n, text), prose=False):
                    items[-1].append((n, text))
                else:
                    items.append([(n, text)])
            for item in items:
                text = self.join([t for _, t in item])
                steps: list[str] = []
                if m := STEP.match(text):
                    steps, text = [m.group(1) or m.group(2)], m.group(3)
                out.append(
                    IndicatorDraft(
                        kind=block.kind_detail,
                        actions=steps,
                        text=text,
                        span=Span(self.document, item[0][0], item[-1][0]),
                    )
                )
        return out

    def _roles(
        self, fiche: _Fiche, strong_pilots: set[str], span: Span
    ) -> tuple[list[RoleDraft], str, str, list[ReviewFlag], str]:
        block = fiche.blocks.get("roles")
        flags: list[ReviewFlag] = []
        if block is None:
            flags.append(
                ReviewFlag("pilots", "Tableau des pilotes et partenaires introuvable.", span)
            )
            return [], "", "pilotage", flags, ""
        table_span = Span(self.document, block.first, block.last)
        pilots: list[tuple[str, str]] = []  # (as written, how it was read when a guess)
        partners: list[tuple[str, str]] = []
        publics: list[str] = []
        coportage = False
        note = ""
        for cell in fiche.cells:
            column = cell.column
            origin = cell.origin
            if column == "unknown":
                if any(fold(i) in strong_pilots for i in _split_partner_cell(cell.text)[1]):
                    column, origin = "pilot", "pilote d'une autre action, colonne incertaine"
                else:
                    column, origin = "partner", "seul sur sa ligne, colonne incertaine"
            if column in ("pilot", "partner") and len(cell.text) > MAX_MENTION:
                # Prose that strayed into the table (a scan's pages out of order) names no one.
                for n in dict.fromkeys(n for n, _ in cell.parts):
                    self.skip(n, "texte trop long pour un pilote ou un partenaire")
                flags.append(
                    ReviewFlag(
                        "partners" if column == "partner" else "pilots",
                        f"Texte de {len(cell.text)} caractères dans le tableau des pilotes et "
                        "partenaires, laissé de côté : « " + cell.text[:60] + "… ».",
                        table_span,
                    )
                )
            elif column == "pilot":
                coportage = coportage or cell.coportage
                for item in split_pilots(COPORTAGE.sub("", cell.text), self.resolver):
                    pilots.append((item, origin))
            elif column == "partner":
                cell_note, items = _split_partner_cell(cell.text)
                note = note or cell_note
                partners += [(item, origin) for item in items]
            else:
                publics.append(cell.text)
        role = "copilot" if coportage else "pilot"
        roles = [RoleDraft(role, text, self._key(text)) for text, _ in pilots]
        roles += [RoleDraft("partner", text, self._key(text)) for text, _ in partners]

        doubtful_pilots = [f"« {t} » ({o})" for t, o in pilots if o]
        if coportage:
            flags.append(
                ReviewFlag(
                    "pilots",
                    "Co-portage : toutes les structures de la colonne des pilotes sont lues comme "
                    "co-pilotes.",
                    table_span,
                )
            )
        elif doubtful_pilots:
            flags.append(
                ReviewFlag(
                    "pilots",
                    "Limite incertaine entre pilotes et partenaires ; lu comme pilote : "
                    + ", ".join(doubtful_pilots)
                    + ".",
                    table_span,
                )
            )
        if not pilots:
            flags.append(ReviewFlag("pilots", "Aucun pilote lu.", table_span))
        doubtful_partners = [f"« {t} » ({o})" for t, o in partners if o]
        if doubtful_partners:
            flags.append(
                ReviewFlag(
                    "partners",
                    "Colonnes mêlées par la numérisation ; lu comme partenaire : "
                    + ", ".join(doubtful_partners)
                    + ".",
                    table_span,
                )
            )
        if not partners:
            flags.append(ReviewFlag("partners", "Aucun partenaire lu dans le tableau.", table_span))
        public = ", ".join(publics)
        if any(c.beside_public for c in fiche.cells):
            flags.append(
                ReviewFlag(
                    "public",
                    f"Public lu « {public} » : la colonne des partenaires se poursuit à côté, "
                    "la séparation est à vérifier.",
                    table_span,
                )
            )
        elif not public:
            flags.append(ReviewFlag("public", "Aucun public visé lu.", table_span))
        return roles, public, "co-pilotage" if coportage else "pilotage", flags, note


# --- Small pure helpers -------------------------------------------------------------------------


def _starts_lower(text: str) -> bool:
    letter = next((c for c in text if c.isalpha()), "")
    return bool(letter) and letter.islower() and not text.lstrip()[:1].isdigit()


def _ends_with_particle(text: str) -> bool:
    words = re.findall(r"[\w’']+$", text)
    return bool(words) and fold(words[0]).strip("’'") in PARTICLES


def _wraps(cell: _Cell, n: int) -> bool:
    """Whether line n goes on with the cell: no blank line between, and the cell's last line was
    cut (a comma, a particle, or a line as long as the column)."""
    if n != cell.last_line + 1:
        return False
    before = cell.last_part.rstrip()
    return before.endswith(",") or _ends_with_particle(before) or len(before) >= CELL_WRAP


def _is_open(cell: _Cell) -> bool:
    """A cell cut mid-sentence at the column's edge."""
    before = cell.last_part.rstrip()
    return len(before) >= CELL_WRAP and not before.endswith((".", ")"))


def _is_acronym(text: str) -> bool:
    return re.fullmatch(r"[A-Z][A-Z0-9]+(?:\s+[A-Z0-9]+)*", text.strip()) is not None


def _lower_head(text: str) -> tuple[str, str]:
    """ "territoriale CPAM" -> ("territoriale", "CPAM"): the end of a left cell, then the right."""
    words = text.split()
    for i in range(1, len(words)):
        before = words[i - 1]
        if words[i][:1].isupper() and before[:1].islower() and fold(before) not in PARTICLES:
            return " ".join(words[:i]), " ".join(words[i:])
    return text, ""


def _split_trailing_name(text: str) -> tuple[str, str] | None:
    """ "Commission de coordination sanitaire Ordre des Médecins" -> the left cell and the name
    that starts, capitalised, after a common word (two words at least, not an acronym alone)."""
    words = text.split()
    for i in range(1, len(words) - 1):
        before = words[i - 1]
        if (
            words[i][:1].isupper()
            and before[:1].islower()
            and not before.endswith(",")
            and fold(before).strip("’'") not in PARTICLES
        ):
            return " ".join(words[:i]), " ".join(words[i:])
    return None


def _split_family(text: str, families: set[str]) -> tuple[str, str] | None:
    """ "Citoyens Commission Mobilité" beside "Commission PCAET": the public, then a partner."""
    words = text.split()
    for i in range(1, len(words)):
        if words[i] in families:
            return " ".join(words[:i]), " ".join(words[i:])
    return None


def _split_known_prefix(text: str, known: set[str]) -> tuple[str, str] | None:
    """ "Citoyens du territoire outil de…": a public met alone elsewhere, then the rest."""
    words = text.split()
    for i in range(len(words) - 1, 0, -1):
        if fold(" ".join(words[:i])).strip(" .,") in known:
            return " ".join(words[:i]), " ".join(words[i:])
    return None


def _split_partner_cell(text: str) -> tuple[str, list[str]]:
    """A partner cell into organisations as written.

    "En fonction des thématiques abordées: IFERIS, IREPS…" has a qualifier before its list;
    "Organes de gouvernance de la CC : bureau, conseil…" is one partner detailed after the colon.
    Commas separate partners, except before a piece starting in lower case (a sentence goes on).
    """
    note = ""
    head, colon, tail = text.partition(":")
    if colon and tail.strip()[:1].isupper() and "," in tail:
        note, text = squash(head), tail
    pieces: list[str] = []
    depth = 0
    current = ""
    for char in text:
        depth += char == "("
        depth -= char == ")" and depth > 0
        if char == "," and depth == 0:
            pieces.append(current)
            current = ""
        else:
            current += char
    pieces.append(current)
    items: list[str] = []
    for piece in pieces:
        piece = squash(piece)
        if not piece:
            continue
        if items and _starts_lower(piece):
            items[-1] = f"{items[-1]}, {piece}"
        else:
            items.append(piece)
    # "Psycom..." ends an open list; the dots are not part of the name.
    return note, [item.rstrip(" .…") for item in items if item.strip(" .…")]


def _title(lines: list[str], carrier: str) -> tuple[str, str]:
    """The document names no title; the territory's name comes from its text."""
    text = " ".join(lines)
    if re.search(r"Terres\s+des\s+Confluences", text):
        territory = "Communauté de communes Terres des Confluences"
        return f"Contrat local de santé de la {territory}", territory
    if carrier:
        return f"Contrat local de santé ({carrier})", ""
    return "Contrat local de santé", ""


def parse(text: str, document: str) -> PlanDraft:
    return ConfluencesParser(text, document).parse()
