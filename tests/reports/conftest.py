"""Fixtures of the report tests: a three-fiche plan with two campaigns filled in, and readers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.accounts.models import Role
from pilotis.followup import services
from pilotis.followup.models import (
    ActionStatus,
    Campaign,
    Decision,
    FicheReport,
    IndicatorValue,
)
from pilotis.plans.models import Plan
from tests.factories import FicheIndicatorFactory, UserFactory, create_plan


def fill(
    campaign: Campaign,
    number: str,
    status: str,
    rate: int | None = None,
    reached: bool | None = None,
    actions: dict[str, str] | None = None,
    values: dict[str, Decimal | str] | None = None,
    obstacles: str = "",
) -> FicheReport:
    """Write a fiche's report as a pilot would have: answers by action letter, values by text."""
    report = FicheReport.objects.get(campaign=campaign, fiche__number=number)
    report.status = status
    report.progress_rate = rate
    report.objective_reached = reached
    report.obstacles = obstacles
    report.updated_at = timezone.now()
    report.save()
    fiche = report.fiche
    for letter, done in (actions or {}).items():
        ActionStatus.objects.create(
            plan=campaign.plan, report=report, action=fiche.actions.get(letter=letter), done=done
        )
    for text, value in (values or {}).items():
        number_value = value if isinstance(value, Decimal) else None
        IndicatorValue.objects.create(
            plan=campaign.plan,
            report=report,
            indicator=fiche.indicators.get(text=text),
            value_number=number_value,
            value_text="" if number_value is not None else value,
            unit="cours" if number_value is not None else "",
        )
    return report


def build_followed_plan(n_fiches: int = 3, is_demo: bool = False, **plan_fields) -> Plan:
    """create_plan's sections and fiches, two campaigns filled in, a COPIL decision.

    Year 1: fiche 1 transmitted at 40 % (objective not reached, action A done), fiche 2 validated
    at 60 % (objective reached, A partly done, 4 courses), fiche 3 still in progress at 80 %
    (late: not counted). Year 2: fiches 1 and 2 at 60 % and 80 % (6 courses), fiche 3 to do.
    The COPIL decided « Renforcement » for fiche 2 in year 1.
    """
    plan = create_plan(n_fiches=n_fiches, **plan_fields)
    fiche2 = plan.fiches.get(number="2")
    FicheIndicatorFactory(
        fiche=fiche2, kind="result", action_letters=["B"], text="Nombre de cours réalisés"
    )
    FicheIndicatorFactory(
        fiche=fiche2,
        kind="monitoring",
        action_letters=["B"],
        text="Evolution du nombre de cours",
    )
    year1 = services.open_campaign(plan, 1, date(2025, 1, 31), allow_partial=True)
    year2 = services.open_campaign(plan, 2, date(2026, 1, 31), allow_partial=True)
    if is_demo:
        Campaign.objects.filter(plan=plan).update(is_demo=True)
    fill(year1, "1", "submitted", 40, False, {"A": "yes"}, {"Bénéficiaires": Decimal(120)})
    fill(
        year1,
        "2",
        "validated",
        60,
        True,
        {"A": "partly"},
        {"Nombre de cours réalisés": Decimal(4), "Bénéficiaires": "Programme lancé"},
        obstacles="Difficulté à mobiliser les pères.",
    )
    fill(year1, "3", "in_progress", 80)
    fill(year2, "1", "submitted", 60, True, {"A": "yes", "B": "no"})
    fill(
        year2,
        "2",
        "submitted",
        80,
        None,
        {"A": "yes", "B": "yes"},
        {"Nombre de cours réalisés": Decimal(6)},
    )
    services.freeze_campaign(year1)
    Decision.objects.create(
        plan=plan,
        campaign=year1,
        fiche=fiche2,
        kind=Decision.Kind.STRENGTHEN,
        reason="Forte demande des familles.",
    )
    return plan


@pytest.fixture
def plan(db) -> Plan:
    return build_followed_plan()


@pytest.fixture
def reader(plan):
    """A COPIL member: reads every report of the plan."""
    user = UserFactory(first_name="Colette", last_name="Copil")
    roles.grant(user, plan, Role.COPIL, [])
    return user
