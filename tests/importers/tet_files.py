"""Build Territoires en Transitions plan-import files (XLSX, CSV) for the tests and the bench."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook

from pilotis.core.cells import xlsx_value
from pilotis.importers.tet import COLUMNS

HEADERS = [h for _, h in COLUMNS]
INSTRUCTIONS = ["Exemple : 1. Axe" if i == 0 else f"Consigne {h}" for i, h in enumerate(HEADERS)]


def row(**values) -> list:
    """A data row from column codes: row(axis="1. Prévention", title="…", budget=5000)."""
    index = {code: i for i, (code, _) in enumerate(COLUMNS)}
    cells = [None] * len(COLUMNS)
    for code, value in values.items():
        cells[index[code]] = value
    return cells


def sample_rows() -> list[list]:
    """A small CLS: two axes, three fiches, one with two sous-actions, funders and dates."""
    return [
        row(
            axis="1. Prévention et promotion de la santé",
            sub_axis="1.1 Nutrition",
            title="Développer les ateliers cuisine",
            description="Ateliers dans les centres sociaux",
            objectives="Améliorer l’alimentation des familles",
            indicators="Nombre d’ateliers, Nombre de participants (adultes, enfants)",
            pilots="CCAS de Test",
            partners='CAF, Mairie (service santé, CCAS), "Épicerie solidaire, Test"',
            lead_person="Chargée de mission santé",
            funder_1="ARS",
            amount_1=5000,
            funder_2="CAF",
            amount_2="2 500,50",
            budget="7 500,50 €",
            status="En cours",
            priority="Élevé",
            start_date=date(2025, 1, 15),
            end_date="31/12/2026",
        ),
        row(
            axis="1. Prévention et promotion de la santé",
            sub_axis="1.1 Nutrition",
            title="Développer les ateliers cuisine",
            sub_action="Recruter une diététicienne",
            status="À venir",
            start_date="01/03/2025",
        ),
        row(
            axis="1. Prévention et promotion de la santé",
            sub_axis="1.1 Nutrition",
            title="Développer les ateliers cuisine",
            sub_action="Former les animateurs",
        ),
        row(
            axis="1. Prévention et promotion de la santé",
            title="Sensibiliser au dépistage",
            pilots="CPAM, Ligue contre le cancer",
        ),
        row(axis="2. Accès aux soins", title="Ouvrir une maison de santé", budget=1200000),
    ]


def workbook(rows: list[list], headers: list[str] | None = None) -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = "Plan d'actions"
    sheet["A1"] = "Modèle d’import de plan — Territoires en Transitions"
    for i, header in enumerate(headers or HEADERS, start=1):
        sheet.cell(2, i).value = header
    for i, text in enumerate(INSTRUCTIONS, start=1):
        sheet.cell(3, i).value = text
    for r, values in enumerate(rows, start=4):
        for c, value in enumerate(values, start=1):
            if value is not None:
                xlsx_value(sheet.cell(r, c), value)
    return book


def xlsx(rows: list[list] | None = None, headers: list[str] | None = None, edit=None) -> bytes:
    book = workbook(sample_rows() if rows is None else rows, headers)
    if edit:
        edit(book.active)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list] | None = None, encoding: str = "utf-8") -> bytes:
    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        text = str(value)
        if any(c in text for c in ';"\n'):
            text = '"' + text.replace('"', '""') + '"'
        return text

    lines = [";".join(["Modèle d’import de plan"] + [""] * (len(HEADERS) - 1))]
    lines.append(";".join(HEADERS))
    lines.append(";".join(cell(v) for v in INSTRUCTIONS))
    lines += [";".join(cell(v) for v in r) for r in (sample_rows() if rows is None else rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
