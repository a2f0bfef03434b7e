"""Safe cells for every CSV and XLSX Pilotis writes: user text is written as text, never a formula.

A spreadsheet runs a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (and, through DDE
tricks, a tab or a carriage return) as a formula. OWASP's advice, followed here: prefix such text
with an apostrophe in CSV, and write it as an explicit string cell in XLSX. Numbers, dates and
booleans are left as they are. Characters that XML cannot hold (``\\x01``, ``\\ufffe``…) are
removed so that an XLSX or DOCX can always be written from what is already stored.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Characters outside the XML 1.0 "Char" production: C0 controls but tab, line feed and carriage
# return; surrogates; U+FFFE and U+FFFF.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold."""
    return XML_ILLEGAL.sub("", text)


def xml_safe_tree(value: Any) -> Any:
    """`value` (a plain-data tree: dataclasses, lists, tuples, dicts) with every text xml_safe.

    For renderers writing XML (DOCX): text stored before input refused these characters must not
    fail the file. Parts holding nothing to remove are returned as they are (no copy).
    """
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list | tuple):
        items = [xml_safe_tree(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        pairs = {k: xml_safe_tree(v) for k, v in value.items()}
        return value if all(pairs[k] is v for k, v in value.items()) else pairs
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if f.init:
                old = getattr(value, f.name)
                new = xml_safe_tree(old)
                if new is not old:
                    changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def csv_text(text: str) -> str:
    """A CSV cell read back: the apostrophe `csv_value` put before formula-like text removed, so
    that a file Pilotis wrote reads as what it holds."""
    if text.startswith("'") and is_formula_like(text[1:]):
        return text[1:]
    return text


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
