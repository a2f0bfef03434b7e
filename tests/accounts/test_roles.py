"""roles.py and the permission helpers built on it: roles per plan, organisations, can_import."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import IntegrityError

from pilotis.accounts import perms, roles
from pilotis.accounts.models import Membership, Role
from pilotis.plans import perms as plan_perms
from pilotis.plans.models import Organisation
from tests.factories import PlanFactory, UserFactory, create_plan

pytestmark = pytest.mark.django_db


def caf_of(plan) -> Organisation:
    return plan.organisations.get(key="caf")


def test_roles_and_organisations_per_plan(plan):
    other = create_plan(n_fiches=1)
    agent = UserFactory()
    roles.grant(agent, plan, Role.PILOT, [caf_of(plan)])
    roles.grant(agent, plan, Role.COPIL)
    roles.grant(agent, other, Role.PARTNER, [caf_of(other)])

    assert roles.roles_of(agent, plan) == {"pilot", "copil"}
    assert roles.roles_of(agent, other) == {"partner"}
    assert roles.roles_of(agent, plan.pk) == {"pilot", "copil"}  # a plan id works too
    assert roles.organisation_ids_of(agent, plan) == {caf_of(plan).pk}
    assert roles.organisation_ids_of(agent, plan, Role.COPIL) == set()
    assert list(roles.organisations_of(agent, plan)) == [caf_of(plan)]
    assert roles.plan_ids_of(agent) == {plan.pk, other.pk}
    assert roles.plan_ids_of(agent, Role.PARTNER) == {other.pk}
    assert not roles.is_coordinator(agent, plan)
    assert roles.has_role(agent, plan, Role.PILOT, Role.COORDINATOR)
    assert not roles.has_role(agent, other, Role.PILOT)


def test_grant_is_idempotent_and_ignores_organisations_of_other_plans(plan):
    other = create_plan(n_fiches=1)
    agent = UserFactory()
    first = roles.grant(agent, plan, Role.PILOT, [caf_of(plan), caf_of(other)])
    again = roles.grant(agent, plan, Role.PILOT, [plan.organisations.get(key="ars")])
    assert first.pk == again.pk
    assert set(again.organisations.values_list("key", flat=True)) == {"caf", "ars"}
    assert not again.organisations.filter(plan=other).exists()
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=agent, plan=plan, role=Role.PILOT)


def test_fiches_steered_by_a_caf_pilot(plan):
    # create_plan: the CAF co-pilots every fiche, the ARS is partner of every fiche.
    agent = UserFactory()
    roles.grant(agent, plan, Role.PILOT, [caf_of(plan)])
    fiche2 = plan.fiches.get(number="2")
    assert roles.fiche_roles_of(agent, fiche2) == {"copilot"}
    assert set(roles.fiches_steered_by(agent, plan).values_list("number", flat=True)) == {
        "1",
        "2",
        "3",
    }
    partner = UserFactory()
    roles.grant(partner, plan, Role.PARTNER, [plan.organisations.get(key="ars")])
    assert roles.fiche_roles_of(partner, fiche2) == {"partner"}
    assert not roles.fiches_steered_by(partner, plan).exists()  # a partner steers nothing
    assert roles.fiche_roles_of(partner, fiche2, Role.PILOT) == set()


def test_anonymous_inactive_and_administrators(plan):
    assert roles.roles_of(AnonymousUser(), plan) == set()
    assert roles.roles_of(None, plan) == set()
    assert not roles.is_coordinator(AnonymousUser(), plan)
    inactive = UserFactory(is_active=False)
    Membership.objects.create(user=inactive, plan=plan, role=Role.COORDINATOR)
    assert not roles.is_coordinator(inactive, plan)
    admin = UserFactory(is_superuser=True)
    assert roles.is_administrator(admin)
    assert roles.roles_of(admin, plan) == set()  # holds no role…
    assert roles.is_coordinator(admin, plan)  # …but may do what a coordinator does
    assert roles.is_coordinator_by_slug(admin, "nimporte-quoi")
    assert perms.can_manage_members(admin, plan)


def test_is_coordinator(plan, coordinator):
    assert roles.is_coordinator(coordinator, plan)
    assert roles.is_coordinator_by_slug(coordinator, plan.slug)
    assert not roles.is_coordinator(coordinator, PlanFactory())
    assert perms.can_manage_members(coordinator, plan)


def test_one_query_per_request_whatever_is_asked(plan, coordinator, django_assert_num_queries):
    with django_assert_num_queries(1):
        for _ in range(3):
            roles.roles_of(coordinator, plan)
            roles.is_coordinator(coordinator, plan)
            roles.organisation_ids_of(coordinator, plan)
            plan_perms.can_import(coordinator)
    # After a change in the same request, forget() makes the next question see it.
    Membership.objects.filter(user=coordinator).delete()
    assert roles.is_coordinator(coordinator, plan)
    roles.forget(coordinator)
    assert not roles.is_coordinator(coordinator, plan)


def test_can_import_for_coordinators_of_any_plan_the_legacy_group_and_superusers(plan):
    pilot = UserFactory()
    roles.grant(pilot, plan, Role.PILOT, [caf_of(plan)])
    coordinator = UserFactory()
    roles.grant(coordinator, create_plan(n_fiches=1), Role.COORDINATOR)
    assert not plan_perms.can_import(pilot)
    assert plan_perms.can_import(coordinator)
    assert plan_perms.can_import(UserFactory(coordinator=True))  # legacy group "coordinateurs"
    assert plan_perms.can_import(UserFactory(is_superuser=True))
    assert not plan_perms.can_import(UserFactory(is_superuser=True, is_active=False))
    assert not plan_perms.can_import(AnonymousUser())


def test_totp_offered_to_coordinators_and_administrators(plan, coordinator):
    assert perms.can_use_totp(coordinator)
    assert perms.can_use_totp(UserFactory(is_superuser=True))
    assert perms.can_use_totp(UserFactory(coordinator=True))
    assert not perms.can_use_totp(UserFactory())
    assert not perms.can_use_totp(AnonymousUser())


def test_seed_demo_makes_the_demo_coordinator_coordinate_every_plan(plan, settings, tmp_path):
    other = create_plan(n_fiches=1)
    settings.SEEDS_DIR = tmp_path / "absent"
    call_command("seed_demo", stdout=StringIO())
    user = Membership.objects.get(plan=plan).user
    assert user.username == "coordinatrice"
    assert roles.is_coordinator(user, plan) and roles.is_coordinator(user, other)
    call_command("seed_demo", stdout=StringIO())  # again: nothing doubled
    assert Membership.objects.filter(user=user).count() == 2
