"""The directory's spreadsheets, pure: resources in and out as CSV or XLSX, and FINESS extracts.

Nothing here touches the database. An upload becomes a list of `ResourceRow` (plain data) or the
list of every problem found, each named by its row and column; the caller applies nothing while
one problem remains. Two shapes are read:

- Pilotis's own columns (the export below, or a sheet typed by hand with the same headers, in any
  order, accents and case ignored);
- the public FINESS extract of data.gouv.fr (« etalab-cs1100507-stock-….csv »): semicolons,
  Latin-1, a metadata first line (« finess;etalab;… »), no header, one `structureet` line per
  establishment and `geolocalisation` lines that are not read.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from pilotis.core.cells import csv_value, xlsx_value, xml_safe
from pilotis.core.text import fold, squash

MAX_ROWS = 20_000
MAX_CELL_CHARS = 5_000
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024

# (field, header as exported) in column order; `fold`ed headers are matched on reading.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Nom"),
    ("kind", "Type"),
    ("finess", "N° FINESS"),
    ("siret", "N° SIRET"),
    ("categories", "Catégories"),
    ("publics", "Publics"),
    ("age_min", "Âge minimum"),
    ("age_max", "Âge maximum"),
    ("communes", "Communes desservies"),
    ("whole_perimeter", "Tout le territoire"),
    ("description", "Description"),
    ("opening_hours", "Horaires"),
    ("conditions", "Conditions d’accès"),
    ("cost", "Coût"),
    ("languages", "Langues"),
    ("accessibility", "Accessibilité"),
    ("open_to_public", "Ouvert au public"),
    ("address", "Adresse"),
    ("postcode", "Code postal"),
    ("city", "Commune"),
    ("phone", "Téléphone"),
    ("email", "Courriel"),
    ("website", "Site internet"),
    ("source", "Source"),
    ("verified_on", "Vérifié le"),
    ("fiches", "Fiches"),
)
HEADERS = dict(COLUMNS)
REQUIRED = ("name",)
LIST_FIELDS = ("categories", "publics", "communes", "fiches")
BOOL_FIELDS = ("whole_perimeter", "open_to_public")
INT_FIELDS = ("age_min", "age_max")
# Other spellings met in coordinators' sheets.
ALIASES = {
    "nom de la structure": "name",
    "structure": "name",
    "raison sociale": "name",
    "finess": "finess",
    "siret": "siret",
    "categorie": "categories",
    "public": "publics",
    "public cible": "publics",
    "communes": "communes",
    "horaires d'ouverture": "opening_hours",
    "conditions": "conditions",
    "tarif": "cost",
    "telephone": "phone",
    "tel": "phone",
    "mail": "email",
    "e-mail": "email",
    "adresse electronique": "email",
    "site": "website",
    "site web": "website",
    "date de verification": "verified_on",
    "verifie le": "verified_on",
    "fiches action": "fiches",
}
YES = {"oui", "o", "vrai", "x", "1", "yes"}
NO = {"non", "n", "faux", "0", "no", ""}


@dataclass
class ResourceRow:
    """One resource as a file gives it, with where it came from ("Feuille!ligne" or "ligne")."""

    name: str
    where: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    where: str  # « ligne 4, colonne « Courriel » » or « Répertoire!E4 »
    message: str

    def __str__(self) -> str:
        return f"{self.where} : {self.message}"


class TableError(ValueError):
    """The file as a whole cannot be read (not a table, no header, too big)."""


# --- Reading --------------------------------------------------------------------------------------


def split_list(text: str) -> list[str]:
    """Items of a cell: separated by semicolons, commas or line breaks, except inside brackets
    or quotes (« Exercice coordonné (maisons de santé, MSU) » is one item)."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    quote = ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
            current.append(char)
        elif char in '"«':
            quote = "»" if char == "«" else char
            current.append(char)
        elif char in "([":
            depth += 1
            current.append(char)
        elif char in ")]":
            depth = max(0, depth - 1)
            current.append(char)
        elif char in ";,\n" and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [squash(item) for item in items if squash(item)]


def parse_date(text: str) -> date:
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"« {text} » n’est pas une date (attendu JJ/MM/AAAA)")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def header_fields(header: Sequence[object]) -> dict[int, str]:
    """Column index → field, for the headers Pilotis knows; others are ignored."""
    known = {fold(label): name for name, label in COLUMNS} | ALIASES
    found: dict[int, str] = {}
    for index, cell in enumerate(header):
        name = known.get(fold(_cell_text(cell)).replace("’", "'"))
        if name and name not in found.values():
            found[index] = name
    return found


def read_rows(
    rows: Iterable[Sequence[object]], where: callable, first_line: int = 1
) -> tuple[list[ResourceRow], list[RowError]]:
    """Rows of a sheet whose first row is the header. `where(line, column)` names a place."""
    iterator = iter(rows)
    header = next(iterator, None)
    columns = header_fields(header or [])
    if "name" not in columns.values():
        raise TableError(
            f"ligne {first_line} : aucune colonne « Nom » ; la première ligne doit porter les "
            "en-têtes du répertoire (Nom, Type, Catégories, Communes desservies…)."
        )
    resources: list[ResourceRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], str] = {}
    for offset, row in enumerate(iterator, start=1):
        line = first_line + offset
        if offset > MAX_ROWS:
            raise TableError(f"plus de {MAX_ROWS} lignes : ce n’est pas un répertoire.")
        texts = {name: _cell_text(row[i]) if i < len(row) else "" for i, name in columns.items()}
        if not any(texts.values()):
            continue
        values: dict[str, object] = {}
        for index, name in columns.items():
            text = texts[name]
            place = where(line, index, HEADERS[name])
            if len(text) > MAX_CELL_CHARS:
                errors.append(
                    RowError(
                        place, f"texte trop long ({len(text)} caractères, {MAX_CELL_CHARS} au plus)"
                    )
                )
                continue
            if xml_safe(text) != text:
                errors.append(RowError(place, "caractère de contrôle invisible : retirez-le"))
                continue
            try:
                values[name] = convert(name, text)
            except ValueError as exc:
                errors.append(RowError(place, str(exc)))
        name = texts.get("name", "")
        if not name:
            errors.append(RowError(where(line, _index(columns, "name"), "Nom"), "le nom manque"))
            continue
        key = (fold(name), fold(texts.get("city", "")))
        if key in seen:
            errors.append(
                RowError(
                    where(line, _index(columns, "name"), "Nom"),
                    f"« {name} » figure déjà {seen[key]}",
                )
            )
            continue
        seen[key] = f"ligne {line}"
        low, high = values.get("age_min"), values.get("age_max")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            errors.append(
                RowError(
                    where(line, _index(columns, "age_max"), HEADERS["age_max"]),
                    f"l’âge maximum ({high}) est inférieur à l’âge minimum ({low})",
                )
            )
            continue
        resources.append(ResourceRow(name=name, where=f"ligne {line}", values=values))
    return resources, errors


def _index(columns: dict[int, str], name: str) -> int:
    return next((i for i, n in columns.items() if n == name), 0)


def convert(name: str, text: str) -> object:
    """A cell's text as the field wants it; ValueError with a French reason."""
    if name in LIST_FIELDS:
        return split_list(text)
    if name in BOOL_FIELDS:
        folded = fold(text)
        if folded in YES:
            return True
        if folded in NO:
            return False
        raise ValueError(f"« {text} » : répondez « oui » ou « non »")
    if name in INT_FIELDS:
        if not text:
            return None
        if not re.fullmatch(r"\d{1,3}", text):
            raise ValueError(f"« {text} » n’est pas un âge en années (nombre entier)")
        return int(text)
    if name == "verified_on":
        return parse_date(text) if text else None
    if name == "finess":
        if text and not re.fullmatch(r"[0-9]{2}[0-9AB][0-9]{6}", text):
            raise ValueError(f"« {text} » n’est pas un numéro FINESS (9 caractères)")
        return text
    if name == "siret":
        digits = text.replace(" ", "")
        if digits and not re.fullmatch(r"\d{14}", digits):
            raise ValueError(f"« {text} » n’est pas un numéro SIRET (14 chiffres)")
        return digits
    if name == "email":
        if text and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
            raise ValueError(f"« {text} » n’est pas une adresse électronique")
        return text
    return text


def read_csv(text: str, filename: str) -> tuple[list[ResourceRow], list[RowError]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))

    def where(line: int, index: int, header: str) -> str:
        return f"{filename}, ligne {line}, colonne « {header} »"

    return read_rows(rows, where)


def read_xlsx(data: bytes, filename: str) -> tuple[list[ResourceRow], list[RowError]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise TableError("le classeur décompressé dépasse 50 Mo : envoyez un extrait.")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise TableError(f"{filename} n’est pas un classeur XLSX lisible.") from exc
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)

            def where(line: int, index: int, header: str, title=sheet.title) -> str:
                return f"feuille « {title} », cellule {get_column_letter(index + 1)}{line}"

            try:
                return read_rows(rows, where)
            except TableError:
                continue
    finally:
        workbook.close()
    raise TableError(
        f"{filename} : aucune feuille n’a de colonne « Nom » sur sa première ligne "
        "(en-têtes attendus : Nom, Type, Catégories, Communes desservies…)."
    )


# FINESS extract, 0-based columns of a `structureet` line (data.gouv.fr documentation).
FINESS_COLUMNS = {
    "finess": 1,
    "name": 3,
    "long_name": 4,
    "street_number": 7,
    "street_type": 8,
    "street": 9,
    "lieu_dit": 11,
    "routing": 15,  # « 11000 CARCASSONNE »
    "phone": 16,
    "category": 19,
    "siret": 22,
}


def is_finess_extract(text: str) -> bool:
    return fold(text[:200]).startswith("finess;etalab")


def read_finess(text: str, filename: str) -> tuple[list[ResourceRow], list[RowError]]:
    """Establishments of a FINESS extract: name, FINESS and SIRET numbers, address, phone."""
    resources: list[ResourceRow] = []
    errors: list[RowError] = []
    for line, row in enumerate(csv.reader(io.StringIO(text), delimiter=";"), start=1):
        if line == 1 or not row or row[0] != "structureet":
            continue
        if len(row) <= FINESS_COLUMNS["siret"]:
            errors.append(
                RowError(f"{filename}, ligne {line}", f"{len(row)} colonnes au lieu d’au moins 23")
            )
            continue
        cell = {key: squash(row[index]) for key, index in FINESS_COLUMNS.items()}
        routing = re.match(r"(\d{5})\s+(.*)", cell["routing"])
        street = " ".join(
            p for p in (cell["street_number"], cell["street_type"], cell["street"]) if p
        )
        values: dict[str, object] = {
            "kind": "structure",
            "finess": cell["finess"],
            "siret": cell["siret"],
            "description": cell["category"],
            "address": street or cell["lieu_dit"],
            "postcode": routing.group(1) if routing else "",
            "city": routing.group(2).title() if routing else cell["routing"],
            "phone": _phone(cell["phone"]),
            "source": f"FINESS ({filename})",
        }
        name = cell["long_name"] or cell["name"]
        if not name:
            errors.append(RowError(f"{filename}, ligne {line}", "raison sociale vide"))
            continue
        resources.append(ResourceRow(name=name, where=f"ligne {line}", values=values))
    if not resources and not errors:
        raise TableError(f"{filename} : aucun établissement (ligne « structureet ») trouvé.")
    return resources, errors


def _phone(digits: str) -> str:
    digits = re.sub(r"\D", "", digits)
    if len(digits) == 10:
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return digits


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (a superset of Latin-1 for letters)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_file(data: bytes, filename: str) -> tuple[list[ResourceRow], list[RowError]]:
    """Any accepted file: XLSX, Pilotis CSV, FINESS extract. TableError when not a table."""
    if not data:
        raise TableError(f"{filename} est vide.")
    if data[:2] == b"PK":
        return read_xlsx(data, filename)
    text = decode(data)
    if "\x00" in text:
        raise TableError(f"{filename} n’est ni un fichier CSV ni un classeur XLSX.")
    if is_finess_extract(text):
        return read_finess(text, filename)
    return read_csv(text, filename)


# --- Writing --------------------------------------------------------------------------------------


def _out(name: str, value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value


def write_csv(records: Iterable[dict[str, object]]) -> bytes:
    """UTF-8 with BOM and semicolons: what a French spreadsheet opens without asking."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([label for _name, label in COLUMNS])
    for record in records:
        writer.writerow([csv_value(_out(name, record.get(name))) for name, _ in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(records: Iterable[dict[str, object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Répertoire"
    for column, (_name, label) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(1, column)
        xlsx_value(cell, label)
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(column)].width = 22
    for line, record in enumerate(records, start=2):
        for column, (name, _label) in enumerate(COLUMNS, start=1):
            xlsx_value(sheet.cell(line, column), _out(name, record.get(name)))
    sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
