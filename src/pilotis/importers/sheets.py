"""Read an uploaded XLSX or CSV into plain rows of cell values, refusing what cannot be read.

Pure and bounded: openpyxl in read-only mode, formulas never evaluated (the value the spreadsheet
last computed is read), no database. Every refusal is a ParseError whose French message names the
file, the sheet, the row and the column.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from openpyxl.utils import get_column_letter, range_boundaries

from pilotis.plans.draft import ParseError

# A plan has a few hundred fiches and a few thousand actions; past this it is not a plan.
MAX_ROWS = 20_000
# Excel itself holds at most 32 767 characters in a cell.
MAX_CELL_CHARS = 32_767
# Columns read: the widest known layout has 28; a few more are reported, not read.
MAX_COLUMNS = 60
# An XLSX is a ZIP archive: refuse one that would expand past this (a "zip bomb").
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024

Value = str | int | float | Decimal | date | datetime | bool | None


@dataclass
class Sheet:
    """One sheet's rows, each a list of cell values (None for empty) and its 1-based number."""

    name: str
    rows: list[tuple[int, list[Value]]]
    # Merged ranges as the file declares them ("A4:A9"); `apply_merges` reads them.
    merges: list[str] = field(default_factory=list)
    # Vertical merges: (column index 0-based, first row, last row) whose value was copied down.
    filled_merges: list[tuple[int, int, int]] = field(default_factory=list)
    hidden: bool = False

    def row(self, number: int) -> list[Value]:
        for n, values in self.rows:
            if n == number:
                return values
        return []


def column(index: int) -> str:
    """The letter of a 0-based column index: 0 → A, 27 → AB."""
    return get_column_letter(index + 1)


def where(filename: str, sheet: str, row: int | None = None, col: int | None = None) -> str:
    """« fichier x.xlsx, feuille « Plan », ligne 7, colonne X »."""
    text = f"fichier « {filename} »"
    if sheet:
        text += f", feuille « {sheet} »"
    if row is not None:
        text += f", ligne {row}"
    if col is not None:
        text += f", colonne {column(col)}"
    return text


def thousands(n: int) -> str:
    """12345 → « 12 345 » (narrow no-break space, as French typography wants)."""
    return f"{n:,}".replace(",", "\u202f")


def is_empty(value: Value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- XLSX ------------------------------------------------------------------------------------

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def read_xlsx(data: bytes, filename: str) -> list[Sheet]:
    """Every sheet of an XLSX workbook, as rows of values, with its merged ranges (a layout's
    parser knows where its data starts and calls `apply_merges`)."""
    if not data:
        raise ParseError(f"Le fichier « {filename} » est vide.")
    _check_archive(data, filename)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise ParseError(
            f"Le fichier « {filename} » n’est pas un classeur XLSX lisible ({_reason(exc)}). "
            "Ouvrez-le dans votre tableur et enregistrez-le au format « Classeur Excel (.xlsx) »."
        ) from exc
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [
                _read_sheet(ws, archive, filename)
                for ws in workbook.worksheets
                if hasattr(ws, "_worksheet_path")  # chartsheets have no cells
            ]
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(
            f"Le fichier « {filename} » est endommagé : une de ses feuilles ne se lit pas "
            f"({_reason(exc)})."
        ) from exc
    finally:
        workbook.close()


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def _check_archive(data: bytes, filename: str) -> None:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError(
            f"Le fichier « {filename} » est un classeur Excel ancien format (.xls) : "
            "enregistrez-le au format « Classeur Excel (.xlsx) » ou en CSV, puis déposez-le "
            "à nouveau."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise ParseError(
            f"Le fichier « {filename} » n’est pas un classeur XLSX : il est endommagé ou "
            "d’un autre format. Ouvrez-le dans votre tableur et enregistrez-le au format "
            "« Classeur Excel (.xlsx) »."
        ) from exc
    if total > MAX_UNZIPPED_BYTES:
        raise ParseError(
            f"Le fichier « {filename} » occuperait {total // (1024 * 1024)} Mo une fois "
            f"décompressé : Pilotis en lit au plus {MAX_UNZIPPED_BYTES // (1024 * 1024)} Mo."
        )
    if "xl/workbook.xml" not in names:
        raise ParseError(
            f"Le fichier « {filename} » est une archive ZIP mais pas un classeur XLSX "
            "(il n’a pas de classeur « xl/workbook.xml »)."
        )


def _merges(archive: zipfile.ZipFile, path: str) -> list[str]:
    """The merged ranges of a sheet, found by scanning its XML (read-only mode does not say)."""
    found, tail = [], b""
    with archive.open(path.lstrip("/")) as stream:
        while chunk := stream.read(1 << 20):
            buffer = tail + chunk
            found += [m.decode() for m in _MERGE.findall(buffer)]
            # A tag may straddle two chunks: the overlap finds it, dict.fromkeys drops repeats.
            tail = buffer[-100:]
    return list(dict.fromkeys(found))


def _read_sheet(ws, archive: zipfile.ZipFile, filename: str) -> Sheet:
    name = ws.title
    # The size a sheet declares may be wrong (or a lie): read every row it holds.
    ws.reset_dimensions()
    rows: list[tuple[int, list[Value]]] = []
    filled = 0
    for number, cells in enumerate(ws.iter_rows(max_col=MAX_COLUMNS), start=1):
        values = [_cell_value(cell, filename, name, number, i) for i, cell in enumerate(cells)]
        if all(is_empty(v) for v in values):
            continue
        filled += 1
        if filled > MAX_ROWS:
            raise ParseError(
                f"La feuille « {name} » du fichier « {filename} » a plus de "
                f"{thousands(MAX_ROWS)} lignes remplies (ligne {thousands(number)} atteinte) : "
                "un plan en compte quelques centaines. Vérifiez qu’il s’agit bien du bon "
                "fichier, ou découpez-le."
            )
        while values and is_empty(values[-1]):
            values.pop()
        rows.append((number, values))
    return Sheet(
        name=name,
        rows=rows,
        merges=_merges(archive, ws._worksheet_path),
        hidden=ws.sheet_state != "visible",
    )


def _cell_value(cell, filename: str, sheet: str, row: int, col: int) -> Value:
    value = getattr(cell, "value", None)
    if value is None:
        return None
    if getattr(cell, "data_type", "") == "e":
        raise ParseError(
            f"{where(filename, sheet, row, col)} : la cellule contient une erreur de calcul "
            f"({value}). Corrigez la formule ou remplacez-la par sa valeur."
        )
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            raise ParseError(
                f"{where(filename, sheet, row, col)} : la cellule contient "
                f"{thousands(len(value))} caractères, au-delà des {thousands(MAX_CELL_CHARS)} "
                "qu’une cellule de tableur peut contenir."
            )
        return value
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


def apply_merges(sheet: Sheet, filename: str, first_data_row: int) -> None:
    """Read the merged cells of a sheet whose data starts at `first_data_row`.

    A merge down one column (an axis written once for several rows) gives its value to every row
    it covers; a merge across columns in the data is refused, since its value would belong to
    several fields. Merges above the data (titles) are left alone.
    """
    by_number = {n: values for n, values in sheet.rows}
    for ref in sheet.merges:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if max_row < first_data_row:
            continue  # a title or header spread over several columns: nothing to read there
        if min_col != max_col:
            raise ParseError(
                f"{where(filename, sheet.name, min_row)} : les cellules {ref} sont fusionnées "
                "sur plusieurs colonnes. Défusionnez-les et écrivez chaque valeur dans sa "
                "colonne."
            )
        col = min_col - 1
        top = by_number.get(min_row, [])
        value = top[col] if col < len(top) else None
        if is_empty(value):
            continue
        for n in range(max(min_row + 1, first_data_row), max_row + 1):
            values = by_number.get(n)
            if values is None:
                # A merged cell alone on its row: the row holds nothing else to read.
                continue
            values.extend([None] * (col + 1 - len(values)))
            values[col] = value
        sheet.filled_merges.append((col, min_row, max_row))


# --- CSV -------------------------------------------------------------------------------------


def read_csv(data: bytes, filename: str) -> Sheet:
    """A CSV file as one sheet: UTF-8 (with or without BOM) or Windows-1252, `;` separated
    (`,` or tab when the first line has no `;`). Every value is text."""
    if not data or not data.strip():
        raise ParseError(f"Le fichier « {filename} » est vide.")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ParseError(
            f"Le fichier « {filename} » est un classeur, pas un fichier CSV : "
            "déposez-le avec l’extension .xlsx."
        )
    if b"\x00" in data[:4096]:
        raise ParseError(
            f"Le fichier « {filename} » n’est pas un fichier texte CSV (il contient des "
            "octets nuls) ; enregistrez-le au format « CSV (séparateur : point-virgule) »."
        )
    raw = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line else ("\t" if "\t" in first_line else ",")
    if ";" not in first_line and len(text) > len(first_line):
        # The header may be on the second line (the template's first line is a title).
        second = text.split("\n", 2)[1] if text.count("\n") >= 1 else ""
        if ";" in second:
            delimiter = ";"
    rows: list[tuple[int, list[Value]]] = []
    # Long fields are read, then refused below with their row and column (a process-wide
    # setting, raised only: the csv module's default of 128 KiB would fail without saying where).
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for values in reader:
            number = reader.line_num
            if all(is_empty(v) for v in values):
                continue
            for col, value in enumerate(values):
                if len(value) > MAX_CELL_CHARS:
                    raise ParseError(
                        f"{where(filename, '', number, col)} : la valeur fait "
                        f"{thousands(len(value))} caractères, au-delà des "
                        f"{thousands(MAX_CELL_CHARS)} qu’une cellule de tableur peut contenir."
                    )
            if len(rows) >= MAX_ROWS:
                raise ParseError(
                    f"Le fichier « {filename} » a plus de {thousands(MAX_ROWS)} lignes remplies "
                    f"(ligne {thousands(number)} atteinte) : un plan en compte quelques "
                    "centaines."
                )
            values = [v if v.strip() else None for v in values[:MAX_COLUMNS]]
            while values and values[-1] is None:
                values.pop()
            rows.append((number, values))
    except csv.Error as exc:
        raise ParseError(
            f"{where(filename, '', reader.line_num)} : le CSV est mal formé ({exc}) — un "
            "guillemet non refermé ?"
        ) from exc
    return Sheet(name="", rows=rows)


# --- Values ----------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def text(value: Value) -> str:
    """A cell as text, spaces squashed at the ends; numbers without a useless ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def number(value: Value) -> Decimal | None:
    """A cell as a number: a numeric cell, or text such as « 12 500,50 € HT »; None if empty.

    Raises ValueError when the cell holds something that is not a number.
    """
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise ValueError(value)
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, date | datetime):
        raise ValueError(value)
    cleaned = _SPACES.sub("", str(value))
    cleaned = re.sub(r"(?i)(€|eur(os?)?)(ht|ttc)?$", "", cleaned)
    cleaned = re.sub(r"(?i)(ht|ttc)$", "", cleaned)
    if not cleaned:
        return None
    if "," in cleaned and "." in cleaned:
        # 1.234,56 (French thousands with dots) or 1,234.56 (English).
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        raise ValueError(value)
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(value) from exc


_FR_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")


def day(value: Value) -> date | None:
    """A cell as a date: a date cell, « 15/01/2025 » or « 2025-01-15 »; None if empty.

    Raises ValueError when the cell holds something that is not a date.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    if not raw:
        return None
    match = _FR_DATE.match(raw)
    if match:
        d, m, y = (int(g) for g in match.groups())
        y = y + 2000 if y < 100 else y
        return date(y, m, d)
    return date.fromisoformat(raw[:10])


def split_list(value: Value) -> list[str]:
    """A list written in one cell: items separated by commas (or line breaks or semicolons),
    except inside brackets or quotes: « CAF, Mairie (service santé, CCAS), "A, B" »."""
    raw = text(value)
    items, current, depth, quote = [], [], 0, ""
    closing = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    for char in raw:
        if quote:
            if char == quote:
                quote = ""
            else:
                current.append(char)
            continue
        if char in '"«“':
            quote = {"«": "»", "“": "”"}.get(char, '"')
            continue
        if char in closing:
            stack.append(closing[char])
            depth += 1
        elif stack and char == stack[-1]:
            stack.pop()
            depth -= 1
        if depth == 0 and char in ",;\n":
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [_SPACES.sub(" ", item).strip() for item in items if item.strip()]


def iter_values(sheet: Sheet, first_row: int) -> Iterator[tuple[int, list[Value]]]:
    for number, values in sheet.rows:
        if number >= first_row:
            yield number, values
