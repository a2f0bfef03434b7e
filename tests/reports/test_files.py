"""Rendered report files kept by what they show (reports.files): rendered once, then served."""

from __future__ import annotations

import dataclasses

import pytest

from pilotis.reports import files, views
from tests.reports.test_views import annual_url

pytestmark = pytest.mark.django_db


@dataclasses.dataclass(frozen=True)
class Report:
    title: str
    rates: tuple[float, ...]


def test_the_key_follows_the_content_and_the_format():
    report = Report("Année 1", (0.4, 0.6))
    assert files.key(report, "pdf") == files.key(Report("Année 1", (0.4, 0.6)), "pdf")
    assert files.key(report, "pdf") != files.key(report, "docx")
    assert files.key(report, "pdf") != files.key(
        dataclasses.replace(report, rates=(0.4, 0.8)), "pdf"
    )


def test_a_new_renderer_version_changes_the_key(monkeypatch):
    report = Report("Année 1", ())
    before = files.key(report, "pdf")
    monkeypatch.setattr(files, "renderers_digest", lambda: "another version")
    assert files.key(report, "pdf") != before


class Counting:
    def __init__(self, render):
        self.render, self.calls = render, 0

    def __call__(self, report):
        self.calls += 1
        return self.render(report)


def test_a_report_is_rendered_once_until_it_changes(client, plan, reader, monkeypatch):
    from pilotis.followup.models import FicheReport

    counting = Counting(views.ANNUAL_RENDERERS["docx"])
    monkeypatch.setitem(views.ANNUAL_RENDERERS, "docx", counting)
    client.force_login(reader)
    first = client.get(annual_url(plan, fmt="docx"))
    second = client.get(annual_url(plan, fmt="docx"))
    assert first.status_code == second.status_code == 200
    assert counting.calls == 1 and first.content == second.content
    # New data, new file.
    FicheReport.objects.filter(campaign__year=1, fiche__number="1").update(progress_rate=100)
    assert client.get(annual_url(plan, fmt="docx")).status_code == 200
    assert counting.calls == 2


def test_the_final_evaluation_is_kept_too(client, plan, reader, monkeypatch):
    counting = Counting(views.FINAL_RENDERERS["docx"])
    monkeypatch.setitem(views.FINAL_RENDERERS, "docx", counting)
    client.force_login(reader)
    for _ in range(2):
        assert client.get(f"/plans/{plan.slug}/evaluation-finale/docx/").status_code == 200
    assert counting.calls == 1


def test_the_cache_never_bypasses_the_rights(client, plan, reader):
    client.force_login(reader)
    assert client.get(annual_url(plan, fmt="docx")).status_code == 200
    client.logout()
    response = client.get(annual_url(plan, fmt="docx"))
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")
