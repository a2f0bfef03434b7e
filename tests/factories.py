"""Test data: hand-built PlanDrafts, and factory_boy factories for the plan models."""

from __future__ import annotations

from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from pilotis.core.text import fold
from pilotis.plans import models as pm
from pilotis.plans.draft import (
    ActionDraft,
    FicheDraft,
    IndicatorDraft,
    OrganisationDraft,
    PlanDraft,
    ReviewFlag,
    RoleDraft,
    SectionDraft,
    Span,
    UnplacedLine,
)
from pilotis.plans.perms import COORDINATORS_GROUP

DOCUMENT = "cls-test.txt"


def span(first: int, last: int | None = None) -> Span:
    return Span(DOCUMENT, first, last if last is not None else first)


def make_sections() -> list[SectionDraft]:
    return [
        SectionDraft("A", 0, "1", "Promouvoir la santé à tous les âges", None, span(10, 200)),
        SectionDraft("A.1", 1, "1.1", "Prévenir dès l'enfance", "A", span(11, 100)),
        SectionDraft("A.2", 1, "1.2", "Bien vieillir chez soi", "A", span(101, 200)),
    ]


def make_organisations() -> list[OrganisationDraft]:
    return [
        OrganisationDraft("ars", "Agence régionale de santé Occitanie", "ARS", ["ARS", "DD ARS"]),
        OrganisationDraft(
            "cpam", "Caisse primaire d'assurance maladie de l'Aude", "CPAM", ["CPAM"]
        ),
        OrganisationDraft("caf", "Caisse d'allocations familiales de l'Aude", "CAF", ["CAF"]),
    ]


def make_fiche(number: int, n_fiches: int = 2) -> FicheDraft:
    """Fiche `number`: two actions, three indicators, a pilot, two partners, a link to the next."""
    base = 1000 + 50 * number
    flags = [ReviewFlag("actions", "Échéance illisible", span(base + 20))] if number == 1 else []
    return FicheDraft(
        number=str(number),
        title=f"Éduquer à la santé n°{number}",
        section_key="A.1" if number % 2 else "A.2",
        span=span(base, base + 45),
        pilotage_label="co-pilotage" if number == 2 else "pilotage",
        roles=[
            RoleDraft("pilot", "ARS", "ars"),
            RoleDraft("partner", "CPAM de l'Aude", "cpam"),
            RoleDraft("partner", "CAF", "caf"),
        ],
        context=f"Contexte de la fiche {number} : les écoles du territoire.",
        linked_fiches=[str(number % n_fiches + 1)] if n_fiches > 1 else [],
        strategic_objective="Informer le grand public sur la santé globale",
        operational_objectives=["Former les animateurs", "Créer des outils"],
        actions=[
            ActionDraft(
                "A",
                "Élaborer des programmes éducatifs",
                [1, 2],
                "Années 1 et 2",
                span(base + 10, base + 12),
            ),
            ActionDraft("B", "Sensibiliser les parents", [3], "Année 3", span(base + 13)),
        ],
        public="Enfants, parents",
        programmes=["PRS Occitanie 2023-2028", "Convention Territoriale Globale"],
        indicators=[
            IndicatorDraft("result", ["A"], "Nombre d'enfants mobilisés", span(base + 30)),
            IndicatorDraft("monitoring", ["A", "B"], "Nombre de séances", span(base + 32)),
            IndicatorDraft("result", [], "Taux de satisfaction", span(base + 31)),
        ],
        extra={"Freins": "Manque de moyens humains"},
        flags=flags,
    )


def make_draft(n_fiches: int = 2, **overrides) -> PlanDraft:
    """A CLS with one ambition, two objectives and `n_fiches` complete fiches."""
    values = dict(
        kind="cls",
        slug="cls-test",
        title="Contrat local de santé de Test 2024-2029",
        document=DOCUMENT,
        levels=["Ambition", "Objectif général"],
        signatories=["ARS Occitanie", "Test Agglo"],
        signature_date=date(2024, 2, 15),
        start_year=2024,
        duration_years=5,
        territory_name="Test Agglo",
        territory_level="epci",
        territory_code="200000000",
        sections=make_sections(),
        fiches=[make_fiche(i, n_fiches) for i in range(1, n_fiches + 1)],
        organisations=make_organisations(),
        unplaced=[
            UnplacedLine(5, "Page 3 / 120", "pied de page"),
            UnplacedLine(1020, "texte égaré", "hors rubrique"),
        ],
        fiche_part=(1000, 1000 + 50 * n_fiches + 50),
    )
    values.update(overrides)
    return PlanDraft(**values)


# --- Model factories (factory_boy): rows built directly, for the page tests ------------------

PASSWORD = "mot-de-passe-de-test-assez-long"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password(PASSWORD)

    class Params:
        coordinator = factory.Trait(
            groups=factory.PostGeneration(
                lambda user, create, extracted, **kw: user.groups.add(
                    Group.objects.get_or_create(name=COORDINATORS_GROUP)[0]
                )
            )
        )


class TerritoryFactory(DjangoModelFactory):
    class Meta:
        model = pm.Territory
        django_get_or_create = ("level", "code", "name")

    level = pm.Territory.Level.EPCI
    code = "200035715"
    name = "Carcassonne Agglo"


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = pm.Plan

    slug = factory.Sequence(lambda n: f"cls-test-{n}")
    kind = pm.Plan.Kind.CLS
    title = factory.Sequence(lambda n: f"Contrat local de santé de Test n°{n}")
    signatories = factory.LazyFunction(lambda: ["ARS Occitanie", "Carcassonne Agglo"])
    signature_date = date(2024, 3, 15)
    start_year = 2024
    duration_years = 5
    perimeter = factory.SubFactory(TerritoryFactory)
    levels = factory.LazyFunction(lambda: ["Ambition", "Objectif général"])
    source_document = DOCUMENT
    # Published, unlike a freshly imported plan: most page tests read as the public does. Tests of
    # who sees an unpublished plan pass published=False.
    published = True


class SectionFactory(DjangoModelFactory):
    class Meta:
        model = pm.Section

    plan = factory.SubFactory(PlanFactory)
    parent = None
    key = factory.Sequence(lambda n: f"S{n}")
    depth = factory.LazyAttribute(lambda o: o.parent.depth + 1 if o.parent else 0)
    number = factory.Sequence(str)
    title = factory.Sequence(lambda n: f"Section {n}")
    position = factory.Sequence(int)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = pm.Organisation

    plan = factory.SubFactory(PlanFactory)
    key = factory.Sequence(lambda n: f"organisation-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    acronym = ""
    aliases = factory.LazyFunction(list)


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = pm.Programme
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"programme-{n}")
    name = factory.Sequence(lambda n: f"Programme {n}")


def _search_text(fiche) -> str:
    # Same idea as persist.fiche_search_text, on the fiche's own fields: enough for the pages.
    pieces = [
        fiche.number,
        fiche.title,
        fiche.context,
        fiche.strategic_objective,
        *fiche.operational_objectives,
        fiche.public,
        *fiche.extra.values(),
    ]
    return " ".join(fold(p) for p in pieces if p)


class FicheFactory(DjangoModelFactory):
    class Meta:
        model = pm.Fiche

    plan = factory.SubFactory(PlanFactory)
    section = None
    number = factory.Sequence(lambda n: str(n + 1))
    position = factory.Sequence(int)
    title = factory.Sequence(lambda n: f"Fiche de test {n}")
    pilotage_label = "pilotage"
    context = "Premier paragraphe du contexte.\nSecond paragraphe du contexte."
    strategic_objective = "Améliorer la santé de la population"
    operational_objectives = factory.LazyFunction(lambda: ["Informer", "Former"])
    public = "Tout public"
    extra = factory.LazyFunction(dict)
    review_flags = factory.LazyFunction(list)
    source_first_line = 100
    source_last_line = 180
    search_text = factory.LazyAttribute(_search_text)

    class Params:
        flagged = factory.Trait(
            review_flags=factory.LazyFunction(
                lambda: [
                    {
                        "field": "actions",
                        "message": "Échéance illisible",
                        "first_line": 150,
                        "last_line": 150,
                    }
                ]
            )
        )


class FicheRoleFactory(DjangoModelFactory):
    class Meta:
        model = pm.FicheRole

    fiche = factory.SubFactory(FicheFactory)
    organisation = factory.LazyAttribute(lambda o: OrganisationFactory(plan=o.fiche.plan))
    role = pm.FicheRole.Role.PILOT
    as_written = factory.LazyAttribute(lambda o: o.organisation.acronym or o.organisation.name)
    position = factory.Sequence(int)


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = pm.Action

    fiche = factory.SubFactory(FicheFactory)
    letter = factory.Sequence(lambda n: "ABCDEFGHIJ"[n % 10])
    text = factory.Sequence(lambda n: f"Action de test {n}")
    deadline_years = factory.LazyFunction(lambda: [1, 2])
    deadline_as_written = "Années 1 et 2"
    position = factory.Sequence(int)


class FicheIndicatorFactory(DjangoModelFactory):
    class Meta:
        model = pm.FicheIndicator

    fiche = factory.SubFactory(FicheFactory)
    kind = pm.FicheIndicator.Kind.RESULT
    action_letters = factory.LazyFunction(lambda: ["A"])
    text = factory.Sequence(lambda n: f"Indicateur de test {n}")
    position = factory.Sequence(int)


class FicheProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = pm.FicheProgramme

    fiche = factory.SubFactory(FicheFactory)
    programme = factory.SubFactory(ProgrammeFactory)
    as_written = factory.LazyAttribute(lambda o: o.programme.name)
    position = factory.Sequence(int)


class UnplacedLineFactory(DjangoModelFactory):
    class Meta:
        model = pm.UnplacedLine

    plan = factory.SubFactory(PlanFactory)
    line = factory.Sequence(lambda n: n + 1)
    text = "Page 3 / 120"
    reason = "pied de page"


def create_plan(n_fiches: int = 2, **plan_fields) -> pm.Plan:
    """A plan shaped like the Carcassonne CLS, with `n_fiches` complete fiches.

    Ambition 1 > Objectif général 1.1 and 1.2, plus an empty Ambition 2. Fiche 1 hangs on the
    ambition itself, the others alternate between the two objectives. Fiche 2 is the paper's
    "Soutenir la parentalité"; every fiche links to the next one.
    """
    plan = PlanFactory(**plan_fields)
    ambition = SectionFactory(
        plan=plan, key="A1", number="1", title="Agir pour des comportements favorables en santé"
    )
    objectives = [
        SectionFactory(plan=plan, parent=ambition, key=f"A1.O{i}", number=f"1.{i}", title=title)
        for i, title in [(1, "Prévenir dès l'enfance"), (2, "Bien vieillir chez soi")]
    ]
    SectionFactory(plan=plan, key="A2", number="2", title="Mieux se soigner sur le territoire")
    caf = OrganisationFactory(
        plan=plan,
        key="caf",
        name="Caisse d'allocations familiales de l'Aude",
        acronym="CAF",
        aliases=["CAF"],
    )
    cd = OrganisationFactory(
        plan=plan,
        key="departement-aude",
        name="Département de l'Aude",
        acronym="CD",
        aliases=["CD", "Département (PMI)"],
    )
    ars = OrganisationFactory(
        plan=plan, key="ars", name="Agence régionale de santé Occitanie", acronym="ARS"
    )
    prs = ProgrammeFactory(code="prs", name="Projet régional de santé Occitanie")
    fiches = []
    for i in range(1, n_fiches + 1):
        section = ambition if i == 1 else objectives[i % 2]
        if i == 2:
            fields = dict(
                title="Soutenir la parentalité",
                pilotage_label="co-pilotage",
                strategic_objective="Accompagner les parents dès les premières années de vie",
                operational_objectives=["Améliorer les compétences parentales"],
                public="futurs parents, enfants, professionnels jeunesse",
                extra={"Financements": "CAF, ARS"},
            )
        elif i == 1:
            fields = dict(title="Promouvoir la santé mentale des jeunes")
        else:
            fields = dict(title=f"Fiche de test n°{i}")
        fiche = FicheFactory(
            plan=plan, section=section, number=str(i), position=i, flagged=(i == 3), **fields
        )
        FicheRoleFactory(fiche=fiche, organisation=caf, role="copilot", as_written="CAF")
        FicheRoleFactory(fiche=fiche, organisation=cd, role="copilot", as_written="CD")
        FicheRoleFactory(fiche=fiche, organisation=ars, role="partner", as_written="ARS")
        ActionFactory(
            fiche=fiche,
            letter="A",
            text="Déploiement du programme de soutien aux familles",
            deadline_years=[1, 2, 3, 4, 5],
        )
        ActionFactory(
            fiche=fiche,
            letter="B",
            text="Cours de préparation à la parentalité",
            deadline_years=[2, 3],
            deadline_as_written="Années 2 et 3",
        )
        ActionFactory(
            fiche=fiche,
            letter="C",
            text="Groupe de parole",
            deadline_years=[],
            deadline_as_written="",
        )
        FicheIndicatorFactory(
            fiche=fiche, kind="result", action_letters=["A"], text="Bénéficiaires"
        )
        FicheIndicatorFactory(
            fiche=fiche, kind="monitoring", action_letters=["B", "C"], text="Évolution des cours"
        )
        FicheProgrammeFactory(fiche=fiche, programme=prs, as_written="PRS Occitanie 2023-2028")
        fiches.append(fiche)
    for fiche, following in zip(fiches, fiches[1:], strict=False):
        fiche.linked_fiches.add(following)
    UnplacedLineFactory(plan=plan, line=5, text="Page 3 / 120", reason="pied de page")
    UnplacedLineFactory(plan=plan, line=1020, text="texte égaré", reason="hors rubrique")
    return plan
