"""Issue 3's scenario on the real Carcassonne CLS: a coordinator invites a CAF pilot by e-mail;
the pilot sets a password, updates fiche 2's follow-up (not fiche 3's) in the browser and with an
API token; fiche 2's history names them; anonymous visitors see nothing unpublished."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.accounts.models import Role
from pilotis.followup import services
from pilotis.followup.models import FicheReport
from pilotis.importers.persist import save_draft
from pilotis.plans.models import Plan
from tests.factories import UserFactory
from tests.followup.test_views import text
from tests.seeds import carcassonne_draft

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

AGENT = "referente.parentalite@caf-aude.fr"
PASSWORD = "une phrase de passe bien longue"


def test_a_caf_pilot_from_invitation_to_history(smtp):
    plan = Plan.objects.get(slug=save_draft(carcassonne_draft()).plan_slug)
    assert not plan.published
    caf = plan.organisations.get(key="caf")
    coordinator = UserFactory(first_name="Claire", last_name="Coordinatrice")
    roles.grant(coordinator, plan, Role.COORDINATOR)
    campaign = services.open_campaign(
        plan, 1, timezone.localdate() + timezone.timedelta(days=30), opened_by=coordinator
    )

    # The coordinator invites the CAF's agent as pilot.
    coordination = Client()
    coordination.force_login(coordinator)
    response = coordination.post(
        f"/plans/{plan.slug}/membres/", {"email": AGENT, "role": "pilot", "organisations": [caf.pk]}
    )
    assert response.status_code == 302
    link = smtp.link(smtp.only(), "/comptes/invitation/")

    # The agent sets a password from the e-mail's link, and is signed in.
    pilot = Client()
    response = pilot.post(
        link,
        {
            "first_name": "Paule",
            "last_name": "Parent",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    # « Mes fiches à suivre »: the fiches the CAF pilots or co-pilots, fiche 2 among them.
    todo = pilot.get("/suivi/mes-fiches/").context["pending"]
    numbers = {t.fiche.number for t in todo}
    assert "2" in numbers and "3" not in numbers
    steered = plan.fiches.filter(roles__organisation=caf, roles__role__in=["pilot", "copilot"])
    assert numbers == set(steered.values_list("number", flat=True))

    # Fiche 2 in the browser: saved. Fiche 3: refused, unchanged.
    url = f"/plans/{plan.slug}/suivi/1/fiches/2/"
    form = pilot.get(url).context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields} | {"progress_rate": "40"}
    assert pilot.post(url, data).status_code == 302
    assert (
        pilot.post(
            f"/plans/{plan.slug}/suivi/1/fiches/3/", {"version": "1", "progress_rate": "100"}
        ).status_code
        == 403
    )
    assert FicheReport.objects.get(campaign=campaign, fiche__number="3").progress_rate is None

    # The same through the API, with a token the pilot creates on their account page.
    page = pilot.post("/comptes/jetons/", {"name": "Tableur CAF"})
    secret = page.context["secret"]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    base = f"/api/v1/plans/{plan.slug}/campaigns/1/reports"
    current = api.get(f"{base}/2").json()
    response = api.patch(
        f"{base}/2",
        json.dumps({"version": current["version"], "progress_rate": 60}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    response = api.patch(
        f"{base}/3",
        json.dumps({"version": 1, "progress_rate": 20}),
        content_type="application/json",
    )
    assert response.status_code == 403

    # Fiche 2's history names the pilot (both saves, minutes apart, make one change set).
    history = text(coordination.get(f"/plans/{plan.slug}/fiches/2/historique/"))
    assert "Paule Parent" in history
    assert "Taux d’avancement — 40\u00a0%" in history
    assert "Taux d’avancement 40\u00a0% 60\u00a0%" in history

    # Anonymous visitors see nothing of the unpublished plan, in the pages or the API.
    anonymous = Client()
    assert anonymous.get(f"/plans/{plan.slug}/").status_code == 404
    assert anonymous.get(f"/plans/{plan.slug}/fiches/2/").status_code == 404
    assert anonymous.get(f"/api/v1/plans/{plan.slug}").status_code == 404
    listed = anonymous.get("/api/v1/plans").json()
    assert plan.slug not in json.dumps(listed)
    assert plan.title not in anonymous.get("/").content.decode()
