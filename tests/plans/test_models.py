"""Model rules: what may be deleted, and how contract years map to calendar years."""

import pytest
from django.db.models import RestrictedError

from pilotis.plans.models import Action, Fiche, Organisation, Plan, Section
from tests.factories import create_plan

pytestmark = pytest.mark.django_db


def test_an_organisation_named_on_a_fiche_cannot_be_deleted_alone():
    plan = create_plan(2)
    organisation = Organisation.objects.filter(plan=plan, fiche_roles__isnull=False).first()
    with pytest.raises(RestrictedError):
        organisation.delete()
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_a_section_holding_fiches_cannot_be_deleted_alone():
    plan = create_plan(2)
    section = Section.objects.filter(plan=plan, fiches__isnull=False).first()
    with pytest.raises(RestrictedError):
        section.delete()


def test_deleting_a_plan_deletes_everything_it_holds():
    plan = create_plan(3)
    other = create_plan(1, slug="autre-plan", title="Autre plan")
    plan.delete()
    assert list(Plan.objects.all()) == [other]
    assert not Fiche.objects.exclude(plan=other).exists()
    assert not Organisation.objects.exclude(plan=other).exists()


def test_contract_years_map_to_calendar_years_from_the_signature_year():
    plan = create_plan(1, start_year=2024, duration_years=5)
    assert plan.contract_years == [(1, 2024), (2, 2025), (3, 2026), (4, 2027), (5, 2028)]
    action = Action(deadline_years=[2, 5])
    assert action.calendar_years(plan.start_year) == [2025, 2028]
    assert action.calendar_years(None) == []
