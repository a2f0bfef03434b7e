"""A confirmed import runs in the background (importers.tasks): its page, its outcome."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pilotis.accounts.models import Membership, Role
from pilotis.core.models import Job
from pilotis.importers import registry, tasks, views
from pilotis.plans.models import Plan
from tests.factories import UserFactory, make_draft
from tests.reports.test_views import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(client, settings, tmp_path, monkeypatch):
    """A coordinator confirmed the preview of a three-fiche plan; no worker has run it yet."""
    settings.VAR_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    user = UserFactory(coordinator=True)
    client.force_login(user)
    draft = make_draft(3)
    monkeypatch.setattr(registry, "parse_document", lambda data, filename: draft)
    upload = SimpleUploadedFile("cls.txt", b"contenu", "text/plain")
    preview = client.post("/plans/import/", {"step": "preview", "document": upload})
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview.content.decode()).group(1)
    response = client.post("/plans/import/", {"step": "confirm", "token": token})
    return response, user, draft, token


def test_the_import_waits_for_the_worker_then_shows_the_plan(client, confirmed):
    response, user, draft, token = confirmed
    job = Job.objects.get(kind="import")
    assert response["Location"] == f"/plans/import/tache/{job.pk}/"
    assert not Plan.objects.exists()  # nothing saved in the request
    page = client.get(response["Location"]).content.decode()
    assert "Import en attente" in text_of(page) and 'aria-live="polite"' in page
    assert "core/job.js" in page

    tasks.import_document.call(str(job.pk))  # what the worker does
    plan = Plan.objects.get(slug=draft.slug)
    assert Membership.objects.filter(user=user, plan=plan, role=Role.COORDINATOR).exists()
    assert not views.pending_path(token).exists()  # the uploaded file is gone with the job
    status = client.get(response["Location"] + "?etat=1").content.decode()
    assert "Import terminé" in text_of(status) and 'data-finished="true"' in status
    assert f'href="/plans/{plan.slug}/"' in status
    assert "3 fiches" in text_of(status)


def test_a_failed_import_says_why_and_saves_nothing(client, confirmed):
    response, _, _, token = confirmed
    views.pending_path(token).unlink()
    job = Job.objects.get(kind="import")
    tasks.import_document.call(str(job.pk))
    text = text_of(client.get(response["Location"]).content.decode())
    assert "L’import n’a pas abouti" in text
    assert "Le document déposé n’est plus disponible : envoyez-le de nouveau." in text
    assert not Plan.objects.exists()


def test_only_who_confirmed_sees_the_import(client, confirmed):
    response, _, _, _ = confirmed
    client.force_login(UserFactory(coordinator=True))
    assert client.get(response["Location"]).status_code == 404
