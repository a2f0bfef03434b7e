"""History of plan content: imports and edits recorded with who and why, the history page,
restores, the two-client conflict on a fiche, and deletions refused with a French message."""

from __future__ import annotations

import re

import pytest
from django.db.models import RestrictedError

from pilotis.accounts.models import Membership, Role
from pilotis.importers import registry
from pilotis.importers.persist import DraftError, save_draft
from pilotis.plans.admin import OrganisationAdmin
from pilotis.plans.models import Fiche, FicheRole, Organisation, Plan
from tests.factories import (
    FicheRoleFactory,
    OrganisationFactory,
    UserFactory,
    create_plan,
    make_draft,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    page = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", page).replace("&#x27;", "'")


def member(plan: Plan, role: str, **names):
    user = UserFactory(**names)
    Membership.objects.create(user=user, plan=plan, role=role)
    return user


@pytest.fixture
def plan():
    return create_plan(3)


@pytest.fixture
def coordinator(plan):
    return member(plan, Role.COORDINATOR, first_name="Claire", last_name="Coordinatrice")


def edit(client, plan, number="2", version=None, **values):
    fiche = Fiche.objects.get(plan=plan, number=number)
    data = {
        "title": fiche.title,
        "pilotage_label": fiche.pilotage_label,
        "context": fiche.context,
        "strategic_objective": fiche.strategic_objective,
        "operational_objectives": "\n".join(fiche.operational_objectives),
        "public": fiche.public,
        "version": fiche.version if version is None else version,
    }
    data.update(values)
    return client.post(f"/plans/{plan.slug}/fiches/{number}/modifier/", data)


# --- Imports --------------------------------------------------------------------------------------


def test_an_import_is_recorded_with_its_user_and_reason(client, settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    user = UserFactory(coordinator=True, first_name="Inès", last_name="Importatrice")
    client.force_login(user)
    draft = make_draft(3)
    monkeypatch.setattr(registry, "parse_document", lambda data, filename: draft)
    preview = client.post(
        "/plans/import/",
        {"step": "preview", "document": _upload()},
    )
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview.content.decode()).group(1)
    assert client.post("/plans/import/", {"step": "confirm", "token": token}).status_code == 302

    plan = Plan.objects.get(slug=draft.slug)
    fiche = plan.fiches.get(number="2")
    (record,) = fiche.history.all()
    assert record.history_type == "+" and record.history_user == user
    assert record.history_change_reason == "Import de cls-test.txt"
    assert plan.history.get().history_user == user
    assert {r.history_user_id for r in FicheRole.history.filter(fiche_id=fiche.pk)} == {user.pk}
    # Whoever imported a new plan coordinates it, and sees it although it is unpublished.
    assert Membership.objects.filter(user=user, plan=plan, role=Role.COORDINATOR).exists()
    assert not plan.published
    assert client.get(f"/plans/{plan.slug}/").status_code == 200


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("cls.txt", b"contenu", "text/plain")


def test_a_reimport_records_changes_and_deletions_and_bumps_versions():
    user = UserFactory()
    save_draft(make_draft(3))
    fiche = Fiche.objects.get(number="2")
    assert fiche.version == 1
    draft = make_draft(2)
    draft.fiches[1].title = "Nouvel intitulé"
    save_draft(draft, user=user)
    fiche.refresh_from_db()
    assert fiche.version == 2
    change = fiche.history.latest()
    assert change.history_type == "~" and change.history_user == user
    assert change.title == "Nouvel intitulé"
    gone = Fiche.history.filter(number="3", history_type="-").get()
    assert gone.history_user == user and gone.history_change_reason == "Import de cls-test.txt"
    # A command imports without a user.
    save_draft(make_draft(2))
    assert fiche.history.latest().history_user is None


def test_an_import_refuses_to_delete_what_other_rows_point_to():
    save_draft(make_draft(2))
    cpam = Organisation.objects.get(key="cpam")
    # A row outside the document (another plan's fiche) names the organisation.
    FicheRoleFactory(organisation=cpam, role="partner")
    draft = make_draft(2)
    draft.organisations = [o for o in draft.organisations if o.key != "cpam"]
    for fiche in draft.fiches:
        fiche.roles = [r for r in fiche.roles if r.organisation != "cpam"]
    with pytest.raises(DraftError, match="ne figure plus dans le document"):
        save_draft(draft)
    assert Organisation.objects.filter(key="cpam").exists()


# --- Editing a fiche ------------------------------------------------------------------------------


def test_edit_form_has_labelled_fields_and_saves_with_history(client, plan, coordinator):
    client.force_login(coordinator)
    page = client.get(f"/plans/{plan.slug}/fiches/2/").content.decode()
    assert f'href="/plans/{plan.slug}/fiches/2/modifier/">Modifier la fiche</a>' in page
    form = client.get(f"/plans/{plan.slug}/fiches/2/modifier/").content.decode()
    for name, label in [
        ("title", "Intitulé"),
        ("context", "Contexte"),
        ("strategic_objective", "Objectif stratégique"),
        ("operational_objectives", "Objectifs opérationnels"),
        ("public", "Public cible"),
        ("pilotage_label", "Libellé du pilotage"),
    ]:
        assert re.search(rf'<label class="fr-label" for="id_{name}">\s*{label}', form), name
    assert 'type="hidden" name="version" value="1"' in form

    response = edit(
        client,
        plan,
        title="Soutenir la parentalité partout",
        operational_objectives="Former les parents\n\n  Ouvrir des lieux d’accueil  ",
    )
    assert response.status_code == 302
    fiche = Fiche.objects.get(plan=plan, number="2")
    assert fiche.title == "Soutenir la parentalité partout" and fiche.version == 2
    assert fiche.operational_objectives == ["Former les parents", "Ouvrir des lieux d’accueil"]
    assert "lieux d’accueil" in fiche.search_text and "partout" in fiche.search_text
    record = fiche.history.latest()
    assert record.history_user == coordinator
    assert record.history_change_reason == "Modification de la fiche"
    assert "La fiche n°2 a été modifiée." in text(client.get(response["Location"]))
    found = client.get("/recherche/", {"q": "lieux accueil"}).content.decode()
    assert f"/plans/{plan.slug}/fiches/2/" in found


def test_an_empty_title_is_refused(client, plan, coordinator):
    client.force_login(coordinator)
    response = edit(client, plan, title="")
    assert response.status_code == 400
    assert "L’intitulé de la fiche est obligatoire." in response.content.decode()
    assert Fiche.objects.get(plan=plan, number="2").version == 1


def test_second_of_two_concurrent_saves_is_refused_with_what_changed(client, plan, coordinator):
    from django.test import Client

    colleague = member(plan, Role.COORDINATOR, username="collegue")
    first, second = client, Client()
    first.force_login(coordinator)
    second.force_login(colleague)
    # Both open the form at version 1.
    for c in (first, second):
        page = c.get(f"/plans/{plan.slug}/fiches/2/modifier/").content.decode()
        assert 'name="version" value="1"' in page

    assert edit(first, plan, version=1, public="Parents et futurs parents").status_code == 302
    response = edit(second, plan, version=1, public="Tout public", title="Autre intitulé")
    assert response.status_code == 409
    page = text(response)
    assert "La fiche a été modifiée pendant que vous la modifiiez" in page
    assert "Rien n’a été enregistré." in page
    assert "Public cible Parents et futurs parents Tout public" in page
    assert "Intitulé Soutenir" not in page  # the title did not change meanwhile
    fiche = Fiche.objects.get(plan=plan, number="2")
    assert fiche.public == "Parents et futurs parents" and fiche.title == "Soutenir la parentalité"
    assert fiche.version == 2 and fiche.history.count() == 2
    # The typed text is kept, now against the stored version: saving again is deliberate.
    assert 'name="version" value="2"' in response.content.decode()
    assert "Autre intitulé" in response.content.decode()


def test_an_import_after_the_form_opened_makes_its_save_a_conflict(client, coordinator):
    save_draft(make_draft(2))
    plan = Plan.objects.get(slug="cls-test")
    Membership.objects.create(user=coordinator, plan=plan, role=Role.COORDINATOR)
    client.force_login(coordinator)
    draft = make_draft(2)
    draft.fiches[0].public = "Public du nouveau document"
    save_draft(draft)
    response = edit(client, plan, number="1", version=1, public="Ma version")
    assert response.status_code == 409
    assert "Public cible Public du nouveau document Ma version" in text(response)


# --- History page and restores -------------------------------------------------------------------


def test_history_page_lists_who_changed_what(client, plan, coordinator):
    client.force_login(coordinator)
    edit(client, plan, title="Soutenir la parentalité partout")
    copil = member(plan, Role.COPIL, username="copil")
    client.force_login(copil)
    fiche_page = client.get(f"/plans/{plan.slug}/fiches/2/").content.decode()
    assert "Historique des modifications" in fiche_page and "Modifier la fiche" not in fiche_page
    response = client.get(f"/plans/{plan.slug}/fiches/2/historique/")
    assert response.status_code == 200
    page = text(response)
    assert "Historique de la fiche n°2" in page
    assert "Claire Coordinatrice — Modification de la fiche" in page
    assert "Intitulé Soutenir la parentalité Soutenir la parentalité partout" in page
    assert "Création : Fiche" in page
    assert "Création : Action A" in page  # the parts have their history too
    assert "Co-pilote : CAF" in page
    assert "Restaurer" not in page  # COPIL members read, coordinators restore


@pytest.mark.parametrize("edits", [1, 6])
def test_history_page_query_count_is_constant(
    client, plan, coordinator, django_assert_num_queries, edits
):
    client.force_login(coordinator)
    for i in range(edits):
        edit(client, plan, title=f"Intitulé {i}")
    # session, user, memberships, fiche+plan, the histories of the fiche and of its 5 kinds of
    # parts, sections, organisations, fiche numbers; the follow-up's part (followup.history):
    # reports, actions, indicators, and the histories of reports, statuses, values
    with django_assert_num_queries(13 + 6):
        client.get(f"/plans/{plan.slug}/fiches/2/historique/")


def test_restore_brings_back_an_earlier_version_after_confirmation(client, plan, coordinator):
    client.force_login(coordinator)
    edit(client, plan, title="Premier changement", public="Public changé")
    fiche = Fiche.objects.get(plan=plan, number="2")
    original = fiche.history.earliest()
    page = client.get(f"/plans/{plan.slug}/fiches/2/historique/").content.decode()
    restore_url = f"/plans/{plan.slug}/fiches/2/historique/{original.history_id}/restaurer/"
    assert restore_url in page

    confirm = client.get(restore_url)
    assert "Intitulé Premier changement Soutenir la parentalité" in text(confirm)
    assert "Public cible Public changé futurs parents" in text(confirm)
    assert Fiche.objects.get(pk=fiche.pk).title == "Premier changement"  # GET changes nothing

    response = client.post(restore_url, {"version": "2"})
    assert response.status_code == 302
    fiche.refresh_from_db()
    assert fiche.title == "Soutenir la parentalité" and fiche.public.startswith("futurs parents")
    assert fiche.version == 3
    record = fiche.history.latest()
    assert record.history_user == coordinator
    assert record.history_change_reason.startswith("Restauration de la version du ")


def test_restore_with_a_stale_confirmation_is_refused(client, plan, coordinator):
    client.force_login(coordinator)
    edit(client, plan, title="Premier changement")
    original = Fiche.objects.get(plan=plan, number="2").history.earliest()
    edit(client, plan, title="Second changement", version=2)
    url = f"/plans/{plan.slug}/fiches/2/historique/{original.history_id}/restaurer/"
    response = client.post(url, {"version": "2"}, follow=True)
    assert "rien n’a été restauré" in text(response)
    assert Fiche.objects.get(plan=plan, number="2").title == "Second changement"


def test_restore_is_for_coordinators_only(client, plan, coordinator):
    record = Fiche.objects.get(plan=plan, number="2").history.earliest()
    client.force_login(member(plan, Role.COPIL, username="copil"))
    url = f"/plans/{plan.slug}/fiches/2/historique/{record.history_id}/restaurer/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"version": "1"}).status_code == 403


# --- Deletions others depend on -----------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))
    return client


def test_admin_refuses_to_delete_an_organisation_named_on_a_fiche(admin_client, plan):
    caf = plan.organisations.get(key="caf")
    url = f"/admin/plans/organisation/{caf.pk}/delete/"
    page = text(admin_client.get(url))
    assert "Impossible de supprimer organisation" in page
    assert "objets liés et protégés suivants : Rôle sur une fiche: Co-pilote : CAF" in page
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200 and "Impossible de supprimer" in text(response)
    assert Organisation.objects.filter(pk=caf.pk).exists()


def test_admin_turns_a_late_restriction_into_a_french_message(admin_client, plan, monkeypatch):
    # A fiche names the organisation between the confirmation page and the deletion.
    lonely = OrganisationFactory(plan=plan, name="Association isolée")

    def no_dependents(self, objs, request):
        return [str(o) for o in objs], {}, set(), []

    monkeypatch.setattr(OrganisationAdmin, "get_deleted_objects", no_dependents)
    role = FicheRoleFactory(fiche=plan.fiches.first(), organisation=lonely)
    url = f"/admin/plans/organisation/{lonely.pk}/delete/"
    response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    page = text(response)
    assert "Suppression impossible : d’autres données renvoient à « Association isolée »" in page
    assert str(role) in page
    assert Organisation.objects.filter(pk=lonely.pk).exists()


def test_deleting_a_restricted_organisation_raises_rather_than_cascading(plan):
    with pytest.raises(RestrictedError):
        plan.organisations.get(key="caf").delete()


def test_a_fiche_with_a_yearly_report_is_neither_dropped_by_an_import_nor_deleted(admin_client):
    from datetime import date

    from pilotis.followup.models import Campaign, FicheReport

    save_draft(make_draft(3))
    plan = Plan.objects.get(slug="cls-test")
    fiche3 = plan.fiches.get(number="3")
    campaign = Campaign.objects.create(plan=plan, year=1, deadline=date(2025, 3, 31))
    FicheReport.objects.create(plan=plan, campaign=campaign, fiche=fiche3)
    with pytest.raises(DraftError, match=r"Fiche action \(Fiche n°3 — .*\) ne figure plus"):
        save_draft(make_draft(2))
    assert plan.fiches.filter(number="3").exists()

    url = f"/admin/plans/fiche/{fiche3.pk}/delete/"
    page = text(admin_client.get(url))
    assert "Impossible de supprimer fiche action" in page
    admin_client.post(url, {"post": "yes"})
    assert plan.fiches.filter(number="3").exists()
