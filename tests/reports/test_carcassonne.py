"""The 55 fiches of the Carcassonne CLS with the demo campaigns: every report generates."""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest
from django.core.management import call_command

from pilotis.accounts.models import Role
from pilotis.followup.demo import CARCASSONNE
from pilotis.importers.documents import extract_text
from pilotis.importers.persist import save_draft
from pilotis.plans.models import Plan
from tests.reports.test_renderers import flat
from tests.reports.test_views import member
from tests.seeds import carcassonne_draft

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def carcassonne(db) -> Plan:
    save_draft(carcassonne_draft())
    call_command("demo_campaign", stdout=io.StringIO())
    return Plan.objects.get(slug=CARCASSONNE)


def test_carcassonne_reports_generate(client, carcassonne):
    client.force_login(member(carcassonne, Role.COORDINATOR))
    base = f"/plans/{carcassonne.slug}/suivi/1/rapport/"
    page = client.get(base)
    assert page.status_code == 200
    report = page.context["report"]
    assert len(report.fiches) == 55 and report.is_demo
    assert [level.name for level in report.section_levels] == ["Ambition", "Objectif général"]
    assert len(report.section_levels[0].rows) == 5 and len(report.section_levels[1].rows) == 26
    assert len(report.late) == 1
    # One line per objective: the chart of the 26 objectives fits an A4 page.
    assert report.section_levels[1].chart.height < 900
    assert report.fiches[1].decision.kind_label == "Renforcement"

    pdf = client.get(base + "pdf/").content
    text = flat(extract_text(pdf, "rapport.pdf"))
    assert "Contrat local de santé de Carcassonne Agglo" in text
    assert "Données de démonstration" in text
    assert "Fiche n°55" in text

    document = docx.Document(io.BytesIO(client.get(base + "docx/").content))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert len(headings) == 55
    book = openpyxl.load_workbook(io.BytesIO(client.get(base + "xlsx/").content))
    assert book["Fiches"].max_row == 2 + 55

    # Year 2 shows the indicators' evolution from year 1, the final evaluation both years.
    year2 = client.get(f"/plans/{carcassonne.slug}/suivi/2/rapport/").context["report"]
    changes = [i.change for f in year2.fiches for i in f.indicators if i.change_absolute]
    assert changes
    final = client.get(f"/plans/{carcassonne.slug}/evaluation-finale/")
    assert final.status_code == 200
    assert final.context["report"].contract[1].rate is not None
    assert client.get(f"/plans/{carcassonne.slug}/evaluation-finale/pdf/").content[:4] == b"%PDF"
