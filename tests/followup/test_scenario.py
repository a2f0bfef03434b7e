"""Issue 5's whole year on the real Carcassonne CLS, through the pages: open, fill in (form and
spreadsheet), refuse a wrong rate, remind, freeze, decide, validate, read the reports."""

from __future__ import annotations

import io
from datetime import timedelta
from io import StringIO

import docx
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.accounts.models import Role
from pilotis.followup.models import Campaign, Decision, FicheReport
from pilotis.importers.documents import extract_text
from pilotis.importers.persist import save_draft
from pilotis.plans.models import Plan
from tests.factories import UserFactory
from tests.followup.test_spreadsheet_views import as_bytes, confirm, download, put, upload
from tests.followup.test_views import text
from tests.reports.test_renderers import flat
from tests.seeds import carcassonne_draft

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def organisation_of_fiche(plan: Plan, number: str, acronym: str):
    fiche = plan.fiches.get(number=number)
    return next(r.organisation for r in fiche.roles.all() if r.organisation.acronym == acronym)


def test_the_2024_campaign_of_the_carcassonne_cls(smtp, settings):
    settings.PILOTIS_BASE_URL = "https://pilotis.exemple.fr"
    plan = Plan.objects.get(slug=save_draft(carcassonne_draft()).plan_slug)
    caf = organisation_of_fiche(plan, "2", "CAF")
    coordinator = UserFactory(first_name="Claire", last_name="Coordinatrice")
    roles.grant(coordinator, plan, Role.COORDINATOR)
    caf_pilot = UserFactory(first_name="Paule", last_name="Parent")
    roles.grant(caf_pilot, plan, Role.PILOT, [caf])
    other_pilot = UserFactory(first_name="Alain", last_name="Autre")
    other = plan.fiches.exclude(roles__organisation=caf).order_by("position").first()
    roles.grant(other_pilot, plan, Role.PILOT, [other.roles.first().organisation])
    member = UserFactory(first_name="Colette", last_name="Copil")
    roles.grant(member, plan, Role.COPIL)
    base = f"/plans/{plan.slug}/suivi/"

    # The coordinator opens year 1, 2024 for a contract signed in February 2024.
    coordination = signed_in(coordinator)
    deadline = timezone.localdate() + timedelta(days=2)
    response = coordination.post(base, {"year": "1", "deadline": deadline.isoformat()})
    assert response.status_code == 302 and response["Location"] == f"{base}1/"
    campaign = Campaign.objects.get(plan=plan, year=1)
    assert campaign.year_label == "année 1 (2024)"
    assert campaign.reports.count() == 55

    # The CAF pilot fills in fiche 2 in the browser and transmits it…
    pilot = signed_in(caf_pilot)
    form = pilot.get(f"{base}1/fiches/2/").context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data |= {"progress_rate": "60", "objective_reached": "no", "obstacles": "Peu de salles."}
    for row in form.action_rows():
        data[row["done"].html_name] = "yes"
    data["intent"] = "submit"
    assert pilot.post(f"{base}1/fiches/2/", data).status_code == 302
    assert campaign.reports.get(fiche__number="2").status == FicheReport.Status.SUBMITTED

    # … and fiche 9 through the spreadsheet: a co-piloted fiche of the CAF.
    assert "9" in set(roles.fiches_steered_by(caf_pilot, plan).values_list("number", flat=True))
    workbook = download(pilot, plan)
    put(workbook, "Fiches", "9", "Taux d’avancement (%)", 40)
    preview = upload(pilot, plan, ("suivi.xlsx", as_bytes(workbook)), submit=True)
    assert confirm(pilot, plan, preview).status_code == 302
    nine = campaign.reports.get(fiche__number="9")
    assert (nine.progress_rate, nine.status) == (40, FicheReport.Status.SUBMITTED)
    # Fiche 3 is not the CAF's to change.
    assert pilot.post(f"{base}1/fiches/3/", data).status_code == 403

    # Another pilot's upload with 45 % is refused, the cell named, nothing stored.
    wrong = signed_in(other_pilot)
    workbook = download(wrong, plan)
    cell = put(workbook, "Fiches", other.number, "Taux d’avancement (%)", 45)
    response = upload(wrong, plan, ("suivi.xlsx", as_bytes(workbook)))
    assert f"{cell} : 45 n’est pas un taux de l’échelle" in text(response)
    assert campaign.reports.get(fiche=other).version == 1

    # The coordinator reminds the late pilots (the deadline is two days away).
    out = StringIO()
    call_command("remind_late_pilots", "--days", "7", stdout=out)
    recipients = {m["To"] for m in smtp.messages}
    assert other_pilot.email in recipients and caf_pilot.email not in recipients

    # Freezes the campaign; the COPIL records « Renforcement » on fiche 2 and validates.
    assert coordination.post(f"{base}1/figer/").status_code == 302
    copil = signed_in(member)
    form = copil.get(f"{base}1/copil/fiches/2/").context["form"]
    response = copil.post(
        f"{base}1/copil/fiches/2/",
        {**form.initial, "kind": "strengthen", "reason": "Étendre le programme aux pères."},
    )
    assert response.status_code == 302
    response = copil.post(
        f"{base}1/copil/valider/",
        {"validated_on": timezone.localdate().isoformat(), "default_continue": "on"},
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.VALIDATED
    assert Decision.objects.filter(campaign=campaign).count() == 55

    # The reports show it all.
    pdf = coordination.get(f"{base}1/rapport/pdf/")
    assert pdf.content[:5] == b"%PDF-"
    pdf_text = flat(extract_text(pdf.content, "rapport.pdf"))
    for expected in (
        "Contrat local de santé de Carcassonne Agglo",
        "Soutenir la parentalité",
        "Renforcement",
        "Étendre le programme aux pères.",
        "Peu de salles.",
    ):
        assert expected in pdf_text, expected
    assert "Données de démonstration" not in pdf_text
    document = docx.Document(io.BytesIO(coordination.get(f"{base}1/rapport/docx/").content))
    docx_text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert "Renforcement" in docx_text and "Étendre le programme aux pères." in docx_text
    assert "60,0 %" in flat(docx_text)  # fiche 2's rate, as the report writes rates
