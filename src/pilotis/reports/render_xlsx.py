"""The annual report's full data as XLSX (openpyxl): one sheet per level, numbers as numbers.

Sheets: Contrat, Sections, Organisations, Fiches, Actions, Indicateurs, Décisions, Errata,
Fiches en retard. Row 1 names the plan and the year (and « Données de démonstration » for a demo
campaign), row 2 holds the column headings, data starts on row 3. Rates are stored as fractions of
1 with a percent format, so that a spreadsheet computes on them; labels keep the French wording.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pilotis.core.cells import xlsx_value
from pilotis.reports.model import AnnualReport, ProgressRow

PERCENT = "0.0 %"
HEADING_FILL = PatternFill("solid", fgColor="EEEEF8")
DEMO_FONT = Font(bold=True, color="B34000")


def _number(value: Any) -> Any:
    """Exact numbers as spreadsheet numbers (floats); other values as they are."""
    if isinstance(value, Fraction | Decimal):
        return float(value)
    return value


def _rate(value: Fraction | int | None) -> float | None:
    return None if value is None else float(Fraction(value) / 100)


class _Sheets:
    def __init__(self, report: AnnualReport) -> None:
        self.workbook = Workbook()
        self.report = report
        self.first = True

    def add(
        self,
        title: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        percent_columns: Sequence[int] = (),
        widths: Sequence[int] = (),
    ) -> None:
        if self.first:
            sheet = self.workbook.active
            sheet.title = title
            self.first = False
        else:
            sheet = self.workbook.create_sheet(title)
        cover = self.report.cover
        heading = f"{cover.plan_title} — {self.report.year_label.lower()} — {title}"
        if cover.is_demo:
            heading += f" — {cover.demo_label}"
        xlsx_value(sheet.cell(row=1, column=1), heading)
        sheet.cell(row=1, column=1).font = DEMO_FONT if cover.is_demo else Font(bold=True)
        for index, name in enumerate(columns, start=1):
            cell = sheet.cell(row=2, column=index)
            xlsx_value(cell, name)
            cell.font = Font(bold=True)
            cell.fill = HEADING_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for r, row in enumerate(rows, start=3):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                # User text as text (never a formula, nothing XML cannot hold), numbers as numbers.
                xlsx_value(cell, _number(value))
                if c - 1 in percent_columns:
                    cell.number_format = PERCENT
        for index in range(len(columns)):
            width = widths[index] if index < len(widths) else 18
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        sheet.freeze_panes = "B3"
        sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{max(2, len(rows) + 2)}"


def _progress_rows(kind: str, rows: Sequence[ProgressRow]) -> list[list[Any]]:
    return [
        [
            kind,
            r.number,
            r.label,
            _rate(r.rate),
            r.rate_label if r.rate is None else "",
            r.rated,
            r.expected,
            r.actions_due,
            r.actions_done,
            r.objectives_reached,
            r.objectives_answered,
        ]
        for r in rows
    ]


PROGRESS_COLUMNS = (
    "Niveau",
    "Numéro",
    "Intitulé",
    "Taux d’avancement",
    "Pas de taux : pourquoi",
    "Fiches renseignées",
    "Fiches attendues",
    "Actions prévues",
    "Actions réalisées",
    "Objectifs atteints",
    "Fiches ayant répondu sur l’objectif",
)


def annual_xlsx(report: AnnualReport) -> bytes:
    sheets = _Sheets(report)
    cover = report.cover
    contract = report.contract
    sheets.add(
        "Contrat",
        ("Donnée", "Valeur"),
        [
            ["Plan", cover.plan_title],
            ["Année du contrat", report.year_label],
            ["Données", cover.demo_label if cover.is_demo else "Suivi réel"],
            ["État", cover.status],
            ["Rapport produit le", cover.generated_on],
            ["Taux d’avancement du contrat", _rate(contract.rate)],
            ["Fiches renseignées", contract.rated],
            ["Fiches attendues", contract.expected],
            ["Fiches en retard", len(report.late)],
            ["Actions prévues", contract.actions_due],
            ["Actions réalisées", contract.actions_done],
            ["Objectifs atteints", contract.objectives_reached],
            ["Fiches ayant répondu sur l’objectif", contract.objectives_answered],
            ["Décisions du COPIL", len(report.decisions)],
            ["Règle de comptage", cover.counted_note],
        ],
        widths=(36, 60),
    )
    # The contract's rate sits in row 8 (title, heading, then the sixth line): a percent.
    sheets.workbook["Contrat"].cell(row=8, column=2).number_format = PERCENT
    section_rows = []
    for level in report.section_levels:
        section_rows += _progress_rows(level.name, level.rows)
    sheets.add("Sections", PROGRESS_COLUMNS, section_rows, (3,), (16, 8, 60, 12, 30))
    sheets.add(
        "Organisations",
        PROGRESS_COLUMNS,
        _progress_rows("Organisation pilote", report.pilots)
        + _progress_rows("Partenaire", report.partners)
        + _progress_rows("Public cible", report.publics),
        (3,),
        (20, 8, 50, 12, 30),
    )
    sheets.add(
        "Fiches",
        (
            "N°",
            "Intitulé",
            "Section",
            "Pilotage",
            "État du suivi",
            "Taux d’avancement",
            "Objectif atteint",
            "Actions prévues",
            "Actions réalisées (oui)",
            "Actions en partie",
            "Actions non réalisées",
            "Actions sans réponse",
            "Difficultés rencontrées",
            "Commentaire",
            "Décision du COPIL",
            "Motif de la décision",
        ),
        [
            [
                f.number,
                f.title,
                f.section,
                ", ".join(f.pilots),
                f.status_label,
                _rate(f.rate),
                f.objective_label,
                len(f.actions),
                sum(a.done == "yes" for a in f.actions),
                sum(a.done == "partly" for a in f.actions),
                sum(a.done == "no" for a in f.actions),
                sum(a.done is None for a in f.actions),
                f.obstacles,
                f.comment,
                f.decision.kind_label if f.decision else "",
                f.decision.reason if f.decision else "",
            ]
            for f in report.fiches
        ],
        (5,),
        (6, 50, 40, 30, 16, 12),
    )
    sheets.add(
        "Actions",
        ("Fiche", "Lettre", "Action", "Échéance", "Réalisée", "Commentaire"),
        [
            [f.number, a.letter, a.text, a.deadline, a.done_label, a.comment]
            for f in report.fiches
            for a in f.actions
        ],
        widths=(6, 7, 70, 20, 12, 40),
    )
    sheets.add(
        "Indicateurs",
        (
            "Fiche",
            "Type",
            "Actions",
            "Indicateur",
            "Valeur (nombre)",
            "Valeur (texte)",
            "Unité",
            "Référence",
            "Cible",
            "Évolution sur un an",
            "Évolution relative",
            "Évolution (texte)",
            "Calculé",
            "Origine du chiffre",
        ),
        [
            [
                f.number,
                i.kind_label,
                i.letters,
                i.text,
                i.number,
                "" if i.computed or i.number is not None or i.value == "—" else i.value,
                i.unit,
                i.baseline,
                i.target,
                i.change_absolute,
                i.change_relative,
                i.change,
                "oui" if i.computed else "non",
                i.source,
            ]
            for f in report.fiches
            for i in f.indicators
        ],
        (10,),
        (6, 10, 8, 60, 12, 20, 10, 14, 14, 12, 12, 30, 8, 50),
    )
    sheets.add(
        "Décisions",
        ("Fiche", "Intitulé", "Décision", "Nouvelle action", "Motif", "Enregistrée le"),
        [
            [d.fiche_number, d.fiche_title, d.kind_label, d.new_action, d.reason, d.decided_on]
            for d in report.decisions
        ],
        widths=(6, 50, 16, 40, 60, 16),
    )
    sheets.add(
        "Errata",
        ("Fiche", "Donnée corrigée", "Avant", "Après", "Motif", "Enregistré le"),
        [
            [e.fiche, e.field_label, e.before, e.after, e.reason, e.recorded_on]
            for e in report.errata
        ],
        widths=(40, 30, 20, 20, 60, 16),
    )
    sheets.add(
        "Fiches en retard",
        ("Fiche", "Intitulé", "Pilotage", "État du suivi"),
        [[f.number, f.title, ", ".join(f.pilots), f.status_label] for f in report.late],
        widths=(6, 60, 40, 16),
    )
    workbook = sheets.workbook
    workbook.properties.title = f"{cover.title} — {report.year_label.lower()}"
    workbook.properties.subject = cover.plan_title
    workbook.properties.creator = "Pilotis"
    if cover.is_demo:
        workbook.properties.keywords = cover.demo_label
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
