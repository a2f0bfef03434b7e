"""Parser of CLS contracts laid out like Carcassonne Agglo's: ambitions, plan tables, fiches action.

The text comes from a PDF conversion that damaged the layout: the narrow side column of
"objectifs opérationnels" is interleaved with the actions, labels come in several spellings,
deadlines wrap over lines. The parser works line by line, knows which line went where, and lists
every non-blank line of the fiche part it did not place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pilotis.core.text import fold, join_lines, squash, word_set
from pilotis.importers.common import deadline_years
from pilotis.importers.organisations import (
    OrganisationResolver,
    parse_glossary,
    split_partners,
    split_pilots,
)
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

FICHE_HEADER = re.compile(r"^\s*Fiche\s+(?:action\s+)?n°\s*(\d+)\s*$", re.IGNORECASE)
AMBITION_BANNER = re.compile(r"^\s*AMBITION\s+(\d+)\s*:?\s*(.*)$")
PILOTAGE = re.compile(r"^\s*(co-?\s*pilotage|pilotage)\s*:\s*(.*)$", re.IGNORECASE)
PARTNERS = re.compile(r"^\s*partenaires\s*:\s*(.*)$", re.IGNORECASE)
FICHE_LINK = re.compile(r"^\s*Liens?\s+(?:avec\s+)?(?:les\s+|la\s+)?[Ff]iches?[- ]actions?\b(.*)$")
OTHER_LINK = re.compile(r"^\s+Liens?\s+avec\s+(?!d.autres projets)(.+)$")
STRATEGIC = re.compile(r"^\s*Objectif\s+strat[ée]gique\s*:?\s*(.*)$", re.IGNORECASE)
ACTIONS_HEADER = re.compile(r"^\s*D[ée]clinaison des actions", re.IGNORECASE)
COLUMN_LABEL = re.compile(r"^\s*Les objectifs op[ée]rationnels\s*$", re.IGNORECASE)
GRID_HEADER = re.compile(r"^\s*Tx d.avancement", re.IGNORECASE)
GRID_ROW = re.compile(r"^\s*Ann[ée]e\s+[1-9]\s*$")
PUBLIC = re.compile(r"^\s*Public cible\s*:?\s*(.*)$", re.IGNORECASE)
PROGRAMMES_HEADER = re.compile(r"^\s*Liens avec d.autres projets et programmes", re.IGNORECASE)
INDICATORS_HEADER = re.compile(r"^\s*INDICATEURS\s*$")
RESULT_HEADER = re.compile(r"^\s*De r[ée]sultats?\s*:?\s*(.*)$", re.IGNORECASE)
MONITORING_HEADER = re.compile(r"^\s*De suivi\s*:?\s*(.*)$", re.IGNORECASE)
DONE_COLUMN = re.compile(r"^\s*O\s*/\s*N\s*$")
DEADLINE = re.compile(
    r"^\s*(?:Ann[ée]es?\b[\d\s,et]*|\d(?:\s*,?\s*\d)*\s*,?(?:\s*et\s+\d)?\s*,?|et\s+\d|20\d\d)"
    r"\s*(?:O\s*/\s*N)?\s*$"
)
TRAILING_DEADLINE = re.compile(r"^(.*?)\s+(Ann[ée]es?\s+[\d\s,et]+?\s*O\s*/\s*N)\s*$")
PAGE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")
URL = re.compile(r"^\s*https?://\S+\s*$")
INDICATOR_LETTERS = re.compile(
    r"^\s*([A-Z](?:\s*(?:,|et|&|/)\s*[A-Z])*)\s*[-–—]\s*(\S.*)$"  # "A- ", "A – ", "A et C- "
)
BULLET = re.compile(r"^\s*[-–•o]\s+(\S.*)$")
PLAN_TABLE_HEADER = re.compile(r"^\s*III\.2\.?\s+LE PLAN D.ACTIONS", re.IGNORECASE)
NUMBERED_ACTION = re.compile(r"^\s*(\d{1,2})\.\s+(\S.*)$")
GLOSSARY_HEADER = re.compile(r"^\s*GLOSSAIRE\s*$")
PRS_ENGAGEMENT = re.compile(r"^\W*Engagement\s+(\d)\s*:\s*(\S.*)$")
TITLE_YEARS = re.compile(r"(20\d\d)\s*[-–]\s*(20\d\d)")

# Objectives of the side column are drawn in a column this narrow; body text is much wider.
COLUMN_WIDTH = 26


def looks_like(text: str) -> bool:
    """Whether a text has the landmarks of a Carcassonne-like CLS (used by format detection)."""
    headers = re.findall(r"(?im)^\s*Fiche\s+(?:action\s+)?n°\s*\d+\s*$", text)
    return len(headers) >= 2 and re.search(r"(?im)^\s*D[ée]clinaison des actions", text) is not None


@dataclass
class _Fiche:
    """Working state of one fiche while its lines are read."""

    number: str
    ambition: int | None
    first: int
    last: int
    title: list[str] = field(default_factory=list)
    pilotage_label: str = "pilotage"
    pilotage: list[str] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    link_topics: list[str] = field(default_factory=list)
    strategic: list[str] = field(default_factory=list)
    objectives: list[list[str]] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    public: list[str] = field(default_factory=list)
    programmes: list[list[str]] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    duplicate_letters: list[str] = field(default_factory=list)


class CarcassonneParser:
    """Reads one document; `parse()` returns a PlanDraft or raises ParseError."""

    def __init__(self, text: str, document: str):
        self.document = document
        self.lines = text.split("\n")
        self.unplaced: list[UnplacedLine] = []
        self.words = word_set(text)

    # Line numbers are 1-based everywhere, as an editor shows them.
    def line(self, number: int) -> str:
        return self.lines[number - 1]

    def join(self, lines: list[str]) -> str:
        return join_lines(lines, self.words)

    def skip(self, number: int, reason: str) -> None:
        text = self.line(number).strip()
        if text:
            self.unplaced.append(UnplacedLine(line=number, text=text, reason=reason))

    # --- the document as a whole -----------------------------------------------------------

    def parse(self) -> PlanDraft:
        headers = [
            (i + 1, int(m.group(1)))
            for i, line in enumerate(self.lines)
            if (m := FICHE_HEADER.match(line))
        ]
        if len(headers) < 2:
            raise ParseError(
                f"« {self.document} » n'a pas la forme d'un contrat local de santé : aucune "
                "fiche action (« Fiche n°… ») n'y a été trouvée."
            )
        glossary_line = next(
            (i + 1 for i, line in enumerate(self.lines) if GLOSSARY_HEADER.match(line)),
            len(self.lines) + 1,
        )
        glossary = parse_glossary(self.lines[glossary_line:]) if glossary_line else {}
        self.resolver = OrganisationResolver(glossary=glossary)

        starts = [self._banner_start(line) for line, _ in headers]
        part_end = glossary_line - 1
        plan = self._plan_header()
        sections, fiche_sections = self._plan_tables(headers[0][0])
        plan.sections = sections

        raw: list[_Fiche] = []
        for index, (header_line, _number) in enumerate(headers):
            last = starts[index + 1] - 1 if index + 1 < len(headers) else part_end
            raw.append(self._read_fiche(starts[index], header_line, last))

        numbers = [f.number for f in raw]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1}, key=int)
        if duplicates:
            raise ParseError(
                f"« {self.document} » contient plusieurs fiches numérotées "
                + ", ".join(duplicates)
                + " : corrigez la numérotation avant l'import."
            )
        plan.fiches = [self._draft(f, fiche_sections, raw, plan.start_year) for f in raw]
        plan.organisations = self.resolver.organisations()
        plan.unplaced = sorted(self.unplaced, key=lambda u: u.line)
        plan.fiche_part = (starts[0], part_end)
        engagements = self._prs_engagements(starts[0])
        if engagements:
            plan.extra["prs_engagements"] = engagements
        return plan

    def _prs_engagements(self, before: int) -> list[dict]:
        """The engagements of the regional health project the contract declares it serves
        ("Engagement 1 : Dynamiser…"), read from the context part before the fiches."""
        engagements: list[dict] = []
        n = 1
        while n < before:
            match = PRS_ENGAGEMENT.match(self.line(n))
            if not match:
                n += 1
                continue
            lines, first = [match.group(2)], n
            n += 1
            while n < before and self.line(n).strip() and not PRS_ENGAGEMENT.match(self.line(n)):
                lines.append(self.line(n))
                n += 1
            number = int(match.group(1))
            if all(e["number"] != number for e in engagements):
                engagements.append(
                    {
                        "number": number,
                        "title": self.join(lines),
                        "first_line": first,
                        "last_line": n - 1,
                    }
                )
        return engagements

    def _banner_start(self, header_line: int) -> int:
        """First line of the ambition banner printed above a fiche header."""
        for number in range(header_line - 1, max(0, header_line - 12), -1):
            if AMBITION_BANNER.match(self.line(number)):
                return number
        return header_line

    def _plan_header(self) -> PlanDraft:
        head = [squash(line) for line in self.lines[:12] if squash(line)]
        title_lines = []
        for line in head:
            if line.upper() == line and not line.startswith("LES "):
                title_lines.append(line)
            elif title_lines:
                break
        raw_title = " ".join(title_lines) or "Contrat local de santé"
        title = _title_case_cls(raw_title)
        years = TITLE_YEARS.search(raw_title)
        start = int(years.group(1)) if years else None
        duration = int(years.group(2)) - start if years else 5
        signatories = []
        for line in self.lines[:60]:
            match = re.match(r"^\s*(?:[-•]\s*)?(L[’']|La |Le )?(.+?),\s+représenté", line)
            if match:
                name = (match.group(1) or "") + match.group(2)
                signatories.append(squash(name).replace("’", "'"))
        slug = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:80]
        return PlanDraft(
            kind="cls",
            slug=slug,
            title=title,
            document=self.document,
            levels=["Ambition", "Objectif général"],
            signatories=signatories,
            start_year=start,
            duration_years=duration or 5,
            territory_name=_territory_from_title(raw_title),
            territory_level="epci",
        )

    # --- part III.2: ambitions, general objectives and which fiche sits under which ----------

    def _plan_tables(self, first_fiche_line: int) -> tuple[list[SectionDraft], dict[str, str]]:
        start = next(
            (i + 1 for i, line in enumerate(self.lines) if PLAN_TABLE_HEADER.match(line)), None
        )
        if start is None:
            return self._sections_from_banners(), {}
        end = next(
            (
                i + 1
                for i in range(start, first_fiche_line)
                if re.match(r"^\s*IV\.\s", self.lines[i])
            ),
            first_fiche_line,
        )
        sections: list[SectionDraft] = []
        fiche_sections: dict[str, str] = {}
        ambition_lines = [n for n in range(start, end) if AMBITION_BANNER.match(self.line(n))] + [
            end
        ]
        for a_index, a_line in enumerate(ambition_lines[:-1]):
            a_end = ambition_lines[a_index + 1]
            number = AMBITION_BANNER.match(self.line(a_line)).group(1)
            title_lines = [AMBITION_BANNER.match(self.line(a_line)).group(2)]
            n = a_line + 1
            while n < a_end and not self.line(n).strip().startswith("---"):
                title_lines.append(self.line(n))
                n += 1
            a_key = f"A{number}"
            sections.append(
                SectionDraft(
                    key=a_key,
                    level=0,
                    number=number,
                    # A stray dash of the table's rule sometimes ends the title line.
                    title=self.join(title_lines).rstrip(" -–"),
                    parent_key=None,
                    span=Span(self.document, a_line, a_end - 1),
                )
            )
            table = next(
                (
                    m
                    for m in range(n, a_end)
                    if re.match(r"^\s*LES OBJECTIFS", self.line(m), re.IGNORECASE)
                ),
                None,
            )
            if table is None:
                continue
            self._read_objectives_table(a_key, table + 1, a_end, sections, fiche_sections)
        return sections, fiche_sections

    def _read_objectives_table(
        self,
        a_key: str,
        start: int,
        end: int,
        sections: list[SectionDraft],
        fiche_sections: dict[str, str],
    ) -> None:
        """The table's three columns come one after the other: an objective, its numbered
        actions (the fiches), their partners, the next objective… A paragraph starting in
        lower case continues the previous one (a cell that wrapped across a blank line)."""
        paragraphs: list[list[int]] = []
        fresh = True
        for n in range(start, end):
            line = self.line(n)
            stripped = line.strip()
            if (
                not stripped
                or stripped.startswith("---")
                or re.match(r"^(LES ACTIONS|GENERAUX|LES PARTENAIRES)", stripped)
            ):
                fresh = True
                continue
            if NUMBERED_ACTION.match(line) or (fresh and not stripped[0].islower()):
                paragraphs.append([n])
            elif paragraphs:
                paragraphs[-1].append(n)
            else:
                paragraphs.append([n])
            fresh = False
        count = 0
        objective_key = None
        for index, numbers in enumerate(paragraphs):
            first = self.line(numbers[0])
            if match := NUMBERED_ACTION.match(first):
                if objective_key:
                    fiche_sections[match.group(1)] = objective_key
                continue
            # An objective always heads numbered actions; other paragraphs list partners.
            following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
            if following is None or not NUMBERED_ACTION.match(self.line(following[0])):
                continue
            text = self.join([self.line(n) for n in numbers])
            count += 1
            objective_key = f"{a_key}.O{count}"
            sections.append(
                SectionDraft(
                    key=objective_key,
                    level=1,
                    number=f"{a_key[1:]}.{count}",
                    title=text,
                    parent_key=a_key,
                    span=Span(self.document, numbers[0], numbers[-1]),
                )
            )

    def _sections_from_banners(self) -> list[SectionDraft]:
        sections, seen = [], set()
        for n, line in enumerate(self.lines, start=1):
            match = AMBITION_BANNER.match(line)
            if match and match.group(1) not in seen:
                seen.add(match.group(1))
                sections.append(
                    SectionDraft(
                        key=f"A{match.group(1)}",
                        level=0,
                        number=match.group(1),
                        title=squash(match.group(2)) or f"Ambition {match.group(1)}",
                        parent_key=None,
                        span=Span(self.document, n, n),
                    )
                )
        return sections

    # --- one fiche ------------------------------------------------------------------------

    def _read_fiche(self, first: int, header_line: int, last: int) -> _Fiche:
        banner = AMBITION_BANNER.match(self.line(first))
        fiche = _Fiche(
            number=FICHE_HEADER.match(self.line(header_line)).group(1),
            ambition=int(banner.group(1)) if banner else None,
            first=first,
            last=last,
        )
        column = self._column_lines(header_line, last, fiche)
        state = "title"
        current_action: dict | None = None
        indicator_kind = "result"
        expected_letter = "A"
        for n in range(header_line + 1, last + 1):
            if n in column:
                continue
            line = self.line(n)
            stripped = line.strip()
            if not stripped:
                if state in ("pilotage", "partners", "strategic") and (
                    state != "pilotage" or fiche.pilotage
                ):
                    state = "body"
                continue
            if PAGE_NUMBER.match(line):
                self.skip(n, "numéro de page")
                continue
            if URL.match(line):
                self.skip(n, "adresse web en note de bas de page")
                continue

            if (m := PILOTAGE.match(line)) and state in ("title", "body"):
                fiche.pilotage_label = "co-pilotage" if "co" in fold(m.group(1)) else "pilotage"
                fiche.pilotage = [m.group(2)]
                state = "pilotage"
            elif (m := PARTNERS.match(line)) and state in ("pilotage", "body"):
                fiche.partners = [m.group(1)]
                state = "partners"
            elif state == "title":
                fiche.title.append(line)
            elif state == "pilotage":
                fiche.pilotage.append(line)
            elif state == "partners":
                fiche.partners.append(line)
            elif state in ("body", "strategic") and (m := FICHE_LINK.match(line)):
                numbers = re.findall(r"\d+", m.group(1))
                fiche.links.extend(numbers)
                if not numbers:
                    fiche.link_topics.append(squash(m.group(1)))
                state = "body"
            elif state in ("body", "strategic") and (m := OTHER_LINK.match(line)):
                fiche.programmes.append([re.sub(r"^(?:le |la |les |l[’'])", "", m.group(1))])
                state = "body"
            elif (m := STRATEGIC.match(line)) and state == "body":
                fiche.strategic = [m.group(1)]
                state = "strategic"
            elif ACTIONS_HEADER.match(line) and state in ("body", "strategic"):
                state = "actions"
            elif state == "strategic":
                fiche.strategic.append(line)
            elif state == "body":
                fiche.context.append(line)
            elif GRID_HEADER.match(line) and state == "actions":
                state = "grid"
            elif state == "actions":
                current_action, expected_letter = self._action_line(
                    n, line, fiche, current_action, expected_letter
                )
            elif state == "grid" and GRID_ROW.match(line):
                continue
            elif (m := PUBLIC.match(line)) and state in ("grid", "tail"):
                fiche.public = [m.group(1)]
                state = "public"
            elif state == "public" and not (
                PROGRAMMES_HEADER.match(line) or INDICATORS_HEADER.match(line)
            ):
                fiche.public.append(line)
            elif PROGRAMMES_HEADER.match(line):
                state = "programmes"
            elif INDICATORS_HEADER.match(line):
                state = "indicators"
            elif state == "programmes":
                bullet = BULLET.match(line)
                if line.strip() in ("-", "–"):
                    self.skip(n, "tiret seul : aucun programme indiqué")
                elif bullet:
                    fiche.programmes.append([bullet.group(1)])
                elif fiche.programmes:
                    fiche.programmes[-1].append(line)
                else:
                    self.skip(n, "ligne inattendue dans les programmes liés")
            elif state == "indicators" and (m := RESULT_HEADER.match(line)):
                indicator_kind = "result"
                if m.group(1).strip():
                    self._indicator_line(n, m.group(1), fiche, indicator_kind)
            elif state == "indicators" and (m := MONITORING_HEADER.match(line)):
                indicator_kind = "monitoring"
                if m.group(1).strip():
                    self._indicator_line(n, m.group(1), fiche, indicator_kind)
            elif state == "indicators":
                self._indicator_line(n, line, fiche, indicator_kind)
            else:
                self.skip(n, f"ligne non reconnue ({_STATE_LABELS.get(state, state)})")
        if current_action is not None:
            current_action["last"] = max(current_action["lines"])
        return fiche

    def _column_lines(self, header_line: int, last: int, fiche: _Fiche) -> set[int]:
        """Lines of the side column of operational objectives, read into `fiche.objectives`.

        The column ends with its label "Les objectifs opérationnels". Above it, blank-separated
        blocks of narrow lines belong to the column; the first block that is not narrow, or that
        is a structural line (deadline, O/N, grid row, action letter), ends it. Within the column
        the last line of each objective carries no trailing space (a trace of the conversion).
        """
        label = next(
            (n for n in range(header_line, last + 1) if COLUMN_LABEL.match(self.line(n))), None
        )
        if label is None:
            return set()
        taken: set[int] = {label}
        n = label - 1
        while n > header_line:
            block = []
            while n > header_line and self.line(n).strip():
                block.append(n)
                n -= 1
            if block and not all(self._column_like(b) for b in block):
                break
            taken.update(block)
            while n > header_line and not self.line(n).strip():
                n -= 1
        objective: list[str] = []
        for number in sorted(taken - {label}):
            line = self.line(number)
            if not line.strip():
                continue
            if PAGE_NUMBER.match(line):
                self.skip(number, "numéro de page")
                continue
            objective.append(line)
            # A line cut after a hyphen ("bien-") has no trailing space either.
            if not line.endswith((" ", "-")):
                fiche.objectives.append(objective)
                objective = []
        if objective:
            fiche.objectives.append(objective)
        return taken

    def _column_like(self, number: int) -> bool:
        line = self.line(number)
        stripped = line.strip()
        return (
            len(stripped) <= COLUMN_WIDTH
            and not DONE_COLUMN.match(line)
            and not DEADLINE.match(line)
            and not GRID_ROW.match(line)
            and not re.fullmatch(r"[A-Z]", stripped)
            and not stripped.startswith(("-", "•"))
            and not GRID_HEADER.match(line)
        )

    def _action_line(
        self, n: int, line: str, fiche: _Fiche, current: dict | None, expected: str
    ) -> tuple[dict | None, str]:
        stripped = line.strip()
        letter_only = re.fullmatch(r"([A-Z])", stripped)
        letter_text = re.match(r"^([A-Z])\s+([A-ZÀ-Ýa-zà-ÿ«\"(].*)$", stripped)
        # A letter repeated after a complete action (fiche 34 has two "A") starts a new action.
        repeated = current is not None and current["done"] and current["letter"]
        if letter_only and letter_only.group(1) in (expected, repeated):
            current = self._new_action(letter_only.group(1), n, fiche)
            return current, chr(ord(current["letter"]) + 1)
        if (
            letter_text
            and letter_text.group(1) in (expected, repeated)
            and letter_text.group(2)[0].isupper()
        ):
            current = self._new_action(letter_text.group(1), n, fiche)
            rest = letter_text.group(2)
            trailing = TRAILING_DEADLINE.match(rest)
            if trailing:
                current["text"].append(trailing.group(1))
                current["deadline"].append(trailing.group(2))
            else:
                current["text"].append(rest)
            return current, chr(ord(current["letter"]) + 1)
        if current is None:
            self.skip(n, "texte avant la première action")
            return current, expected
        current["lines"].append(n)
        if DONE_COLUMN.match(line):
            current["done"] = True
            return current, expected
        if DEADLINE.match(line):
            current["deadline"].append(stripped)
        else:
            current["text"].append(line)
        return current, expected

    def _new_action(self, letter: str, n: int, fiche: _Fiche) -> dict:
        if any(a["letter"] == letter for a in fiche.actions):
            fiche.duplicate_letters.append(letter)
        action = {"letter": letter, "text": [], "deadline": [], "lines": [n], "done": False}
        fiche.actions.append(action)
        return action

    def _indicator_line(self, n: int, line: str, fiche: _Fiche, kind: str) -> None:
        letters = INDICATOR_LETTERS.match(line)
        bullet = BULLET.match(line)
        stripped = line.strip()
        if stripped in ("-", "–"):
            self.skip(n, "tiret seul : aucun indicateur indiqué")
            return
        if letters:
            found = re.findall(r"[A-Z]", letters.group(1))
            fiche.indicators.append(
                {"kind": kind, "letters": found, "text": [letters.group(2)], "lines": [n]}
            )
        elif bullet:
            fiche.indicators.append(
                {"kind": kind, "letters": [], "text": [bullet.group(1)], "lines": [n]}
            )
        elif (
            fiche.indicators
            and fiche.indicators[-1]["kind"] == kind
            and (stripped[0].islower() or fiche.indicators[-1]["text"][-1].rstrip().endswith(","))
        ):
            fiche.indicators[-1]["text"].append(line)
            fiche.indicators[-1]["lines"].append(n)
        else:
            fiche.indicators.append({"kind": kind, "letters": [], "text": [line], "lines": [n]})

    # --- from working state to draft -----------------------------------------------------

    def _draft(
        self,
        fiche: _Fiche,
        fiche_sections: dict[str, str],
        all_fiches: list[_Fiche],
        start_year: int | None,
    ) -> FicheDraft:
        span = Span(self.document, fiche.first, fiche.last)
        flags: list[ReviewFlag] = []
        section_key = fiche_sections.get(fiche.number) or (
            f"A{fiche.ambition}" if fiche.ambition else ""
        )
        roles: list[RoleDraft] = []
        pilot_role = "copilot" if fiche.pilotage_label == "co-pilotage" else "pilot"
        for as_written in split_pilots(self.join(fiche.pilotage), self.resolver):
            roles.append(RoleDraft(pilot_role, as_written, self.resolver.resolve(as_written)))
        for as_written in split_partners(self.join(fiche.partners)):
            roles.append(RoleDraft("partner", as_written, self.resolver.resolve(as_written)))
        if not fiche.pilotage:
            flags.append(ReviewFlag("pilots", "Aucune ligne « Pilotage » trouvée.", span))

        for letter in fiche.duplicate_letters:
            flags.append(
                ReviewFlag("actions", f"Deux actions portent la lettre {letter} dans le document.")
            )
        if not fiche.objectives:
            flags.append(
                ReviewFlag(
                    "operational_objectives",
                    "Aucun objectif opérationnel lisible dans le texte de cette fiche.",
                    span,
                )
            )
        links = list(dict.fromkeys(fiche.links))
        for topic in fiche.link_topics:
            target = _fiche_by_topic(topic, all_fiches, self)
            if target and target != fiche.number:
                links.append(target)
                flags.append(
                    ReviewFlag(
                        "linked_fiches",
                        f"Lien « {topic} » lu comme la fiche n°{target} : à vérifier.",
                        span,
                    )
                )
            else:
                flags.append(
                    ReviewFlag("linked_fiches", f"Lien « {topic} » : fiche non identifiée.", span)
                )

        actions = []
        for position, action in enumerate(fiche.actions):
            deadline_text = squash(" ".join(action["deadline"]))
            years = deadline_years(deadline_text, start_year)
            if not years:
                flags.append(
                    ReviewFlag(
                        "actions",
                        f"Action {action['letter']} : échéance absente ou illisible.",
                        Span(self.document, min(action["lines"]), max(action["lines"])),
                    )
                )
            actions.append(
                ActionDraft(
                    letter=action["letter"],
                    text=self.join(action["text"]),
                    deadline_years=years,
                    deadline_as_written=deadline_text,
                    span=Span(self.document, min(action["lines"]), max(action["lines"])),
                )
            )
            del position
        indicators = [
            IndicatorDraft(
                kind=ind["kind"],
                actions=ind["letters"],
                text=self.join(ind["text"]),
                span=Span(self.document, min(ind["lines"]), max(ind["lines"])),
            )
            for ind in fiche.indicators
        ]
        programmes = []
        for lines in fiche.programmes:
            text = self.join(lines).rstrip(" .;")
            if text and fold(text) not in {fold(p) for p in programmes}:
                programmes.append(text)
        return FicheDraft(
            number=fiche.number,
            title=self.join(fiche.title),
            section_key=section_key,
            span=span,
            pilotage_label=fiche.pilotage_label,
            roles=roles,
            context=_paragraphs(fiche.context, self),
            linked_fiches=links,
            strategic_objective=self.join(fiche.strategic),
            operational_objectives=[self.join(o) for o in fiche.objectives],
            actions=actions,
            public=self.join(fiche.public),
            programmes=programmes,
            indicators=indicators,
            flags=flags,
        )


_STATE_LABELS = {
    "grid": "grille d'avancement",
    "tail": "après la grille d'avancement",
    "indicators": "indicateurs",
}


def _paragraphs(lines: list[str], parser: CarcassonneParser) -> str:
    """Context text: lines joined, a paragraph break where a line starts a bullet or a sentence
    after a line that ended one."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        stripped = line.strip()
        previous = paragraphs[-1][-1].strip() if paragraphs[-1] else ""
        if paragraphs[-1] and (
            BULLET.match(line)
            or (previous.endswith((".", ":", "!", "?")) and stripped[:1].isupper())
        ):
            paragraphs.append([])
        paragraphs[-1].append(line)
    return "\n\n".join(parser.join(p) for p in paragraphs if p)


def _fiche_by_topic(topic: str, fiches: list[_Fiche], parser: CarcassonneParser) -> str | None:
    """ "sur les CPS" -> the fiche whose title carries "(CPS)"."""
    words = [w for w in re.findall(r"[A-Z]{2,}", topic)]
    for word in words:
        for fiche in fiches:
            if f"({word})" in parser.join(fiche.title):
                return fiche.number
    return None


def _title_case_cls(raw: str) -> str:
    """ "LE CONTRAT LOCAL DE SANTE DE CARCASSONNE AGGLO 2024-2029" -> readable French title."""
    text = squash(raw)
    match = re.match(r"^(?:LE\s+)?CONTRAT LOCAL DE SANT[EÉ]\s+(?:DE\s+|DU\s+|DES\s+)?(.*)$", text)
    if not match:
        return text
    rest = " ".join(
        w if re.fullmatch(r"[\d\-–]+", w) else w.capitalize() for w in match.group(1).split()
    )
    return f"Contrat local de santé de {rest}"


def _territory_from_title(raw: str) -> str:
    text = squash(raw)
    match = re.search(r"SANT[EÉ]\s+(?:DE\s+|DU\s+|DES\s+)?(.*?)\s*(?:20\d\d.*)?$", text)
    if not match:
        return ""
    return " ".join(w.capitalize() for w in match.group(1).split())


def parse(text: str, document: str) -> PlanDraft:
    return CarcassonneParser(text, document).parse()
