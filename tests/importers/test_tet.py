"""The Territoires en Transitions plan-import spreadsheet (XLSX and CSV), pure: no database."""

import pytest

from pilotis.importers.registry import parse_document
from pilotis.plans.draft import ParseError
from tests.importers.tet_files import csv_bytes, row, xlsx

AXIS = "1. Prévention et promotion de la santé"


def test_rows_become_sections_fiches_actions_roles_and_extras():
    draft = parse_document(xlsx(), "CLS de test.xlsx")
    assert (draft.kind, draft.slug, draft.title) == ("cls", "cls-de-test", "CLS de test")
    assert draft.levels == ["Axe", "Sous-axe", "Sous-sous-axe"]
    assert [(s.key, s.number, s.title, s.parent_key) for s in draft.sections] == [
        ("S1", "1", "Prévention et promotion de la santé", None),
        ("S1.1", "1.1", "Nutrition", "S1"),
        ("S2", "2", "Accès aux soins", None),
    ]
    assert [(f.number, f.title, f.section_key) for f in draft.fiches] == [
        ("1", "Développer les ateliers cuisine", "S1.1"),
        ("2", "Sensibiliser au dépistage", "S1"),
        ("3", "Ouvrir une maison de santé", "S2"),
    ]
    first = draft.fiches[0]
    assert [r.as_written for r in first.pilots] == ["CCAS de Test"]
    # Commas inside brackets or quotes do not split the list.
    assert [r.as_written for r in first.partners] == [
        "CAF",
        "Mairie (service santé, CCAS)",
        "Épicerie solidaire, Test",
    ]
    assert [i.text for i in first.indicators] == [
        "Nombre d’ateliers",
        "Nombre de participants (adultes, enfants)",
    ]
    assert first.strategic_objective == "Améliorer l’alimentation des familles"
    assert first.extra["description"] == "Ateliers dans les centres sociaux"
    assert first.extra["funders"] == "ARS : 5\u202f000\u00a0€ HT\nCAF : 2\u202f500,50\u00a0€ HT"
    assert first.extra["budget"] == "7\u202f500,50\u00a0€ HT"
    assert (first.extra["status"], first.extra["priority"]) == ("En cours", "Élevé")
    assert (first.extra["start_date"], first.extra["end_date"]) == ("15/01/2025", "31/12/2026")
    assert first.extra["lead_person"] == "Chargée de mission santé"
    assert [(a.letter, a.text) for a in first.actions] == [
        ("A", "Recruter une diététicienne"),
        ("B", "Former les animateurs"),
    ]
    assert first.actions[0].extra["status"] == "À venir"
    assert first.actions[0].deadline_as_written == "du 01/03/2025"
    assert draft.fiches[2].extra["budget"] == "1\u202f200\u202f000\u00a0€ HT"
    # Provenance: the sheet and the row of every element; the instructions row is no fiche.
    assert (first.span.sheet, first.span.first_line) == ("Plan d'actions", 4)
    assert first.actions[1].span.first_line == 6
    assert first.indicators[0].span.first_line == 4
    assert draft.sections[2].span.first_line == 8
    keys = {o.key for o in draft.organisations}
    assert all(r.organisation in keys for f in draft.fiches for r in f.roles)


def test_titre_de_la_fiche_action_is_accepted_as_column_d():
    from tests.importers.tet_files import HEADERS

    headers = list(HEADERS)
    headers[3] = "Titre de la fiche action"
    headers[15] = "Participation Citoyenne"  # as one version of the template writes it
    draft = parse_document(xlsx(headers=headers), "plan.xlsx")
    assert len(draft.fiches) == 3


def test_csv_semicolon_decimal_comma_windows_1252_and_utf8():
    for encoding in ("utf-8", "cp1252", "utf-8-sig"):
        draft = parse_document(csv_bytes(encoding=encoding), "plan.csv")
        reference = parse_document(xlsx(), "plan.xlsx")
        assert [f.title for f in draft.fiches] == [f.title for f in reference.fiches]
        assert draft.fiches[0].extra == reference.fiches[0].extra
        assert [a.text for a in draft.fiches[0].actions] == [
            a.text for a in reference.fiches[0].actions
        ]
        assert draft.fiches[0].span.sheet == "" and draft.fiches[0].span.first_line == 4


def test_column_out_of_order_is_refused_with_the_expected_header():
    from tests.importers.tet_files import HEADERS

    headers = list(HEADERS)
    headers[1], headers[2] = headers[2], headers[1]
    with pytest.raises(ParseError) as error:
        parse_document(xlsx(headers=headers), "plan.xlsx")
    assert "la colonne B devrait être « Sous-axe (x.x) » et non « Sous-sous axe (x.x.x) »" in (
        str(error.value)
    )
    assert "ligne 2" in str(error.value)


def test_budget_that_is_not_a_number_names_the_action_and_the_column():
    rows = [row(axis=AXIS, title="Créer un guichet unique", budget="environ 5000")]
    with pytest.raises(ParseError) as error:
        parse_document(xlsx(rows), "plan.xlsx")
    message = str(error.value)
    assert "ligne 4, colonne X « Budget prévisionnel total € HT »" in message
    assert "action « Créer un guichet unique »" in message and "« environ 5000 »" in message
    assert "rien n’a été enregistré" in message


def test_amount_of_a_funder_that_is_not_a_number():
    rows = [row(axis=AXIS, title="Action", funder_2="ARS", amount_2="beaucoup")]
    with pytest.raises(ParseError, match="colonne U « Montant € HT »"):
        parse_document(xlsx(rows), "plan.xlsx")


def test_same_action_title_twice_under_one_axis():
    rows = [
        row(axis=AXIS, title="Action commune"),
        row(axis="2. Autre axe", title="Action commune"),  # another axis: fine
        row(axis=AXIS, title="Action  commune"),
    ]
    with pytest.raises(ParseError) as error:
        parse_document(xlsx(rows), "plan.xlsx")
    message = str(error.value)
    assert "« Action  commune » figure deux fois sous le même axe (lignes 4 et 6)" in message


def test_end_date_before_start():
    rows = [row(axis=AXIS, title="Action", start_date="01/06/2025", end_date="01/01/2025")]
    with pytest.raises(ParseError) as error:
        parse_document(xlsx(rows), "plan.xlsx")
    assert "colonne AB « Date de fin »" in str(error.value)
    assert "la date de fin (01/01/2025) précède la date de début (01/06/2025" in str(error.value)


def test_date_that_is_not_a_date():
    rows = [row(axis=AXIS, title="Action", start_date="bientôt")]
    with pytest.raises(ParseError, match="colonne AA « Date de début »"):
        parse_document(xlsx(rows), "plan.xlsx")


def test_sous_action_without_its_parent():
    rows = [
        row(axis=AXIS, title="Action parente"),
        row(axis=AXIS, title="Action absente", sub_action="Orpheline"),
        row(axis=AXIS, sub_action="Sans titre"),
    ]
    with pytest.raises(ParseError) as error:
        parse_document(xlsx(rows), "plan.xlsx")
    message = str(error.value)
    assert "ligne 5, colonne E" in message and "« Orpheline » n’a pas d’action parente" in message
    assert "aucune action « Action absente » n’est écrite sous le même axe" in message
    assert "ligne 6, colonne E" in message and "« Sans titre »" in message


def test_cells_beyond_the_template_are_listed_not_lost():
    def edit(sheet):
        sheet.cell(2, 29).value = "Commentaire"
        sheet.cell(4, 29).value = "à revoir en COPIL"

    draft = parse_document(xlsx(edit=edit), "plan.xlsx")
    assert [(u.line, u.text) for u in draft.unplaced] == [
        (4, "AC4 (Commentaire) : à revoir en COPIL")
    ]


def test_status_outside_the_list_is_kept_and_flagged():
    rows = [row(axis=AXIS, title="Action", status="Presque fini")]
    fiche = parse_document(xlsx(rows), "plan.xlsx").fiches[0]
    assert fiche.extra["status"] == "Presque fini"
    assert "Statut « Presque fini »" in fiche.flags[0].message


@pytest.mark.django_db
def test_a_coordinator_imports_the_template_and_sees_axes_fiches_pilots_budget_and_funders(
    client, settings, tmp_path
):
    import re

    from django.core.files.uploadedfile import SimpleUploadedFile

    from pilotis.plans.models import Fiche, Plan
    from tests.factories import UserFactory

    settings.VAR_DIR = tmp_path
    client.force_login(UserFactory(coordinator=True))
    document = SimpleUploadedFile("CLS de test.xlsx", xlsx())
    preview = client.post("/plans/import/", {"step": "preview", "document": document})
    assert preview.status_code == 200
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", preview.content.decode()))
    assert "la confirmation crée 3 sections et 3 fiches" in page
    assert Plan.objects.count() == 0  # the review first
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview.content.decode()).group(1)
    confirmed = client.post("/plans/import/", {"step": "confirm", "token": token})
    assert confirmed.status_code == 302
    plan = Plan.objects.get(slug="cls-de-test")
    assert [s.title for s in plan.sections.all()] == [
        "Prévention et promotion de la santé",
        "Nutrition",
        "Accès aux soins",
    ]
    fiche = Fiche.objects.get(plan=plan, number="1")
    assert fiche.roles.filter(role="partner").count() == 3
    page = client.get(fiche.get_absolute_url()).content.decode()
    for text in (
        "Développer les ateliers cuisine",
        "CCAS de Test",
        "Mairie (service santé, CCAS)",
        "Budget",
        "7\u202f500,50\u00a0€ HT",
        "Financeurs",
        "ARS : 5\u202f000\u00a0€ HT",
        "Niveau de priorité",
        "15/01/2025",
        "Recruter une diététicienne",
    ):
        assert text in page, text
