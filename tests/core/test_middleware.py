"""A NUL character in an address: 404 in a path, 400 in a query string, on every route and on
both databases (issue 9, item 4: PostgreSQL answered 500)."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import create_plan

pytestmark = pytest.mark.django_db

SAMPLES = {"int": "1", "slug": "{slug}", "str": "2", "path": "x"}


def routes(resolver=None, prefix: str = "") -> list[str]:
    """Every route of the project as a path template (converters replaced by sample values)."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = getattr(entry.pattern, "_route", None)
        if pattern is None:  # a regular expression (static files…): not ours
            continue
        route = prefix + pattern
        if isinstance(entry, URLResolver):
            found += routes(entry, route)
        elif isinstance(entry, URLPattern):
            found.append(
                re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "str", "x"), route)
            )
    return sorted(set(found))


def test_every_route_answers_404_to_a_nul_in_its_path(client):
    plan = create_plan(2)
    paths = routes()
    assert len(paths) > 40 and "plans/{slug}/fiches/2/" in paths
    for path in paths:
        path = "/" + path.format(slug=plan.slug)
        # The NUL at the end of the path and inside its last segment.
        stem = path.rstrip("/")
        for probe in (path + "%00", stem + "%00" + ("/" if path.endswith("/") else "")):
            # followed: CommonMiddleware may first add the slash a route wants (a 301)
            assert client.get(probe, follow=True).status_code == 404, probe
            assert client.post(probe).status_code in (301, 404), probe


@pytest.mark.parametrize(
    "address",
    ["/recherche/?q=%00", "/recherche/?q=soins%00x", "/?%00=1", "/plans/{slug}/?x=%00"],
)
def test_a_nul_in_a_query_string_answers_400(client, address):
    plan = create_plan(1)
    response = client.get(address.format(slug=plan.slug))
    assert response.status_code == 400


def test_the_api_answers_json_to_a_nul(client):
    response = client.get("/api/v1/plans/%00/")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    response = client.get("/api/v1/plans/?q=%00")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")


def test_issue_addresses(client):
    plan = create_plan(2)
    for path in (
        f"/plans/{plan.slug}/fiches/2%00/",
        f"/plans/{plan.slug}/suivi/1/fiches/2%00/",
        f"/plans/{plan.slug}/suivi/1/copil/fiches/2%00/",
    ):
        assert client.get(path).status_code == 404, path
