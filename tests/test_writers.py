"""Every CSV and XLSX Pilotis writes goes through core.cells (issue 9, items 2 and 3).

A static check finds the writers (modules making a csv.writer or an openpyxl Workbook) and asks
each to use the shared helper and never set a cell's value by itself; the behaviour tests of each
writer are next to it (followup, reports, directory, plans).
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "pilotis"
# Ways of putting a value in a cell without core.cells.
BYPASSES = [
    re.compile(r"\.cell\([^)]*value\s*="),
    re.compile(r"\.value\s*=(?!=)"),
    re.compile(r"\b(ws|sheet|readme|worksheet)\.append\("),
]


def writers() -> list[Path]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name == "cells.py":
            continue
        if "csv.writer(" in text or re.search(r"\bWorkbook\(\)", text):
            found.append(path)
    return found


def test_the_writers_are_found():
    names = {p.relative_to(SRC).as_posix() for p in writers()}
    assert {"followup/spreadsheets.py", "reports/render_xlsx.py"} <= names


def test_every_writer_uses_core_cells_and_never_sets_a_cell_by_itself():
    for path in writers():
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(SRC).as_posix()
        if "csv.writer(" in text:
            assert "csv_value" in text, f"{name} writes CSV without core.cells.csv_value"
        if "Workbook()" in text:
            assert "xlsx_value" in text, f"{name} writes XLSX without core.cells.xlsx_value"
        for line_number, line in enumerate(text.splitlines(), start=1):
            for bypass in BYPASSES:
                assert not bypass.search(line), f"{name}:{line_number} sets a cell directly: {line}"
