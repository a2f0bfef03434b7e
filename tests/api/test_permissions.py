"""Permission matrix of the API: every role against every write route and a sample of reads.

What the caller may not see answers 404 (its existence is not told); what it sees but may not
change answers 403; nobody signed in, on a write, answers 401. The rules themselves live in
plans/perms.py and followup/perms.py: this file checks the API applies them.
"""

from __future__ import annotations

import pytest

from pilotis.followup.models import FicheReport
from tests.api.conftest import ROLES, World, build_world
from tests.factories import create_plan

# Columns in the order of ROLES:
# anonymous, outsider, partner (CPAM, partner of fiche 2), COPIL member, pilot of the Agglo (fiche
# 3), pilot of the CAF (co-pilot of fiches 1, 2, 4), coordinator, administrator.
UNPUBLISHED_WRITES = {
    "report 2": (401, 404, 403, 403, 403, 200, 200, 200),
    "report 3": (401, 404, 404, 403, 200, 403, 200, 200),
}
PUBLISHED_WRITES = {
    "report 2": (401, 404, 403, 403, 403, 200, 200, 200),
    "report 3": (401, 404, 404, 403, 200, 403, 200, 200),
}
UNPUBLISHED_READS = {
    "plans/{slug}": (404, 404, 200, 200, 200, 200, 200, 200),
    "plans/{slug}/sections": (404, 404, 200, 200, 200, 200, 200, 200),
    "plans/{slug}/fiches": (404, 404, 200, 200, 200, 200, 200, 200),
    "plans/{slug}/fiches/2": (404, 404, 200, 200, 200, 200, 200, 200),
    "plans/{slug}/fiches/3": (404, 404, 404, 200, 200, 200, 200, 200),
    "plans/{slug}/fiches/3/actions": (404, 404, 404, 200, 200, 200, 200, 200),
    "plans/{slug}/fiches/3/indicators": (404, 404, 404, 200, 200, 200, 200, 200),
    "plans/{slug}/organisations": (404, 404, 404, 200, 200, 200, 200, 200),
    "plans/{slug}/organisations/cpam/fiches": (404, 404, 404, 200, 200, 200, 200, 200),
    "plans/{slug}/campaigns": (404, 404, 200, 200, 200, 200, 200, 200),
    "plans/{slug}/campaigns/2/reports/2": (404, 404, 200, 200, 200, 200, 200, 200),
    "plans/{slug}/campaigns/2/reports/3": (404, 404, 404, 200, 200, 200, 200, 200),
}
PUBLISHED_READS = {
    "plans/{slug}": (200, 200, 200, 200, 200, 200, 200, 200),
    "plans/{slug}/fiches/3": (200, 200, 200, 200, 200, 200, 200, 200),
    "plans/{slug}/organisations": (200, 200, 200, 200, 200, 200, 200, 200),
    # The follow-up stays with the plan's members, published or not.
    "plans/{slug}/campaigns": (404, 404, 200, 200, 200, 200, 200, 200),
    "plans/{slug}/campaigns/2/reports/3": (404, 404, 404, 200, 200, 200, 200, 200),
}


def _cases(table: dict[str, tuple[int, ...]]) -> list:
    return [
        pytest.param(route, who, expected[i], id=f"{route}-{who}")
        for route, expected in table.items()
        for i, who in enumerate(ROLES)
    ]


@pytest.fixture
def published_world(db) -> World:
    return build_world(published=True)


def _write(world: World, route: str, who: str):
    number = route.split()[1]
    report = FicheReport.objects.get(campaign=world.campaign, fiche__number=number)
    before = report.version
    response = world.api(who).patch(
        world.report_url(number), {"version": before, "comment": f"écrit par {who}"}
    )
    report.refresh_from_db()
    # Refused means nothing written.
    if response.status_code == 200:
        assert (report.version, report.comment) == (before + 1, f"écrit par {who}")
    else:
        assert (report.version, report.comment) == (before, "")
    return response


@pytest.mark.parametrize("route, who, expected", _cases(UNPUBLISHED_WRITES))
def test_writes_unpublished(world: World, route, who, expected):
    response = _write(world, route, who)
    assert response.status_code == expected, response.json()
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("route, who, expected", _cases(PUBLISHED_WRITES))
def test_writes_published(published_world: World, route, who, expected):
    response = _write(published_world, route, who)
    assert response.status_code == expected, response.json()


@pytest.mark.parametrize("route, who, expected", _cases(UNPUBLISHED_READS))
def test_reads_unpublished(world: World, route, who, expected):
    response = world.api(who).get(route.format(slug=world.plan.slug))
    assert response.status_code == expected, response.json()


@pytest.mark.parametrize("route, who, expected", _cases(PUBLISHED_READS))
def test_reads_published(published_world: World, route, who, expected):
    response = published_world.api(who).get(route.format(slug=published_world.plan.slug))
    assert response.status_code == expected, response.json()


EVERYONE_BUT_PARTNER = ["1", "2", "3", "4"]


@pytest.mark.parametrize(
    "who, numbers",
    [
        ("partner", ["2"]),
        ("copil", EVERYONE_BUT_PARTNER),
        ("other_pilot", EVERYONE_BUT_PARTNER),
        ("caf_pilot", EVERYONE_BUT_PARTNER),
        ("coordinator", EVERYONE_BUT_PARTNER),
        ("admin", EVERYONE_BUT_PARTNER),
    ],
)
def test_fiche_lists_hold_only_visible_fiches(world: World, who, numbers):
    api = world.api(who)
    listed = api.get(f"plans/{world.plan.slug}/fiches").json()
    assert [f["number"] for f in listed["items"]] == numbers
    assert listed["count"] == len(numbers)
    # Links to fiches the caller may not see are left out too.
    assert api.get(f"plans/{world.plan.slug}/fiches/2").json()["linked_fiches"] == (
        [] if who == "partner" else ["3"]
    )


def test_anonymous_sees_only_published_plans(db):
    hidden = create_plan(1, published=False)
    shown = create_plan(4, published=True)
    anonymous = World(plan=shown, campaign=None).api("anonymous")
    slugs = [p["slug"] for p in anonymous.get("plans").json()["items"]]
    assert slugs == [shown.slug]
    assert hidden.slug not in anonymous.get("plans").content.decode()
    assert anonymous.get(f"plans/{hidden.slug}/fiches").status_code == 404
    assert anonymous.get(f"plans/{shown.slug}/fiches").json()["count"] == 4


def test_members_list_their_unpublished_plan(world: World):
    other = create_plan(1, published=False)  # unpublished, nobody of `world` is a member
    slugs = [p["slug"] for p in world.api("partner").get("plans").json()["items"]]
    assert slugs == [world.plan.slug]
    admin_slugs = {p["slug"] for p in world.api("admin").get("plans").json()["items"]}
    assert admin_slugs == {world.plan.slug, other.slug}
