"""Avenants: the plan as signed, after each avenant and today, and the follow-up kept on the
fiche it was reported for across a merge."""

from datetime import date

import pytest

from pilotis.accounts import roles
from pilotis.followup import services as followup
from pilotis.governance import amendments, versions
from pilotis.governance.models import Amendment
from pilotis.importers.persist import save_draft
from pilotis.plans import editor
from pilotis.plans.models import Fiche, Plan
from tests.factories import UserFactory, make_draft

pytestmark = pytest.mark.django_db


def version(number: str, archived=False, actions=(), roles=(), title="T", merged_into=""):
    return versions.FicheVersion(number, title, archived, tuple(actions), tuple(roles), merged_into)


def test_compare_names_every_kind_of_change():
    before = versions.PlanVersion(
        "avant",
        None,
        {
            "1": version("1", actions=[("A", "Informer", False)]),
            "2": version("2"),
            "3": version("3", roles=[("pilot", "CAF")]),
            "4": version("4"),
        },
    )
    after = versions.PlanVersion(
        "après",
        None,
        {
            "1": version("1", actions=[("A", "Informer", False), ("B", "Former", False)]),
            "2": version("2", archived=True),
            "3": version("3", roles=[("pilot", "CPAM")], title="Nouveau"),
            "4": version("4", archived=True, merged_into="1"),
            "5": version("5", title="Nouvelle fiche"),
        },
    )
    texts = [d.text for d in versions.compare(before, after)]
    assert texts == [
        "Action B ajoutée : Former",
        "Fiche n°2 arrêtée",
        "Intitulé : « T » → « Nouveau »",
        "pilote : CPAM",
        "pilote retiré : CAF",
        "Fiche n°4 fusionnée dans la fiche n°1",
        "Fiche n°5 ajoutée : « Nouvelle fiche »",
    ]


@pytest.fixture
def plan():
    save_draft(make_draft(n_fiches=5))
    return Plan.objects.get()


def test_the_done_when_journey(client, plan):
    """Issue 15: an avenant stops a fiche, merges two and adds an action to a third; the plan as
    signed and as amended side by side, the year's follow-up still on the right fiches."""
    user = UserFactory()
    roles.grant(user, plan, roles.Role.COORDINATOR)
    client.force_login(user)
    campaign = followup.open_campaign(plan, 1, date(2025, 1, 31))
    merged_report = campaign.reports.get(fiche__number="3")

    fiche = {f.number: f for f in Fiche.objects.filter(plan=plan)}
    editor.set_fiche_archived(fiche["5"], fiche["5"].version, True, user)  # stopped
    response = client.post(
        f"/plans/{plan.slug}/avenants/fusion/",
        {"fusion-keep": fiche["2"].pk, "fusion-drop": fiche["3"].pk},
    )
    assert response.status_code == 302
    fiche["4"].refresh_from_db()
    editor.add_action(fiche["4"], fiche["4"].version, "", "Créer un annuaire", [3], user)
    response = client.post(
        f"/plans/{plan.slug}/avenants/",
        {"avenant-title": "Révision à mi-parcours", "avenant-approved_on": "14/03/2027"},
    )
    assert response.status_code == 302
    assert Amendment.objects.get().number == 1

    page = client.get(f"/plans/{plan.slug}/avenants/").content.decode()
    assert "Fiche n°5 arrêtée" in page
    assert "Fiche n°3 fusionnée dans la fiche n°2" in page
    assert "Créer un annuaire" in page

    compared = client.get(f"/plans/{plan.slug}/versions/", {"de": "signe", "a": "avenant-1"})
    text = compared.content.decode()
    assert "Tel que signé" in text and "Après l’avenant n°1" in text
    assert "fusionnée dans la fiche n°2" in text
    signed = amendments.load(plan, "signe", [])
    # As signed, every fiche has the actions and pilots the document gave it.
    assert all(f.actions and f.roles for f in signed.fiches.values())
    assert not signed.fiches["3"].archived and not signed.fiches["5"].archived
    assert len(signed.fiches["4"].actions) < len(
        versions.version_at(plan, None, "").fiches["4"].actions
    )

    # The year's report of the merged fiche stays on it (archived, with its past reports).
    merged_report.refresh_from_db()
    assert merged_report.fiche.number == "3" and merged_report.fiche.archived
    assert client.get(f"/plans/{plan.slug}/versions/", {"de": "nimporte"}).status_code == 404


def test_merging_is_the_coordination_s(client, plan):
    user = UserFactory()
    roles.grant(user, plan, roles.Role.PILOT)
    client.force_login(user)
    one, two = Fiche.objects.filter(plan=plan)[:2]
    response = client.post(
        f"/plans/{plan.slug}/avenants/fusion/", {"fusion-keep": one.pk, "fusion-drop": two.pk}
    )
    assert response.status_code == 403
    assert client.post(f"/plans/{plan.slug}/avenants/", {}).status_code == 403
    assert not Fiche.objects.filter(archived=True).exists()


@pytest.mark.parametrize("n_fiches", [3, 9])
def test_the_versions_page_reads_the_history_in_a_fixed_number_of_queries(
    client, django_assert_num_queries, n_fiches
):
    save_draft(make_draft(n_fiches=n_fiches))
    plan = Plan.objects.get()
    user = UserFactory()
    roles.grant(user, plan, roles.Role.COORDINATOR)
    client.force_login(user)
    # The same count for 3 fiches as for 9: the history is read a table at a time, never a
    # query per fiche (simple_history's as_of loaded each fiche's search text on its own).
    with django_assert_num_queries(19):
        response = client.get(f"/plans/{plan.slug}/versions/")
    assert response.status_code == 200
