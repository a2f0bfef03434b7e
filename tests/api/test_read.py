"""Read endpoints: what they answer, their filters, pagination, and pinned query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import Api, World, build_world
from tests.factories import create_plan


@pytest.fixture
def coordinator(world: World) -> Api:
    return world.api("coordinator")


def test_plans_list_is_paginated(db):
    plans = [create_plan(1, published=True) for _ in range(3)]
    response = Api().get("plans?limit=2&offset=1")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert (body["limit"], body["offset"]) == (2, 1)
    titles = sorted(p.title for p in plans)
    assert [p["title"] for p in body["items"]] == titles[1:3]
    assert Api().get("plans?offset=10").json()["items"] == []
    assert Api().get("plans?limit=201").status_code == 400


def test_plan_detail(world: World, coordinator: Api):
    body = coordinator.get(f"plans/{world.plan.slug}").json()
    assert body["slug"] == world.plan.slug
    assert body["kind_label"] == "Contrat local de santé"
    assert body["contract_years"][0] == {"year": 1, "calendar_year": 2024}
    assert body["levels"] == ["Ambition", "Objectif général"]
    assert (body["fiche_count"], body["section_count"], body["organisation_count"]) == (4, 4, 5)
    assert body["perimeter"]["name"] == "Carcassonne Agglo"


def test_sections_flat_tree(world: World, coordinator: Api):
    items = coordinator.get(f"plans/{world.plan.slug}/sections").json()["items"]
    by_key = {s["key"]: s for s in items}
    assert [s["key"] for s in items] == ["A1", "A1.O1", "A1.O2", "A2"]
    assert by_key["A1.O1"]["parent_key"] == "A1"
    assert by_key["A1.O1"]["parent_id"] == by_key["A1"]["id"]
    assert by_key["A1.O1"]["depth"] == 1
    assert by_key["A1.O1"]["level_name"] == "Objectif général"
    assert by_key["A2"]["parent_id"] is None


def test_fiche_detail_has_every_field(world: World, coordinator: Api):
    body = coordinator.get(f"plans/{world.plan.slug}/fiches/2").json()
    assert body["title"] == "Soutenir la parentalité"
    assert [s["key"] for s in body["sections"]] == ["A1", "A1.O1"]
    pilots = {(p["as_written"], p["organisation"]["key"], p["role"]) for p in body["pilots"]}
    assert pilots == {("CAF", "caf", "copilot"), ("CD", "departement-aude", "copilot")}
    partners = {p["organisation"]["key"] for p in body["partners"]}
    assert partners == {"ars", "cpam"}
    action_a, action_b, action_c = body["actions"]
    assert action_a["deadline_years"] == [1, 2, 3, 4, 5]
    assert action_a["calendar_years"] == [2024, 2025, 2026, 2027, 2028]
    assert action_b["calendar_years"] == [2025, 2026]
    assert action_c["deadline_years"] == []
    letters = {i["text"]: i["action_letters"] for i in body["indicators"]}
    assert letters == {"Bénéficiaires": ["A"], "Évolution des cours": ["B", "C"]}
    assert body["programmes"] == [
        {
            "code": "prs",
            "name": "Projet régional de santé Occitanie",
            "as_written": "PRS Occitanie 2023-2028",
        }
    ]
    assert body["linked_fiches"] == ["3"]
    assert body["extra"] == {"Financements": "CAF, ARS"}
    assert body["source"] == {"document": "cls-test.txt", "first_line": 100, "last_line": 180}
    assert body["url"] == f"/plans/{world.plan.slug}/fiches/2/"


def test_fiche_actions_and_indicators(world: World, coordinator: Api):
    actions = coordinator.get(f"plans/{world.plan.slug}/fiches/2/actions?limit=2").json()
    assert actions["count"] == 3
    assert [a["letter"] for a in actions["items"]] == ["A", "B"]
    indicators = coordinator.get(f"plans/{world.plan.slug}/fiches/2/indicators").json()
    assert {i["kind"] for i in indicators["items"]} == {"result", "monitoring"}


def test_fiche_filters(world: World, coordinator: Api):
    def numbers(query: str) -> list[str]:
        response = coordinator.get(f"plans/{world.plan.slug}/fiches?{query}")
        assert response.status_code == 200, response.json()
        return [f["number"] for f in response.json()["items"]]

    assert numbers("") == ["1", "2", "3", "4"]
    # A section brings the fiches of its subsections.
    assert numbers("section=A1") == ["1", "2", "3", "4"]
    assert numbers("section=A1.O1") == ["2", "4"]
    assert numbers("section=A2") == []
    assert numbers("organisation=agglo") == ["3"]
    assert numbers("organisation=caf") == ["1", "2", "4"]
    assert numbers("q=parentalite") == ["2"]
    assert numbers("q=PARENTALITÉ&organisation=caf") == ["2"]
    unknown = coordinator.get(f"plans/{world.plan.slug}/fiches?section=Z9")
    assert unknown.status_code == 400
    assert list(unknown.json()["errors"]) == ["section"]


def test_fiche_list_gives_pilots_resolved(world: World, coordinator: Api):
    items = coordinator.get(f"plans/{world.plan.slug}/fiches?limit=1&offset=2").json()["items"]
    assert len(items) == 1
    fiche = items[0]
    assert fiche["number"] == "3"
    assert {p["organisation"]["key"] for p in fiche["pilots"]} == {"departement-aude", "agglo"}
    assert (fiche["action_count"], fiche["indicator_count"]) == (3, 2)


def test_organisations_and_their_fiches(world: World, coordinator: Api):
    slug = world.plan.slug
    body = coordinator.get(f"plans/{slug}/organisations").json()
    # By name; the order of capitals and accents is the database's collation: not asserted.
    assert body["count"] == 5
    assert {o["key"] for o in body["items"]} == {"ars", "caf", "agglo", "cpam", "departement-aude"}
    assert coordinator.get(f"plans/{slug}/organisations/caf").json()["aliases"] == ["CAF"]
    fiches = coordinator.get(f"plans/{slug}/organisations/cpam/fiches").json()["items"]
    assert fiches == [
        {
            "number": "2",
            "title": "Soutenir la parentalité",
            "roles": ["partner"],
            "roles_as_written": ["CPAM"],
            "url": f"/plans/{slug}/fiches/2/",
        }
    ]
    assert coordinator.get(f"plans/{slug}/organisations/inconnue/fiches").status_code == 404


# --- Query counts: constant in the number of fiches ----------------------------------------------


def _queries(api: Api, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return len(queries)


LISTS = [
    "plans",
    "plans/{slug}/fiches",
    "plans/{slug}/fiches?section=A1&organisation=caf&q=fiche",
    "plans/{slug}/sections",
    "plans/{slug}/organisations",
    "plans/{slug}/organisations/caf/fiches",
    "plans/{slug}/fiches/2",
    "plans/{slug}/campaigns",
]

# The token (1), the caller's memberships (1), the plan (1), then the endpoint's own: a count
# and a page for lists, the prefetched parts for a fiche.
PINNED = {
    "plans": 4,
    "plans/{slug}/fiches": 6,
    "plans/{slug}/fiches?section=A1&organisation=caf&q=fiche": 8,
    "plans/{slug}/sections": 5,
    "plans/{slug}/organisations": 5,
    "plans/{slug}/organisations/caf/fiches": 7,
    "plans/{slug}/fiches/2": 10,
    "plans/{slug}/campaigns": 5,
}


@pytest.mark.parametrize("who", ["coordinator", "partner"])
@pytest.mark.parametrize("path", LISTS)
def test_query_counts_do_not_grow_with_fiches(db, path, who):
    counts = []
    for n in (4, 12):
        world = build_world(n)
        api = world.api(who)
        url = path.format(slug=world.plan.slug)
        api.get("plans")  # the token's first use is written once: not part of the count
        response = api.get(url)
        if response.status_code == 404:
            counts.append(None)
            continue
        counts.append(_queries(api, url))
    assert counts[0] == counts[1], counts
    if who == "coordinator":
        assert counts[0] == PINNED[path]
