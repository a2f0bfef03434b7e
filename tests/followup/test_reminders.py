"""`pilotis remind_late_pilots` through a real local SMTP server: who gets what, dry run, errors."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.followup import services
from pilotis.followup.models import Campaign, FicheReport
from tests.conftest import free_port
from tests.followup.conftest import build_carcassonne, member

pytestmark = pytest.mark.django_db

BASE = "https://pilotis.exemple.fr"


@pytest.fixture
def base_url(settings):
    settings.PILOTIS_BASE_URL = BASE


@pytest.fixture
def late_campaign(plan, people):
    """Year 1 of the plan, its deadline passed two days ago."""
    return services.open_campaign(plan, 1, timezone.localdate() - timedelta(days=2))


def run(*args) -> str:
    out = StringIO()
    call_command("remind_late_pilots", *args, stdout=out, stderr=out)
    return out.getvalue()


def by_recipient(smtp) -> dict:
    return {m["To"]: m for m in smtp.messages}


def test_each_pilot_is_reminded_of_their_late_fiches(smtp, base_url, plan, people, late_campaign):
    output = run()
    messages = by_recipient(smtp)
    # The CAF co-pilots fiche 2; Carcassonne Agglo pilots fiche 3. Fiche 1 (the Département)
    # has no pilot account: the output says so. COPIL members and partners get nothing.
    assert set(messages) == {people.caf_pilot.email, people.agglo_pilot.email}
    caf = messages[people.caf_pilot.email]
    assert caf["Subject"].strip() == "Pilotis : 1 fiche à transmettre pour le suivi annuel"
    body = smtp.body(caf)
    assert body.startswith("Bonjour Paule Parent,")
    assert "Cette fiche, que votre organisation pilote ou co-pilote, n’a pas encore été" in body
    assert "Contrat local de santé de Carcassonne Agglo 2024-2028 — suivi de l’année 1 (2024)" in (
        body
    )
    deadline = late_campaign.deadline
    assert f"Date limite de saisie : {deadline.day} " in body and "(dépassée)" in body
    assert "- Fiche n°2 — Soutenir la parentalité (à faire)" in body
    assert "Fiche n°3" not in body  # the CAF is only a partner there
    assert smtp.link(caf, "/plans/", host=BASE) == f"/plans/{plan.slug}/suivi/1/fiches/2/"
    assert f"{BASE}/suivi/mes-fiches/" in body
    assert "Fiche n°3 — Développer l'offre de soins de proximité" in smtp.body(
        messages[people.agglo_pilot.email]
    )
    assert "Envoyé à" in output and "2 courriels envoyés sur 2." in output
    assert "Personne à relancer pour la fiche n°1" in output


def test_transmitted_fiches_are_not_chased(smtp, base_url, plan, people, late_campaign):
    FicheReport.objects.filter(campaign=late_campaign, fiche__number="2").update(status="submitted")
    FicheReport.objects.filter(campaign=late_campaign, fiche__number="3").update(
        status="in_progress"
    )
    run()
    assert list(by_recipient(smtp)) == [people.agglo_pilot.email]
    body = smtp.body(smtp.only())
    assert "(en cours)" in body


def test_a_pilot_with_several_plans_gets_one_message(smtp, base_url, plan, people, late_campaign):
    other = build_carcassonne(slug="cls-limoux")
    roles.grant(people.caf_pilot, other, "pilot", other.organisations.filter(key="caf"))
    services.open_campaign(other, 1, timezone.localdate() + timedelta(days=3))
    run()
    message = by_recipient(smtp)[people.caf_pilot.email]
    assert message["Subject"].strip() == "Pilotis : 2 fiches à transmettre pour le suivi annuel"
    body = smtp.body(message)
    assert body.count("- Fiche n°2 — Soutenir la parentalité") == 2
    assert f"{BASE}/plans/cls-limoux/suivi/1/fiches/2/" in body
    # The nearest deadline (the passed one) first.
    assert body.index(f"/plans/{plan.slug}/") < body.index("/plans/cls-limoux/")


def test_dry_run_prints_and_sends_nothing(smtp, base_url, plan, people, late_campaign):
    output = run("--dry-run")
    assert smtp.messages == []
    assert f"Enverrait à {people.caf_pilot.email} (Paule Parent) : 1 fiche" in output
    assert (
        f"fiche n°2 — Soutenir la parentalité (à faire, en retard) "
        f"{BASE}/plans/{plan.slug}/suivi/1/fiches/2/"
    ) in output
    assert "Simulation : 2 courriels auraient été envoyés, rien n’est parti." in output


def test_only_near_or_past_deadlines_of_open_campaigns(smtp, base_url, plan, people):
    campaign = services.open_campaign(plan, 1, timezone.localdate() + timedelta(days=20))
    assert "personne à relancer" in run()
    assert smtp.messages == []
    assert len(run("--days", "30").splitlines()) > 1 and len(smtp.messages) == 2
    smtp.messages.clear()
    Campaign.objects.filter(pk=campaign.pk).update(
        deadline=timezone.localdate() + timedelta(days=6)
    )
    run()
    assert len(smtp.messages) == 2
    smtp.messages.clear()
    services.freeze_campaign(campaign)
    run()
    assert smtp.messages == []


def test_plan_option_and_accounts_without_address(smtp, base_url, plan, people, late_campaign):
    other = build_carcassonne(slug="cls-limoux")
    services.open_campaign(other, 1, timezone.localdate())
    member(other, "pilot", "caf", email="caf.limoux@example.org")
    run("--plan", "cls-limoux")
    assert [m["To"] for m in smtp.messages] == ["caf.limoux@example.org"]
    smtp.messages.clear()
    people.caf_pilot.email = ""
    people.caf_pilot.save()
    inactive = people.agglo_pilot
    inactive.is_active = False
    inactive.save()
    output = run("--plan", plan.slug)
    assert smtp.messages == []
    assert "Personne à relancer pour la fiche n°2" in output
    with pytest.raises(CommandError, match="Aucun plan n’a l’identifiant « inconnu »"):
        run("--plan", "inconnu")


def test_without_base_url_the_command_stops(settings, plan, late_campaign):
    settings.PILOTIS_BASE_URL = None
    with pytest.raises(CommandError, match="PILOTIS_BASE_URL"):
        run()


def test_an_unreachable_server_fails_the_run(settings, base_url, plan, people, late_campaign):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with pytest.raises(CommandError, match="2 courriels n’ont pas pu partir."):
        run()


def test_demonstration_campaigns_are_never_chased(smtp, base_url, plan, people, late_campaign):
    # `make demo` fills a campaign with generated values: its (real) pilots owe it nothing.
    Campaign.objects.filter(pk=late_campaign.pk).update(is_demo=True)
    output = run()
    assert smtp.messages == []
    assert "Carcassonne" not in output


def test_with_a_worker_the_reminders_are_a_background_task(
    smtp, settings, base_url, plan, people, late_campaign
):
    """The command queues the task and returns; the worker sends (django-tasks)."""
    from pilotis.core.models import Job
    from pilotis.followup import tasks

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    output = run()
    job = Job.objects.get(kind="reminders")
    assert f"Relances confiées au service de tâches de fond (tâche {job.pk})" in output
    assert smtp.messages == [] and job.status == Job.Status.QUEUED
    assert run() == output and Job.objects.count() == 1  # a second run joins the queued one
    tasks.remind_late_pilots.call(str(job.pk))  # what the worker does
    job.refresh_from_db()
    assert job.status == Job.Status.READY and job.result["failed"] == 0
    assert len(smtp.messages) == 2
    assert ["out", "2 courriels envoyés sur 2."] in job.result["lines"]
