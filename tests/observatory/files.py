"""Small files in the shapes French open data comes in, built by the tests (no download)."""

from __future__ import annotations

import io

from openpyxl import Workbook

APL_NOTES = [
    "Accessibilité potentielle localisée (APL) aux médecins généralistes",
    "Source : SNIIR-AM 2022, EGB 2022, CNAM-TS ; populations par sexe et âge 2020, Insee",
    "Traitements : DREES",
    "",
    "Note : l’APL tient compte de l’offre et de la demande issues des communes environnantes.",
    "Champ : France hors Mayotte",
    "Lecture : un habitant de la commune a accès à 3,2 consultations par an.",
    "",
]
APL_HEADER = [
    "Code commune INSEE",
    "Libellé de la commune",
    "APL aux médecins généralistes",
    "APL aux médecins généralistes de moins de 65 ans",
    "Population standardisée 2022 pour la médecine générale",
]
APL_UNITS = ["", "", "consultations/visites par habitant standardisé", "idem", "habitants"]


def apl_workbook(rows_by_year: dict[str, list[list]]) -> bytes:
    """The DREES APL workbook: a notes sheet, then one sheet per year with eight lines of notes,
    the header on row 9 and a units row below it."""
    book = Workbook()
    about = book.active
    about.title = "Présentation"
    about.append(["Indicateur d’accessibilité potentielle localisée (APL)"])
    about.append(["Mise à jour : 2023"])
    for year, rows in rows_by_year.items():
        sheet = book.create_sheet(year)
        for note in APL_NOTES:
            sheet.append([note])
        sheet.append(APL_HEADER)
        sheet.append(APL_UNITS)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def insee_csv(rows: list[str], preamble: tuple[str, ...] = ()) -> bytes:
    """An INSEE-like table saved by a French spreadsheet: `;`, decimal comma, Windows-1252."""
    lines = [
        *preamble,
        "CODGEO;LIBGEO;PMUN;Part des 75 ans ou plus (%)",
        *rows,
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


AMELI_HEADER = "annee;patho_niv1;patho_niv2;top;cla_age_5;sexe;region;dept;Ntop;Npop;prev"


def ameli_csv(rows: list[str]) -> bytes:
    """The Ameli pathology file, long: one row per year, pathology, age band, sex and department
    (`dept` 999: the region's total; `region` 99: France)."""
    return ("\n".join([AMELI_HEADER, *rows]) + "\n").encode("utf-8")
