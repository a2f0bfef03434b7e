"""Hand-built PlanDrafts for tests: small, complete, every field filled."""

from __future__ import annotations

from datetime import date

from pilotis.importers.draft import (
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
