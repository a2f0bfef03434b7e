"""The directory's pages: search, filters, edits with history, files, FALC, rights, checks."""

import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook

from pilotis.accounts import roles
from pilotis.directory import services
from pilotis.directory.models import Resource, VerificationRequest
from tests.factories import FicheFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan():
    return PlanFactory(slug="cls-repertoire")


@pytest.fixture
def coordinator(client, plan):
    user = UserFactory()
    roles.grant(user, plan, roles.Role.COORDINATOR)
    client.force_login(user)
    return user


def add(client, plan, **fields):
    categories = {c.code: c.pk for c in services.categories(plan)}
    data = {
        "name": "Plateforme d’accompagnement et de répit",
        "kind": "service",
        "description": "Soutien aux aidants de personnes âgées. Accueil de jour le mardi.",
        "categories": [categories["respite"], categories["carers"]],
        "publics": ["carers", "elderly"],
        "communes_text": "Trèbes, Berriac",
        "open_to_public": "on",
        "phone": "04 68 00 00 00",
        "email": "repit@structure.example",
        "verified_on": "01/12/2026",
        **fields,
    }
    return client.post(f"/plans/{plan.slug}/repertoire/ajouter/", data)


def test_the_done_when_journey(client, plan, coordinator):
    """Issue 15: a respite service for carers in two communes, linked to fiche 51, found by
    filtering « aidants » and the commune, printed as a FALC sheet."""
    fiche = FicheFactory(plan=plan, number="51", title="Soutenir les aidants")
    response = add(client, plan, fiches=[fiche.pk])
    assert response.status_code == 302, response.content.decode()
    resource = Resource.objects.get()
    assert list(resource.fiches.all()) == [fiche]
    assert resource.history.first().history_user == coordinator

    found = client.get(f"/plans/{plan.slug}/repertoire/", {"q": "aidants", "commune": "trebes"})
    assert "Plateforme d’accompagnement et de répit" in found.content.decode()
    elsewhere = client.get(f"/plans/{plan.slug}/repertoire/", {"q": "aidants", "commune": "Limoux"})
    assert "Plateforme d’accompagnement" not in elsewhere.content.decode()
    by_public = client.get(f"/plans/{plan.slug}/repertoire/", {"public": "youth"})
    assert "Plateforme d’accompagnement" not in by_public.content.decode()

    sheet = client.get(f"/plans/{plan.slug}/repertoire/facile-a-lire/", {"q": "aidants"})
    page = sheet.content.decode()
    assert "Les aides près de chez vous" in page
    assert "Pour les aidants, personnes âgées." in page
    assert "fr-icon-team-line" in page  # the first category’s pictogram (aidants)
    assert "falc.css" in page


def test_search_ignores_accents_and_case(client, plan, coordinator):
    add(client, plan)
    for query in ("REPIT", "répit", "accueil de jour"):
        page = client.get(f"/plans/{plan.slug}/repertoire/", {"q": query}).content.decode()
        assert "1 ressource" in page, query


def test_a_save_started_before_another_is_refused(client, plan, coordinator):
    add(client, plan)
    resource = Resource.objects.get()
    url = f"/plans/{plan.slug}/repertoire/{resource.pk}/modifier/"
    form = {"name": "Nouveau nom", "kind": "service", "whole_perimeter": "on", "version": "1"}
    assert client.post(url, form).status_code == 302
    stale = client.post(url, {**form, "name": "Autre nom"})
    assert stale.status_code == 400
    assert "modifiée pendant que vous la modifiiez" in stale.content.decode()
    assert Resource.objects.get().name == "Nouveau nom"


def test_bad_input_is_refused_with_the_field_named(client, plan, coordinator):
    response = add(client, plan, age_min="70", age_max="60", communes_text="", description="a\x01")
    assert response.status_code == 400
    page = response.content.decode()
    assert "L’âge maximum est inférieur à l’âge minimum." in page
    assert "Indiquez les communes desservies" in page
    assert "caractère de contrôle" in page
    assert not Resource.objects.exists()


def workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, plan, data, name="repertoire.xlsx"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(f"/plans/{plan.slug}/repertoire/importer/", {"file": file})


def test_an_import_applies_all_rows_or_none(client, plan, coordinator):
    FicheFactory(plan=plan, number="18")
    good = [
        ["Nom", "Catégories", "Publics", "Communes desservies", "Fiches"],
        ["Centre de dépistage", "Dépistage", "Tout public", "Carcassonne", "18"],
        [
            "Maison de santé de Trèbes",
            "Exercice coordonné (maisons de santé, MSU)",
            "",
            "Trèbes",
            "",
        ],
    ]
    bad = [*good, ["Ligne d’écoute", "Astrologie", "Martiens", "", "99"]]
    response = upload(client, plan, workbook(bad))
    assert response.status_code == 400
    page = response.content.decode()
    assert "catégorie « Astrologie » inconnue" in page
    assert "public « Martiens » inconnu" in page
    assert "le plan n’a pas de fiche n°99" in page
    assert not Resource.objects.exists()

    assert upload(client, plan, workbook(good)).status_code == 302
    assert Resource.objects.count() == 2
    screening = Resource.objects.get(name="Centre de dépistage")
    assert [f.number for f in screening.fiches.all()] == ["18"]
    assert screening.source_row == "ligne 2"
    # The same file again changes nothing; a changed cell updates in place.
    upload(client, plan, workbook(good))
    assert Resource.objects.count() == 2
    good[1][3] = "Carcassonne, Berriac"
    upload(client, plan, workbook(good))
    assert Resource.objects.get(name="Centre de dépistage").communes == ["Carcassonne", "Berriac"]


def test_an_unreadable_file_is_refused_and_nothing_stored(client, plan, coordinator):
    response = upload(client, plan, b"PK\x03\x04garbage")
    assert response.status_code == 400
    assert "n’est pas un classeur XLSX lisible" in response.content.decode()


def test_exports_list_what_the_filters_show(client, plan, coordinator):
    add(client, plan)
    csv_text = client.get(f"/plans/{plan.slug}/repertoire/export.csv").content.decode("utf-8-sig")
    assert "Plateforme d’accompagnement et de répit" in csv_text
    empty = client.get(f"/plans/{plan.slug}/repertoire/export.csv", {"q": "introuvable"})
    assert "répit" not in empty.content.decode("utf-8-sig")
    assert client.get(f"/plans/{plan.slug}/repertoire/export.pdf").status_code == 404


def test_rights(client, plan):
    resource = Resource.objects.create(plan=plan, name="CCAS", whole_perimeter=True)
    hidden = PlanFactory(published=False)
    # The public reads a published plan's directory, never an unpublished one's.
    assert client.get(f"/plans/{plan.slug}/repertoire/").status_code == 200
    assert client.get(f"/plans/{hidden.slug}/repertoire/").status_code == 404
    assert client.get(f"/plans/{plan.slug}/repertoire/ajouter/").status_code == 302  # login
    # A coordinator of another plan, a pilot of this one: no writes here.
    for role, other in ((roles.Role.COORDINATOR, PlanFactory()), (roles.Role.PILOT, plan)):
        user = UserFactory()
        roles.grant(user, other, role)
        client.force_login(user)
        for url in ("ajouter/", "importer/", "a-verifier/", f"{resource.pk}/modifier/"):
            assert client.get(f"/plans/{plan.slug}/repertoire/{url}").status_code == 403, url
        assert (
            client.post(f"/plans/{plan.slug}/repertoire/{resource.pk}/supprimer/").status_code
            == 403
        )
    assert Resource.objects.filter(pk=resource.pk).exists()


def test_list_queries_do_not_grow_with_entries(client, plan, django_assert_num_queries):
    services.categories(plan)
    for n in range(5):
        Resource.objects.create(plan=plan, name=f"Structure {n}", whole_perimeter=True)
    # session-less anonymous read: plan, categories, resources, their categories, their fiches.
    with django_assert_num_queries(5):
        client.get(f"/plans/{plan.slug}/repertoire/")


def test_a_structure_confirms_its_entry_once_without_an_account(client, plan, coordinator, smtp):
    old = date.today() - timedelta(days=800)
    resource = Resource.objects.create(
        plan=plan,
        name="CMP enfants",
        email="cmp@structure.example",
        verified_on=old,
        whole_perimeter=True,
    )
    Resource.objects.create(
        plan=plan, name="Vérifiée", verified_on=date.today(), whole_perimeter=True
    )
    listed = client.get(f"/plans/{plan.slug}/repertoire/a-verifier/").content.decode()
    assert "CMP enfants" in listed and "Vérifiée" not in listed
    client.post(f"/plans/{plan.slug}/repertoire/a-verifier/", {"resource": resource.pk})
    message = smtp.only()
    assert message["To"] == "cmp@structure.example"
    path = smtp.link(message, "/repertoire/verifier/")
    client.logout()
    assert client.get(path).status_code == 200
    assert client.post(path, {"answer": "correction"}).status_code == 400  # says what
    assert client.post(path, {"answer": "confirmed"}).status_code == 200
    resource.refresh_from_db()
    assert resource.verified_on == date.today()
    assert client.get(path).status_code == 404  # single use
    assert VerificationRequest.objects.get().answer == "confirmed"
