"""Pilotis's plan spreadsheet: export, edit, import back through the review step."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook

from pilotis.accounts import roles
from pilotis.accounts.models import Role
from pilotis.importers.persist import save_draft
from pilotis.importers.registry import parse_document
from pilotis.importers.review import diff_plans
from pilotis.plans.draft import ParseError
from pilotis.plans.export import plan_from_dict, plan_to_dict
from pilotis.plans.models import Plan
from pilotis.plans.spreadsheet import plan_to_xlsx
from tests.factories import UserFactory, make_draft
from tests.seeds import carcassonne_draft

pytestmark = pytest.mark.django_db


def _rows(sheet, number):
    header = [c.value for c in sheet[1]]
    col = header.index("N° fiche") + 1
    return header, [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, col).value == number]


def test_carcassonne_round_trip_shows_exactly_the_two_edits(db_snapshot):
    save_draft(carcassonne_draft())
    plan = Plan.objects.get()
    stored = plan_from_dict(plan_to_dict(plan))
    data = plan_to_xlsx(plan_to_dict(plan))

    # Unchanged, the file imports back to the stored plan.
    same = parse_document(data, "carcassonne.xlsx")
    assert not diff_plans(stored, same).changed

    book = load_workbook(io.BytesIO(data))
    sheet = book["Actions"]
    header, rows = _rows(sheet, "1")
    pilots = header.index("Pilotes") + 1
    for r in rows:
        sheet.cell(r, pilots).value = "CPAM"
    header, rows = _rows(sheet, "2")
    sheet.insert_rows(rows[-1] + 1)
    for col in range(1, len(header) + 1):
        sheet.cell(rows[-1] + 1, col).value = sheet.cell(rows[-1], col).value
    new = rows[-1] + 1
    sheet.cell(new, header.index("Action") + 1).value = None
    sheet.cell(new, header.index("Intitulé de l’action") + 1).value = "Créer un guide des lieux"
    sheet.cell(new, header.index("Échéance (années du contrat)") + 1).value = "3, 4"
    sheet.cell(new, header.index("Échéance telle qu’écrite") + 1).value = None
    out = io.BytesIO()
    book.save(out)

    before = db_snapshot()
    edited = parse_document(out.getvalue(), "carcassonne.xlsx")
    diff = diff_plans(stored, edited)
    assert [(c.number, c.fields) for c in diff.fiches_changed] == [
        ("1", ["pilotage"]),
        ("2", ["actions"]),
    ]
    assert not (diff.fiches_added or diff.fiches_removed or diff.plan_fields)
    assert not (diff.sections_added or diff.sections_removed or diff.sections_renamed)
    fiche1 = next(f for f in edited.fiches if f.number == "1")
    assert [r.as_written for r in fiche1.pilots] == ["CPAM"]
    fiche2 = next(f for f in edited.fiches if f.number == "2")
    added = fiche2.actions[-1]
    assert (added.letter, added.text, added.deadline_years) == (
        "H",
        "Créer un guide des lieux",
        [3, 4],
    )
    assert added.span.sheet == "Actions" and added.span.first_line == new
    # Reading and reviewing stored nothing.
    assert db_snapshot() == before

    summary = save_draft(edited, dry_run=True)
    assert summary.counts["actions"].created == 1
    assert summary.counts["actions"].updated == 0
    assert summary.counts["fiches"].updated == 2
    assert summary.counts["roles"].deleted + summary.counts["roles"].updated >= 1


# --- Smaller plans: the download, the command, edits and refusals ------------------------------


def _export(n=2, **overrides):
    save_draft(make_draft(n, **overrides))
    plan = Plan.objects.get(slug=overrides.get("slug", "cls-test"))
    return plan, plan_to_xlsx(plan_to_dict(plan))


def _edit(data, change):
    book = load_workbook(io.BytesIO(data))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _col(sheet, header):
    return [c.value for c in sheet[1]].index(header) + 1


def test_download_button_and_file(client):
    plan, _ = _export(2)
    plan.published = True
    plan.save()
    page = client.get(f"/plans/{plan.slug}/").content.decode()
    assert f'href="/plans/{plan.slug}/tableur.xlsx"' in page and "Télécharger le tableur" in page
    response = client.get(f"/plans/{plan.slug}/tableur.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f'filename="{plan.slug}.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Mode d’emploi", "Actions", "Listes", "Plan", "Pilotis"]
    assert book["Pilotis"].sheet_state == "hidden"
    assert book["Actions"].data_validations.dataValidation  # lists and lengths checked
    assert client.get("/plans/inconnu/tableur.xlsx").status_code == 404


def test_unpublished_plan_spreadsheet_is_not_for_anonymous_visitors(client):
    plan, _ = _export(1)
    assert client.get(f"/plans/{plan.slug}/tableur.xlsx").status_code in (403, 404)


def test_export_command_writes_the_spreadsheet(tmp_path, capsys):
    _export(2)
    target = tmp_path / "plan.xlsx"
    call_command("export", "cls-test", "--format", "xlsx", "--output", str(target))
    assert "exporté en tableur" in capsys.readouterr().out
    stored = plan_from_dict(plan_to_dict(Plan.objects.get()))
    assert not diff_plans(stored, parse_document(target.read_bytes(), "plan.xlsx")).changed


def test_text_that_looks_like_a_formula_is_written_as_text():
    draft = make_draft(1)
    draft.fiches[0].title = '=HYPERLINK("http://x";"clic")'
    draft.fiches[0].public = "+33 6 00 00 00 00"
    save_draft(draft)
    data = plan_to_xlsx(plan_to_dict(Plan.objects.get()))
    book = load_workbook(io.BytesIO(data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert cells and all(c.data_type != "f" for c in cells)
    read = parse_document(data, "plan.xlsx")
    assert read.fiches[0].title == draft.fiches[0].title


def test_new_fiche_in_a_new_section_and_a_removed_fiche():
    plan, data = _export(3)

    def change(book):
        sheet = book["Actions"]
        number = _col(sheet, "N° fiche")
        for r in range(sheet.max_row, 1, -1):
            if sheet.cell(r, number).value == "3":
                sheet.delete_rows(r)
        r = sheet.max_row + 1
        sheet.cell(r, 1).value = "2 Ambition nouvelle"
        sheet.cell(r, number).value = "9"
        sheet.cell(r, _col(sheet, "Intitulé de la fiche")).value = "Fiche ajoutée"
        sheet.cell(r, _col(sheet, "Pilotes")).value = "Mairie de Test\nCAF"

    draft = parse_document(_edit(data, change), "plan.xlsx")
    diff = diff_plans(plan_from_dict(plan_to_dict(plan)), draft)
    assert [f.number for f in diff.fiches_added] == ["9"]
    assert [f.number for f in diff.fiches_removed] == ["3"]
    assert diff.sections_added == ["Ambition nouvelle"]
    added = next(f for f in draft.fiches if f.number == "9")
    assert [r.as_written for r in added.pilots] == ["Mairie de Test", "CAF"]
    assert added.span.sheet == "Actions"
    section = next(s for s in draft.sections if s.key == added.section_key)
    assert (section.number, section.level, section.parent_key) == ("2", 0, None)
    save_draft(draft)  # the review's draft is storable


def test_a_fiche_with_two_values_in_one_column_is_refused_with_its_rows(db_snapshot):
    _, data = _export(1)

    def change(book):
        sheet = book["Actions"]
        sheet.cell(3, _col(sheet, "Public cible")).value = "Autre public"

    before = db_snapshot()
    with pytest.raises(ParseError) as error:
        parse_document(_edit(data, change), "plan.xlsx")
    message = str(error.value)
    assert "feuille « Actions », ligne 3" in message and "« Public cible »" in message
    assert "lignes 2 et 3" in message
    assert db_snapshot() == before


def test_bad_deadline_and_missing_title_are_refused():
    _, data = _export(1)

    def change(book):
        sheet = book["Actions"]
        sheet.cell(2, _col(sheet, "Échéance (années du contrat)")).value = "l’an prochain"
        sheet.cell(3, _col(sheet, "Intitulé de l’action")).value = None

    with pytest.raises(ParseError) as error:
        parse_document(_edit(data, change), "plan.xlsx")
    message = str(error.value)
    assert "ligne 2, colonne" in message and "« l’an prochain »" in message
    assert "ligne 3" in message and "n’a pas d’intitulé" in message


def test_without_its_hidden_sheet_the_file_is_read_from_its_cells():
    plan, data = _export(2)

    def change(book):
        del book["Pilotis"]

    draft = parse_document(_edit(data, change), "plan.xlsx")
    assert draft.slug == plan.slug and draft.title == plan.title
    assert [f.number for f in draft.fiches] == ["1", "2"]
    stored = plan_from_dict(plan_to_dict(plan))
    assert [a.text for a in draft.fiches[0].actions] == [a.text for a in stored.fiches[0].actions]
    assert [r.as_written for r in draft.fiches[0].roles] == [
        r.as_written for r in stored.fiches[0].roles
    ]


def test_a_damaged_hidden_sheet_is_refused():
    _, data = _export(1)

    def change(book):
        book["Pilotis"]["A3"].value = "{pas du json"

    with pytest.raises(ParseError, match="feuille masquée « Pilotis »"):
        parse_document(_edit(data, change), "plan.xlsx")


def test_the_edited_file_goes_through_the_import_page_review(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    plan, data = _export(2)
    user = UserFactory()
    roles.grant(user, plan, Role.COORDINATOR)
    client.force_login(user)

    def change(book):
        sheet = book["Actions"]
        for r in range(2, sheet.max_row + 1):
            if sheet.cell(r, _col(sheet, "N° fiche")).value == "2":
                sheet.cell(r, _col(sheet, "Public cible")).value = "Adolescents"
        # A fiche's number written once for its rows, in a merged cell, reads for each row.
        sheet.merge_cells(start_row=2, end_row=3, start_column=3, end_column=3)

    document = SimpleUploadedFile("plan.xlsx", _edit(data, change))
    preview = client.post("/plans/import/", {"step": "preview", "document": document})
    assert preview.status_code == 200, preview.content.decode()[:2000]
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", preview.content.decode()))
    assert "public cible" in page
    assert Plan.objects.get().fiches.get(number="2").public != "Adolescents"  # not yet
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview.content.decode()).group(1)
    assert client.post("/plans/import/", {"step": "confirm", "token": token}).status_code == 302
    assert Plan.objects.get().fiches.get(number="2").public == "Adolescents"
    assert Plan.objects.get().fiches.get(number="1").public == "Enfants, parents"


def test_a_new_plan_written_in_the_blank_spreadsheet(client):
    client.force_login(UserFactory(coordinator=True))
    page = client.get("/plans/import/").content.decode()
    assert 'href="/plans/import/modele.xlsx"' in page
    response = client.get("/plans/import/modele.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert "Pilotis" not in book.sheetnames  # nothing to compare with

    settings_sheet = book["Plan"]
    labels = {settings_sheet.cell(r, 1).value: r for r in range(2, 9)}
    settings_sheet.cell(labels["Identifiant"], 2).value = "cls-nouveau"
    settings_sheet.cell(labels["Titre"], 2).value = "CLS nouveau"
    settings_sheet.cell(labels["Année 1 du contrat"], 2).value = 2026
    sheet = book["Actions"]
    assert [c.value for c in sheet[1]][:3] == ["Axe", "Objectif", "N° fiche"]
    for r, action in ((2, "Ouvrir un lieu"), (3, "Former les équipes")):
        sheet.cell(r, 1).value = "1 Prévenir"
        sheet.cell(r, 2).value = "1.1 Informer"
        sheet.cell(r, 3).value = "1"
        sheet.cell(r, _col(sheet, "Intitulé de la fiche")).value = "Fiche une"
        sheet.cell(r, _col(sheet, "Intitulé de l’action")).value = action
        sheet.cell(r, _col(sheet, "Échéance (années du contrat)")).value = "1, 2"
    sheet.cell(2, _col(sheet, "Pilotes")).value = "CPAM"
    out = io.BytesIO()
    book.save(out)

    draft = parse_document(out.getvalue(), "nouveau.xlsx")
    assert (draft.slug, draft.title, draft.start_year) == ("cls-nouveau", "CLS nouveau", 2026)
    assert [(s.number, s.title, s.level) for s in draft.sections] == [
        ("1", "Prévenir", 0),
        ("1.1", "Informer", 1),
    ]
    assert [(a.letter, a.text, a.deadline_years) for a in draft.fiches[0].actions] == [
        ("A", "Ouvrir un lieu", [1, 2]),
        ("B", "Former les équipes", [1, 2]),
    ]
    assert [r.as_written for r in draft.fiches[0].pilots] == ["CPAM"]
    save_draft(draft)
    assert Plan.objects.get(slug="cls-nouveau").fiches.get().actions.count() == 2


def test_plan_settings_changed_in_the_plan_sheet():
    plan, data = _export(1)

    def change(book):
        sheet = book["Plan"]
        labels = {sheet.cell(r, 1).value: r for r in range(2, 9)}
        sheet.cell(labels["Titre"], 2).value = "CLS de Test, avenant 1"
        sheet.cell(labels["Durée (années)"], 2).value = 6

    draft = parse_document(_edit(data, change), "plan.xlsx")
    diff = diff_plans(plan_from_dict(plan_to_dict(plan)), draft)
    assert diff.plan_fields == ["titre", "durée"]
    assert not diff.fiches_changed

    def bad(book):
        sheet = book["Plan"]
        labels = {sheet.cell(r, 1).value: r for r in range(2, 9)}
        sheet.cell(labels["Type de plan"], 2).value = "Contrat de ville"
        sheet.cell(labels["Année 1 du contrat"], 2).value = "bientôt"

    with pytest.raises(ParseError) as error:
        parse_document(_edit(data, bad), "plan.xlsx")
    assert "feuille « Plan », ligne 3, colonne B « Type de plan »" in str(error.value)
    assert "« Contrat de ville » inconnu" in str(error.value)


def test_import_command_reads_a_spreadsheet(tmp_path, capsys):
    from tests.importers.tet_files import xlsx

    path = tmp_path / "CLS de test.xlsx"
    path.write_bytes(xlsx())
    call_command("import", str(path))
    plan = Plan.objects.get(slug="cls-de-test")
    assert plan.fiches.count() == 3 and plan.sections.count() == 3
