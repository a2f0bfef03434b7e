"""Fixtures of the API tests: a plan with a member in every role, tokens, a JSON client."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.accounts.models import Role
from pilotis.api import tokens
from pilotis.followup import services
from pilotis.followup.models import Campaign
from pilotis.plans.models import FicheRole, Plan
from tests.factories import FicheRoleFactory, OrganisationFactory, UserFactory, create_plan

API = "/api/v1"


class Api:
    """A test client speaking JSON to the API, with a token (or a session, or nobody)."""

    def __init__(self, secret: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def _call(self, method: str, path: str, body: Any = None, **kw) -> Any:
        url = path if path.startswith("/") else f"{API}/{path}"
        if body is not None:
            kw.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method)(
            url, headers={**self.headers, **kw.pop("headers", {})}, **kw
        )

    def get(self, path: str, **kw) -> Any:
        return self._call("get", path, **kw)

    def patch(self, path: str, body: Any = None, **kw) -> Any:
        return self._call("patch", path, body, **kw)

    def post(self, path: str, body: Any = None, **kw) -> Any:
        return self._call("post", path, body, **kw)


@dataclass
class World:
    """The Carcassonne-like plan of the tests, who holds which role in it, its open campaign.

    Fiche 3 is piloted by the Agglo alone (the CAF co-pilots the others); the CPAM is a partner
    of fiche 2 only.
    """

    plan: Any
    campaign: Any
    users: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    def api(self, who: str) -> Api:
        if who == "anonymous":
            return Api()
        if who not in self.secrets:
            _, self.secrets[who] = tokens.create(self.users[who], f"jeton de {who}")
        return Api(self.secrets[who])

    def report_url(self, number: str | int, year: int | None = None) -> str:
        year = year or self.campaign.year
        return f"plans/{self.plan.slug}/campaigns/{year}/reports/{number}"


ROLES = [
    "anonymous",
    "outsider",
    "partner",
    "copil",
    "other_pilot",
    "caf_pilot",
    "coordinator",
    "admin",
]


def build_world(n_fiches: int = 4, published: bool = False) -> World:
    plan = create_plan(n_fiches, published=published)
    organisations = {o.key: o for o in plan.organisations.all()}
    cpam = OrganisationFactory(plan=plan, key="cpam", name="CPAM de l'Aude", acronym="CPAM")
    agglo = OrganisationFactory(plan=plan, key="agglo", name="Carcassonne Agglo", acronym="CA")
    fiches = {f.number: f for f in plan.fiches.all()}
    FicheRole.objects.filter(fiche=fiches["3"], organisation=organisations["caf"]).delete()
    FicheRoleFactory(fiche=fiches["3"], organisation=agglo, role="pilot", as_written="Agglo")
    FicheRoleFactory(fiche=fiches["2"], organisation=cpam, role="partner", as_written="CPAM")
    users = {
        "outsider": UserFactory(username="dehors"),
        "partner": UserFactory(username="partenaire-cpam"),
        "copil": UserFactory(username="copil"),
        "other_pilot": UserFactory(username="pilote-agglo"),
        "caf_pilot": UserFactory(username="pilote-caf", first_name="Camille", last_name="Caf"),
        "coordinator": UserFactory(username="coordination"),
        "admin": UserFactory(username="admin", is_superuser=True, is_staff=True),
    }
    roles.grant(users["partner"], plan, Role.PARTNER, [cpam])
    roles.grant(users["copil"], plan, Role.COPIL)
    roles.grant(users["other_pilot"], plan, Role.PILOT, [agglo])
    roles.grant(users["caf_pilot"], plan, Role.PILOT, [organisations["caf"]])
    roles.grant(users["coordinator"], plan, Role.COORDINATOR)
    # Year 2: actions A (years 1 to 5) and B (years 2 and 3) are due, C has no deadline.
    campaign = services.open_campaign(
        plan, 2, timezone.localdate() + timedelta(days=30), opened_by=users["coordinator"]
    )
    return World(plan=plan, campaign=campaign, users=users)


@pytest.fixture(autouse=True)
def _shared_world(request, module_rows):
    """The world of a module is written once, for its tests that ask for `world`."""
    if "world" in request.fixturenames:
        module_rows.keep(lambda: world_keys(build_world()))
    else:
        module_rows.release()


def world_keys(world: World) -> dict[str, Any]:
    return {
        "plan": world.plan.pk,
        "campaign": world.campaign.pk,
        "users": {who: user.pk for who, user in world.users.items()},
    }


@pytest.fixture
def world(db, module_rows) -> World:
    """build_world()'s rows, written once per module (tests/conftest.py: ModuleRows), read
    afresh for each test: what a test changes, in the database or on these objects, stays in it."""
    module_rows.check_shared()
    keys = module_rows.value
    users = get_user_model().objects.in_bulk(keys["users"].values())
    return World(
        plan=Plan.objects.get(pk=keys["plan"]),
        campaign=Campaign.objects.get(pk=keys["campaign"]),
        users={who: users[pk] for who, pk in keys["users"].items()},
    )
