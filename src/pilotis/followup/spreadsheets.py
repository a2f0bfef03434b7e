"""Follow-up spreadsheets, pure: a campaign's XLSX and CSV out, an upload read back and checked.

Nothing here touches the database. The caller describes the campaign as plain data
(CampaignLines, whose `values` are the report form's texts, see forms.stored_values), gets a
workbook or CSV bytes to download, and later turns uploaded files into either the updates to
save or the list of every refused cell (CellError). Each report is checked by the browser's own
ReportForm, so a value the report page refuses is refused here too, and the other way round.

Every data row carries a technical reference in a hidden last column: the campaign, the report,
its version when downloaded, the action or indicator, and a short digest of each editable value
as downloaded. The digests tell which cells the person changed: a report saved by someone else
since the download is only a conflict when the person changed one of its cells.

CSV: one file per sheet (the header line tells which sheet), semicolons or commas, decimal
comma, UTF-8 with or without BOM, Windows-1252 or UTF-16; cells are named as a spreadsheet
application shows them when it opens the file (« Fiches!C7 »).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pilotis.core.cells import csv_text, csv_value, xlsx_value, xml_safe
from pilotis.followup.forms import ReportForm, action_field, indicator_field
from pilotis.followup.models import PROGRESS_RATES
from pilotis.followup.services import DRAFT, SUBMIT, ReportData
from pilotis.followup.tracking import SUBMITTED, decimal_text

FICHES, ACTIONS, INDICATORS, README = "Fiches", "Actions", "Indicateurs", "Lisez-moi"
DATA_SHEETS = (FICHES, ACTIONS, INDICATORS)

RATE_SCALE = ", ".join(str(rate) for rate in PROGRESS_RATES) + "\u00a0%"
YES, NO, PARTLY = "Oui", "Non", "En partie"
ANSWER_LABELS = {"yes": YES, "no": NO, "partly": PARTLY}
ANSWER_CODES = {label.casefold(): code for code, label in ANSWER_LABELS.items()}

# Beyond these, a file is not a follow-up spreadsheet (55 fiches make a few hundred rows) and
# reading it would only cost memory: a zip bomb or a wrong file.
MAX_ROWS = 5000
MAX_UNZIPPED_BYTES = 10 * 1024 * 1024

# Excel keeps 15 significant digits: longer stored numbers go out as text to come back intact.
EXCEL_DIGITS = 15


# --- The campaign, as plain data -----------------------------------------------------------------


@dataclass(frozen=True)
class ActionLine:
    """An action due this year (`pk`, `letter`: what ReportForm reads)."""

    pk: int
    letter: str
    text: str
    deadline: str = ""


@dataclass(frozen=True)
class IndicatorLine:
    """An indicator of the fiche (`pk`, `text`: what ReportForm reads)."""

    pk: int
    kind: str
    letters: str
    text: str


@dataclass
class FicheLines:
    """One fiche's report: what the sheets show and what an upload is compared with."""

    report_id: int
    version: int
    number: str
    title: str
    # Field name of the report form → its text as stored (forms.stored_values).
    values: Mapping[str, str]
    actions: Sequence[ActionLine] = ()
    indicators: Sequence[IndicatorLine] = ()
    status: str = ""
    # False greys and locks the fiche's cells in the download (a validated report, say).
    editable: bool = True
    # Who saved the report last and when (« par Paule Parent le 3 mars 2025 à 14:05 »), to name
    # the conflict when it was saved after the download.
    saved: str = ""


@dataclass
class CampaignLines:
    campaign_id: int
    title: str
    allow_partial: bool
    fiches: Sequence[FicheLines]


# --- What an upload gives ------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    """A refused cell (`sheet`, `cell` such as « C7 »), a refused sheet (no cell) or file."""

    sheet: str
    cell: str
    message: str

    @property
    def place(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet

    def __str__(self) -> str:
        return f"{self.place} : {self.message}" if self.place else self.message


@dataclass(frozen=True)
class Change:
    """One value that the upload changes: what the preview shows, before → after."""

    sheet: str
    cell: str
    label: str
    before: str
    after: str

    @property
    def place(self) -> str:
        return f"{self.sheet}!{self.cell}"


@dataclass
class ReportUpdate:
    """A report to save: the form's data and the version it was checked against."""

    report_id: int
    number: str
    title: str
    version: int
    intent: str
    data: ReportData
    changes: list[Change]


@dataclass
class Reading:
    updates: list[ReportUpdate] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    # Changes to read-only cells, not applied: the preview says so rather than dropping them.
    ignored: list[CellError] = field(default_factory=list)


@dataclass
class Row:
    """A data row as read: its number in the sheet and one raw value per expected column."""

    number: int
    values: list[Any]


# --- The sheets' columns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    # The report form's part this column fills (None: read-only).
    part: str | None = None
    wrap: bool = False


REF = Column("ref", "Référence technique (ne pas modifier)", 30)
COLUMNS: dict[str, tuple[Column, ...]] = {
    FICHES: (
        Column("number", "N° de fiche", 10),
        Column("title", "Intitulé de la fiche", 48, wrap=True),
        Column("progress_rate", "Taux d’avancement (%)", 14, part="progress_rate"),
        Column("objective_reached", "Objectif atteint", 12, part="objective_reached"),
        Column("obstacles", "Difficultés rencontrées", 48, part="obstacles", wrap=True),
        Column("comment", "Commentaire", 48, part="comment", wrap=True),
        REF,
    ),
    ACTIONS: (
        Column("number", "N° de fiche", 10),
        Column("letter", "Action", 8),
        Column("text", "Intitulé de l’action", 48, wrap=True),
        Column("deadline", "Échéance", 16, wrap=True),
        Column("done", "Réalisée cette année", 14, part="done"),
        Column("comment", "Commentaire", 48, part="comment", wrap=True),
        REF,
    ),
    INDICATORS: (
        Column("number", "N° de fiche", 10),
        Column("kind", "Type", 12),
        Column("letters", "Actions visées", 14, wrap=True),
        Column("text", "Indicateur", 44, wrap=True),
        Column("value_number", "Valeur (nombre)", 14, part="number"),
        Column("value_text", "Valeur (texte)", 28, part="text", wrap=True),
        Column("unit", "Unité", 12, part="unit"),
        Column("baseline", "Valeur de référence", 16, part="baseline", wrap=True),
        Column("target", "Cible", 16, part="target", wrap=True),
        REF,
    ),
}
KIND_LETTER = {FICHES: "F", ACTIONS: "A", INDICATORS: "I"}
TEXT_PARTS = frozenset({"obstacles", "comment", "text", "unit", "baseline", "target"})


def _letter(sheet: str, key: str) -> str:
    keys = [c.key for c in COLUMNS[sheet]]
    return get_column_letter(keys.index(key) + 1)


def _editable(sheet: str) -> list[tuple[int, Column]]:
    return [(i, c) for i, c in enumerate(COLUMNS[sheet]) if c.part]


def _field_name(sheet: str, part: str, item: ActionLine | IndicatorLine | None) -> str:
    if sheet == FICHES:
        return part
    if sheet == ACTIONS:
        return action_field(item, part)
    return indicator_field(item, part)


# --- Texts, numbers and digests ------------------------------------------------------------------


def _norm(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _digest(text: str) -> str:
    return hashlib.blake2b(_norm(text).encode(), digest_size=4).hexdigest()


def _parse_decimal(text: str) -> Decimal | None:
    """A number as a French spreadsheet writes it (« 12,5 ») or as Python does (« 12.5 »)."""
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not re.fullmatch(r"[-+]?(\d+([.,]\d*)?|[.,]\d+)", cleaned):
        return None
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        return None


def _float_decimal(value: float) -> Decimal:
    # What the spreadsheet shows: 15 significant digits, not the binary float's noise.
    return Decimal(f"{value:.{EXCEL_DIGITS}g}")


def _number_text(value: Any) -> str | None:
    """A numeric cell as a person writes it (« 12,5 »), None if the value is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return decimal_text(_float_decimal(value))
    if isinstance(value, int | Decimal):
        return decimal_text(Decimal(value))
    return None


def _cell_text(value: Any) -> str:
    """Any cell as text: numbers with a decimal comma, dates as JJ/MM/AAAA."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    number = _number_text(value)
    if number is not None:
        return number
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() else value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _shown(value: Any) -> str:
    """A refused value in a message: a number as is (45), anything else between « »."""
    text = _norm(_cell_text(value))
    if _number_text(value) is not None or _parse_decimal(text) is not None:
        return text
    if len(text) > 40:
        text = text[:39] + "…"
    return f"« {text} »"


def _canonical(part: str, value: Any) -> str:
    """The uploaded cell as the report form's text (forms.stored_values' format).

    Known values come out exactly as the download wrote them, so that an untouched cell digests
    the same; anything else is passed on for the form to refuse.
    """
    text = _norm(_cell_text(value))
    if part == "progress_rate":
        number = _parse_decimal(text.rstrip("%").rstrip("\u00a0 "))
        if number is not None and number == number.to_integral():
            return str(int(number))
        return text
    if part in ("objective_reached", "done"):
        if not text:
            return ""
        # A code typed in English (« yes ») is not an answer: only the French labels are.
        return ANSWER_CODES.get(text.casefold(), f"?{text}")
    if part == "number":
        number = _parse_decimal(text)
        return decimal_text(number) if number is not None else text
    return text


# --- Technical references ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    kind: str
    campaign_id: int
    report_id: int
    version: int
    item_id: int | None
    digests: tuple[str, ...]


_REF = re.compile(r"([FAI])(\d+)-(\d+)-(\d+)(?:-(\d+))?-([0-9a-f]{8}(?:\.[0-9a-f]{8})*)")


def _ref_text(sheet: str, campaign_id: int, fiche: FicheLines, item, values: Sequence[str]) -> str:
    head = f"{KIND_LETTER[sheet]}{campaign_id}-{fiche.report_id}-{fiche.version}"
    if item is not None:
        head += f"-{item.pk}"
    return f"{head}-{'.'.join(_digest(v) for v in values)}"


def _parse_ref(value: Any) -> Ref | None:
    found = _REF.fullmatch(_cell_text(value).strip())
    if not found:
        return None
    kind, campaign, report, version, item, digests = found.groups()
    return Ref(
        kind,
        int(campaign),
        int(report),
        int(version),
        int(item) if item else None,
        tuple(digests.split(".")),
    )


# --- Rows out ------------------------------------------------------------------------------------


def _values(fiche: FicheLines, sheet: str, item) -> list[str]:
    """The editable values of a row, as the form's texts, in the columns' order.

    Control characters cannot be written in a workbook: they are dropped from the cell and its
    digest alike, so an untouched cell still reads as untouched.
    """
    return [
        xml_safe(fiche.values.get(_field_name(sheet, c.part, item), ""))
        for _, c in _editable(sheet)
    ]


def _out(part: str, text: str) -> Any:
    """A stored text as the cell shows it: rates and numbers as numbers, answers as labels."""
    if part == "progress_rate":
        return int(text) if text else None
    if part in ("objective_reached", "done"):
        return ANSWER_LABELS.get(text, text) or None
    if part == "number" and text:
        number = _parse_decimal(text)
        digits = len(number.as_tuple().digits) if number is not None else 0
        return number if number is not None and digits <= EXCEL_DIGITS else text
    return text or None


def _rows(lines: CampaignLines, sheet: str) -> list[tuple[FicheLines, Any, list[Any]]]:
    """Each data row of `sheet`: its fiche, its action or indicator, its cells (reference last)."""
    rows = []
    parts = [c.part for _, c in _editable(sheet)]
    for fiche in lines.fiches:
        items = {FICHES: [None], ACTIONS: fiche.actions, INDICATORS: fiche.indicators}[sheet]
        for item in items:
            if sheet == FICHES:
                shown = [fiche.number, fiche.title]
            elif sheet == ACTIONS:
                shown = [fiche.number, item.letter, item.text, item.deadline]
            else:
                shown = [fiche.number, item.kind, item.letters, item.text]
            values = _values(fiche, sheet, item)
            cells = shown + [_out(p, v) for p, v in zip(parts, values, strict=True)]
            cells.append(_ref_text(sheet, lines.campaign_id, fiche, item, values))
            rows.append((fiche, item, cells))
    return rows


def readme_lines(lines: CampaignLines, *, upload_url: str = "", generated: str = "") -> list[str]:
    """The « Lisez-moi » sheet, one paragraph a line; the upload page says the same."""
    answers = "Oui, Non ou En partie" if lines.allow_partial else "Oui ou Non"
    found = [
        lines.title,
        *([f"Tableur téléchargé {generated}."] if generated else []),
        "",
        "Comment remplir ce tableur",
        f"• Feuille « {FICHES} » : une ligne par fiche. Taux d’avancement sur l’échelle du "
        f"contrat ({RATE_SCALE}), objectif atteint (Oui ou Non), difficultés rencontrées, "
        "commentaire.",
        f"• Feuille « {ACTIONS} » : les actions prévues cette année. Pour chacune : réalisée "
        f"({answers}) et un commentaire.",
        f"• Feuille « {INDICATORS} » : la valeur de chaque indicateur, soit un nombre (12 ou "
        "12,5) dans « Valeur (nombre) », soit un texte dans « Valeur (texte) », pas les deux ; "
        "l’unité, la valeur de référence et la cible si besoin.",
        "• Les listes déroulantes proposent les seules réponses acceptées. Une cellule vidée "
        "efface la valeur enregistrée.",
        "• Les cellules grisées ne se modifient pas ici : numéros, intitulés des fiches, des "
        "actions et des indicateurs se modifient sur la page du plan. Une fiche entièrement "
        "grisée est validée par la coordination.",
        "• Ne renommez pas les feuilles ; ne déplacez, n’ajoutez ni ne supprimez de colonne ; "
        "n’ajoutez pas de ligne. La colonne masquée « Référence technique » permet à Pilotis de "
        "retrouver chaque ligne : ne la modifiez pas.",
        "",
        "Envoyer le tableur rempli",
        (f"• Sur la page {upload_url}" if upload_url else "• Sur la page « Tableur » du suivi")
        + ", envoyez ce fichier : Pilotis affiche ce qui va changer (avant → après) et "
        "n’enregistre rien avant votre confirmation.",
        "• Une valeur refusée est signalée avec sa feuille, sa cellule et la raison (par "
        "exemple « Fiches!C7 : 45 n’est pas un taux de l’échelle »). Toutes les erreurs sont "
        "listées en une fois et rien n’est enregistré tant qu’il en reste une.",
        "• Les fiches modifiées sont enregistrées en brouillon (« En cours »), ou transmises à "
        "la coordination si vous le demandez à l’envoi ; une fiche déjà transmise le reste.",
        "• Si quelqu’un a enregistré une fiche après votre téléchargement, vos modifications de "
        "cette fiche sont refusées : téléchargez de nouveau le tableur et reportez-y vos "
        "saisies. Les fiches que vous n’avez pas modifiées ne sont pas concernées.",
        "• Vous pouvez aussi envoyer les feuilles enregistrées au format CSV, une feuille par "
        "fichier : séparateur point-virgule (ou virgule), virgule décimale acceptée, encodage "
        "UTF-8 ou Windows-1252.",
    ]
    return found


# --- XLSX and CSV out ----------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="E3E3FD")
LOCKED_FILL = PatternFill("solid", fgColor="EEEEEE")
LOCKED_FONT = Font(color="3A3A3A")
TEXT_FORMAT = "@"


def _validations(sheet: str, allow_partial: bool) -> dict[str, DataValidation]:
    """The dropdown lists and number checks, by column key: Excel refuses other values early;
    the upload checks again, since not every spreadsheet application enforces them."""

    def listed(values: Sequence[str], title: str, error: str) -> DataValidation:
        return DataValidation(
            type="list",
            formula1='"' + ",".join(values) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=title,
            error=error,
        )

    answers = [YES, NO, PARTLY] if allow_partial else [YES, NO]
    said = "Oui, Non ou En partie" if allow_partial else "Oui ou Non"
    if sheet == FICHES:
        return {
            "progress_rate": listed(
                [str(rate) for rate in PROGRESS_RATES],
                "Taux d’avancement",
                f"Choisissez un taux de l’échelle : {RATE_SCALE}.",
            ),
            "objective_reached": listed([YES, NO], "Objectif atteint", "Choisissez Oui ou Non."),
        }
    if sheet == ACTIONS:
        return {"done": listed(answers, "Action réalisée", f"Choisissez {said}.")}
    return {
        "value_number": DataValidation(
            type="decimal",
            operator="between",
            # The stored figure has at most 14 digits before the decimal point.
            formula1="-99999999999999",
            formula2="99999999999999",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Valeur (nombre)",
            error="Saisissez un nombre, par exemple 12 ou 12,5 ; un texte va dans la colonne "
            "« Valeur (texte) ».",
        )
    }


def _fill_sheet(ws, lines: CampaignLines, sheet: str) -> None:
    columns = COLUMNS[sheet]
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index)
        xlsx_value(cell, column.header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.protection = Protection(locked=True)
        ws.column_dimensions[get_column_letter(index)].width = column.width
    validations = _validations(sheet, lines.allow_partial)
    for dv in validations.values():
        ws.add_data_validation(dv)
    row_number = 1
    for fiche, _item, cells in _rows(lines, sheet):
        row_number += 1
        for index, (column, value) in enumerate(zip(columns, cells, strict=True), start=1):
            cell = ws.cell(row=row_number, column=index)
            # Text as a string cell (never a formula), without what XML cannot hold.
            xlsx_value(cell, value)
            editable = column.part is not None and fiche.editable
            cell.alignment = Alignment(wrap_text=column.wrap, vertical="top")
            if column.part in TEXT_PARTS:
                # Excel would turn « 1/2 » typed in a text cell into a date.
                cell.number_format = TEXT_FORMAT
            if editable:
                cell.protection = Protection(locked=False)
                if column.key in validations:
                    validations[column.key].add(cell.coordinate)
            else:
                cell.protection = Protection(locked=True)
                cell.fill = LOCKED_FILL
                cell.font = LOCKED_FONT
    ws.column_dimensions[get_column_letter(len(columns))].hidden = True
    ws.freeze_panes = "B2"
    if row_number > 1:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns) - 1)}{row_number}"
    # Locked cells hold: the protection has no password (nothing secret, only a guard against
    # slips); sorting, filtering and resizing stay possible.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.sort = False
    ws.protection.autoFilter = False


def build_xlsx(lines: CampaignLines, *, upload_url: str = "", generated: str = "") -> bytes:
    """The campaign's workbook: « Lisez-moi », then one sheet per kind of row."""
    wb = Workbook()
    readme = wb.active
    readme.title = README
    readme.column_dimensions["A"].width = 110
    for row, text in enumerate(
        readme_lines(lines, upload_url=upload_url, generated=generated), start=1
    ):
        cell = readme.cell(row=row, column=1)
        xlsx_value(cell, xml_safe(text) or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    readme["A1"].font = Font(bold=True, size=14)
    for row in readme.iter_rows(min_row=2):
        if row[0].value in ("Comment remplir ce tableur", "Envoyer le tableur rempli"):
            row[0].font = Font(bold=True, size=12)
    for sheet in DATA_SHEETS:
        _fill_sheet(wb.create_sheet(sheet), lines, sheet)
    wb.properties.creator = "Pilotis"
    wb.properties.title = lines.title
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv_cell(value: Any) -> Any:
    """Text through core.cells (formula-like text neutralised); numbers and dates as a person
    writes them (« 12,5 »), never prefixed."""
    return csv_value(value) if isinstance(value, str) else _cell_text(value)


def build_csv(lines: CampaignLines, sheet: str) -> bytes:
    """One sheet as CSV for a French spreadsheet: semicolons, decimal comma, UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS[sheet]])
    for _fiche, _item, cells in _rows(lines, sheet):
        writer.writerow([_csv_cell(v) for v in cells])
    # The BOM tells Excel the file is UTF-8; it would read Windows-1252 otherwise.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- Files in ------------------------------------------------------------------------------------


def _header_key(text: Any) -> str:
    folded = unicodedata.normalize("NFKC", _cell_text(text)).replace("’", "'")
    return " ".join(folded.split()).casefold()


def _check_header(sheet: str, header: Sequence[Any]) -> CellError | None:
    expected = COLUMNS[sheet]
    for index, column in enumerate(expected):
        found = header[index] if index < len(header) else None
        if _header_key(found) != _header_key(column.header):
            letter = get_column_letter(index + 1)
            was = f"la colonne « {_cell_text(found)} »" if _cell_text(found) else "une colonne vide"
            return CellError(
                sheet,
                f"{letter}1",
                f"la colonne {letter} doit être « {column.header} », le fichier a {was} : "
                "les colonnes ont été déplacées, ajoutées ou supprimées ; remettez-les dans "
                "l’ordre du tableur téléchargé, ou téléchargez-en un nouveau",
            )
    for index in range(len(expected), len(header)):
        if _cell_text(header[index]).strip():
            letter = get_column_letter(index + 1)
            return CellError(
                sheet,
                f"{letter}1",
                f"colonne « {_cell_text(header[index])} » en trop : le tableur n’a que "
                f"{len(expected)} colonnes ; supprimez-la, ou téléchargez un nouveau tableur",
            )
    return None


def _data_rows(
    sheet: str, rows: Sequence[tuple[int, Sequence[Any]]], errors: list[CellError]
) -> list[Row]:
    """The data rows under the header: empty rows skipped, cells outside the table refused."""
    width = len(COLUMNS[sheet])
    found = []
    for number, values in rows:
        values = list(values)
        for index in range(width, len(values)):
            if _cell_text(values[index]).strip():
                errors.append(
                    CellError(
                        sheet,
                        f"{get_column_letter(index + 1)}{number}",
                        "cellule remplie hors du tableau : ce qui est écrit là n’est pas lu ; "
                        "videz-la",
                    )
                )
        values = (values + [None] * width)[:width]
        if any(_cell_text(v).strip() for v in values):
            found.append(Row(number, values))
    return found


class FileRefused(Exception):
    """A file that cannot be read at all: its message says why, in French."""


def _too_big_unzipped(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES


def _read_xlsx(name: str, data: bytes) -> tuple[dict[str, list[Row]], list[CellError]]:
    try:
        if _too_big_unzipped(data):
            raise FileRefused(f"le fichier « {name} » est trop volumineux une fois décompressé.")
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except FileRefused:
        raise
    except Exception as exc:
        # openpyxl raises many kinds of errors on a broken or foreign zip (an .ods, a .docx).
        raise FileRefused(
            f"le fichier « {name} » n’est pas un classeur Excel (.xlsx) lisible : "
            "enregistrez-le au format .xlsx, ou envoyez le tableur téléchargé depuis Pilotis."
        ) from exc
    sheets: dict[str, list[Row]] = {}
    errors: list[CellError] = []
    names = {_header_key(title): title for title in workbook.sheetnames}
    for sheet in DATA_SHEETS:
        title = names.get(_header_key(sheet))
        if title is None:
            errors.append(
                CellError(
                    sheet,
                    "",
                    f"la feuille « {sheet} » manque dans « {name} » : ne renommez ni ne "
                    "supprimez les feuilles du tableur téléchargé",
                )
            )
            continue
        ws = workbook[title]
        if ws.max_row > MAX_ROWS:
            errors.append(
                CellError(
                    sheet,
                    "",
                    f"plus de {MAX_ROWS} lignes : ce n’est pas le tableur de suivi d’une campagne",
                )
            )
            continue
        rows = []
        for row in ws.iter_rows():
            values = []
            for cell in row:
                value = cell.value
                # A percentage cell holds 0.4 and shows 40 %: read what the person sees.
                if (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and "%" in (cell.number_format or "")
                ):
                    value = _float_decimal(float(value) * 100)
                values.append(value)
            rows.append((row[0].row if row else 0, values))
        if not rows:
            errors.append(CellError(sheet, "A1", "la feuille est vide : l’en-tête manque"))
            continue
        header_error = _check_header(sheet, rows[0][1])
        if header_error:
            errors.append(header_error)
            continue
        sheets[sheet] = _data_rows(sheet, rows[1:], errors)
    return sheets, errors


def _decode(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # What Excel writes for « CSV (séparateur : point-virgule) » on a French Windows.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _csv_sheet(header: Sequence[str]) -> str | None:
    """The sheet a CSV holds, from its header: the one sharing most column names."""
    keys = {_header_key(h) for h in header}
    best, score = None, 1
    for sheet in DATA_SHEETS:
        shared = len(keys & {_header_key(c.header) for c in COLUMNS[sheet]})
        if shared > score:
            best, score = sheet, shared
    return best


def _read_csv(name: str, data: bytes) -> tuple[str, list[Row], list[CellError]]:
    text = _decode(data)
    if text is None or "\x00" in text:
        raise FileRefused(
            f"le fichier « {name} » n’est ni un classeur Excel (.xlsx) ni un fichier CSV "
            "lisible : enregistrez-le au format .xlsx, ou en CSV UTF-8."
        )
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
    records = [
        [csv_text(cell) for cell in record]
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    ]
    if len(records) > MAX_ROWS:
        raise FileRefused(f"le fichier « {name} » a plus de {MAX_ROWS} lignes.")
    if not records or not any(h.strip() for h in records[0]):
        raise FileRefused(f"le fichier « {name} » est vide.")
    sheet = _csv_sheet(records[0])
    if sheet is None:
        raise FileRefused(
            f"le fichier « {name} » n’est pas une feuille du tableur de suivi : sa première "
            f"ligne doit être l’en-tête de la feuille {FICHES}, {ACTIONS} ou {INDICATORS}."
        )
    errors: list[CellError] = []
    header_error = _check_header(sheet, records[0])
    if header_error:
        return sheet, [], [header_error]
    # A record is a row of the spreadsheet that opens the file, whatever line breaks its
    # cells hold: cells are named by record.
    rows = _data_rows(sheet, list(enumerate(records[1:], start=2)), errors)
    return sheet, rows, errors


def read_files(files: Sequence[tuple[str, bytes]]) -> tuple[dict[str, list[Row]], list[CellError]]:
    """The uploaded files' data rows by sheet, or what makes them unreadable.

    Either one workbook (.xlsx), or one to three CSV files, one per sheet.
    """
    sheets: dict[str, list[Row]] = {}
    errors: list[CellError] = []
    if not files:
        return sheets, [CellError("", "", "Choisissez le fichier à envoyer.")]
    workbooks = [name for name, data in files if data.startswith(b"PK")]
    if workbooks and len(files) > 1:
        return sheets, [
            CellError(
                "",
                "",
                "Envoyez soit un seul classeur Excel (.xlsx), soit une à trois feuilles en CSV, "
                "pas plusieurs classeurs ni un mélange des deux.",
            )
        ]
    for name, data in files:
        try:
            if not data.strip():
                raise FileRefused(f"le fichier « {name} » est vide.")
            if data.startswith(b"\xd0\xcf\x11\xe0"):
                raise FileRefused(
                    f"le fichier « {name} » est au format Excel 97-2003 (.xls) : "
                    "enregistrez-le au format .xlsx."
                )
            if data.startswith(b"PK"):
                found, found_errors = _read_xlsx(name, data)
                sheets.update(found)
                errors.extend(found_errors)
                continue
            sheet, rows, found_errors = _read_csv(name, data)
        except FileRefused as exc:
            message = str(exc)
            errors.append(CellError("", "", message[0].upper() + message[1:]))
            continue
        if sheet in sheets:
            errors.append(
                CellError(sheet, "", f"deux fichiers envoyés pour cette feuille (« {name} »)")
            )
            continue
        sheets[sheet] = rows
        errors.extend(found_errors)
    return sheets, errors


# --- Checking an upload against the campaign -----------------------------------------------------


@dataclass
class _Entry:
    """An editable cell of the upload, read for one field of a report's form."""

    sheet: str
    cell: str
    raw: Any
    text: str
    touched: bool
    version: int
    downloaded: str


def _answers(allow_partial: bool) -> str:
    return "Oui, Non ou En partie" if allow_partial else "Oui ou Non"


def _message(part: str, error, entry: _Entry | None, allow_partial: bool) -> str:
    """A form error said for a spreadsheet: the refused value, then why and what to write."""
    shown = _shown(entry.raw) if entry else ""
    if entry and error.code == "invalid_choice":
        if part == "progress_rate":
            return f"{shown} n’est pas un taux de l’échelle ({RATE_SCALE})"
        if part == "done" and entry.text == "partly":
            return "« En partie » n’est pas une réponse autorisée dans cette campagne : Oui ou Non"
        if part in ("done", "objective_reached"):
            answers = _answers(allow_partial) if part == "done" else "Oui ou Non"
            return f"{shown} n’est pas une réponse possible : {answers}"
    if entry and error.code == "invalid" and part == "number":
        return (
            f"{shown} n’est pas un nombre : écrivez par exemple 12 ou 12,5, ou mettez un texte "
            "dans la colonne « Valeur (texte) »"
        )
    return " ".join(error.messages)


def _data_values(
    data: ReportData, actions: Sequence[ActionLine], indicators: Sequence[IndicatorLine]
) -> dict[str, str]:
    """A validated report as the form's texts (the format of forms.stored_values)."""
    found = {
        "progress_rate": "" if data.progress_rate is None else str(data.progress_rate),
        "objective_reached": {True: "yes", False: "no", None: ""}[data.objective_reached],
        "obstacles": data.obstacles,
        "comment": data.comment,
    }
    for action in actions:
        done, comment = data.actions[action.pk]
        found[action_field(action, "done")] = done
        found[action_field(action, "comment")] = comment
    for indicator in indicators:
        value = data.indicators[indicator.pk]
        found[indicator_field(indicator, "number")] = decimal_text(value["value_number"])
        found[indicator_field(indicator, "text")] = value["value_text"]
        for part in ("unit", "baseline", "target"):
            found[indicator_field(indicator, part)] = value[part]
    return found


class _Upload:
    """The walk over an upload's rows: cells by report and field, errors as they come."""

    def __init__(self, lines: CampaignLines):
        self.lines = lines
        self.fiches = {f.report_id: f for f in lines.fiches}
        self.entries: dict[int, dict[str, _Entry]] = {}
        self.errors: list[CellError] = []
        self.ignored: list[CellError] = []
        self.foreign: list[CellError] = []
        self.seen: set[tuple] = set()

    def read(self, sheets: Mapping[str, list[Row]]) -> None:
        for sheet, rows in sheets.items():
            # The rows as a download would write them now: what read-only cells should hold.
            current = {
                (fiche.report_id, item.pk if item else None): cells
                for fiche, item, cells in _rows(self.lines, sheet)
            }
            for row in rows:
                self._row(sheet, row, current)

    def _row(self, sheet: str, row: Row, current: Mapping[tuple, list[Any]]) -> None:
        columns = COLUMNS[sheet]
        first = f"A{row.number}"
        ref = _parse_ref(row.values[-1])
        editable = _editable(sheet)
        if ref is None or ref.kind != KIND_LETTER[sheet] or len(ref.digests) != len(editable):
            what = {FICHES: "fiche", ACTIONS: "action", INDICATORS: "indicateur"}[sheet]
            self.errors.append(
                CellError(
                    sheet,
                    first,
                    f"ligne inconnue : sa référence technique (colonne masquée "
                    f"{get_column_letter(len(columns))}) manque ou a été modifiée. Une {what} ne "
                    "s’ajoute pas par le tableur : supprimez la ligne, ou copiez vos saisies dans "
                    "un tableur téléchargé de nouveau",
                )
            )
            return
        if ref.campaign_id != self.lines.campaign_id:
            self.foreign.append(
                CellError(
                    sheet,
                    first,
                    "cette ligne vient du tableur d’une autre campagne de suivi : envoyez le "
                    "tableur de cette campagne",
                )
            )
            return
        key = (sheet, ref.report_id, ref.item_id)
        if key in self.seen:
            self.errors.append(
                CellError(sheet, first, "ligne en double : la même ligne figure plus haut")
            )
            return
        self.seen.add(key)
        fiche = self.fiches.get(ref.report_id)
        item = None
        if fiche is not None and sheet != FICHES:
            pool = fiche.actions if sheet == ACTIONS else fiche.indicators
            item = next((i for i in pool if i.pk == ref.item_id), None)
        touched = [
            _digest(_canonical(c.part, row.values[i])) != digest
            for (i, c), digest in zip(editable, ref.digests, strict=True)
        ]
        if fiche is None or (sheet != FICHES and item is None):
            if fiche is None or any(touched):
                target = f"la fiche n°{fiche.number}" if fiche else "aucune fiche de la campagne"
                what = "l’action" if sheet == ACTIONS else "l’indicateur"
                reason = (
                    "ligne inconnue : elle ne correspond à aucune fiche de la campagne (fiche "
                    "supprimée depuis le téléchargement ?)"
                    if fiche is None
                    else f"{what} de cette ligne n’est plus suivi(e) cette année pour {target} "
                    "(le plan a changé depuis le téléchargement) : téléchargez de nouveau le "
                    "tableur et reportez-y vos saisies"
                )
                self.errors.append(CellError(sheet, first, reason))
            # An untouched row of an item gone since the download has nothing to apply.
            return
        self._readonly(sheet, row, current.get((fiche.report_id, item.pk if item else None)))
        entries = self.entries.setdefault(fiche.report_id, {})
        for ((index, column), digest), was_touched in zip(
            zip(editable, ref.digests, strict=True), touched, strict=True
        ):
            value = row.values[index]
            entries[_field_name(sheet, column.part, item)] = _Entry(
                sheet=sheet,
                cell=f"{get_column_letter(index + 1)}{row.number}",
                raw=value,
                text=_canonical(column.part, value),
                touched=was_touched,
                version=ref.version,
                downloaded=digest,
            )

    def _readonly(self, sheet: str, row: Row, cells: list[Any] | None) -> None:
        """Note the read-only cells changed in the file: they are not applied."""
        if cells is None:
            return
        for index, column in enumerate(COLUMNS[sheet][:-1]):
            if column.part:
                continue
            if _norm(_cell_text(row.values[index])) != _norm(_cell_text(cells[index])):
                self.ignored.append(
                    CellError(
                        sheet,
                        f"{get_column_letter(index + 1)}{row.number}",
                        f"la colonne « {column.header} » n’est pas lue à l’envoi (ce contenu se "
                        "modifie sur la page du plan) : la modification est ignorée",
                    )
                )


def read_upload(
    sheets: Mapping[str, list[Row]],
    lines: CampaignLines,
    *,
    submit: bool = False,
    may_edit: Callable[[FicheLines], str | None] = lambda fiche: None,
) -> Reading:
    """Check every changed cell of the upload: the updates to save, or every error found.

    `lines` hold every report of the campaign (a pilot may send back a file naming fiches they
    do not steer, as long as they changed nothing in them). `may_edit` says why the uploader may
    not change a fiche (None when they may); it is asked only for the fiches changed. `submit`
    transmits the changed reports; a report already transmitted stays so. Nothing is to be
    saved unless `errors` is empty.
    """
    upload = _Upload(lines)
    upload.read(sheets)
    errors = upload.errors
    if upload.foreign and not upload.entries and not errors:
        errors.append(
            CellError(
                "",
                "",
                "Ce fichier a été téléchargé pour une autre campagne de suivi (un autre plan ou "
                "une autre année) : téléchargez le tableur de cette campagne.",
            )
        )
    else:
        errors.extend(upload.foreign)
    reading = Reading(errors=errors, ignored=upload.ignored)
    with translation.override("fr"):
        for fiche in lines.fiches:
            entries = upload.entries.get(fiche.report_id)
            if entries and any(e.touched for e in entries.values()):
                _check_report(fiche, entries, lines, submit, may_edit, reading)
    order = {sheet: i for i, sheet in enumerate(("",) + DATA_SHEETS)}
    reading.errors.sort(key=lambda e: (order.get(e.sheet, 9), _cell_order(e.cell)))
    return reading


def _lower_first(label: str) -> str:
    # « Taux d’avancement » inside a sentence; « Action B », « Indicateur « … » » keep theirs.
    if label.startswith(("Action ", "Indicateur ")):
        return label
    return label[:1].lower() + label[1:]


def _cell_order(cell: str) -> tuple[int, str]:
    found = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    return (int(found.group(2)), found.group(1).rjust(3)) if found else (0, "")


def _check_report(
    fiche: FicheLines,
    entries: Mapping[str, _Entry],
    lines: CampaignLines,
    submit: bool,
    may_edit: Callable[[FicheLines], str | None],
    reading: Reading,
) -> None:
    touched = [(name, e) for name, e in entries.items() if e.touched]
    first = touched[0][1]
    intent = SUBMIT if submit or fiche.status == SUBMITTED else DRAFT
    form = ReportForm(
        {
            **fiche.values,
            **{name: e.text for name, e in touched},
            "version": str(fiche.version),
        },
        actions=fiche.actions,
        indicators=fiche.indicators,
        allow_partial=lines.allow_partial,
        intent=intent,
    )
    stale = [(name, e) for name, e in touched if e.version != fiche.version]
    if stale:
        _, at = stale[0]
        meanwhile = [
            _lower_first(form.field_label(name))
            for name, e in entries.items()
            if _digest(fiche.values.get(name, "")) != e.downloaded
        ]
        changed = f" (modifié depuis : {', '.join(meanwhile)})" if meanwhile else ""
        reading.errors.append(
            CellError(
                at.sheet,
                at.cell,
                f"conflit sur la fiche n°{fiche.number} : elle a été enregistrée "
                f"{fiche.saved or 'par quelqu’un d’autre'} après votre téléchargement{changed}. "
                "Vos modifications de cette fiche ne sont pas appliquées : téléchargez de "
                "nouveau le tableur et reportez-y vos saisies",
            )
        )
        return
    refusal = may_edit(fiche)
    if refusal:
        reading.errors.append(CellError(first.sheet, first.cell, refusal))
        return
    if not form.is_valid():
        for name, errors in form.errors.as_data().items():
            entry = entries.get(name)
            part = name.rsplit("_", 1)[-1] if name.startswith(("action_", "indicator_")) else name
            for error in errors:
                message = _message(part, error, entry, lines.allow_partial)
                if entry is None:
                    label = form.field_label(name) if name in form.fields else name
                    sheet = (
                        ACTIONS
                        if name.startswith("action_")
                        else INDICATORS
                        if name.startswith("indicator_")
                        else FICHES
                    )
                    reading.errors.append(
                        CellError(sheet, "", f"fiche n°{fiche.number}, {label} : {message}")
                    )
                else:
                    reading.errors.append(CellError(entry.sheet, entry.cell, message))
        return
    data = form.report_data()
    after = _data_values(data, fiche.actions, fiche.indicators)
    changes = [
        Change(
            sheet=e.sheet,
            cell=e.cell,
            label=form.field_label(name),
            before=form.describe(name, fiche.values.get(name, "")),
            after=form.describe(name, after[name]),
        )
        for name, e in touched
        if _norm(after[name]) != _norm(fiche.values.get(name, ""))
    ]
    if changes:
        reading.updates.append(
            ReportUpdate(
                report_id=fiche.report_id,
                number=fiche.number,
                title=fiche.title,
                version=fiche.version,
                intent=intent,
                data=data,
                changes=changes,
            )
        )
