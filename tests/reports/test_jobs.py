"""Report files prepared in the background: the job's page, its states, the file, a retry."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone

from pilotis.accounts.models import Role
from pilotis.core.models import Job
from pilotis.followup.models import Campaign
from pilotis.reports import files, tasks, views
from tests.reports.test_views import annual_url, member, text_of

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def no_worker(settings):
    """Tasks are stored and wait, as when no worker runs (django-tasks' dummy backend)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def run(job: Job) -> None:
    """What the worker does with the job's task."""
    tasks.render_report.call(str(job.pk))


def test_a_file_not_rendered_yet_sends_to_the_page_of_its_job(client, plan, reader, no_worker):
    client.force_login(reader)
    response = client.get(annual_url(plan, fmt="xlsx"))
    job = Job.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/rapports/preparation/{job.pk}/"
    )
    assert job.status == Job.Status.QUEUED and job.requested_by == reader
    assert job.params == {"plan": plan.pk, "report": "annual", "fmt": "xlsx", "year": 1}
    # A second request for the same file joins the job under way.
    assert client.get(annual_url(plan, fmt="xlsx"))["Location"] == response["Location"]
    assert Job.objects.count() == 1

    page = client.get(response["Location"])
    html = page.content.decode()
    assert 'aria-live="polite"' in html and "core/job.js" in html
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    text = text_of(html)
    assert "Rapport annuel d’évaluation — année 1 (2024) (XLSX)" in text
    assert "Préparation du fichier XLSX : en attente" in text
    assert "Aucun service de tâches de fond ne semble actif" not in text

    run(job)
    job.refresh_from_db()
    status = client.get(f"/rapports/preparation/{job.pk}/etat/")
    text = text_of(status.content.decode())
    assert "Le fichier XLSX est prêt" in text and 'data-finished="true"' in status.content.decode()
    assert f'href="/rapports/preparation/{job.pk}/fichier/"' in status.content.decode()
    download = client.get(f"/rapports/preparation/{job.pk}/fichier/")
    assert download["Content-Type"] == XLSX
    assert download["Content-Disposition"] == f'attachment; filename="{job.result["filename"]}"'
    assert openpyxl.load_workbook(io.BytesIO(download.content))["Fiches"].max_row == 2 + 3
    # From now on, the same report is served at once, with no new job.
    again = client.get(annual_url(plan, fmt="xlsx"))
    assert again.status_code == 200 and again.content == download.content
    assert Job.objects.count() == 1


def test_the_page_says_when_no_worker_takes_the_job(client, plan, reader, no_worker, settings):
    client.force_login(reader)
    location = client.get(f"/plans/{plan.slug}/evaluation-finale/docx/")["Location"]
    Job.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.PILOTIS_WORKER_WAIT_SECONDS + 1)
    )
    text = text_of(client.get(location).content.decode())
    assert "Évaluation finale du contrat (DOCX)" in text
    assert "Aucun service de tâches de fond ne semble actif" in text
    assert "pilotis db_worker" in text


def test_a_running_job_shows_its_progress(client, plan, reader, no_worker):
    client.force_login(reader)
    location = client.get(annual_url(plan, fmt="xlsx"))["Location"]
    Job.objects.update(status=Job.Status.RUNNING, progress=20, step="Mise en page du fichier XLSX")
    html = client.get(location + "etat/").content.decode()
    assert "Préparation du fichier XLSX : en cours (20 %)" in text_of(html)
    assert 'max="100" value="20"' in html and 'data-finished="false"' in html


def test_a_failed_render_keeps_no_file_and_can_be_retried(client, plan, reader, monkeypatch):
    def broken(report):
        raise RuntimeError("disk full")

    monkeypatch.setitem(views.ANNUAL_RENDERERS, "xlsx", broken)
    client.force_login(reader)
    response = client.get(annual_url(plan, fmt="xlsx"))
    job = Job.objects.get()
    assert response["Location"] == f"/rapports/preparation/{job.pk}/"
    assert job.status == Job.Status.FAILED
    assert job.error.startswith("Erreur inattendue (RuntimeError)")
    assert files.cached(tasks.build(plan, tasks.Request.of(job.params)), "xlsx") is None
    text = text_of(client.get(response["Location"]).content.decode())
    assert "La préparation du fichier XLSX a échoué" in text
    assert "Aucun fichier incomplet n’a été gardé." in text
    # Retried once the cause is gone: a new job, which renders the file.
    monkeypatch.undo()
    retried = client.post(f"/rapports/preparation/{job.pk}/relancer/")
    new = Job.objects.exclude(pk=job.pk).get()
    assert retried["Location"] == f"/rapports/preparation/{new.pk}/"
    assert new.status == Job.Status.READY
    assert client.get(annual_url(plan, fmt="xlsx"))["Content-Type"] == XLSX


def test_a_job_whose_data_went_away_fails_with_the_reason(client, plan, reader, no_worker):
    client.force_login(reader)
    location = client.get(annual_url(plan, fmt="xlsx"))["Location"]
    Campaign.objects.filter(plan=plan, year=1).delete()
    run(Job.objects.get())
    text = text_of(client.get(location).content.decode())
    assert "Aucune campagne de suivi pour l’année 1 de ce plan." in text


def test_an_interrupted_job_is_shown_so_and_restarted(client, plan, reader, no_worker):
    client.force_login(reader)
    location = client.get(annual_url(plan, fmt="xlsx"))["Location"]
    job = Job.objects.get()
    long_ago = timezone.now() - timedelta(hours=1)
    Job.objects.update(status=Job.Status.RUNNING, started_at=long_ago, heartbeat_at=long_ago)
    html = client.get(location).content.decode()
    assert "Interrompue avant la fin" in text_of(html)
    assert f'action="/rapports/preparation/{job.pk}/relancer/"' in html
    # A new request for the file does not join the dead job.
    assert client.get(annual_url(plan, fmt="xlsx"))["Location"] != location
    job.refresh_from_db()
    assert client.post(location + "relancer/").status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "Interrompue" in job.error


def test_a_job_that_is_not_finished_cannot_be_retried(client, plan, reader, no_worker):
    client.force_login(reader)
    location = client.get(annual_url(plan, fmt="xlsx"))["Location"]
    assert client.post(location + "relancer/")["Location"] == location
    assert client.get(location + "relancer/").status_code == 405
    assert Job.objects.count() == 1


def test_the_job_pages_keep_the_rights_of_the_reports(client, plan, reader, no_worker):
    client.force_login(reader)
    location = client.get(annual_url(plan, fmt="xlsx"))["Location"]
    run(Job.objects.get())
    client.force_login(member(plan, Role.PARTNER, "ars"))
    for url in (location, location + "etat/", location + "fichier/"):
        assert client.get(url).status_code == 403
    assert client.post(location + "relancer/").status_code == 403
    client.logout()
    assert client.get(location + "fichier/")["Location"].startswith("/comptes/login/")
    client.force_login(reader)
    assert (
        client.get("/rapports/preparation/00000000-0000-0000-0000-000000000000/").status_code == 404
    )
