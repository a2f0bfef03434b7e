"""The plan spreadsheet: the whole plan as an XLSX file a coordinator edits and imports back.

Pure: it writes the plain data of `plans.export.plan_to_dict`, no query. One row per action,
the fiche's fields repeated on each, the section path in the first columns; sheets of
instructions, of the plan's settings and of lists (data validation reads them); a hidden sheet
keeps the exported plan whole, so that an import knows what each cell held
(docs/plan-spreadsheet.md).
Every cell goes through `pilotis.core.cells`: user text is never written as a formula.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pilotis.core.cells import xlsx_value, xml_safe
from pilotis.plans.draft import EXTRA_LABELS
from pilotis.plans.models import Plan

ACTIONS_SHEET = "Actions"
PLAN_SHEET = "Plan"
HELP_SHEET = "Mode d’emploi"
LISTS_SHEET = "Listes"
DATA_SHEET = "Pilotis"  # hidden: the exported plan, in chunks
DATA_MARK = "pilotis.plan.xlsx"
CHUNK = 30_000  # under Excel's 32 767 characters a cell

PILOTAGE_VALUES = ("pilotage", "co-pilotage")
KIND_LABELS = {code: str(label) for code, label in Plan.Kind.choices}
ACTION_PREFIX = "Action – "

# (code, header) of the fiche's columns, after the section path.
FICHE_COLUMNS: list[tuple[str, str]] = [
    ("number", "N° fiche"),
    ("title", "Intitulé de la fiche"),
    ("pilotage", "Pilotage"),
    ("pilots", "Pilotes"),
    ("partners", "Partenaires"),
    ("public", "Public cible"),
    ("context", "Contexte"),
    ("strategic_objective", "Objectif stratégique"),
    ("operational_objectives", "Objectifs opérationnels"),
    ("programmes", "Programmes liés"),
    ("linked_fiches", "Fiches liées"),
    ("result_indicators", "Indicateurs de résultat"),
    ("monitoring_indicators", "Indicateurs de suivi"),
]
# (code, header) of the action's columns, after the fiche's extra rubrics.
ACTION_COLUMNS: list[tuple[str, str]] = [
    ("letter", "Action"),
    ("text", "Intitulé de l’action"),
    ("deadline_years", "Échéance (années du contrat)"),
    ("deadline_as_written", "Échéance telle qu’écrite"),
]
# (code, label) of the plan's settings on the « Plan » sheet.
PLAN_FIELDS: list[tuple[str, str]] = [
    ("slug", "Identifiant"),
    ("kind", "Type de plan"),
    ("title", "Titre"),
    ("signatories", "Signataires (un par ligne)"),
    ("signature_date", "Date de signature"),
    ("start_year", "Année 1 du contrat"),
    ("duration_years", "Durée (années)"),
]


# --- How each value is written (the reader compares cells with these to see what changed) ----


def lines(items: list[str]) -> str:
    return "\n".join(items)


def render_role(role: dict[str, Any]) -> str:
    return role["as_written"]


def render_indicator(indicator: dict[str, Any]) -> str:
    letters = indicator.get("actions") or []
    prefix = f"[{', '.join(letters)}] " if letters else ""
    return prefix + indicator["text"]


def render_years(years: list[int]) -> str:
    return ", ".join(str(y) for y in years)


FICHE_RENDER: dict[str, Callable[[dict[str, Any]], str]] = {
    "number": lambda f: f["number"],
    "title": lambda f: f["title"],
    "pilotage": lambda f: f["pilotage"],
    "pilots": lambda f: lines([render_role(r) for r in f["pilots"]]),
    "partners": lambda f: lines([render_role(r) for r in f["partners"]]),
    "public": lambda f: f["public"],
    "context": lambda f: f["context"],
    "strategic_objective": lambda f: f["strategic_objective"],
    "operational_objectives": lambda f: lines(f["operational_objectives"]),
    "programmes": lambda f: lines([p["as_written"] for p in f["programmes"]]),
    "linked_fiches": lambda f: ", ".join(f["linked_fiches"]),
    "result_indicators": lambda f: lines([render_indicator(i) for i in f["result_indicators"]]),
    "monitoring_indicators": lambda f: lines(
        [render_indicator(i) for i in f["monitoring_indicators"]]
    ),
}
ACTION_RENDER: dict[str, Callable[[dict[str, Any]], str]] = {
    "letter": lambda a: a["letter"],
    "text": lambda a: a["text"],
    "deadline_years": lambda a: render_years(a["deadline_years"]),
    "deadline_as_written": lambda a: a["deadline_as_written"],
}


def cell_text(value: Any) -> str:
    """What a written text cell reads back as (characters XML cannot hold are dropped)."""
    return xml_safe(value) if isinstance(value, str) else value


def extra_header(key: str) -> str:
    return EXTRA_LABELS.get(key, key)


def section_text(section: dict[str, Any]) -> str:
    return f"{section['number']} {section['title']}" if section["number"] else section["title"]


def level_headers(levels: list[str], depth: int) -> list[str]:
    return [levels[d] if d < len(levels) else "Section" for d in range(depth)]


def _flatten(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in sections:
        out.append(s)
        out += _flatten(s["children"])
    return out


def section_paths(data: dict[str, Any]) -> dict[str, list[str]]:
    """Section key → texts of the path from the root (as the first columns show it)."""
    paths: dict[str, list[str]] = {}

    def visit(nodes: list[dict[str, Any]], prefix: list[str]) -> None:
        for node in nodes:
            path = [*prefix, section_text(node)]
            paths[node["key"]] = path
            visit(node["children"], path)

    visit(data["sections"], [])
    return paths


def layout(data: dict[str, Any]) -> dict[str, Any]:
    """The columns of the « Actions » sheet for this plan."""
    depth = max([s["level"] + 1 for s in _flatten(data["sections"])] or [1])
    depth = max(depth, len(data["levels"]) or 1)
    fiche_extras = list(dict.fromkeys(k for f in data["fiches"] for k in f["extra"]))
    action_extras = list(
        dict.fromkeys(k for f in data["fiches"] for a in f["actions"] for k in a["extra"])
    )
    order = {k: i for i, k in enumerate(EXTRA_LABELS)}
    fiche_extras.sort(key=lambda k: order.get(k, len(order)))
    action_extras.sort(key=lambda k: order.get(k, len(order)))
    return {
        "levels": level_headers(data["levels"], depth),
        "fiche_extras": fiche_extras,
        "action_extras": action_extras,
    }


def headers(shape: dict[str, Any]) -> list[str]:
    return (
        shape["levels"]
        + [h for _, h in FICHE_COLUMNS]
        + [extra_header(k) for k in shape["fiche_extras"]]
        + [h for _, h in ACTION_COLUMNS]
        + [ACTION_PREFIX + extra_header(k) for k in shape["action_extras"]]
    )


def action_rows(data: dict[str, Any]) -> list[list[Any]]:
    """The rows of the « Actions » sheet (without its header), one per action."""
    shape = layout(data)
    paths = section_paths(data)
    depth = len(shape["levels"])
    rows = []
    for fiche in data["fiches"]:
        path = paths.get(fiche["section_key"] or "", [])
        fiche_cells = (
            (path + [""] * depth)[:depth]
            + [FICHE_RENDER[code](fiche) for code, _ in FICHE_COLUMNS]
            + [fiche["extra"].get(k, "") for k in shape["fiche_extras"]]
        )
        for action in fiche["actions"] or [None]:
            if action is None:
                action_cells = [""] * (len(ACTION_COLUMNS) + len(shape["action_extras"]))
            else:
                action_cells = [ACTION_RENDER[code](action) for code, _ in ACTION_COLUMNS] + [
                    action["extra"].get(k, "") for k in shape["action_extras"]
                ]
            rows.append(fiche_cells + action_cells)
    return rows


def plan_values(data: dict[str, Any]) -> dict[str, Any]:
    """The values of the « Plan » sheet, by code."""
    signature = data["signature_date"]
    return {
        "slug": data["slug"],
        "kind": KIND_LABELS.get(data["kind"], data["kind"]),
        "title": data["title"],
        "signatories": lines(data["signatories"]),
        "signature_date": date.fromisoformat(signature) if signature else None,
        "start_year": data["start_year"],
        "duration_years": data["duration_years"],
    }


def blank_plan(levels: tuple[str, ...] = ("Axe", "Objectif")) -> dict[str, Any]:
    """The data of an empty plan, for the blank spreadsheet a new plan starts from."""
    return {
        "slug": "",
        "kind": Plan.Kind.CLS.value,
        "title": "",
        "signatories": [],
        "signature_date": None,
        "start_year": None,
        "duration_years": 5,
        "levels": list(levels),
        "sections": [],
        "organisations": [],
        "fiches": [],
    }


# --- Writing ---------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="000091")  # DSFR blue France
WRAP = Alignment(wrap_text=True, vertical="top")

HELP = [
    "Le tableur du plan — mode d’emploi",
    "",
    "Ce fichier contient tout le plan. Modifiez-le puis importez-le dans Pilotis (menu "
    "« Importer un plan ») : avant tout enregistrement, Pilotis montre ce qui sera créé, "
    "modifié ou supprimé, et vous confirmez.",
    "",
    "Feuille « Actions » : une ligne par action. Les colonnes de la fiche (numéro, intitulé, "
    "pilotes…) sont répétées sur chaque ligne de ses actions ; sur les lignes suivantes d’une "
    "même fiche, elles doivent être identiques ou vides. Une fiche sans action tient sur une "
    "ligne dont les colonnes d’action sont vides.",
    "Les premières colonnes donnent le chemin de la fiche dans le plan (par exemple Ambition "
    "puis Objectif général), sous la forme « numéro titre » : un chemin nouveau crée les "
    "sections qui manquent.",
    "Listes dans une cellule (pilotes, partenaires, objectifs opérationnels, programmes, "
    "indicateurs) : un élément par ligne (Alt+Entrée dans Excel, Ctrl+Entrée dans LibreOffice).",
    "Indicateurs : « [A, C] texte » rattache l’indicateur aux actions A et C.",
    "Échéance : les années du contrat séparées par des virgules (1 = année de la signature).",
    "Pilotage : « pilotage » ou « co-pilotage » (liste déroulante).",
    "",
    "Ajouter une action : une nouvelle ligne avec le numéro de la fiche et une lettre nouvelle "
    "(laissée vide, Pilotis prend la lettre suivante).",
    "Ajouter une fiche : une nouvelle ligne avec un numéro nouveau.",
    "Supprimer une action ou une fiche : supprimez sa ligne (ses lignes). Pilotis refuse "
    "l’import si des données de suivi y renvoient.",
    "Les sections sans fiche restent dans le plan : elles se suppriment dans Pilotis.",
    "",
    "Feuille « Plan » : identifiant, type, titre, signataires, date de signature, année 1, durée.",
    "Feuille « Listes » : les valeurs proposées dans les listes déroulantes et les "
    "organisations du plan (nom, sigle, autres graphies) ; un pilote écrit comme l’une de ces "
    "graphies est rattaché à l’organisation. Cette feuille renseigne : la modifier ne change "
    "rien au plan.",
    "Feuille « Pilotis » (masquée) : le plan tel qu’exporté, pour que Pilotis sache ce que chaque "
    "cellule contenait et garde ce que le tableur ne montre pas (provenance, périmètre, points à "
    "vérifier). Ne la modifiez pas ; sans elle, le fichier s’importe d’après ses seules cellules.",
    "",
    "Les textes sont écrits comme du texte : une cellule qui commence par « = » n’est jamais une "
    "formule. Si vous écrivez des formules, Pilotis lit la valeur calculée par votre tableur, "
    "sans jamais l’évaluer.",
]


def plan_to_xlsx(data: dict[str, Any]) -> bytes:
    """The plan spreadsheet of an exported plan (`plan_to_dict`), as XLSX bytes; of
    `blank_plan()`, the blank spreadsheet (without the hidden sheet: nothing to compare with)."""
    book = Workbook()
    sheet = book.active
    sheet.title = ACTIONS_SHEET
    shape = layout(data)
    header = headers(shape)
    _write_row(sheet, 1, header)
    for i, row in enumerate(action_rows(data), start=2):
        _write_row(sheet, i, row)
    _style_table(sheet, len(header))
    lists = book.create_sheet(LISTS_SHEET)
    _write_lists(lists, data)
    last_row = max(sheet.max_row, 2) + 500  # room for new rows keeps the validation
    pilotage_col = get_column_letter(len(shape["levels"]) + 3)
    _validate(
        sheet,
        DataValidation(
            type="list",
            formula1=f"'{LISTS_SHEET}'!$A$2:$A${1 + len(PILOTAGE_VALUES)}",
            allow_blank=True,
            errorTitle="Pilotage",
            error="Choisissez « pilotage » ou « co-pilotage ».",
        ),
        f"{pilotage_col}2:{pilotage_col}{last_row}",
    )
    number_col = get_column_letter(len(shape["levels"]) + 1)
    _validate(
        sheet,
        DataValidation(
            type="textLength",
            operator="between",
            formula1="1",
            formula2="20",
            allow_blank=True,
            errorTitle="Numéro de fiche",
            error="Le numéro de fiche tient en 20 caractères au plus.",
        ),
        f"{number_col}2:{number_col}{last_row}",
    )
    letter_col = get_column_letter(len(header) - len(shape["action_extras"]) - 3)
    _validate(
        sheet,
        DataValidation(
            type="textLength",
            operator="lessThanOrEqual",
            formula1="10",
            allow_blank=True,
            errorTitle="Action",
            error="La lettre (ou le numéro) d’une action tient en 10 caractères au plus.",
        ),
        f"{letter_col}2:{letter_col}{last_row}",
    )
    _write_plan_sheet(book.create_sheet(PLAN_SHEET), data)
    help_sheet = book.create_sheet(HELP_SHEET, 0)
    for i, text in enumerate(HELP, start=1):
        xlsx_value(help_sheet.cell(i, 1), text)
        help_sheet.cell(i, 1).alignment = Alignment(wrap_text=True, vertical="top")
    help_sheet["A1"].font = Font(bold=True, size=14)
    help_sheet.column_dimensions["A"].width = 120
    if "format" in data:  # an exported plan, not a blank one
        _write_data_sheet(book.create_sheet(DATA_SHEET), data)
    book.active = 1  # open on the « Actions » sheet
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_row(sheet, row: int, values: list[Any]) -> None:
    for col, value in enumerate(values, start=1):
        if value == "" or value is None:
            continue
        xlsx_value(sheet.cell(row, col), value)


def _style_table(sheet, width: int) -> None:
    for col in range(1, width + 1):
        cell = sheet.cell(1, col)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
        sheet.column_dimensions[get_column_letter(col)].width = 28
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def _validate(sheet, validation: DataValidation, ref: str) -> None:
    validation.showErrorMessage = True
    sheet.add_data_validation(validation)
    validation.add(ref)


def _write_lists(sheet, data: dict[str, Any]) -> None:
    columns = [
        ("Pilotage", list(PILOTAGE_VALUES)),
        ("Type de plan", list(KIND_LABELS.values())),
        ("Organisation", [o["name"] for o in data["organisations"]]),
        ("Sigle", [o["acronym"] for o in data["organisations"]]),
        ("Autres graphies", [lines(o["aliases"]) for o in data["organisations"]]),
        ("Numéros de fiche", [f["number"] for f in data["fiches"]]),
    ]
    for col, (title, values) in enumerate(columns, start=1):
        xlsx_value(sheet.cell(1, col), title)
        sheet.cell(1, col).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(col)].width = 30
        for row, value in enumerate(values, start=2):
            if value:
                xlsx_value(sheet.cell(row, col), value)


def _write_plan_sheet(sheet, data: dict[str, Any]) -> None:
    values = plan_values(data)
    xlsx_value(sheet.cell(1, 1), "Réglage")
    xlsx_value(sheet.cell(1, 2), "Valeur")
    sheet["A1"].font = sheet["B1"].font = Font(bold=True)
    for row, (code, label) in enumerate(PLAN_FIELDS, start=2):
        xlsx_value(sheet.cell(row, 1), label)
        value = values[code]
        if value not in ("", None):
            xlsx_value(sheet.cell(row, 2), value)
        sheet.cell(row, 2).alignment = WRAP
        if code == "signature_date":
            sheet.cell(row, 2).number_format = "DD/MM/YYYY"
    kinds = DataValidation(
        type="list",
        formula1=f"'{LISTS_SHEET}'!$B$2:$B${1 + len(KIND_LABELS)}",
        allow_blank=False,
        error="Choisissez un type de la liste.",
    )
    _validate(sheet, kinds, f"B{2 + [c for c, _ in PLAN_FIELDS].index('kind')}")
    for code, low, high in (("start_year", 1990, 2100), ("duration_years", 1, 30)):
        row = 2 + [c for c, _ in PLAN_FIELDS].index(code)
        _validate(
            sheet,
            DataValidation(
                type="whole",
                operator="between",
                formula1=str(low),
                formula2=str(high),
                allow_blank=True,
                error=f"Un nombre entier entre {low} et {high}.",
            ),
            f"B{row}",
        )
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 80


def _write_data_sheet(sheet, data: dict[str, Any]) -> None:
    sheet.sheet_state = "hidden"
    xlsx_value(sheet.cell(1, 1), DATA_MARK)
    xlsx_value(
        sheet.cell(2, 1),
        "Feuille technique : le plan tel qu’exporté par Pilotis. Ne pas modifier.",
    )
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for i in range(0, len(payload), CHUNK):
        xlsx_value(sheet.cell(3 + i // CHUNK, 1), payload[i : i + CHUNK])
