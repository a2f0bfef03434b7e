"""The plan-import spreadsheet of Territoires en Transitions (ADEME), XLSX or CSV, as a PlanDraft.

The layout is the one the platform publishes and checks (headers on row 2, instructions on row
3, data from row 4): columns A–C the axis path (« 1. Titre »), D the title of the action (fiche),
E a sous-action of it, then its description, governance, objectives, indicators, pilots,
partners, funding and funders, budget, status, priority and dates (see docs/plan-spreadsheet.md).
Each row is a fiche; a row with a sous-action is an action of the fiche of the same title under
the same axis. Refusals name the file, the row, the column and the action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import PurePath

from django.utils.text import slugify

from pilotis.core.text import fold
from pilotis.importers import sheets
from pilotis.importers.review import organisation_for
from pilotis.plans.draft import (
    ActionDraft,
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

# (code, header) in column order; column D has two accepted headers.
COLUMNS: list[tuple[str, str]] = [
    ("axis", "Axe (x)"),
    ("sub_axis", "Sous-axe (x.x)"),
    ("sub_sub_axis", "Sous-sous axe (x.x.x)"),
    ("title", "Titre de l'action"),
    ("sub_action", "Titre de la sous-action"),
    ("description", "Descriptif"),
    ("governance", "Instances de gouvernance"),
    ("objectives", "Objectifs"),
    ("indicators", "Indicateurs liés"),
    ("pilots", "Structure pilote"),
    ("means", "Moyens humains et techniques"),
    ("partners", "Partenaires"),
    ("lead_service", "Direction ou service pilote"),
    ("lead_person", "Personne pilote"),
    ("elected_referent", "Élu·e référent·e"),
    ("citizen_participation", "Participation citoyenne"),
    ("funding", "Financements"),
    ("funder_1", "Financeur 1"),
    ("amount_1", "Montant € HT"),
    ("funder_2", "Financeur 2"),
    ("amount_2", "Montant € HT"),
    ("funder_3", "Financeur 3"),
    ("amount_3", "Montant € HT"),
    ("budget", "Budget prévisionnel total € HT"),
    ("status", "Statut"),
    ("priority", "Niveau de priorité"),
    ("start_date", "Date de début"),
    ("end_date", "Date de fin"),
]
INDEX = {code: i for i, (code, _) in enumerate(COLUMNS)}
ALTERNATIVE_HEADERS = {3: {"Titre de la fiche action"}}
HEADER_ROW = 2
FIRST_DATA_ROW = 4
LEVELS = ["Axe", "Sous-axe", "Sous-sous-axe"]
TEXT_EXTRAS = (
    "description",
    "governance",
    "means",
    "lead_service",
    "lead_person",
    "elected_referent",
    "citizen_participation",
    "funding",
    "status",
    "priority",
)
# Statuses and priorities the platform offers, to tell a typo from a known value.
STATUSES = ("À venir", "En cours", "Réalisé", "En pause", "Abandonné", "Bloqué", "En retard")
PRIORITIES = ("Élevé", "Moyen", "Bas")
MAX_ERRORS = 20


def _header_key(text: str) -> str:
    # Compared without case, accents, apostrophe shapes or spaces: « Participation Citoyenne »
    # in one version of the template, « Participation citoyenne » in another.
    return re.sub(r"\s+", " ", fold(text.replace("’", "'"))).strip()


def header_matches(values: list) -> bool:
    """Whether a row starts like the header of this layout (its A cell says « Axe (x) »)."""
    return bool(values) and _header_key(sheets.text(values[0])) == _header_key(COLUMNS[0][1])


def find_sheet(book: list[sheets.Sheet]) -> sheets.Sheet | None:
    """The sheet holding the plan: « Axe (x) » in A2 (or in A1 for a CSV without a title row)."""
    for sheet in book:
        for number in (HEADER_ROW, 1):
            if header_matches(sheet.row(number)):
                return sheet
    return None


def looks_like(book: list[sheets.Sheet]) -> bool:
    return find_sheet(book) is not None


@dataclass
class _Row:
    number: int
    values: list

    def get(self, code: str):
        i = INDEX[code]
        return self.values[i] if i < len(self.values) else None

    def text(self, code: str) -> str:
        return sheets.text(self.get(code))


def parse(book: list[sheets.Sheet], filename: str) -> PlanDraft:
    sheet = find_sheet(book)
    if sheet is None:
        raise ParseError(
            f"Le fichier « {filename} » n’a pas la forme du modèle Territoires en Transitions : "
            f"aucune feuille n’a « {COLUMNS[0][1]} » en A2."
        )
    header_row = HEADER_ROW if header_matches(sheet.row(HEADER_ROW)) else 1
    _check_header(sheet, header_row, filename)
    # The template's row 3 explains each column: it is no fiche. A CSV with the header on its
    # first line has its data right after it.
    first = FIRST_DATA_ROW if header_row == HEADER_ROW else header_row + 1
    sheets.apply_merges(sheet, filename, first)
    return _Reader(sheet, filename, first).run()


def _check_header(sheet: sheets.Sheet, header_row: int, filename: str) -> None:
    values = sheet.row(header_row)
    for i, (_, expected) in enumerate(COLUMNS):
        actual = sheets.text(values[i]) if i < len(values) else ""
        accepted = {expected, *ALTERNATIVE_HEADERS.get(i, ())}
        if _header_key(actual) not in {_header_key(a) for a in accepted}:
            raise ParseError(
                f"{sheets.where(filename, sheet.name, header_row)} : la colonne "
                f"{sheets.column(i)} devrait être « {expected} » et non « {actual} ». "
                "Les colonnes attendues, dans cet ordre, sont : "
                + ", ".join(f"{sheets.column(j)} « {h} »" for j, (_, h) in enumerate(COLUMNS))
                + "."
            )


class _Reader:
    def __init__(self, sheet: sheets.Sheet, filename: str, first_row: int):
        self.sheet = sheet
        self.filename = filename
        self.first_row = first_row
        self.errors: list[str] = []
        self.sections: dict[tuple[str | None, str], SectionDraft] = {}
        self.organisations: dict[str, OrganisationDraft] = {}
        self.unplaced: list[UnplacedLine] = []
        headers = sheet.row(HEADER_ROW if first_row == FIRST_DATA_ROW else first_row - 1)
        self.extra_headers = {
            i: sheets.text(h) or sheets.column(i)
            for i, h in enumerate(headers)
            if i >= len(COLUMNS)
        }

    def where(self, row: int, code: str | None = None) -> str:
        col = INDEX[code] if code else None
        place = sheets.where(self.filename, self.sheet.name, row, col)
        if code:
            place += f" « {COLUMNS[INDEX[code]][1]} »"
        return place

    def error(self, message: str) -> None:
        self.errors.append(message)

    def span(self, row: int) -> Span:
        return Span(self.filename, row, row, self.sheet.name)

    def run(self) -> PlanDraft:
        rows = [_Row(n, v) for n, v in sheets.iter_values(self.sheet, self.first_row)]
        fiches: dict[tuple[str, str], FicheDraft] = {}
        fiche_rows: dict[tuple[str, str], int] = {}
        subs: list[tuple[_Row, str]] = []
        for row in rows:
            self._unplaced_columns(row)
            section_key = self._section(row)
            title = row.text("title")
            sub = row.text("sub_action")
            if sub:
                subs.append((row, section_key))
                continue
            if not title:
                self.error(
                    f"{self.where(row.number, 'title')} : la ligne est remplie mais n’a pas de "
                    "titre d’action."
                )
                continue
            key = (section_key, fold(title))
            if key in fiches:
                self.error(
                    f"{self.where(row.number, 'title')} : l’action « {title} » figure deux fois "
                    f"sous le même axe (lignes {fiche_rows[key]} et {row.number}). Donnez-leur "
                    "des titres différents, ou écrivez la seconde comme sous-action (colonne E)."
                )
                continue
            fiche_rows[key] = row.number
            fiches[key] = self._fiche(row, str(len(fiches) + 1), section_key, title)
        for row, section_key in subs:
            self._sub_action(row, section_key, fiches)
        if self.errors:
            shown = self.errors[:MAX_ERRORS]
            more = len(self.errors) - len(shown)
            raise ParseError(
                f"Le fichier « {self.filename} » ne peut pas être importé ; rien n’a été "
                "enregistré. "
                + " ".join(shown)
                + (f" (et {more} autre(s) erreur(s))" if more else "")
            )
        if not fiches:
            raise ParseError(
                f"Le fichier « {self.filename} » a l’en-tête du modèle Territoires en Transitions "
                f"mais aucune action à partir de la ligne {self.first_row} de la feuille "
                f"« {self.sheet.name} »."
            )
        self._merge_flags(fiches, fiche_rows)
        stem = PurePath(self.filename).stem
        title = re.sub(r"[_\s]+", " ", stem).strip() or "Plan importé"
        return PlanDraft(
            kind="cls",
            slug=(slugify(fold(stem)) or "plan-importe")[:80],
            title=title[:1].upper() + title[1:],
            document=self.filename,
            levels=list(LEVELS),
            sections=list(self.sections.values()),
            fiches=list(fiches.values()),
            organisations=sorted(self.organisations.values(), key=lambda o: fold(o.name)),
            unplaced=self.unplaced,
            extra={"source_format": "territoires-en-transitions"},
        )

    # Sections

    def _section(self, row: _Row) -> str:
        parent: str | None = None
        gap = None
        for level, code in enumerate(("axis", "sub_axis", "sub_sub_axis")):
            cell = row.text(code)
            if not cell:
                gap = gap or code
                continue
            if gap:
                self.error(
                    f"{self.where(row.number, gap)} : la colonne est vide alors que la colonne "
                    f"{sheets.column(INDEX[code])} est remplie ; indiquez le chemin complet de "
                    "l’axe."
                )
                return parent or ""
            number, title = split_numbered(cell)
            key = (parent, fold(title))
            section = self.sections.get(key)
            if section is None:
                siblings = sum(1 for p, _ in self.sections if p == parent)
                section_key = f"{parent}.{siblings + 1}" if parent else f"S{siblings + 1}"
                section = SectionDraft(
                    key=section_key,
                    level=level,
                    number=number,
                    title=title,
                    parent_key=parent,
                    span=self.span(row.number),
                )
                self.sections[key] = section
            parent = section.key
        return parent or ""

    # Fiches and their parts

    def _fiche(self, row: _Row, number: str, section_key: str, title: str) -> FicheDraft:
        fiche = FicheDraft(
            number=number,
            title=title,
            section_key=section_key,
            span=self.span(row.number),
            strategic_objective=row.text("objectives"),
        )
        fiche.roles = [
            RoleDraft("pilot", text, organisation_for(text, self.organisations))
            for text in sheets.split_list(row.get("pilots"))
        ] + [
            RoleDraft("partner", text, organisation_for(text, self.organisations))
            for text in sheets.split_list(row.get("partners"))
        ]
        fiche.indicators = [
            IndicatorDraft("result", [], text, self.span(row.number))
            for text in sheets.split_list(row.get("indicators"))
        ]
        fiche.extra = self._extras(row, title)
        for code, allowed in (("status", STATUSES), ("priority", PRIORITIES)):
            value = fiche.extra.get(code)
            if value and fold(value) not in {fold(a) for a in allowed}:
                fiche.flags.append(
                    ReviewFlag(
                        "extra",
                        f"{COLUMNS[INDEX[code]][1]} « {value} » : valeur hors de la liste du "
                        f"modèle ({', '.join(allowed)}), gardée telle qu’écrite.",
                        self.span(row.number),
                    )
                )
        return fiche

    def _extras(self, row: _Row, title: str) -> dict[str, str]:
        extra = {code: row.text(code) for code in TEXT_EXTRAS if row.text(code)}
        funders = []
        for n in (1, 2, 3):
            funder = row.text(f"funder_{n}")
            amount = self._amount(row, f"amount_{n}", title)
            if amount is not None and not funder:
                self.error(
                    f"{self.where(row.number, f'funder_{n}')}, action « {title} » : un montant "
                    f"est indiqué en {sheets.column(INDEX[f'amount_{n}'])} sans le financeur."
                )
            if funder:
                funders.append(f"{funder} : {french_amount(amount)}" if amount else funder)
        if funders:
            extra["funders"] = "\n".join(funders)
        budget = self._amount(row, "budget", title)
        if budget is not None:
            extra["budget"] = french_amount(budget)
        start = self._date(row, "start_date", title)
        end = self._date(row, "end_date", title)
        if start and end and end < start:
            self.error(
                f"{self.where(row.number, 'end_date')}, action « {title} » : la date de fin "
                f"({end:%d/%m/%Y}) précède la date de début ({start:%d/%m/%Y}, colonne "
                f"{sheets.column(INDEX['start_date'])})."
            )
        if start:
            extra["start_date"] = f"{start:%d/%m/%Y}"
        if end:
            extra["end_date"] = f"{end:%d/%m/%Y}"
        return extra

    def _amount(self, row: _Row, code: str, title: str) -> Decimal | None:
        value = row.get(code)
        try:
            amount = sheets.number(value)
        except ValueError:
            self.error(
                f"{self.where(row.number, code)}, action « {title} » : « {sheets.text(value)} » "
                "n’est pas un montant ; écrivez un nombre d’euros hors taxes, par exemple "
                "12 500 ou 12 500,50."
            )
            return None
        if amount is not None and amount < 0:
            self.error(
                f"{self.where(row.number, code)}, action « {title} » : le montant "
                f"{sheets.text(value)} est négatif."
            )
            return None
        return amount

    def _date(self, row: _Row, code: str, title: str) -> date | None:
        value = row.get(code)
        try:
            return sheets.day(value)
        except ValueError:
            self.error(
                f"{self.where(row.number, code)}, action « {title} » : « {sheets.text(value)} » "
                "n’est pas une date ; écrivez-la au format JJ/MM/AAAA."
            )
            return None

    def _sub_action(
        self, row: _Row, section_key: str, fiches: dict[tuple[str, str], FicheDraft]
    ) -> None:
        title = row.text("title")
        sub = row.text("sub_action")
        parent = fiches.get((section_key, fold(title))) if title else None
        if parent is None:
            reason = (
                "la colonne D ne nomme pas l’action dont elle fait partie"
                if not title
                else f"aucune action « {title} » n’est écrite sous le même axe"
            )
            self.error(
                f"{self.where(row.number, 'sub_action')} : la sous-action « {sub} » n’a pas "
                f"d’action parente ({reason}). Ajoutez une ligne pour l’action, colonne E vide."
            )
            return
        if any(fold(a.text) == fold(sub) for a in parent.actions):
            self.error(
                f"{self.where(row.number, 'sub_action')} : la sous-action « {sub} » figure deux "
                f"fois dans l’action « {parent.title} »."
            )
            return
        extra = self._extras(row, sub)
        pilots = sheets.split_list(row.get("pilots"))
        if pilots:
            extra["pilots"] = ", ".join(pilots)
        dates = ""
        if extra.get("start_date") or extra.get("end_date"):
            dates = " ".join(
                part
                for part in (
                    f"du {extra['start_date']}" if extra.get("start_date") else "",
                    f"au {extra['end_date']}" if extra.get("end_date") else "",
                )
                if part
            )
        parent.actions.append(
            ActionDraft(
                letter=action_letter(len(parent.actions)),
                text=sub,
                deadline_years=[],
                deadline_as_written=dates[:200],
                span=self.span(row.number),
                extra=extra,
            )
        )

    def _unplaced_columns(self, row: _Row) -> None:
        """Cells beyond column AB are no field of the template: listed, not lost."""
        for i in range(len(COLUMNS), len(row.values)):
            value = sheets.text(row.values[i])
            if value:
                header = self.extra_headers.get(i, sheets.column(i))
                self.unplaced.append(
                    UnplacedLine(
                        line=row.number,
                        text=f"{sheets.column(i)}{row.number} ({header}) : {value}"[:2000],
                        reason="colonne hors du modèle Territoires en Transitions",
                    )
                )

    def _merge_flags(self, fiches, fiche_rows) -> None:
        """Say on each fiche read from a merged cell which value it took from it."""
        if not self.sheet.filled_merges:
            return
        for key, fiche in fiches.items():
            row = fiche_rows[key]
            for col, first, last in self.sheet.filled_merges:
                if first < row <= last:
                    fiche.flags.append(
                        ReviewFlag(
                            "section_key" if col < 3 else "extra",
                            f"Colonne {sheets.column(col)} lue dans les cellules fusionnées "
                            f"{sheets.column(col)}{first}:{sheets.column(col)}{last} : la valeur "
                            f"de {sheets.column(col)}{first} vaut pour la ligne {row}.",
                            self.span(row),
                        )
                    )


_NUMBERED = re.compile(r"^\s*(\d+(?:\.\d+)*)\s*[.):–-]?\s+(.+)$", re.S)


def split_numbered(cell: str) -> tuple[str, str]:
    """« 1.2 Titre » or « 1.2. Titre » → ("1.2", "Titre"); a title without number → ("", title)."""
    match = _NUMBERED.match(cell)
    if match:
        return match.group(1), match.group(2).strip()
    return "", cell.strip()


def action_letter(index: int) -> str:
    """A, B… Z, then AA, AB…"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def french_amount(amount: Decimal) -> str:
    """12500.5 → « 12 500,50 € HT » (narrow no-break spaces between thousands)."""
    quantized = amount.quantize(Decimal("0.01"))
    whole, _, cents = f"{quantized:f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = sign + "\u202f".join(groups or ["0"])
    if cents and cents != "00":
        text += "," + cents
    return text + "\u00a0€ HT"
