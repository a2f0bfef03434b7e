"""A plan's perimeter: found from the territory its document names, or picked by hand."""

from __future__ import annotations

from pilotis.observatory import api, loading
from pilotis.observatory.models import PlanPerimeter, Territory
from pilotis.plans import models as pm


def make_plan(slug: str, level: str, name: str, code: str = "") -> pm.Plan:
    territory = pm.Territory.objects.create(level=level, name=name, code=code)
    return pm.Plan.objects.create(slug=slug, kind="cls", title=name, perimeter=territory)


def test_epci_recognised_by_its_name(aude):
    plan = make_plan("cls", "epci", "Carcassonne Agglo")
    ((_, link, basis),) = loading.attach_perimeters([plan])
    assert link.territory == aude["epci"]
    assert "200035715" in basis
    assert [c.code for c in api.communes_of(link.territory).order_by("code")] == [
        "11033",
        "11069",
        "11262",
        "11379",
    ]
    assert api.perimeter_of(plan) == aude["epci"]


def test_department_by_code(aude):
    plan = make_plan("prs", "department", "Aude", "11")
    loading.attach_perimeters([plan])
    assert api.perimeter_of(plan) == aude["11"]
    assert api.communes_of(aude["11"]).count() == 5


def test_listed_communes_make_a_perimeter(aude):
    plan = make_plan("cpts", "perimeter", "CPTS du test")
    for code, name in [("11069", "Carcassonne"), ("11033", "Berriac")]:
        plan.perimeter.communes.add(
            pm.Territory.objects.create(level="commune", code=code, name=name)
        )
    loading.attach_perimeters([plan])
    perimeter = api.perimeter_of(plan)
    assert perimeter.level == Territory.Level.PERIMETER
    assert perimeter.population == 46031 + 1276
    assert sorted(perimeter.members.values_list("code", flat=True)) == ["11033", "11069"]
    assert perimeter.geometry


def test_unknown_territory_is_said(aude):
    plan = make_plan("x", "epci", "Communauté de communes inconnue")
    ((_, link, basis),) = loading.attach_perimeters([plan])
    assert link is None
    assert "aucun territoire" in basis
    assert not PlanPerimeter.objects.exists()


def test_existing_perimeter_kept_and_custom_one_replaces_it(aude):
    plan = make_plan("cls", "epci", "Carcassonne Agglo")
    loading.attach_perimeters([plan])
    loading.set_custom_perimeter(plan, [aude["11069"], aude["11076"]])
    loading.attach_perimeters([plan])
    perimeter = api.perimeter_of(plan)
    assert perimeter.level == "perimeter" and perimeter.commune_count == 2
    assert perimeter.population == 46031 + 11789
