"""Schemathesis run over every operation of the OpenAPI schema: no 5xx, JSON that conforms.

The requests go through the whole WSGI stack (middleware included). Path parameters are mostly
taken from the seeded plan so that the endpoints answer with real data and the follow-up write
really writes; the rest of the time they are generated, like every other parameter and body.
The run is deterministic (fixed seed, derandomized) and bounded (few examples per operation).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.api.conftest import World, build_world

SEED = 20240603
MAX_EXAMPLES = 10


def _config(world: World) -> SchemathesisConfig:
    numbers = list(world.plan.fiches.order_by("position").values_list("number", flat=True))
    keys = list(world.plan.organisations.order_by("key").values_list("key", flat=True))
    sections = list(world.plan.sections.order_by("key").values_list("key", flat=True))
    letters = sorted({a.letter for f in world.plan.fiches.all() for a in f.actions.all()})
    indicators = [i.pk for f in world.plan.fiches.all() for i in f.indicators.all()]
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["all"],
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "dictionaries": {
                "plans": {"values": [world.plan.slug]},
                "numbers": {"values": numbers},
                "years": {"values": [world.campaign.year]},
                "organisations": {"values": keys},
                "sections": {"values": sections},
                # Each successful write adds one to the report's version.
                "versions": {"values": list(range(1, 80))},
                "letters": {"values": letters},
                "indicators": {"values": indicators},
            },
            # Rules the schema cannot state answer 400 by field to schema-valid requests: a
            # section or organisation key that names nothing in the plan (refused rather than
            # an empty list that would hide a typo), and the follow-up form's own rules (an
            # action not due that year, an indicator of another fiche, a number and a text).
            "operations": [
                {
                    "include-path": path,
                    "include-method": method,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "400", "401", "403", "404", "409"]
                        }
                    },
                }
                for path, method in [
                    ("/api/v1/plans/{slug}/fiches", "GET"),
                    ("/api/v1/plans/{slug}/campaigns/{year}/reports/{number}", "PATCH"),
                ]
            ],
            "parameters": {
                "path.slug": {"dictionary": "plans", "probability": 0.9},
                "path.number": {"dictionary": "numbers", "probability": 0.8},
                "path.year": {"dictionary": "years", "probability": 0.8},
                "path.key": {"dictionary": "organisations", "probability": 0.8},
                "query.organisation": {"dictionary": "organisations", "probability": 0.5},
                "query.section": {"dictionary": "sections", "probability": 0.5},
                "body.version": {"dictionary": "versions", "probability": 0.9},
                "body.actions[*].letter": {"dictionary": "letters", "probability": 0.9},
                "body.indicators[*].id": {"dictionary": "indicators", "probability": 0.9},
            },
        }
    )


@pytest.fixture
def fuzz_world(db, settings) -> Iterator[World]:
    # Schemathesis' WSGI client calls itself http://localhost, whatever the settings' mode.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    settings.SECURE_SSL_REDIRECT = False
    # The real WSGI handler closes the database connection after each request, which would end
    # the test's transaction (PostgreSQL): Django's own test client keeps it open the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        # Published: anonymous readers see the plan, not only 404s.
        yield build_world(published=True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


fuzz_settings = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _assert_json(response) -> None:
    assert response.status_code < 500, response.text
    # Lower-case names, a list of values each.
    assert response.headers["content-type"][0].startswith("application/json"), response.text
    json.loads(response.text)


def _fuzz(world: World, headers: dict[str, str]) -> Counter:
    """Every operation, with data that fits the schema and data that does not.

    (schemathesis' own pytest runner, `schemathesis.pytest.from_fixture`, fails under pytest 9:
    hence one hypothesis test per operation and mode, driven here.)
    """
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", WSGIHandler(), config=_config(world)
    )
    statuses: Counter = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    # Writes also aimed at the report of fiche 2, which the CAF co-pilots: valid bodies there
    # are really saved (or meet a 409 once the version has moved on).
    fiche_2 = {"slug": world.plan.slug, "year": world.campaign.year, "number": "2"}
    runs = [(operation, mode, {}) for operation in operations for mode in GenerationMode]
    runs += [(o, GenerationMode.POSITIVE, fiche_2) for o in operations if o.method == "patch"]
    for operation, mode, path_parameters in runs:
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

        @fuzz_settings
        @given(case=strategy)
        def run(case):
            response = case.call_and_validate(headers=headers)
            _assert_json(response)
            statuses[case.method.upper(), response.status_code] += 1

        try:
            run()
        except Unsatisfiable:
            # Nothing of this operation can be made invalid (a single free-text slug).
            assert mode is GenerationMode.NEGATIVE, operation.label
    return statuses


def test_fuzz_anonymous(fuzz_world: World):
    statuses = _fuzz(fuzz_world, {})
    assert statuses["GET", 200] > 0
    assert statuses["PATCH", 401] > 0


def test_fuzz_with_a_pilot_token(fuzz_world: World):
    """The CAF pilot may write fiche 2's follow-up (and not fiche 3's): writes really happen."""
    statuses = _fuzz(fuzz_world, fuzz_world.api("caf_pilot").headers)
    assert statuses["GET", 200] > 0
    assert statuses["PATCH", 200] > 0, statuses
