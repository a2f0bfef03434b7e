"""Reading and checking open-data files: pure functions, no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilotis.observatory import parsing
from pilotis.observatory.parsing import Bounds

from .files import ameli_csv, apl_workbook, insee_csv

ALIASES = {
    "apl aux medecins generalistes": "apl_gp",
    "pmun": "population",
    "part des 75 ans ou plus": "share_75_plus",
    "diabetes_treated_share": "diabetes_treated_share",
}
INDICATORS = {
    "apl_gp": Bounds("APL", 0, 30),
    "population": Bounds("Population", 0),
    "share_75_plus": Bounds("Part des 75 ans et plus", 0, 100),
    "diabetes_treated_share": Bounds("Part traitée pour un diabète", 0, 100, scale=100),
}
KNOWN = {
    ("commune", "11069"),
    ("commune", "11379"),
    ("commune", "09122"),
    ("commune", "2A004"),
    ("department", "11"),
    ("department", "09"),
    ("region", "76"),
    ("country", "FR"),
}


def read(data: bytes, name: str):
    return parsing.read_file(data, name)


# --- numbers and codes ---


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("12,5", ",", 12.5),
        ("1 234,5", ",", 1234.5),
        ("1\u202f234", ",", 1234),
        ("1.234,5", ",", 1234.5),
        ("12.5", ".", 12.5),
        ("1,234.5", ".", 1234.5),
        ("21,4 %", ",", 21.4),
        ("-0,3", ",", -0.3),
        ("s", ",", None),
        ("", ".", None),
        ("NA", ".", None),
        ("3.2e-1", ".", 0.32),
    ],
)
def test_parse_number(text, decimal, expected):
    assert parsing.parse_number(text, decimal) == expected


@pytest.mark.parametrize("text", ["12,3,4", "douze", "1 2 3 4", "12,5", "--3"])
def test_parse_number_refuses(text):
    with pytest.raises(ValueError):
        parsing.parse_number(text, ".") if text != "12,5" else parsing.parse_number("12,5x", ",")


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda f: round(f, 3)))
def test_french_written_numbers_read_back(value):
    text = f"{value:,.3f}".replace(",", "\u202f").replace(".", ",")
    assert parsing.parse_number(text, ",") == pytest.approx(value)


@pytest.mark.parametrize(
    ("code", "level", "expected"),
    [
        ("1001", "commune", "01001"),
        ("1001.0", "commune", "01001"),
        ("2a004", "commune", "2A004"),
        ("9", "department", "09"),
        ("2B", "department", "2B"),
        ("200035715", "epci", "200035715"),
    ],
)
def test_codes_keep_their_zeros(code, level, expected):
    assert parsing.normalise_code(code, level) == expected


# --- reading ---


def test_insee_csv_from_a_french_spreadsheet():
    data = insee_csv(
        ["11069;Carcassonne;46 031;12,1", "11379;Trèbes;5 663;13,4", "2A004;Ajaccio;70 659;10,2"],
        preamble=("Source : Insee, RP 2021 exploitation principale", "Champ : France"),
    )
    (table,) = read(data, "insee.csv")
    assert (table.encoding, table.separator, table.decimal) == ("Windows-1252", ";", ",")
    assert table.header_row == 3
    assert table.notes[0].startswith("Source : Insee")
    assert table.rows[1] == (5, ["11379", "Trèbes", "5 663", "13,4"])
    detection = parsing.detect(table, ALIASES)
    assert detection.sure, detection.reasons
    assert detection.mapping["code_column"] == "CODGEO"
    assert detection.mapping["level"] == "commune"
    assert detection.mapping["period"] == "2021"
    assert [(v["column"], v["indicator"]) for v in detection.mapping["values"]] == [
        ("PMUN", "population"),
        ("Part des 75 ans ou plus (%)", "share_75_plus"),
    ]
    values, problems = parsing.validate(table, detection.mapping, INDICATORS, KNOWN)
    assert problems == []
    trebes = [v for v in values if v.code == "11379" and v.indicator == "share_75_plus"]
    assert trebes[0].value == 13.4 and trebes[0].period == "2021"
    assert trebes[0].provenance == "insee.csv, ligne 5"
    assert {v.code for v in values} == {"11069", "11379", "2A004"}


def test_utf8_comma_file_with_decimal_point():
    data = b"code_commune,annee,pmun\n11069,2020,46000\n11069,2021,46031\n"
    (table,) = read(data, "pop.csv")
    assert (table.encoding, table.separator, table.decimal) == ("UTF-8", ",", ".")
    detection = parsing.detect(table, ALIASES)
    assert detection.sure
    values, problems = parsing.validate(table, detection.mapping, INDICATORS, KNOWN)
    assert problems == []
    assert [(v.period, v.value) for v in values] == [("2020", 46000), ("2021", 46031)]


def test_drees_apl_workbook_one_sheet_per_year():
    data = apl_workbook(
        {
            "2021": [["11069", "Carcassonne", 3.1, 2.9, 45000], ["09122", "Foix", 4.0, 3.8, 9000]],
            "2022": [["11069", "Carcassonne", 2.6, 2.5, 45100], ["2A004", "Ajaccio", 3.5, 3, 7e4]],
        }
    )
    tables = read(data, "apl.xlsx")
    assert [t.sheet for t in tables] == ["Présentation", "2021", "2022"]
    sheet = tables[1]
    assert sheet.header_row == 9
    assert len(sheet.notes) == 6  # the empty lines are not notes
    assert sheet.units[2].startswith("consultations")
    assert sheet.rows[0] == (11, ["11069", "Carcassonne", "3.1", "2.9", "45000"])
    assert not parsing.detect(tables[0], ALIASES).sure  # the presentation sheet
    detection = parsing.detect(sheet, ALIASES)
    assert detection.sure, detection.reasons
    assert detection.mapping["period"] == "2021"
    assert [v["indicator"] for v in detection.mapping["values"]] == ["apl_gp"]
    assert detection.ignored == [
        "APL aux médecins généralistes de moins de 65 ans",
        "Population standardisée 2022 pour la médecine générale",
    ]
    values, problems = parsing.validate(
        tables[2], parsing.detect(tables[2], ALIASES).mapping, INDICATORS, KNOWN
    )
    assert problems == []
    assert [(v.code, v.period, v.value) for v in values] == [
        ("11069", "2022", 2.6),
        ("2A004", "2022", 3.5),
    ]
    assert values[0].provenance == "apl.xlsx, feuille « 2022 », ligne 11"


def test_ameli_long_file_needs_a_mapping_then_reads_region_and_france_totals():
    data = ameli_csv(
        [
            "2021;Diabète;Diabète;top_Diabete;tsage;9;76;11;22000;366000;6.01",
            "2021;Diabète;Diabète;top_Diabete;tsage;9;76;09;9000;150000;6",
            "2021;Diabète;Diabète;top_Diabete;tsage;9;76;999;290000;5900000;4.92",
            "2021;Diabète;Diabète;top_Diabete;tsage;9;99;999;3900000;68000000;5.74",
            "2021;Cancers;Cancer actif;top_Cancer;tsage;9;76;11;9000;366000;2.4",
            "2021;Diabète;Diabète;top_Diabete;de 40 à 44 ans;9;76;11;300;20000;1.5",
        ]
    )
    (table,) = read(data, "effectifs.csv")
    detection = parsing.detect(table, ALIASES)
    assert not detection.sure
    assert detection.mapping["code_column"] == "dept"
    assert detection.mapping["region_column"] == "region"
    assert detection.mapping["period_column"] == "annee"
    mapping = detection.mapping
    for v in mapping["values"]:
        v["indicator"] = "diabetes_treated_share"
    mapping["filters"] = {"patho_niv1": "Diabète", "cla_age_5": "tsage"}
    assert parsing.mapping_problems(table, mapping, INDICATORS) == []
    values, problems = parsing.validate(table, mapping, INDICATORS, KNOWN)
    assert problems == []
    got = {(v.level, v.code): (v.value, v.numerator, v.denominator) for v in values}
    assert got == {
        ("department", "11"): (6.01, 22000, 366000),
        ("department", "09"): (6, 9000, 150000),
        ("region", "76"): (4.92, 290000, 5900000),
        ("country", "FR"): (5.74, 3900000, 68000000),
    }


def test_years_as_columns_become_periods_once_the_indicator_is_named():
    data = b"codgeo;2019;2020;2021\n11069;45000;45500;46031\n"
    (table,) = read(data, "fichier.csv")
    detection = parsing.detect(table, ALIASES)
    assert not detection.sure
    assert "années" in detection.reasons[0]
    problems = parsing.mapping_problems(table, detection.mapping, INDICATORS)
    assert problems == ["Choisissez l’indicateur de la colonne « 2019 »."] + [
        f"Choisissez l’indicateur de la colonne « {y} »." for y in ("2020", "2021")
    ]
    for v in detection.mapping["values"]:
        v["indicator"] = "population"
    values, problems = parsing.validate(table, detection.mapping, INDICATORS, KNOWN)
    assert [(v.period, v.value) for v in values] == [
        ("2019", 45000),
        ("2020", 45500),
        ("2021", 46031),
    ]


# --- problems, by row and column ---


def check(rows: list[str]) -> list[str]:
    data = insee_csv(rows, preamble=("Recensement 2021",))
    (table,) = read(data, "insee.csv")
    detection = parsing.detect(table, ALIASES)
    values, problems = parsing.validate(table, detection.mapping, INDICATORS, KNOWN)
    return [str(p) for p in problems]


def test_unknown_commune_code_is_named_with_its_row():
    assert check(["11069;Carcassonne;46 031;12,1", "11999;Disparue;100;10"]) == [
        "insee.csv, ligne 4, colonne « CODGEO » : code commune « 11999 » inconnu "
        "(commune fusionnée ou supprimée ?)."
    ]


def test_bad_number():
    rows = ["11069;Carcassonne;46 031;12,1", "11379;Trèbes;5 663;13,4", "09122;Foix;9 000;11"]
    rows.append("2A004;Ajaccio;70 659;douze")
    assert check(rows) == [
        "insee.csv, ligne 6, colonne « Part des 75 ans ou plus (%) » : "
        "« douze » n’est pas un nombre."
    ]


def test_duplicate_row():
    assert check(["11069;Carcassonne;46 031;12,1", "11069;Carcassonne;46 031;12,1"]) == [
        "insee.csv, ligne 4, colonne « CODGEO » : « 11069 » pour 2021 est en double "
        "avec la ligne 3."
    ]


def test_value_out_of_bounds():
    assert check(["11069;Carcassonne;46 031;120,5"]) == [
        "insee.csv, ligne 3, colonne « Part des 75 ans ou plus (%) » : 120,5 est hors des bornes "
        "de « Part des 75 ans et plus » (de 0 à 100)."
    ]


def test_secret_cells_are_no_error():
    assert check(["11069;Carcassonne;46 031;s"]) == []


def test_not_a_spreadsheet_nor_text():
    with pytest.raises(parsing.FileError, match="classeur XLSX"):
        read(b"PK\x03\x04garbage", "x.xlsx")
    with pytest.raises(parsing.FileError, match="vide"):
        read(b"  \n", "x.csv")


def test_same_headers_same_signature_whatever_the_values():
    a = read(insee_csv(["11069;Carcassonne;1;2"]), "a.csv")[0]
    b = read(insee_csv(["11379;Trèbes;3;4"], preamble=("Note",)), "b.csv")[0]
    c = read(b"codgeo;pmun\n11069;3\n", "c.csv")[0]
    assert a.signature == b.signature != c.signature
