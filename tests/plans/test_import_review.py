"""The import preview of the real contract: diff against the stored plan, corrections, confirm."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pilotis.plans.models import Fiche, Plan
from tests.factories import UserFactory
from tests.seeds import CARCASSONNE, seed_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def coordinator(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client.force_login(UserFactory(coordinator=True))
    return client


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).replace(
        "&#x27;", "'"
    )


def upload(client, data=None, name=CARCASSONNE):
    document = SimpleUploadedFile(name, data or seed_bytes(CARCASSONNE), "text/plain")
    return client.post("/plans/import/", {"step": "preview", "document": document})


def token_of(response) -> str:
    return re.search(r'name="token" value="([0-9a-f]+)"', response.content.decode()).group(1)


def correct(client, token, fiche, field, value):
    return client.post(
        "/plans/import/",
        {"step": "correct", "token": token, "fiche": fiche, "field": field, "value": value},
    )


def test_a_flagged_field_is_corrected_on_the_preview_then_saved(coordinator):
    preview = upload(coordinator)
    txt = page_text(preview)
    assert "Ce plan n’existe pas encore : la confirmation crée 31 sections et 55 fiches." in txt
    # Fiche 10 has no readable operational objective: the preview offers to type them.
    assert 'name="field" value="operational_objectives"' in preview.content.decode()
    token = token_of(preview)

    corrected = correct(
        coordinator, token, "10", "operational_objectives", "Adapter les ateliers\nMesurer"
    )
    assert corrected.status_code == 200
    txt = page_text(corrected)
    assert "Correction enregistrée pour la fiche n°10." in txt
    assert "Fiche n°10, objectifs opérationnels : « » devient « Adapter les ateliers" in txt
    assert Plan.objects.count() == 0  # still nothing saved

    response = coordinator.post("/plans/import/", {"step": "confirm", "token": token})
    assert response.status_code == 302
    fiche = Fiche.objects.get(number="10")
    assert fiche.operational_objectives == ["Adapter les ateliers", "Mesurer"]
    assert all(f["field"] != "operational_objectives" for f in fiche.review_flags)
    plan = Plan.objects.get()
    assert plan.extra["corrections"][0]["fiche"] == "10"


def test_a_bad_correction_is_refused_and_nothing_is_saved(coordinator):
    token = token_of(upload(coordinator))
    response = correct(coordinator, token, "49", "linked_fiches", "3, 99")
    assert response.status_code == 400
    assert "Fiche n°49, fiches liées : n°99 n’existe pas dans ce plan." in page_text(
        response
    ).replace("'", "’")
    assert Plan.objects.count() == 0
    # The refused correction was not kept: confirming stores the document as read.
    coordinator.post("/plans/import/", {"step": "confirm", "token": token})
    assert Fiche.objects.get(number="49").linked_fiches.get().number == "3"


def test_reimporting_the_same_document_shows_no_change_and_a_corrected_one_lists_it(
    coordinator,
):
    token = token_of(upload(coordinator))
    coordinator.post("/plans/import/", {"step": "confirm", "token": token})
    fiche_ids = dict(Fiche.objects.values_list("number", "pk"))

    assert "Aucun changement : le plan enregistré est identique au document" in page_text(
        upload(coordinator)
    )
    amended = seed_bytes(CARCASSONNE).replace(
        "Soutenir la parentalité \n".encode(), "Soutenir la parentalité et les familles \n".encode()
    )
    txt = page_text(upload(coordinator, amended))
    assert "Fiche modifiée : n°2 — Soutenir la parentalité et les familles (intitulé)" in txt
    assert "54 fiches inchangées" in txt
    coordinator.post(
        "/plans/import/", {"step": "confirm", "token": token_of(upload(coordinator, amended))}
    )
    assert Fiche.objects.get(number="2").title == "Soutenir la parentalité et les familles"
    assert dict(Fiche.objects.values_list("number", "pk")) == fiche_ids  # updated in place
