"""The review step of a document the general reader read: labels read as fields, reassigned for
the whole document, mappings saved for the next document of the same shape, one transaction."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pilotis.core.text import fold
from pilotis.importers import labelmaps
from pilotis.importers.common import canonical_label
from pilotis.importers.models import LabelMapping
from pilotis.importers.registry import parse_document
from pilotis.plans.models import Fiche, Plan
from tests.factories import UserFactory
from tests.importers.test_general import FICHE

pytestmark = pytest.mark.django_db

ATTENTION = canonical_label("Point d'attention du COPIL")


@pytest.fixture
def coordinator(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client.force_login(UserFactory(coordinator=True))
    return client


def page_text(response) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    return text.replace("&#x27;", "'").replace("&quot;", '"')


def upload(client, text=FICHE, name="contrat-lune.txt"):
    document = SimpleUploadedFile(name, text.encode(), "text/plain")
    return client.post("/plans/import/", {"step": "preview", "document": document})


def token_of(response) -> str:
    return re.search(r'name="token" value="([0-9a-f]+)"', response.content.decode()).group(1)


def post(client, token, step, **fields):
    return client.post("/plans/import/", {"step": step, "token": token, **fields})


# --- pure ----------------------------------------------------------------------------------


def test_reassigning_checks_the_label_and_the_field():
    draft = parse_document(FICHE.encode(), "x.txt")
    assert labelmaps.reassign(draft, {}, ATTENTION, "obstacles") == {ATTENTION: "obstacles"}
    with pytest.raises(labelmaps.CorrectionError, match="pas dans le document"):
        labelmaps.reassign(draft, {}, "autre chose", "obstacles")
    with pytest.raises(labelmaps.CorrectionError, match="« nothing » n’existe pas"):
        labelmaps.reassign(draft, {}, ATTENTION, "nothing")


def test_a_saved_mapping_fits_documents_sharing_most_of_its_labels():
    labels = ["a", "b", "c", "d", "e"]
    assert labelmaps.best_fit(labels, [(1, ["x", "y"]), (2, ["a", "b", "c", "d"])]) == 2
    assert labelmaps.best_fit(labels, [(1, ["a", "x", "y", "z"])]) is None


# --- pages ---------------------------------------------------------------------------------


def test_the_preview_shows_which_label_was_read_as_which_field(coordinator):
    response = upload(coordinator)
    assert response.status_code == 200
    text = page_text(response)
    assert "Rubriques lues dans le document" in text
    assert "Pilote(s) Pilotes 1" in text
    assert "Point d'attention du COPIL Autre rubrique (gardée sous son nom) Rubrique inconnue" in (
        text
    )


def test_a_label_reassigned_on_the_preview_is_saved_that_way_in_one_transaction(coordinator):
    token = token_of(upload(coordinator))
    response = post(coordinator, token, "relabel", label=ATTENTION, field="obstacles")
    assert response.status_code == 200
    assert "est maintenant lue comme « Freins » dans tout le document" in page_text(response)
    assert Plan.objects.count() == 0  # nothing saved before the confirmation
    post(coordinator, token, "confirm")
    fiche = Fiche.objects.get()
    assert fiche.extra["obstacles"] == "la mobilité en zone rurale"
    assert "Point d'attention du COPIL" not in fiche.extra
    stored = {e["canonical"]: e["field"] for e in fiche.plan.extra["labels"]}
    assert stored[ATTENTION] == "obstacles"


def test_a_bad_reassignment_is_refused_and_nothing_is_saved(coordinator):
    token = token_of(upload(coordinator))
    response = post(coordinator, token, "relabel", label=ATTENTION, field="pirate")
    assert response.status_code == 400
    assert "Correction refusée" in page_text(response)
    assert (Plan.objects.count(), LabelMapping.objects.count()) == (0, 0)


def test_a_saved_mapping_reads_the_next_document_of_the_same_shape(coordinator):
    token = token_of(upload(coordinator))
    post(coordinator, token, "relabel", label=ATTENTION, field="obstacles")
    response = post(coordinator, token, "save_labels", name="CLS du Pays de Lune")
    assert "Correspondance « CLS du Pays de Lune » enregistrée" in page_text(response)
    saved = LabelMapping.objects.get()
    assert saved.mapping[ATTENTION] == "obstacles" and saved.saved_by is not None
    assert Plan.objects.count() == 0  # saving a mapping saves no plan
    # The next contract of the same shape, with another fiche: read with the saved mapping.
    other = FICHE.replace("Développer le sport santé", "Bouger plus").replace("1.2", "1.3")
    response = upload(coordinator, other, "contrat-lune-2.txt")
    text = page_text(response)
    assert "La correspondance enregistrée « CLS du Pays de Lune » a été appliquée" in text
    post(coordinator, token_of(response), "confirm")
    assert Fiche.objects.get().extra["obstacles"] == "la mobilité en zone rurale"


def test_a_document_without_any_fiche_shows_what_was_looked_for(coordinator):
    response = upload(coordinator, "Ordre du jour\nPoint 1 : budget\n", "odj.txt")
    assert response.status_code == 400
    text = fold(page_text(response))
    assert "aucun titre de fiche" in text and "fiche action n° 1.2" in text
    assert Plan.objects.count() == 0


def test_a_cls_written_as_one_table_per_fiche_in_docx_is_imported(coordinator):
    from tests.importers import general_collection as collection

    expected = collection.specs(4)
    document = SimpleUploadedFile("cls-val-orbe.docx", collection.docx_tables(expected))
    response = coordinator.post("/plans/import/", {"step": "preview", "document": document})
    assert response.status_code == 200
    post(coordinator, token_of(response), "confirm")
    plan = Plan.objects.get()
    assert plan.start_year == 2025 and plan.fiches.count() == 4
    fiche = plan.fiches.get(number="1.2")
    assert fiche.title == expected[1].title and fiche.public == expected[1].public
    roles = [(r.role, r.as_written) for r in fiche.roles.order_by("position", "pk")]
    assert roles == [("pilot", "CPAM")] + [("partner", p) for p in expected[1].partners]
    assert [(a.text, a.deadline_years) for a in fiche.actions.order_by("position")] == [
        (s.text, s.years) for s in expected[1].steps
    ]
    assert sorted(fiche.indicators.values_list("kind", flat=True)) == [
        "monitoring",
        "monitoring",
        "result",
    ]
    assert fiche.extra["Valeur ajoutée pour le territoire"] == expected[1].unknown[1]
    # Provenance: each fiche keeps the lines of the document it came from.
    assert fiche.source_first_line and fiche.source_last_line >= fiche.source_first_line


def test_the_import_command_applies_a_saved_mapping(tmp_path):
    from django.core.management import call_command

    draft = parse_document(FICHE.encode(), "x.txt")
    mapping = {**labelmaps.full_mapping(draft), ATTENTION: "obstacles"}
    LabelMapping.objects.create(name="Lune", labels=labelmaps.signature(draft), mapping=mapping)
    path = tmp_path / "contrat.txt"
    path.write_text(FICHE)
    call_command("import", str(path))
    assert Fiche.objects.get().extra["obstacles"] == "la mobilité en zone rurale"
