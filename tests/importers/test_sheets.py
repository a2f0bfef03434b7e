"""Bad spreadsheets (issue 10, item 4): refused or read with a French message naming the sheet,
row and column; nothing stored. Pure, but for the upload through the import page."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from pilotis.importers import sheets
from pilotis.importers.registry import parse_document
from pilotis.plans.draft import ParseError
from tests.factories import UserFactory
from tests.importers.tet_files import csv_bytes, row, xlsx

AXIS = "1. Prévention"


def refused(data: bytes, name: str = "plan.xlsx") -> str:
    with pytest.raises(ParseError) as error:
        parse_document(data, name)
    return str(error.value)


def patch_sheet(data: bytes, old: str, new: str) -> bytes:
    """The same workbook with a piece of its first sheet's XML replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                assert old in text
                content = text.replace(old, new).encode()
            target.writestr(info, content)
    return out.getvalue()


def test_empty_file():
    assert refused(b"") == "Le fichier « plan.xlsx » est vide."
    assert refused(b"", "plan.csv") == "Le fichier « plan.csv » est vide."


def test_corrupt_xlsx():
    assert "n’est pas un classeur XLSX" in refused(b"ceci n'est pas un classeur")
    truncated = xlsx()[:2000]
    assert "n’est pas un classeur XLSX" in refused(truncated)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert "pas de classeur « xl/workbook.xml »" in refused(archive.getvalue())
    assert "ancien format (.xls)" in refused(b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "plan.xlsx")


def test_damaged_sheet_xml():
    data = patch_sheet(xlsx(), "</sheetData>", "<row><c r=")
    message = refused(data)
    assert "plan.xlsx" in message and ("endommagé" in message or "lisible" in message)


def test_workbook_without_a_recognisable_header():
    book = Workbook()
    book.active.title = "Budget 2025"
    book.active["A1"] = "Poste"
    book.active["B1"] = "Montant"
    out = io.BytesIO()
    book.save(out)
    message = refused(out.getvalue())
    assert "n’a pas d’en-tête reconnu (feuilles lues : « Budget 2025 »)" in message
    assert "Territoires en Transitions" in message and "« N° fiche »" in message


def test_workbook_with_no_cell_at_all():
    out = io.BytesIO()
    Workbook().save(out)
    assert refused(out.getvalue()) == "Le fichier « plan.xlsx » ne contient aucune cellule remplie."


def test_a_sheet_of_100_000_rows_is_refused_where_the_limit_is_reached():
    rows = "".join(
        f'<row r="{n}"><c r="D{n}" t="inlineStr"><is><t>Action {n}</t></is></c></row>'
        for n in range(5, 100_005)
    )
    data = patch_sheet(
        xlsx([row(axis=AXIS, title="Première")]), "</sheetData>", rows + "</sheetData>"
    )
    message = refused(data)
    assert (
        "La feuille « Plan d'actions » du fichier « plan.xlsx » a plus de 20\u202f000 lignes "
        "remplies (ligne 20\u202f001 atteinte)"
    ) in message


def test_a_cell_of_one_megabyte():
    big = "x" * (1024 * 1024)
    # openpyxl would not write such a cell: the file is patched as another program would write it.
    data = xlsx([row(axis=AXIS, title="Action", description="GRANDE")])
    message = refused(patch_sheet(data, ">GRANDE<", f">{big}<"))
    assert "feuille « Plan d'actions », ligne 4, colonne F" in message
    assert "1\u202f048\u202f576 caractères" in message and "32\u202f767" in message
    data = csv_bytes([row(axis=AXIS, title="Action", description=big)])
    message = refused(data, "plan.csv")
    assert "ligne 4, colonne F" in message and "1\u202f048\u202f576 caractères" in message


def test_formulas_are_read_as_their_computed_value_never_evaluated():
    data = xlsx([row(axis=AXIS, title="Action", budget=7500, description="texte")])
    # The cached value says 7500; the formula would say 2: the value is read, as computed.
    data = patch_sheet(
        data, '<c r="X4" t="n"><v>7500</v></c>', '<c r="X4"><f>1+1</f><v>7500</v></c>'
    )
    fiche = parse_document(data, "plan.xlsx").fiches[0]
    assert fiche.extra["budget"] == "7\u202f500\u00a0€ HT"
    # Text typed like a formula is text.
    data = xlsx([row(axis=AXIS, title='=HYPERLINK("http://x")')])
    assert parse_document(data, "plan.xlsx").fiches[0].title == '=HYPERLINK("http://x")'


def test_a_formula_whose_result_is_an_error():
    data = xlsx([row(axis=AXIS, title="Action", budget=7500)])
    data = patch_sheet(
        data, '<c r="X4" t="n"><v>7500</v></c>', '<c r="X4" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
    )
    message = refused(data)
    assert "feuille « Plan d'actions », ligne 4, colonne X" in message
    assert "erreur de calcul (#DIV/0!)" in message


def test_merged_cells_down_a_column_are_read_for_each_row_and_flagged():
    def edit(sheet):
        sheet.merge_cells("A4:A5")

    rows = [row(axis=AXIS, title="Première"), row(title="Seconde")]
    draft = parse_document(xlsx(rows, edit=edit), "plan.xlsx")
    assert [f.section_key for f in draft.fiches] == ["S1", "S1"]
    assert "cellules fusionnées A4:A5" in draft.fiches[1].flags[0].message
    assert not draft.fiches[0].flags


def test_merged_cells_across_columns_are_refused():
    def edit(sheet):
        sheet.merge_cells("D4:F4")

    message = refused(xlsx([row(axis=AXIS, title="Action")], edit=edit))
    assert "ligne 4 : les cellules D4:F4 sont fusionnées sur plusieurs colonnes" in message


def test_merges_in_the_title_rows_are_ignored():
    def edit(sheet):
        sheet.merge_cells("A1:F1")

    assert len(parse_document(xlsx(edit=edit), "plan.xlsx").fiches) == 3


def test_csv_that_is_a_workbook_or_binary():
    assert "est un classeur, pas un fichier CSV" in refused(xlsx(), "plan.csv")
    assert "octets nuls" in refused(b"Axe (x);\x00\x00", "plan.csv")


def test_number_and_list_helpers():
    assert sheets.number("12 500,50 € HT") == sheets.number(12500.5)
    assert sheets.number("1.234,5") == sheets.number("1,234.5") == sheets.number(1234.5)
    with pytest.raises(ValueError):
        sheets.number("12 euros environ")
    assert sheets.split_list("A, B (c, d); « E, F »\nG") == ["A", "B (c, d)", "E, F", "G"]


@pytest.mark.django_db
def test_a_bad_spreadsheet_uploaded_on_the_import_page_stores_nothing(
    client, settings, tmp_path, db_snapshot
):
    settings.VAR_DIR = tmp_path
    client.force_login(UserFactory(coordinator=True))
    before = db_snapshot()
    bad = xlsx([row(axis=AXIS, title="Créer un guichet unique", budget="environ 5000")])
    document = SimpleUploadedFile("plan.xlsx", bad)
    response = client.post("/plans/import/", {"step": "preview", "document": document})
    assert response.status_code == 400
    page = response.content.decode()
    assert "colonne X « Budget prévisionnel total € HT »" in page
    assert "action « Créer un guichet unique »" in page
    assert db_snapshot() == before
