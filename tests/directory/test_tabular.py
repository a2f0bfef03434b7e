"""directory.tabular, pure: resources read from CSV, XLSX and FINESS extracts, and written back."""

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from pilotis.directory import tabular


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Ressources"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_csv_written_by_a_french_spreadsheet_is_read():
    text = (
        "Nom;Catégories;Communes desservies;Âge minimum;Ouvert au public;Vérifié le\r\n"
        "Plateforme de répit;Répit, Soutien aux aidants;Trèbes, Carcassonne;60;oui;03/02/2026\r\n"
    )
    rows, errors = tabular.read_file(text.encode("cp1252"), "aidants.csv")
    assert errors == []
    [row] = rows
    assert row.name == "Plateforme de répit"
    assert row.values["categories"] == ["Répit", "Soutien aux aidants"]
    assert row.values["communes"] == ["Trèbes", "Carcassonne"]
    assert row.values["age_min"] == 60
    assert row.values["open_to_public"] is True
    assert str(row.values["verified_on"]) == "2026-02-03"


def test_headers_in_any_order_and_other_spellings():
    rows, errors = tabular.read_file(
        xlsx([["Téléphone", "Nom de la structure", "Mail"], ["04 68 00 00 00", "CCAS", "a@b.fr"]]),
        "r.xlsx",
    )
    assert errors == []
    assert rows[0].name == "CCAS"
    assert rows[0].values["phone"] == "04 68 00 00 00"
    assert rows[0].values["email"] == "a@b.fr"


def test_every_bad_cell_is_named_by_sheet_and_cell():
    rows, errors = tabular.read_file(
        xlsx(
            [
                ["Nom", "N° FINESS", "Âge minimum", "Âge maximum", "Courriel", "Ouvert au public"],
                ["A", "12345", "dix", "", "pas-une-adresse", "peut-être"],
                ["", "", "", "", "", ""],
                ["B", "", "70", "60", "", ""],
                ["A", "", "", "", "", ""],
                ["", "", "3", "", "", ""],
            ]
        ),
        "r.xlsx",
    )
    messages = [str(e) for e in errors]
    assert (
        "feuille « Ressources », cellule B2 : « 12345 » n’est pas un numéro FINESS" in messages[0]
    )
    assert any("cellule C2" in m and "âge" in m for m in messages)
    assert any("cellule E2" in m and "adresse électronique" in m for m in messages)
    assert any("cellule F2" in m and "oui" in m for m in messages)
    assert any("cellule D4" in m and "inférieur" in m for m in messages)
    assert any("cellule A5" in m and "figure déjà ligne 2" in m for m in messages)
    assert any("cellule A6" in m and "le nom manque" in m for m in messages)


def test_control_characters_and_huge_cells_are_refused():
    rows, errors = tabular.read_file(
        ("Nom;Description\nA;b\x01c\nB;" + "x" * 6000 + "\n").encode(), "r.csv"
    )
    assert [e.where for e in errors] == [
        "r.csv, ligne 2, colonne « Description »",
        "r.csv, ligne 3, colonne « Description »",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "est vide"),
        (b"PK\x03\x04 not really a zip", "n’est pas un classeur XLSX lisible"),
        (b"Structure inconnue;Ville\nA;B\n", "aucune colonne « Nom »"),
        (b"\x00\x01\x02binary", "ni un fichier CSV ni un classeur XLSX"),
    ],
)
def test_files_that_are_not_directories_are_refused(data, message):
    with pytest.raises(tabular.TableError, match=message):
        tabular.read_file(data, "f.xlsx")


def test_a_finess_extract_is_read_as_published():
    # Metadata first line, no header, Latin-1, semicolons; geolocation lines are not read.
    lines = [
        "finess;etalab;95;2026-11-30",
        "structureet;110780061;110000445;CH CARCASSONNE;CENTRE HOSPITALIER DE CARCASSONNE;;;"
        "1060;CHE;DE LA SOUCARIE;;;069;11;AUDE;11010 CARCASSONNE CEDEX;0468244000;;355;"
        "Centre Hospitalier (C.H.);1102;Autres Etablissements Relevant de la Loi Hospitaliére;"
        "26110035000059;8610Z;03;ARS établissements Publics de santé dotation globale;1;"
        "Etablissement public de santé;1990-01-01;1990-01-01;2024-05-02;",
        "geolocalisation;110780061;660000.0;6120000.0;1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,"
        "LAMBERT_93;2024-05-02",
    ]
    data = "\n".join(lines).encode("latin-1")
    rows, errors = tabular.read_file(data, "etalab-cs1100507-stock.csv")
    assert errors == []
    [row] = rows
    assert row.name == "CENTRE HOSPITALIER DE CARCASSONNE"
    assert row.values["finess"] == "110780061"
    assert row.values["siret"] == "26110035000059"
    assert row.values["postcode"] == "11010"
    assert row.values["phone"] == "04 68 24 40 00"
    assert row.values["description"] == "Centre Hospitalier (C.H.)"


def test_exports_never_write_a_formula_and_keep_numbers():
    records = [
        {
            "name": '=HYPERLINK("http://evil.example","clic")',
            "age_min": 60,
            "categories": ["Répit"],
            "open_to_public": True,
        }
    ]
    text = tabular.write_csv(records).decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(text), delimiter=";") if r[0] != "Nom")
    assert row[0].startswith("'=HYPERLINK")
    sheet = load_workbook(io.BytesIO(tabular.write_xlsx(records))).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("=HYPERLINK")
    assert sheet["G2"].value == 60


def test_an_export_reads_back_to_the_same_rows():
    records = [
        {
            "name": "Plateforme de répit",
            "communes": ["Trèbes", "Berriac"],
            "age_min": 60,
            "whole_perimeter": False,
            "phone": "04 68 00 00 00",
        }
    ]
    for data in (tabular.write_csv(records), tabular.write_xlsx(records)):
        rows, errors = tabular.read_file(data, "export")
        assert errors == []
        assert rows[0].values["communes"] == ["Trèbes", "Berriac"]
        assert rows[0].values["age_min"] == 60
        assert rows[0].values["phone"] == "04 68 00 00 00"


def test_lists_split_on_separators_but_not_inside_brackets_or_quotes():
    assert tabular.split_list("Répit; Exercice coordonné (maisons de santé, MSU), « a, b »") == [
        "Répit",
        "Exercice coordonné (maisons de santé, MSU)",
        "« a, b »",
    ]
