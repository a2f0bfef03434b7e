"""Reading open-data files as French producers publish them, and checking them (pure, no database).

A file becomes one `Table` per sheet: its header found below any preamble of notes, its rows as
text with their row numbers. `detect` proposes a `mapping` (which column is the territory's code,
where the period is, which column feeds which indicator) and says whether it is sure; `validate`
applies a mapping and returns the observations with every problem named by row and column.
Nothing here touches the database: the caller passes the known territory codes and indicators.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pilotis.core.text import fold

# Usual names of the code column, folded, and the level they mean ("" : guess from the codes).
CODE_COLUMNS = {
    "codgeo": "",
    "code geographique": "",
    "code insee": "commune",
    "code commune insee": "commune",
    "code commune": "commune",
    "code_commune": "commune",
    "code_commune_insee": "commune",
    "code_insee": "commune",
    "insee_com": "commune",
    "depcom": "commune",
    "com": "commune",
    "commune": "commune",
    "dept": "department",
    "dep": "department",
    "departement": "department",
    "code departement": "department",
    "code_departement": "department",
    "region": "region",
    "reg": "region",
    "code region": "region",
    "code_region": "region",
    "siren": "epci",
    "epci": "epci",
    "code epci": "epci",
    "siren epci": "epci",
}
PERIOD_COLUMNS = {"annee", "année", "an", "year", "periode", "période", "millesime", "date"}
YEAR = re.compile(r"^(?:19|20)\d\d$")
YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
# Cells a producer leaves empty on purpose (secret, not available): no value, no error.
MISSING = {"", "s", "nd", "n.d.", "na", "nc", "n/a", "-", "–", "—", "secret", "ns", "."}
NUMBER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:[  \u202f.,]\d{3})+)?(?:[.,]\d+)?$")
# Special codes of some national files: a department "999" is its region's total, a region "99"
# France's.
REGION_TOTAL_DEPARTMENT = "999"
COUNTRY_REGION = "99"
COUNTRY_CODE = "FR"
ROLES = ("value", "numerator", "denominator")
ROLE_LABELS = {"value": "valeur", "numerator": "numérateur", "denominator": "dénominateur"}
LEVEL_LABELS = {
    "commune": "commune",
    "epci": "EPCI",
    "department": "département",
    "region": "région",
    "country": "pays",
}


class FileError(ValueError):
    """A file that cannot be read at all (not a table, not a spreadsheet)."""


@dataclass
class Table:
    file_name: str
    sheet: str = ""
    headers: list[str] = field(default_factory=list)
    header_row: int = 1
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    encoding: str = ""
    separator: str = ""
    decimal: str = "."
    units: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.file_name}, feuille « {self.sheet} »" if self.sheet else self.file_name

    @property
    def signature(self) -> str:
        """The file's shape: its headers (folded, in order), whatever its values."""
        text = "\x1f".join(fold(h) for h in self.headers)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class Problem:
    where: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        place = self.where
        if self.row is not None:
            place += f", ligne {self.row}"
        if self.column:
            place += f", colonne « {self.column} »"
        return f"{place} : {self.message}"


@dataclass
class Value:
    """One observation read from a file, before it is stored."""

    indicator: str
    level: str
    code: str
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    provenance: str


@dataclass
class Detection:
    mapping: dict[str, Any]
    sure: bool
    reasons: list[str]  # why detection is unsure, in French
    ignored: list[str] = field(default_factory=list)  # numeric columns feeding no indicator


# --- Reading ---------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding: UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "UTF-8"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "Windows-1252"


def sniff_separator(lines: list[str]) -> str:
    """The separator giving the same number of fields on most of the last lines (the data)."""
    sample = [line for line in lines if line.strip()][-50:]
    best, best_score = ",", -1
    for sep in (";", ",", "\t", "|"):
        counts = Counter(len(next(csv.reader([line], delimiter=sep))) for line in sample)
        width, agree = counts.most_common(1)[0] if counts else (1, 0)
        score = agree if width > 1 else 0
        if score > best_score or (score == best_score and sep == ";" and best != ";"):
            best, best_score = sep, score
    return best


def _header_index(rows: list[list[str]]) -> int:
    """The header: the first row naming a usual code column, else the first row as wide as the
    data whose cells are mostly text (the notes above it have one or two cells)."""
    for i, row in enumerate(rows[:40]):
        if any(fold(c) in CODE_COLUMNS for c in row):
            return i
    widths = Counter(sum(1 for c in row if c.strip()) for row in rows[-50:])
    width = widths.most_common(1)[0][0] if widths else 0
    for i, row in enumerate(rows[:40]):
        filled = [c for c in row if c.strip()]
        texts = [c for c in filled if not is_number(c)]
        if len(filled) >= max(2, width * 0.8) and len(texts) >= len(filled) / 2:
            return i
    return 0


def _table(file_name: str, sheet: str, rows: list[list[str]]) -> Table:
    if not any(any(c.strip() for c in row) for row in rows):
        raise FileError(f"{file_name}{f', feuille « {sheet} »' if sheet else ''} : aucune donnée.")
    h = _header_index(rows)
    headers = [c.strip() for c in rows[h]]
    while headers and not headers[-1]:
        headers.pop()
    notes = [" ".join(c for c in row if c.strip()) for row in rows[:h]]
    body = []
    for i, row in enumerate(rows[h + 1 :], start=h + 2):
        cells = [c.strip() for c in row[: len(headers)]]
        cells += [""] * (len(headers) - len(cells))
        if any(cells):
            body.append((i, cells))
    units: list[str] = []
    if body and not any(is_number(c) for c in body[0][1]):
        # A row of units or of long labels under the header (the DREES workbooks have one).
        units = body.pop(0)[1]
    table = Table(file_name, sheet, headers, h + 1, body, [n for n in notes if n], units=units)
    table.decimal = _decimal(table)
    return table


def read_csv(data: bytes, file_name: str) -> Table:
    text, encoding = decode(data)
    if "\x00" in text:
        raise FileError(f"{file_name} : ce n’est pas un fichier texte (CSV).")
    lines = text.splitlines()
    separator = sniff_separator(lines)
    rows = list(csv.reader(io.StringIO(text), delimiter=separator))
    table = _table(file_name, "", rows)
    table.encoding, table.separator = encoding, separator
    return table


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def read_xlsx(data: bytes, file_name: str) -> list[Table]:
    """One table per sheet that holds data."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise FileError(f"{file_name} : ce n’est pas un classeur XLSX lisible ({exc}).") from exc
    tables = []
    for sheet in workbook.worksheets:
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        if any(any(rows_cell for rows_cell in row) for row in rows):
            tables.append(_table(file_name, sheet.title, rows))
    workbook.close()
    if not tables:
        raise FileError(f"{file_name} : le classeur ne contient aucune donnée.")
    return tables


def read_file(data: bytes, file_name: str) -> list[Table]:
    if data[:4] == b"PK\x03\x04":
        return read_xlsx(data, file_name)
    if not data.strip():
        raise FileError(f"{file_name} : le fichier est vide.")
    return [read_csv(data, file_name)]


# --- Numbers ---------------------------------------------------------------------------------


def is_number(text: str) -> bool:
    t = text.strip().rstrip("%").strip()
    return bool(t) and bool(NUMBER.match(t)) and any(ch.isdigit() for ch in t)


def _decimal(table: Table) -> str:
    """ "," when numbers are written with a decimal comma (a French spreadsheet), else "."."""
    commas = points = 0
    for _, cells in table.rows[:500]:
        for c in cells:
            t = c.replace(" ", "").replace("\u202f", "").replace("\xa0", "")
            if re.fullmatch(r"[+-]?\d+,\d+", t):
                commas += 1
            elif re.fullmatch(r"[+-]?\d+\.\d+", t):
                points += 1
    return "," if commas > points else "."


def parse_number(text: str, decimal: str = ".") -> float | None:
    """A number written the French or the English way; None for an empty or secret cell.

    Raises ValueError for text that is not a number.
    """
    t = text.strip()
    if fold(t) in MISSING:
        return None
    t = t.rstrip("%").strip()
    if re.search(r"[ \xa0\u202f]", t):
        # Spaces only between groups of three digits ("1 234 567,5").
        if not re.fullmatch(r"[+-]?\d{1,3}(?:[ \xa0\u202f]\d{3})+(?:[.,]\d+)?", t):
            raise ValueError(text)
        t = re.sub(r"[ \xa0\u202f]", "", t)
    thousands = "." if decimal == "," else ","
    pattern = rf"[+-]?(\d+|\d{{1,3}}(\{thousands}\d{{3}})+)?(\{decimal}\d+)?"
    if not re.fullmatch(pattern, t):
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?(e[+-]?\d+)?", t, re.IGNORECASE):
            raise ValueError(text)
        return float(t)
    if not any(ch.isdigit() for ch in t):
        raise ValueError(text)
    return float(t.replace(thousands, "").replace(decimal, "."))


# --- Detection -------------------------------------------------------------------------------


def normalise_code(code: str, level: str) -> str:
    """A territory code as INSEE writes it: leading zeros restored, 2A/2B upper-cased."""
    c = code.strip().upper()
    if c.endswith(".0") and c[:-2].isdigit():
        c = c[:-2]
    if level == "commune" and c.isdigit() and len(c) < 5:
        return c.zfill(5)
    if level == "department" and c.isdigit() and len(c) < 2:
        return c.zfill(2)
    if level == "region" and c.isdigit() and len(c) < 2:
        return c.zfill(2)
    return c


def _guess_level(codes: list[str]) -> str:
    sample = [c.strip().upper() for c in codes if c.strip()][:200]
    if not sample:
        return ""
    lengths = Counter(len(c) for c in sample).most_common(1)[0][0]
    if lengths == 9:
        return "epci"
    if lengths in (4, 5):
        return "commune"
    if lengths in (1, 2, 3):
        return "department"
    return ""


def _period_of_sheet(table: Table) -> str:
    for text in (table.sheet, table.file_name, *table.notes):
        found = YEAR_IN_TEXT.findall(text or "")
        if len(set(found)) == 1:
            return found[0]
    return ""


def indicator_for(header: str, aliases: dict[str, str]) -> str:
    """The indicator a column header names: its code, its label, or a producer's usual name."""
    h = fold(header)
    if h in aliases:
        return aliases[h]
    # "Part des 75 ans ou plus (%)": the name followed by a unit in brackets.
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", h)
    return aliases.get(bare, "")


def _numeric_columns(table: Table, skip: set[int]) -> list[int]:
    out = []
    for i, _ in enumerate(table.headers):
        if i in skip:
            continue
        cells = [cells[i] for _, cells in table.rows[:200] if cells[i].strip()]
        numbers = [c for c in cells if is_number(c)]
        if cells and len(numbers) >= 0.6 * len(cells):
            out.append(i)
    return out


CODE_LIKE = re.compile(r"^(?:\d{1,9}|2[AB]\d{3}|2[AB])$", re.IGNORECASE)
FINER_FIRST = ["commune", "epci", "", "department", "region"]


def _code_column(table: Table, folded: list[str]) -> int | None:
    """Among the columns with a usual code name, one holding codes, the finest level first
    (`dept` before `region` in a file that has both)."""
    candidates = []
    for i, h in enumerate(folded):
        if h not in CODE_COLUMNS:
            continue
        cells = [cells[i] for _, cells in table.rows[:200] if cells[i].strip()]
        if cells and sum(bool(CODE_LIKE.match(c.strip())) for c in cells) >= 0.9 * len(cells):
            candidates.append((FINER_FIRST.index(CODE_COLUMNS[h]), i))
    return min(candidates)[1] if candidates else None


def detect(table: Table, aliases: dict[str, str]) -> Detection:
    """Propose a mapping for the table; `sure` is False when a person should confirm it."""
    reasons: list[str] = []
    folded = [fold(h) for h in table.headers]
    mapping: dict[str, Any] = {
        "code_column": "",
        "level": "",
        "period_column": "",
        "period": "",
        "values": [],
        "filters": {},
        "region_column": "",
    }
    code_index = _code_column(table, folded)
    if code_index is None:
        reasons.append("aucune colonne ne porte un nom usuel de code géographique")
    else:
        mapping["code_column"] = table.headers[code_index]
        codes = [cells[code_index] for _, cells in table.rows]
        mapping["level"] = CODE_COLUMNS[folded[code_index]] or _guess_level(codes)
        if mapping["level"] == "department" and "region" in folded:
            mapping["region_column"] = table.headers[folded.index("region")]
    skip = {code_index} if code_index is not None else set()
    skip |= {i for i, h in enumerate(folded) if h in CODE_COLUMNS}
    period_index = next((i for i, h in enumerate(folded) if h in PERIOD_COLUMNS), None)
    year_columns = [i for i, h in enumerate(table.headers) if YEAR.match(h.strip())]
    numeric = _numeric_columns(
        table, skip | ({period_index} if period_index is not None else set())
    )
    if period_index is not None:
        mapping["period_column"] = table.headers[period_index]
    elif year_columns:
        # One column per year: a single indicator, named by the sheet or the notes.
        indicator = ""
        for text in (table.sheet, table.file_name, *table.notes):
            indicator = indicator or indicator_for(text, aliases)
        for i in year_columns:
            mapping["values"].append(
                {
                    "column": table.headers[i],
                    "indicator": indicator,
                    "role": "value",
                    "period": table.headers[i].strip(),
                }
            )
        if not indicator:
            reasons.append("les colonnes sont des années : dites de quel indicateur")
        numeric = []
    else:
        mapping["period"] = _period_of_sheet(table)
        if not mapping["period"]:
            reasons.append("aucune colonne ni aucun nom de feuille ne donne la période")
    ameli = {"ntop": "numerator", "npop": "denominator", "prev": "value"}
    if numeric and {fold(table.headers[i]) for i in numeric} >= {"ntop", "npop"}:
        # A long file of counts and rates per category (pathologies…): which rows, which indicator.
        for i in numeric:
            role = ameli.get(fold(table.headers[i]))
            if role:
                mapping["values"].append(
                    {"column": table.headers[i], "indicator": "", "role": role, "period": ""}
                )
        reasons.append("fichier long par catégorie : choisissez l’indicateur et les lignes")
        numeric = []
    ignored = []
    for i in numeric:
        indicator = indicator_for(table.headers[i], aliases)
        if indicator:
            mapping["values"].append(
                {"column": table.headers[i], "indicator": indicator, "role": "value", "period": ""}
            )
        else:
            ignored.append(table.headers[i])
    if not mapping["values"]:
        reasons.append("aucune colonne de valeurs n’est reconnue comme un indicateur")
    if not mapping["level"] and code_index is not None:
        reasons.append("le niveau géographique des codes n’est pas reconnu")
    return Detection(mapping, sure=not reasons, reasons=reasons, ignored=ignored)


def mapping_problems(
    table: Table, mapping: dict[str, Any], indicators: dict[str, Any]
) -> list[str]:
    """What is missing or wrong in a mapping before it can be applied, in French."""
    problems = []
    headers = set(table.headers)
    if mapping.get("code_column") not in headers:
        problems.append("Choisissez la colonne du code géographique.")
    if mapping.get("level") not in LEVEL_LABELS:
        problems.append("Choisissez le niveau géographique des codes.")
    for column in (mapping.get("period_column"), mapping.get("region_column")):
        if column and column not in headers:
            problems.append(f"La colonne « {column} » n’existe pas dans le fichier.")
    values = mapping.get("values") or []
    if not values:
        problems.append("Associez au moins une colonne à un indicateur.")
    for v in values:
        if v.get("column") not in headers:
            problems.append(f"La colonne « {v.get('column')} » n’existe pas dans le fichier.")
        elif v.get("indicator") not in indicators:
            problems.append(f"Choisissez l’indicateur de la colonne « {v['column']} ».")
        if v.get("role") not in ROLES:
            problems.append(f"Rôle inconnu pour la colonne « {v.get('column')} ».")
        if not (v.get("period") or mapping.get("period_column") or mapping.get("period")):
            problems.append(f"Indiquez la période de la colonne « {v.get('column')} ».")
    for column in mapping.get("filters") or {}:
        if column not in headers:
            problems.append(f"La colonne de filtre « {column} » n’existe pas dans le fichier.")
    return problems


# --- Validation ------------------------------------------------------------------------------


@dataclass
class Bounds:
    label: str
    min_value: float | None = None
    max_value: float | None = None
    scale: float = 1


def validate(
    table: Table,
    mapping: dict[str, Any],
    indicators: dict[str, Bounds],
    known_codes: set[tuple[str, str]],
) -> tuple[list[Value], list[Problem]]:
    """Every value the table gives under `mapping`, and every problem by row and column.

    `known_codes` holds (level, code) of the territories that exist. The caller applies the values
    only when the problem list is empty.
    """
    problems: list[Problem] = []
    values: list[Value] = []
    col = {h: i for i, h in enumerate(table.headers)}
    level = mapping["level"]
    code_i = col[mapping["code_column"]]
    period_i = col.get(mapping.get("period_column") or "")
    region_i = col.get(mapping.get("region_column") or "")
    filters = {col[c]: fold(str(v)) for c, v in (mapping.get("filters") or {}).items()}
    seen: dict[tuple[str, str, str, str], int] = {}
    where = table.where
    for row_number, cells in table.rows:
        if any(fold(cells[i]) != wanted for i, wanted in filters.items()):
            continue
        raw_code = cells[code_i]
        if not raw_code.strip():
            problems.append(Problem(where, row_number, mapping["code_column"], "code vide."))
            continue
        row_level, code = level, normalise_code(raw_code, level)
        if level == "department" and code == REGION_TOTAL_DEPARTMENT and region_i is not None:
            row_level, code = "region", normalise_code(cells[region_i], "region")
        if row_level == "region" and code == COUNTRY_REGION:
            row_level, code = "country", COUNTRY_CODE
        if (row_level, code) not in known_codes:
            hint = " (commune fusionnée ou supprimée ?)" if row_level == "commune" else ""
            problems.append(
                Problem(
                    where,
                    row_number,
                    mapping["code_column"],
                    f"code {LEVEL_LABELS.get(row_level, row_level)} « {raw_code} » inconnu{hint}.",
                )
            )
            continue
        row_period = cells[period_i].strip() if period_i is not None else mapping.get("period", "")
        by_indicator: dict[tuple[str, str], dict[str, float | None]] = {}
        columns_of: dict[tuple[str, str], str] = {}
        for spec in mapping["values"]:
            i = col[spec["column"]]
            period = spec.get("period") or row_period
            if not period:
                problems.append(Problem(where, row_number, spec["column"], "période vide."))
                continue
            try:
                number = parse_number(cells[i], table.decimal)
            except ValueError:
                problems.append(
                    Problem(
                        where, row_number, spec["column"], f"« {cells[i]} » n’est pas un nombre."
                    )
                )
                continue
            key = (spec["indicator"], period)
            by_indicator.setdefault(key, {})[spec["role"]] = number
            columns_of.setdefault(key, spec["column"])
        for (indicator, period), roles in by_indicator.items():
            value = roles.get("value")
            numerator, denominator = roles.get("numerator"), roles.get("denominator")
            bounds = indicators[indicator]
            if value is None and numerator is not None and denominator:
                value = numerator / denominator * bounds.scale
            if value is None and numerator is None:
                continue
            column = columns_of[(indicator, period)]
            if value is not None and not _within(value, bounds):
                problems.append(
                    Problem(
                        where,
                        row_number,
                        column,
                        f"{_fr(value)} est hors des bornes de « {bounds.label} » "
                        f"({_bounds_text(bounds)}).",
                    )
                )
                continue
            if (
                denominator is not None
                and denominator < 0
                or (numerator is not None and numerator < 0)
            ):
                problems.append(Problem(where, row_number, column, "effectif négatif."))
                continue
            key = (indicator, row_level, code, period)
            if key in seen:
                problems.append(
                    Problem(
                        where,
                        row_number,
                        mapping["code_column"],
                        f"« {raw_code} » pour {period} est en double avec la ligne {seen[key]}.",
                    )
                )
                continue
            seen[key] = row_number
            values.append(
                Value(
                    indicator,
                    row_level,
                    code,
                    period,
                    value,
                    numerator,
                    denominator,
                    f"{where}, ligne {row_number}",
                )
            )
    if not values and not problems:
        problems.append(Problem(where, None, "", "aucune valeur à importer."))
    # A duplicated row is one problem, whatever the number of indicators it carries.
    unique = list({str(p): p for p in problems}.values())
    return values, unique


def _within(value: float, bounds: Bounds) -> bool:
    if bounds.min_value is not None and value < bounds.min_value:
        return False
    return bounds.max_value is None or value <= bounds.max_value


def _fr(value: float) -> str:
    text = f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return text.replace(",", "\u202f").replace(".", ",")


def _bounds_text(bounds: Bounds) -> str:
    if bounds.min_value is not None and bounds.max_value is not None:
        return f"de {_fr(bounds.min_value)} à {_fr(bounds.max_value)}"
    if bounds.min_value is not None:
        return f"au moins {_fr(bounds.min_value)}"
    return f"au plus {_fr(bounds.max_value)}"
