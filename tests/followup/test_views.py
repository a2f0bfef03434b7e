"""Follow-up pages through the test client: the report form, conflicts, bad input, dashboard."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.followup import services
from pilotis.followup.models import ActionStatus, Campaign, FicheReport, IndicatorValue
from tests.factories import UserFactory
from tests.followup.conftest import build_carcassonne, member

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's visible text, tags removed and whitespace squashed, for content assertions."""
    # Not \s: it would squash the non-breaking spaces French typography puts before « % ».
    found = re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html(response)))
    return found.replace("&#x27;", "'").replace("&nbsp;", NBSP)


def main(response) -> str:
    return re.search(r'<main id="content".*?</main>', html(response), re.S).group(0)


def report_url(plan, number: str, year: int = 1) -> str:
    return f"/plans/{plan.slug}/suivi/{year}/fiches/{number}/"


def action(plan, number: str, letter: str):
    return plan.fiches.get(number=number).actions.get(letter=letter)


def indicator(plan, number: str, kind: str):
    return plan.fiches.get(number=number).indicators.get(kind=kind)


def loaded(client, url: str) -> dict[str, str]:
    """What the form of `url` posts back untouched: its initial values, version included."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["form"]
    return {name: form.initial.get(name, "") for name in form.fields}


def stored(report: FicheReport) -> tuple:
    report.refresh_from_db()
    return (
        report.version,
        report.status,
        report.progress_rate,
        list(ActionStatus.objects.filter(report=report).values_list("done", "comment")),
        list(IndicatorValue.objects.filter(report=report).values_list("value_number", "unit")),
    )


def fiche_report(campaign, number: str) -> FicheReport:
    return campaign.reports.get(fiche__number=number)


# --- The report form ----------------------------------------------------------------------------


def test_report_form_lists_the_actions_due_this_year_and_every_indicator(
    client, plan, people, campaign
):
    client.force_login(people.caf_pilot)
    response = client.get(report_url(plan, "2"))
    page = text(response)
    assert "Fiche n°2 — Soutenir la parentalité" in page
    assert "Suivi de l’année 1 (2024)" in page
    assert "Caisse d'allocations familiales de l'Aude, Département de l'Aude" in page
    # Actions A (years 1–5) and B (years 1–2) are due in year 1; C has no deadline.
    assert "Actions prévues en 2024" in page
    assert "Action A — Déploiement du programme de soutien aux familles" in page
    assert "Action B — Cours de préparation à la parentalité" in page
    assert "Autres actions de la fiche, non prévues cette année (1)" in page
    assert "Action C — Groupe de parole (sans échéance)" in page
    assert f'name="action_{action(plan, "2", "C").pk}_done"' not in html(response)
    # The rate on the paper scale, as radio buttons under a visible legend.
    content = main(response)
    legend = re.search(r'<legend[^>]*id="id_progress_rate-legend">(.*?)</legend>', content, re.S)
    assert "Taux d’avancement de la fiche" in legend.group(1)
    assert f"0, 20, 40, 60, 80 ou 100{NBSP}%" in legend.group(1)
    rates = re.findall(r'name="progress_rate"\s+value="(\d*)"', content)
    assert rates == ["", "0", "20", "40", "60", "80", "100"]
    assert re.search(r'<label class="fr-label" for="id_progress_rate_1">0\xa0%</label>', content)
    # « En partie » is not offered unless the coordinator allowed it.
    assert 'value="partly"' not in content
    # Result indicators first, then monitoring ones with their action letters.
    result = content.index("Indicateur de résultat : Nombre de familles accompagnées")
    monitoring = content.index("Indicateur de suivi : Évolution du nombre de cours")
    assert result < monitoring and "Actions B et C" in content
    assert '<label class="fr-label" for="id_obstacles">' in content
    assert 'name="version" value="1"' in content
    assert "Enregistrer le brouillon" in page and "Transmettre à la coordination" in page
    assert ">Valider<" not in content  # a pilot does not validate


def test_a_fiche_without_action_due_this_year_says_so(client, plan, people, campaign):
    client.force_login(people.coordinator)
    page = text(client.get(report_url(plan, "1")))
    assert "Aucune action de cette fiche n’est prévue pour l’année 1 (2024)" in page
    assert "Action A — Former les animateurs (échéance : Années 2 et 3)" in page
    assert "Autres actions de la fiche, non prévues cette année (1)" in page


def test_a_pilot_saves_a_draft_resumes_it_and_transmits(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    url = report_url(plan, "2")
    a, b = action(plan, "2", "A"), action(plan, "2", "B")
    result = indicator(plan, "2", "result")
    monitoring = indicator(plan, "2", "monitoring")
    data = loaded(client, url) | {
        f"action_{a.pk}_done": "yes",
        f"action_{a.pk}_comment": "  Douze ateliers  ",
        "progress_rate": "40",
        f"indicator_{result.pk}_number": "12,5",
        f"indicator_{result.pk}_unit": "familles",
        f"indicator_{result.pk}_target": "30 familles",
        f"indicator_{monitoring.pk}_text": "En hausse",
        "intent": "draft",
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    report = fiche_report(campaign, "2")
    assert stored(report) == (
        2,
        "in_progress",
        40,
        [("yes", "Douze ateliers")],
        [(Decimal("12.5"), "familles"), (None, "")],
    )
    assert report.updated_by == people.caf_pilot

    # Resumed later: everything typed is back, numbers written the French way.
    response = client.get(url)
    page = text(response)
    assert "Brouillon de la fiche n°2 enregistré : vous pourrez le reprendre." in page
    assert "Paule Parent" in page
    content = main(response)
    assert re.search(r'name="progress_rate"\s+value="40"\s+checked', content)
    assert re.search(rf'name="action_{a.pk}_done"\s+value="yes"\s+checked', content)
    assert 'value="12,5"' in content and "En hausse" in content
    assert 'name="version" value="2"' in content

    # Transmitting needs every action due answered.
    data = loaded(client, url) | {"intent": "submit"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Action B — réalisée" in text(response)
    assert "Indiquez si l’action a été réalisée pour transmettre la fiche." in text(response)
    assert stored(report)[:2] == (2, "in_progress")

    data[f"action_{b.pk}_done"] = "no"
    response = client.post(url, data)
    assert response.status_code == 302
    assert stored(report)[:3] == (3, "submitted", 40)
    assert report.submitted_at is not None
    assert "Fiche n°2 transmise à la coordination." in text(client.get(url))


BAD_INPUTS = [
    (
        {"progress_rate": "45"},
        "Taux d’avancement de la fiche",
        f"« 45 » n’est pas sur l’échelle : choisissez 0, 20, 40, 60, 80 ou 100{NBSP}%.",
    ),
    (
        {"number:result": "douze"},
        "Indicateur « Nombre de familles accompagnées » — valeur (nombre)",
        "Saisissez un nombre, par exemple 12 ou 12,5.",
    ),
    (
        {"done:A": "partly"},
        "Action A — réalisée",
        "Réponse impossible pour cette campagne : Oui ou Non.",
    ),
    (
        {"number:result": "3", "text:result": "trois"},
        "Indicateur « Nombre de familles accompagnées » — valeur (texte)",
        "Saisissez soit un nombre, soit un texte, pas les deux.",
    ),
    ({"objective_reached": "peut-être"}, "Atteinte de l’objectif", "Répondez Oui ou Non."),
]


@pytest.mark.parametrize(("bad", "field", "message"), BAD_INPUTS)
def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(
    client, plan, people, campaign, bad, field, message
):
    client.force_login(people.caf_pilot)
    url = report_url(plan, "2")
    report = fiche_report(campaign, "2")
    before = stored(report)
    data = loaded(client, url) | {
        f"action_{action(plan, '2', 'B').pk}_done": "yes",  # valid, and not saved either
        "obstacles": "Texte valide",
        "intent": "draft",
    }
    for key, value in bad.items():
        part, _, target = key.partition(":")
        if part == "done":
            data[f"action_{action(plan, '2', target).pk}_done"] = value
        elif target:
            data[f"indicator_{indicator(plan, '2', target).pk}_{part}"] = value
        else:
            data[key] = value
    response = client.post(url, data)
    assert response.status_code == 400
    summary = re.search(r'<div class="fr-alert fr-alert--error.*?</div>', html(response), re.S)
    assert summary, "no error summary"
    summary_text = re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", "", summary.group(0)))
    assert f"{field} : {message}" in summary_text.replace("&#x27;", "'")
    assert "Rien n’a été enregistré." in summary_text
    assert stored(report) == before
    # The person's input stays on the page.
    assert "Texte valide" in html(response)


def test_partly_is_accepted_when_the_coordinator_allows_it(client, plan, people, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(allow_partial=True)
    client.force_login(people.caf_pilot)
    url = report_url(plan, "2")
    a = action(plan, "2", "A")
    assert "En partie" in text(client.get(url))
    response = client.post(url, loaded(client, url) | {f"action_{a.pk}_done": "partly"})
    assert response.status_code == 302
    assert ActionStatus.objects.get(action=a).done == ActionStatus.Done.PARTLY


def test_the_second_of_two_concurrent_saves_is_refused_with_what_changed(client, plan, people):
    campaign = services.open_campaign(plan, 1, timezone.localdate() + timedelta(days=30))
    url = report_url(plan, "2")
    a = action(plan, "2", "A")
    pilot, coordinator = client, type(client)()
    pilot.force_login(people.caf_pilot)
    coordinator.force_login(people.coordinator)
    pilot_form = loaded(pilot, url)
    coordinator_form = loaded(coordinator, url)

    response = coordinator.post(
        url,
        coordinator_form
        | {"progress_rate": "40", f"action_{a.pk}_done": "yes", "obstacles": "Salles rares"},
    )
    assert response.status_code == 302

    response = pilot.post(url, pilot_form | {"progress_rate": "60", "comment": "Bonne année"})
    assert response.status_code == 409
    page = text(response)
    assert "Cette fiche a été modifiée pendant que vous la remplissiez" in page
    assert "Claire Coordinatrice a enregistré la fiche le" in page
    assert f"Taux d’avancement de la fiche : désormais « 40{NBSP}% »" in page
    assert "Action A — réalisée : désormais « Oui »" in page
    assert "Difficultés rencontrées : désormais « Salles rares »" in page
    assert "Commentaire :" not in page.split("Ce qui a changé entre-temps")[1].split("Vos")[0]
    report = fiche_report(campaign, "2")
    assert stored(report)[:3] == (2, "in_progress", 40)  # the pilot's save did not happen
    assert report.comment == ""
    # The pilot's input stays, on the new version: saving again is a deliberate choice.
    content = main(response)
    assert re.search(r'name="progress_rate"\s+value="60"\s+checked', content)
    assert "Bonne année" in content and 'name="version" value="2"' in content
    version = re.search(r'name="version" value="(\d+)"', content).group(1)
    fingerprint = re.search(r'name="loaded" value="([^"]*)"', content).group(1)
    again = pilot_form | {
        "progress_rate": "60",
        "comment": "Bonne année",
        "version": version,
        "loaded": fingerprint.replace("&quot;", '"'),
    }
    assert pilot.post(url, again).status_code == 302
    assert stored(report)[:3] == (3, "in_progress", 60)


def test_coordinator_validates_then_reopens(client, plan, people, campaign):
    pilot = type(client)()
    pilot.force_login(people.caf_pilot)
    client.force_login(people.coordinator)
    url = report_url(plan, "2")
    a, b = action(plan, "2", "A"), action(plan, "2", "B")
    data = loaded(client, url) | {
        "progress_rate": "100",
        f"action_{a.pk}_done": "yes",
        f"action_{b.pk}_done": "yes",
        "intent": "validate",
    }
    assert "Valider" in text(client.get(url))
    assert client.post(url, data).status_code == 302
    report = fiche_report(campaign, "2")
    assert report.status == "validated" and report.validated_by == people.coordinator

    # Validated: read-only for its pilots, with no button, and a POST is refused.
    response = pilot.get(url)
    page = text(response)
    assert "Ce suivi est validé par la coordination : il n’est plus modifiable." in page
    assert "Enregistrer le brouillon" not in page
    assert re.search(r'name="progress_rate"\s+value="100"\s+checked\s+disabled', main(response))
    assert pilot.post(url, loaded(pilot, url)).status_code == 403

    response = client.post(url, {"intent": "reopen"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "in_progress" and report.validated_at is None
    assert pilot.post(url, loaded(pilot, url) | {"progress_rate": "80"}).status_code == 302


def test_a_frozen_campaign_is_read_only(client, plan, people, campaign):
    client.force_login(people.coordinator)
    response = client.post(f"/plans/{plan.slug}/suivi/1/figer/")
    assert response.status_code == 302
    assert "est figée" in text(client.get(response["Location"]))
    campaign.refresh_from_db()
    assert campaign.status == "frozen" and campaign.snapshot["reports"]
    url = report_url(plan, "2")
    page = text(client.get(url))
    assert "La campagne est figée : ce suivi n’est plus modifiable." in page
    assert "Valider" not in page
    assert client.post(url, loaded(client, url)).status_code == 403
    assert client.post(f"/plans/{plan.slug}/suivi/1/figer/").status_code == 403


# --- Campaigns and dashboard --------------------------------------------------------------------


def test_coordinator_opens_the_2024_campaign(client, plan, people):
    client.force_login(people.coordinator)
    url = f"/plans/{plan.slug}/suivi/"
    response = client.get(url)
    page = text(response)
    assert "Aucune campagne n’a encore été ouverte pour ce plan." in page
    options = re.findall(r'<option value="(\d)">([^<]*)</option>', html(response))
    assert options[0] == ("1", "Année 1 (2024)") and len(options) == 5
    assert '<label class="fr-label" for="id_deadline">' in html(response)

    past = timezone.localdate() - timedelta(days=1)
    response = client.post(url, {"year": "1", "deadline": past.isoformat()})
    assert response.status_code == 400
    assert "La date limite ne peut pas être déjà passée." in text(response)
    response = client.post(url, {"year": "7", "deadline": "2099-01-31"})
    assert response.status_code == 400
    assert "Année du contrat : Cette année est déjà ouverte ou hors du contrat." in text(response)
    assert not Campaign.objects.exists()

    response = client.post(url, {"year": "1", "deadline": "31/01/2099", "allow_partial": "on"})
    assert response.status_code == 302 and response["Location"] == f"{url}1/"
    campaign = Campaign.objects.get()
    assert campaign.year == 1 and campaign.allow_partial
    assert campaign.deadline.isoformat() == "2099-01-31"
    assert "Campagne de suivi de l’année 1 (2024) ouverte" in text(client.get(f"{url}1/"))

    response = client.get(url)
    options = re.findall(r'<option value="(\d)">', html(response))
    assert options == ["2", "3", "4", "5"]  # year 1 is taken
    assert "0 sur 3" in text(response)
    assert client.post(url, {"year": "1", "deadline": "2099-01-31"}).status_code == 400


def test_dashboard_counts_filters_the_late_and_says_what_is_missing(client, plan, people, campaign):
    client.force_login(people.caf_pilot)
    url = report_url(plan, "2")
    client.post(url, loaded(client, url) | {"progress_rate": "20"})
    report3 = fiche_report(campaign, "3")
    FicheReport.objects.filter(pk=report3.pk).update(status="submitted", progress_rate=60)
    client.force_login(people.coordinator)
    dashboard = f"/plans/{plan.slug}/suivi/1/"

    page = text(client.get(dashboard))
    assert "À faire 1 En cours 1 Transmise 1 Validée par la coordination 0" in page
    assert "2 Soutenir la parentalité" in page and f"20{NBSP}%" in page
    assert "par Paule Parent" in page
    assert "En retard ou échéance proche (0)" in page
    # What is missing: the CAF has fiche 2, with Paule Parent to call.
    missing = page.split("Ce qui manque")[1]
    assert "Caisse d'allocations familiales de l'Aude 1 : n°2 Paule Parent" in missing
    assert "Carcassonne Agglo" not in missing  # its only fiche is transmitted

    Campaign.objects.filter(pk=campaign.pk).update(
        deadline=timezone.localdate() - timedelta(days=2)
    )
    page = text(client.get(dashboard))
    assert "dépassée depuis 2 jours" in page
    assert "En retard ou échéance proche (2)" in page
    late = text(client.get(f"{dashboard}?retard=1"))
    table = late.split("Fiches en retard ou dont l’échéance est proche")[1]
    assert "Soutenir la parentalité" in table and "En retard" in table
    assert "Promouvoir la santé mentale des jeunes" in table
    assert "Développer l'offre de soins de proximité" not in table.split("Ce qui manque")[0]


def test_campaign_settings_move_the_deadline_and_keep_partly_once_used(
    client, plan, people, campaign
):
    client.force_login(people.coordinator)
    url = f"/plans/{plan.slug}/suivi/1/reglages/"
    response = client.post(url, {"deadline": "2099-06-30", "allow_partial": "on"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.deadline.isoformat() == "2099-06-30" and campaign.allow_partial
    report = fiche_report(campaign, "2")
    ActionStatus.objects.create(
        plan=plan, report=report, action=action(plan, "2", "A"), done="partly"
    )
    response = client.post(url, {"deadline": "2099-06-30"}, follow=True)
    assert "1 action a déjà reçu la réponse « En partie »" in text(response)
    campaign.refresh_from_db()
    assert campaign.allow_partial


def test_plan_overview_links_members_to_the_follow_up(client, plan, people):
    plan.published = True
    plan.save()
    link = f'href="/plans/{plan.slug}/suivi/">Suivi annuel</a>'
    assert link not in html(client.get(f"/plans/{plan.slug}/"))
    client.force_login(people.outsider)
    assert link not in html(client.get(f"/plans/{plan.slug}/"))
    client.force_login(people.partner)
    assert link in html(client.get(f"/plans/{plan.slug}/"))
    assert ">Mes fiches à suivre</a>" in html(client.get(f"/plans/{plan.slug}/"))


# --- My fiches ----------------------------------------------------------------------------------


def test_my_fiches_lists_a_pilots_fiches_in_open_campaigns_across_plans(
    client, plan, people, campaign
):
    other = build_carcassonne(slug="cls-limoux")
    roles.grant(people.caf_pilot, other, "pilot", other.organisations.filter(key="caf"))
    services.open_campaign(other, 2, timezone.localdate() + timedelta(days=3))
    services.open_campaign(plan, 2, timezone.localdate() + timedelta(days=3))
    Campaign.objects.filter(plan=plan, year=2).update(status="frozen")

    client.force_login(people.caf_pilot)
    response = client.get("/suivi/mes-fiches/")
    page = text(response)
    pending = page.split("À mettre à jour (2)")[1]
    # The nearest deadline first: the other plan's year 2, then this plan's year 1; this plan's
    # year 2 is frozen, so not listed.
    rows = re.findall(r'<a href="(/plans/[^"]+)">Fiche n°(\d+)', main(response))
    assert rows == [
        ("/plans/cls-limoux/suivi/2/fiches/2/", "2"),
        (f"/plans/{plan.slug}/suivi/1/fiches/2/", "2"),
    ]
    assert "Échéance proche" in pending and "Année 2 (2025)" in pending
    assert "Fiche n°3" not in page  # the CAF is only a partner of fiche 3

    url = report_url(plan, "2")
    data = loaded(client, url) | {
        "progress_rate": "20",
        f"action_{action(plan, '2', 'A').pk}_done": "no",
        f"action_{action(plan, '2', 'B').pk}_done": "no",
        "intent": "submit",
    }
    assert client.post(url, data).status_code == 302
    page = text(client.get("/suivi/mes-fiches/"))
    assert "À mettre à jour (1)" in page and "Déjà transmises (1)" in page

    client.force_login(people.coordinator)
    page = text(client.get("/suivi/mes-fiches/"))
    assert "Votre compte n’est pilote d’aucune fiche" in page


def test_my_fiches_needs_an_account(client):
    response = client.get("/suivi/mes-fiches/")
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")


# --- Query counts -------------------------------------------------------------------------------

# Every signed-in page starts with the session, the user and the user's memberships (roles.py
# caches them for the request). For anyone but a coordinator, the menu then asks whether the user
# is in the legacy coordinators group (plans.perms.can_import, for the « Importer » link).
SIGNED_IN = 3
MENU_GROUP_CHECK = 1


@pytest.mark.parametrize("n_extra", [0, 12])
def test_dashboard_query_count_is_constant(client, django_assert_num_queries, n_extra):
    plan = build_carcassonne(n_extra)
    coordinator = member(plan, "coordinator")
    services.open_campaign(plan, 1, timezone.localdate() + timedelta(days=3))
    client.force_login(coordinator)
    # plan, campaign, fiches, their steering roles, reports, pilots' names
    with django_assert_num_queries(SIGNED_IN + 6):
        response = client.get(f"/plans/{plan.slug}/suivi/1/")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 3 + n_extra


@pytest.mark.parametrize("n_extra", [0, 12])
def test_campaigns_page_query_count_is_constant(client, django_assert_num_queries, n_extra):
    plan = build_carcassonne(n_extra)
    coordinator = member(plan, "coordinator")
    for year in (1, 2, 3):
        services.open_campaign(plan, year, timezone.localdate() + timedelta(days=3))
    client.force_login(coordinator)
    with django_assert_num_queries(SIGNED_IN + 2):  # plan, campaigns with their counts
        response = client.get(f"/plans/{plan.slug}/suivi/")
    assert response.status_code == 200


@pytest.mark.parametrize("n_extra", [0, 12])
def test_report_page_query_count_is_constant(client, django_assert_num_queries, n_extra):
    plan = build_carcassonne(n_extra)
    pilot = member(plan, "pilot", "caf")
    campaign = services.open_campaign(plan, 1, timezone.localdate() + timedelta(days=3))
    report = campaign.reports.get(fiche__number="2")
    for a in report.fiche.actions.all():
        ActionStatus.objects.create(plan=plan, report=report, action=a, done="yes")
    FicheReport.objects.filter(pk=report.pk).update(updated_by=pilot, validated_by=pilot)
    client.force_login(pilot)
    # plan, campaign, fiche, its steering roles, report with its editors, the pilot's roles on
    # the fiche, actions, indicators, action statuses, indicator values
    with django_assert_num_queries(SIGNED_IN + MENU_GROUP_CHECK + 10):
        response = client.get(report_url(plan, "2"))
    assert response.status_code == 200


@pytest.mark.parametrize("n_plans", [1, 4])
def test_my_fiches_query_count_is_constant(client, django_assert_num_queries, n_plans):
    pilot = UserFactory()
    for i in range(n_plans):
        plan = build_carcassonne(slug=f"cls-{i}")
        roles.grant(pilot, plan, "pilot", plan.organisations.filter(key="caf"))
        services.open_campaign(plan, 1, timezone.localdate() + timedelta(days=3))
    client.force_login(pilot)
    # open campaigns, fiches, their reports
    with django_assert_num_queries(SIGNED_IN + MENU_GROUP_CHECK + 3):
        response = client.get("/suivi/mes-fiches/")
    assert len(response.context["pending"]) == n_plans
