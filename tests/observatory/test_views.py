"""Observatory pages: plan territory, portrait, indicator map and downloads, the import journey."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pilotis.accounts import roles
from pilotis.accounts.models import Role
from pilotis.observatory import loading
from pilotis.observatory.models import ImportBatch, Indicator, Observation
from tests.factories import FicheFactory, PlanFactory, SectionFactory, UserFactory

from .files import ameli_csv, insee_csv


@pytest.fixture
def plan(aude):
    plan = PlanFactory(slug="cls-carcassonne")
    plan.perimeter.population = 115830
    plan.perimeter.population_source = "CLS de Carcassonne Agglo, partie I"
    plan.perimeter.save()
    loading.attach_perimeters([plan])
    section = SectionFactory(plan=plan, title="Accès aux soins et coordination")
    FicheFactory(plan=plan, section=section, number="14", title="Attirer des médecins")
    FicheFactory(plan=plan, number="31", title="Promouvoir le dépistage des cancers")
    return plan


@pytest.fixture
def observations(aude):
    density = Indicator.objects.get(code="density")
    screening = Indicator.objects.get(code="breast_screening")
    rows = []
    for i, code in enumerate(["11069", "11262", "11379", "11033"]):
        commune = aude[code]
        rows.append(
            Observation(
                indicator=density,
                territory=commune,
                period="2021",
                value=commune.population / 25,
                numerator=commune.population,
                denominator=25,
                source="Insee",
                provenance=f"test.csv, ligne {i + 2}",
            )
        )
        # Berriac's rate rests on 5 women screened: secret.
        cases = 5 if code == "11033" else 400 + i
        rows.append(
            Observation(
                indicator=screening,
                territory=commune,
                period="2022",
                value=cases / 1000 * 100,
                numerator=cases,
                denominator=1000,
                source='=HYPERLINK("x")',
                provenance=f"dep.csv, ligne {i + 2}",
            )
        )
    for place, value in [("11", 50.2), ("76", 52.0), ("FR", 48.0)]:
        rows.append(
            Observation(
                indicator=screening,
                territory=aude[place],
                period="2022",
                value=value,
                source="Santé publique France",
                provenance="spf.csv",
            )
        )
    Observation.objects.bulk_create(rows)


def test_plan_territory_shows_perimeter_map_both_populations_and_fiches(client, plan, observations):
    response = client.get(reverse("observatory:plan_territory", args=[plan.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Communauté d&#x27;agglomération Carcassonne Agglo" in html
    assert "EPCI de code 200035715" in html
    # Computed from the communes, and as the document states it, each with its source.
    assert "55\u202f593</strong> habitants — calculée" in html
    assert "115\u202f830</strong> habitants — selon le document : CLS de Carcassonne Agglo" in html
    assert html.count("<path") == 4  # the perimeter's four communes
    assert "Les 4 communes du périmètre" in html
    # Portrait: the agglomeration against the Aude, Occitanie and France, with the fiches.
    assert '<th scope="col">Aude</th>' in html and '<th scope="col">France</th>' in html
    assert "Fiche 14 — Attirer des médecins" in html
    assert "Fiche 31 — Promouvoir le dépistage des cancers" in html


def test_unpublished_plan_territory_is_hidden(client, plan):
    plan.published = False
    plan.save()
    response = client.get(reverse("observatory:plan_territory", args=[plan.slug]))
    assert response.status_code == 404


def test_portrait_query_count_does_not_grow_with_indicators(
    client, plan, observations, django_assert_num_queries
):
    url = reverse("observatory:territory", args=["epci", "200035715"])
    with django_assert_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    # The rate computed from the communes' numerators and denominators, not a mean of rates.
    assert "Taux de participation au dépistage organisé du cancer du sein" in html
    assert "30,2</strong>" in html  # (400+401+402+5) / 4000


def test_indicator_map_hides_secret_values_and_states_breaks(client, plan, observations):
    url = reverse("observatory:indicator", args=["breast_screening"])
    response = client.get(url, {"territoire": "epci:200035715", "methode": "quantiles"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "Berriac (11033) : secret statistique" in html
    assert "Limites des classes" in html
    assert "moins de 11 cas" in html
    assert "<td>50,2" not in html and "50,2</strong>" in html  # the Aude's value, with its source


def test_downloads(client, plan, observations):
    query = {"territoire": "epci:200035715", "periode": "2022"}
    url = reverse("observatory:download", args=["breast_screening", "csv"])
    response = client.get(url, query)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["code", "commune", "période", "valeur"]
    berriac = next(r for r in rows if r[0] == "11033")
    assert berriac[3] == "" and berriac[4] == "" and berriac[6] == "oui"
    carcassonne = next(r for r in rows if r[0] == "11069")
    assert carcassonne[3] == "40" and carcassonne[7] == '\'=HYPERLINK("x")'
    response = client.get(url.replace(".csv", ".xlsx"), query)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["H2"].data_type == "s" and sheet["H2"].value.startswith("=HYPERLINK")
    response = client.get(url.replace(".csv", ".geojson"), query)
    data = json.loads(response.content)
    assert len(data["features"]) == 4
    assert data["features"][0]["geometry"]["type"] == "Polygon"


@pytest.fixture
def coordinator(plan):
    user = UserFactory(username="coordinatrice")
    roles.grant(user, plan, Role.COORDINATOR)
    return user


def upload(client, data: bytes, name: str, source: str = ""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("observatory:import"),
        {"file": SimpleUploadedFile(name, data), "source": source},
    )


def test_import_is_for_coordinators(client, plan):
    response = client.get(reverse("observatory:import"))
    assert response.status_code == 302
    client.force_login(UserFactory())
    assert client.get(reverse("observatory:import")).status_code == 403


def test_insee_csv_from_a_french_spreadsheet_is_applied(client, coordinator):
    client.force_login(coordinator)
    data = insee_csv(["11069;Carcassonne;46 031;12,1"], preamble=("Source : Insee, RP 2021",))
    response = upload(client, data, "insee.csv")
    response = client.get(response["Location"], follow=True)
    assert (
        "1 valeur(s) importée(s)" in response.content.decode()
        or "2 valeur(s)" in response.content.decode()
    )
    batch = ImportBatch.objects.get()
    assert batch.applied and batch.source == "Insee, RP 2021"
    assert Observation.objects.filter(batch=batch).count() == 2


def test_unknown_commune_is_refused_with_its_row(client, coordinator):
    client.force_login(coordinator)
    data = insee_csv(
        ["11069;Carcassonne;46 031;12,1", "99999;Nulle part;1;1"], preamble=("RP 2021",)
    )
    response = client.get(upload(client, data, "insee.csv")["Location"])
    html = response.content.decode()
    assert "Le fichier n’est pas importé : 1 problème" in html
    assert "insee.csv, ligne 4, colonne « CODGEO » : code commune « 99999 » inconnu" in html
    assert not Observation.objects.filter(batch__isnull=False).exists()


def test_mapping_screen_then_remembered(client, coordinator):
    client.force_login(coordinator)
    data = ameli_csv(["2021;Diabète;Diabète;top;tsage;9;76;11;22000;366000;6.01"])
    location = upload(client, data, "ameli.csv", "CNAM")["Location"]
    html = client.get(location).content.decode()
    assert "fichier long par catégorie" in html
    assert 'name="s0-code"' in html
    form = {
        "s0-code": "dept",
        "s0-level": "department",
        "s0-region_column": "region",
        "s0-period_column": "annee",
        "s0-ind-Ntop": "diabetes_treated_share",
        "s0-role-Ntop": "numerator",
        "s0-ind-Npop": "diabetes_treated_share",
        "s0-role-Npop": "denominator",
        "s0-ind-prev": "diabetes_treated_share",
        "s0-role-prev": "value",
        "s0-filter-col-0": "patho_niv1",
        "s0-filter-val-0": "Diabète",
    }
    response = client.post(location, form, follow=True)
    assert "1 valeur(s) importée(s)" in response.content.decode()
    # Same shape next year: applied without the mapping screen.
    data = ameli_csv(["2022;Diabète;Diabète;top;tsage;9;76;11;23000;367000;6.27"])
    response = client.get(upload(client, data, "ameli-2022.csv", "CNAM")["Location"], follow=True)
    assert "1 valeur(s) importée(s)" in response.content.decode()


def test_department_map_by_epci(client, plan, observations):
    url = reverse("observatory:indicator", args=["density"])
    response = client.get(url, {"territoire": "department:11", "maille": "epci"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Carte des EPCI" in html
    # (46031 + 2623 + 5663 + 1276) / (4 × 25 km²), from the communes' sums.
    assert "Communauté d&#x27;agglomération Carcassonne Agglo (200035715) : 555,9" in html
    response = client.get(
        reverse("observatory:indicator", args=["life_expectancy"]),
        {"territoire": "department:11", "maille": "epci"},
    )
    assert response.status_code == 200
