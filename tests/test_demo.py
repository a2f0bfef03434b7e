"""`make demo`'s data step on the real seed documents: four plans, linked, and an account."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from pilotis.plans.models import CrossLink, Plan, PlanSectionLink

PHONE = re.compile(r"(?<!\d)0[1-9](?:[ .]?\d{2}){4}(?!\d)")
WEBMAIL = re.compile(r"[\w.-]+@(?:gmail|hotmail|sfr|orange|yahoo)\.")

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_seed_demo_loads_the_four_plans_and_links_them(settings, client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    kinds = sorted(Plan.objects.values_list("kind", flat=True))
    assert kinds == ["cls", "cls", "cpts", "prs_scheme"]
    assert "001_78a9efdf112cd05a.txt : ignoré" in out.getvalue()
    assert "4 plans de démonstration publiés" in out.getvalue()
    assert set(Plan.objects.values_list("published", "is_demo")) == {(True, True)}

    cls = Plan.objects.get(slug="contrat-local-de-sante-de-carcassonne-agglo-2024-2029")
    cpts = Plan.objects.get(kind=Plan.Kind.CPTS)
    assert PlanSectionLink.objects.filter(plan=cls).count() == 6  # the PRS engagements served
    to_cpts = CrossLink.objects.filter(source_plan=cls, target_plan=cpts, target_fiche=None)
    # Fiche 15 ("Accompagner les projets de santé des CPTS") is proposed the CPTS project; a
    # fiche naming the CPTS du Bassin Carcassonnais is linked to it.
    assert to_cpts.get(source_fiche__number="15").status == CrossLink.Status.PROPOSED
    assert to_cpts.get(source_fiche__number="18").status == CrossLink.Status.ACCEPTED

    # The coordinator accepts fiche 15's link on its page; the fiche then shows it to all.
    login = client.post(
        "/comptes/login/",
        {"username": "coordinatrice", "password": _password(out.getvalue())},
    )
    assert login.status_code == 302
    link = to_cpts.get(source_fiche__number="15")
    response = client.post(f"/plans/{cls.slug}/liens/{link.pk}/decision/", {"decision": "accepted"})
    assert response.status_code == 302
    client.logout()
    page = client.get(f"/plans/{cls.slug}/fiches/15/").content.decode()
    assert "Le plan entier : Projet de Santé – CPTS Bassin Carcassonnais" in page

    # Published, the CPTS project shows no personal phone number or e-mail (issue 13, RGPD):
    # they were taken out at import and listed, masked, in the import report.
    assert "Démonstration" in client.get("/").content.decode()
    pages = [f"/plans/{cpts.slug}/", f"/plans/{cpts.slug}/donnees/"] + [
        f"/plans/{cpts.slug}/fiches/{number}/"
        for number in cpts.fiches.values_list("number", flat=True)
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert not PHONE.search(page), (url, PHONE.search(page))
        assert not WEBMAIL.search(page), (url, WEBMAIL.search(page))
    reasons = cpts.unplaced_lines.filter(reason="Donnée personnelle écartée")
    assert reasons.filter(text__startswith="Numéro de téléphone 06 … 05").exists()


def _password(output: str) -> str:
    return output.split("mot de passe « ", 1)[1].split(" »", 1)[0]
