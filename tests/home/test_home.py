"""The home page per role (issue 13.1): coordinator, pilot, COPIL member, anonymous visitor."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from pilotis.accounts.models import Role
from pilotis.followup import services, summary
from pilotis.followup.models import Campaign, FicheReport
from pilotis.governance.models import Body, Meeting
from tests.factories import PlanFactory, UserFactory
from tests.followup.conftest import build_carcassonne, member

pytestmark = pytest.mark.django_db


def text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def test_progress_counts_sum_to_a_hundred_percent():
    counts = summary.progress_counts(["to_do", "in_progress", "submitted"])
    assert [c[0] for c in counts] == ["to_do", "in_progress", "submitted", "validated"]
    assert sum(c[3] for c in counts) == 100
    assert [c[2] for c in counts] == [1, 1, 1, 0]
    assert summary.progress_counts([])[0] == ("to_do", "À faire", 0, 0)


def test_anonymous_visitor_sees_published_demo_plans_labelled():
    PlanFactory(title="Plan publié de démonstration", published=True, is_demo=True)
    PlanFactory(title="Plan caché", published=False)
    page = text(Client().get("/"))
    assert "Plan publié de démonstration Démonstration" in page
    assert "Plan caché" not in page


def test_anonymous_visitor_without_plans_is_told_how_to_start():
    page = text(Client().get("/"))
    assert "Aucun plan publié pour le moment" in page
    assert "Connectez-vous pour le voir" in page and "make demo" in page


def test_coordinator_sees_campaign_progress_and_late_fiches(django_assert_max_num_queries):
    plan = build_carcassonne()
    coordinator = member(plan, Role.COORDINATOR, first_name="Claire", last_name="Coord")
    pilot = member(plan, Role.PILOT, "caf")
    campaign = services.open_campaign(
        plan, 1, timezone.localdate() + timedelta(days=10), opened_by=coordinator
    )
    FicheReport.objects.filter(campaign=campaign, fiche__number="3").update(status="submitted")
    Campaign.objects.filter(pk=campaign.pk).update(
        deadline=timezone.localdate() - timedelta(days=2)
    )
    client = Client()
    client.force_login(coordinator)
    with django_assert_max_num_queries(20):
        page = text(client.get("/"))
    assert "Bonjour Claire Coord" in page
    assert "Campagne de l’année 1 (2024) — Contrat local de santé de Carcassonne Agglo" in page
    assert "À faire : 2 (67 %)" in page and "Transmise : 1 (33 %)" in page
    assert "2 fiches en retard" in page
    assert "Fiche n°2 — Soutenir la parentalité" in page
    assert "Pilotes à relancer :" in page and "Caisse d'allocations familiales de l'Aude" in page
    assert "Aucun COPIL n’est encore planifié." in page
    copil = Body.objects.create(plan=plan, name="COPIL du CLS", kind=Body.Kind.COPIL)
    when = timezone.now() + timedelta(days=20)
    Meeting.objects.create(body=copil, starts_at=when - timedelta(days=40))  # past
    Meeting.objects.create(body=copil, starts_at=when)
    page = text(client.get("/"))
    assert f"Prochain COPIL : {date_format(timezone.localtime(when), 'l j F Y')}" in page

    client.force_login(pilot)
    page = text(client.get("/"))
    assert "Mes fiches à renseigner" in page and "Fiche n°2 — Soutenir la parentalité" in page
    assert "Campagne de l’année 1" not in page.split("Mes fiches à renseigner")[0]


def test_copil_member_sees_frozen_campaign_and_latest_report():
    plan = build_carcassonne()
    coordinator = member(plan, Role.COORDINATOR)
    copil = member(plan, Role.COPIL, "ars")
    services.open_campaign(plan, 1, timezone.localdate(), opened_by=coordinator)
    Campaign.objects.filter(plan=plan, year=1).update(status=Campaign.Status.FROZEN)
    client = Client()
    client.force_login(copil)
    page = text(client.get("/"))
    assert "campagne figée, en attente des décisions du COPIL" in page
    assert "(0 décision enregistrée)" in page
    Campaign.objects.filter(plan=plan, year=1).update(status=Campaign.Status.VALIDATED)
    page = text(client.get("/"))
    assert "Rapport annuel de l’année 1 (2024)" in page


def test_user_without_plans_gets_a_sentence():
    client = Client()
    client.force_login(UserFactory())
    assert "Vous n’êtes membre d’aucun plan" in text(client.get("/"))
