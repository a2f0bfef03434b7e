"""Fixtures of the follow-up tests: a plan shaped like the Carcassonne CLS, a user per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.accounts.models import Role
from pilotis.followup import services
from pilotis.plans.models import Organisation, Plan
from tests.factories import (
    ActionFactory,
    FicheFactory,
    FicheIndicatorFactory,
    FicheRoleFactory,
    OrganisationFactory,
    PlanFactory,
    UserFactory,
)


def build_carcassonne(n_extra: int = 0, slug: str = "cls-carcassonne") -> Plan:
    """Three fiches as in the Carcassonne CLS (signed in 2024), plus `n_extra` plain ones.

    Fiche 2 « Soutenir la parentalité » is co-piloted by the CAF, the Département and the CLS
    coordination; fiche 3 is piloted by Carcassonne Agglo and the CLS, with the CAF as partner;
    fiche 1 has no action due in year 1. The ARS is partner of every fiche.
    """
    plan = PlanFactory(
        slug=slug,
        title="Contrat local de santé de Carcassonne Agglo 2024-2028",
        start_year=2024,
        duration_years=5,
    )

    def org(key: str, name: str, acronym: str = "") -> Organisation:
        return OrganisationFactory(plan=plan, key=key, name=name, acronym=acronym)

    caf = org("caf", "Caisse d'allocations familiales de l'Aude", "CAF")
    departement = org("departement", "Département de l'Aude", "CD")
    cls = org("cls", "Coordination du CLS")
    agglo = org("carcassonne-agglo", "Carcassonne Agglo")
    ars = org("ars", "Agence régionale de santé Occitanie", "ARS")

    def fiche(number: int, title: str, steering: list[tuple[Organisation, str]], partners):
        made = FicheFactory(plan=plan, number=str(number), position=number, title=title)
        for organisation, role in steering:
            FicheRoleFactory(fiche=made, organisation=organisation, role=role)
        for organisation in partners:
            FicheRoleFactory(fiche=made, organisation=organisation, role="partner")
        return made

    f1 = fiche(1, "Promouvoir la santé mentale des jeunes", [(departement, "pilot")], [ars])
    ActionFactory(
        fiche=f1,
        letter="A",
        text="Former les animateurs",
        deadline_years=[2, 3],
        deadline_as_written="Années 2 et 3",
    )
    FicheIndicatorFactory(fiche=f1, kind="result", action_letters=[], text="Jeunes formés")

    f2 = fiche(
        2,
        "Soutenir la parentalité",
        [(caf, "copilot"), (departement, "copilot"), (cls, "copilot")],
        [ars],
    )
    ActionFactory(
        fiche=f2,
        letter="A",
        text="Déploiement du programme de soutien aux familles",
        deadline_years=[1, 2, 3, 4, 5],
        deadline_as_written="Années 1 à 5",
    )
    ActionFactory(
        fiche=f2,
        letter="B",
        text="Cours de préparation à la parentalité",
        deadline_years=[1, 2],
        deadline_as_written="Années 1 et 2",
    )
    ActionFactory(
        fiche=f2, letter="C", text="Groupe de parole", deadline_years=[], deadline_as_written=""
    )
    FicheIndicatorFactory(
        fiche=f2, kind="result", action_letters=["A"], text="Nombre de familles accompagnées"
    )
    FicheIndicatorFactory(
        fiche=f2,
        kind="monitoring",
        action_letters=["B", "C"],
        text="Évolution du nombre de cours",
    )

    f3 = fiche(
        3,
        "Développer l'offre de soins de proximité",
        [(agglo, "pilot"), (cls, "pilot")],
        [caf, ars],
    )
    ActionFactory(
        fiche=f3,
        letter="A",
        text="Ouvrir une maison de santé",
        deadline_years=[1],
        deadline_as_written="Année 1",
    )
    FicheIndicatorFactory(fiche=f3, kind="result", action_letters=["A"], text="Médecins installés")

    for number in range(4, 4 + n_extra):
        extra = fiche(number, f"Fiche de test n°{number}", [(agglo, "pilot")], [ars])
        ActionFactory(fiche=extra, letter="A", deadline_years=[1])
        FicheIndicatorFactory(fiche=extra, kind="result")
    return plan


@pytest.fixture
def plan(db) -> Plan:
    return build_carcassonne()


@dataclass
class People:
    coordinator: object
    admin: object
    caf_pilot: object
    agglo_pilot: object
    copil: object
    caf_copil: object
    partner: object
    outsider: object


def member(plan: Plan, role: str, *organisation_keys: str, **names):
    user = UserFactory(**names)
    roles.grant(user, plan, role, plan.organisations.filter(key__in=organisation_keys))
    return user


@pytest.fixture
def people(plan) -> People:
    return People(
        coordinator=member(plan, Role.COORDINATOR, first_name="Claire", last_name="Coordinatrice"),
        admin=UserFactory(is_superuser=True, is_staff=True),
        caf_pilot=member(plan, Role.PILOT, "caf", first_name="Paule", last_name="Parent"),
        agglo_pilot=member(
            plan, Role.PILOT, "carcassonne-agglo", first_name="Alain", last_name="Agglo"
        ),
        copil=member(plan, Role.COPIL, "ars", first_name="Colette", last_name="Copil"),
        # A CAF agent sitting on the COPIL, without a pilot membership: reads, never edits.
        caf_copil=member(plan, Role.COPIL, "caf"),
        partner=member(plan, Role.PARTNER, "ars", first_name="Pierre", last_name="Partenaire"),
        outsider=UserFactory(),
    )


@pytest.fixture
def campaign(plan, people):
    return services.open_campaign(
        plan,
        1,
        timezone.localdate() + timedelta(days=30),
        opened_by=people.coordinator,
    )
