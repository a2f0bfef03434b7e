"""Entry point of spreadsheet imports (XLSX, CSV): recognise the layout, then parse it."""

from __future__ import annotations

from pilotis.importers import plan_sheet, sheets, tet
from pilotis.plans.draft import ParseError, PlanDraft

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv")

LAYOUTS = (
    "le tableur de plan de Pilotis (feuille « Actions », colonnes « N° fiche » et "
    "« Intitulé de la fiche » en ligne 1)",
    "le modèle d’import de plan de Territoires en Transitions (« Axe (x) » en A2, en-têtes "
    "en ligne 2, données à partir de la ligne 4)",
)


def is_spreadsheet(filename: str) -> bool:
    return filename.lower().endswith(SPREADSHEET_SUFFIXES)


def parse_spreadsheet(data: bytes, filename: str) -> PlanDraft:
    """The PlanDraft of an uploaded plan spreadsheet, or ParseError with a French message."""
    if filename.lower().endswith(".csv"):
        book = [sheets.read_csv(data, filename)]
    else:
        book = sheets.read_xlsx(data, filename)
    if not book or not any(sheet.rows for sheet in book):
        raise ParseError(f"Le fichier « {filename} » ne contient aucune cellule remplie.")
    if tet.looks_like(book):
        return tet.parse(book, filename)
    if plan_sheet.looks_like(book):
        return plan_sheet.parse(book, filename)
    names = ", ".join(f"« {s.name} »" for s in book if s.name)
    raise ParseError(
        f"Le fichier « {filename} » n’a pas d’en-tête reconnu"
        + (f" (feuilles lues : {names})" if names else "")
        + ". Formats de tableur reconnus : "
        + " ; ".join(LAYOUTS)
        + "."
    )
