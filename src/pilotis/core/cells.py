"""Safe cells for every CSV and XLSX Pilotis writes: user text is written as text, never a formula.

A spreadsheet runs a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (and, through DDE
tricks, a tab or a carriage return) as a formula. OWASP's advice, followed here: prefix such text
with an apostrophe in CSV, and write it as an explicit string cell in XLSX. Numbers, dates and
booleans are left as they are. Characters that XML cannot hold (``\\x01``, ``\\ufffe``…) are
removed so that an XLSX or DOCX can always be written from what is already stored.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Characters outside the XML 1.0 "Char" production: C0 controls but tab, line feed and carriage
# return; surrogates; U+FFFE and U+FFFF.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold."""
    return XML_ILLEGAL.sub("", text)


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def csv_value(value: Any) -> Any:
    """A value for `csv.writer`: formula-like text gets a leading apostrophe; others unchanged."""
    if isinstance(value, str):
        value = xml_safe(value)
        if is_formula_like(value):
            return "'" + value
    return value


def xlsx_value(cell: Any, value: Any) -> None:
    """Set an openpyxl cell to `value`, text always as a string cell (never a formula)."""
    if isinstance(value, str):
        cell.value = xml_safe(value)
        # openpyxl turns text starting with "=" into a formula unless told it is a string.
        cell.data_type = "s"
    else:
        cell.value = value
