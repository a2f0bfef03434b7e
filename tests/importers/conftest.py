"""Fixtures shared by the importer tests."""

import pytest

from pilotis.importers.persist import FicheLink
from pilotis.plans import models as m

STORED_MODELS = [
    m.Territory,
    m.Plan,
    m.Section,
    m.Organisation,
    m.Programme,
    m.Fiche,
    m.FicheRole,
    m.FicheProgramme,
    m.Action,
    m.FicheIndicator,
    FicheLink,
    m.UnplacedLine,
]


def snapshot() -> dict[str, list[dict]]:
    """Every stored row of the plan tables, by model, ordered by id."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in STORED_MODELS}


@pytest.fixture
def db_snapshot():
    return snapshot
