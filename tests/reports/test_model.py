"""The report model: pure builders on hand-built data, then the loader on a factory-built plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from pilotis.followup.models import FicheFollowup, SectionFollowup
from pilotis.reports.loader import QUERIES, load_plan_data
from pilotis.reports.model import (
    DEMO_LABEL,
    ActionData,
    CampaignData,
    DecisionData,
    FicheData,
    IndicatorData,
    PlanData,
    ReportData,
    SectionData,
    ValueData,
    annual_report,
    final_report,
    fr_date,
    plural,
)
from tests.reports.conftest import build_followed_plan

TODAY = date(2025, 3, 1)
NBSP = "\u00a0"


def report(fiche_id, status="submitted", rate=None, reached=None, actions=None, values=None, **kw):
    labels = {"submitted": "Transmise", "validated": "Validée", "in_progress": "En cours"}
    return ReportData(
        fiche_id,
        status,
        labels.get(status, status),
        rate,
        reached,
        actions=actions or {},
        values=values or {},
        **kw,
    )


def plan_data(year1=None, year2=None, decisions=(), demo=False, **fiche_changes) -> PlanData:
    """Ambition 1 (objective 1.1 with fiches 1 and 2), ambition 2 (fiche 3)."""
    sections = (
        SectionData("A", None, "1", "Prévenir", 0),
        SectionData("A1", "A", "1.1", "Dès l’enfance", 1),
        SectionData("B", None, "2", "Soigner", 0),
    )
    fiches = [
        FicheData(
            1,
            "1",
            "Parentalité",
            "A1",
            "parents, enfants",
            ("CAF",),
            ("ARS",),
            (
                ActionData(11, "A", "Ateliers", (1, 2), "Années 1 et 2"),
                ActionData(12, "B", "Cours", (2,), "Année 2"),
            ),
            (
                IndicatorData(101, "result", ("B",), "Nombre de cours réalisés"),
                IndicatorData(102, "monitoring", ("B",), "Evolution du nombre de cours"),
            ),
        ),
        FicheData(2, "2", "Écrans", "A1", "enfants", ("CAF", "Département")),
        FicheData(
            3,
            "3",
            "Maison de santé",
            "B",
            actions=(ActionData(31, "A", "Ouvrir", (1,), "Année 1"),),
        ),
    ]
    for index, changes in fiche_changes.items():
        position = int(index.removeprefix("fiche")) - 1
        fiches[position] = FicheData(**{**fiches[position].__dict__, **changes})
    campaigns = []
    if year1 is not None:
        campaigns.append(
            CampaignData(
                1,
                "frozen",
                "Figée",
                date(2025, 1, 31),
                datetime(2025, 2, 10, 9, 0),
                is_demo=demo,
                reports={r.fiche_id: r for r in year1},
            )
        )
    if year2 is not None:
        campaigns.append(
            CampaignData(
                2, "open", "Ouverte", date(2026, 1, 31), reports={r.fiche_id: r for r in year2}
            )
        )
    return PlanData(
        slug="cls-test",
        title="Contrat local de santé de Test",
        kind_label="Contrat local de santé",
        territory="Test Agglo",
        signature_date=date(2024, 2, 1),
        start_year=2024,
        levels=("Ambition", "Objectif général"),
        sections=sections,
        fiches=tuple(fiches),
        campaigns=tuple(campaigns),
        decisions=tuple(decisions),
    )


YEAR1 = [
    report(
        1,
        rate=40,
        reached=False,
        actions={11: ("yes", "fait")},
        values={101: ValueData(Decimal(4), unit="cours")},
    ),
    report(2, "validated", rate=60, reached=True, obstacles="Manque de salles."),
    report(3, "in_progress", rate=80, actions={31: ("yes", "")}),
]
STRENGTHEN = DecisionData(
    2, 1, "strengthen", "Renforcement", "Forte demande.", decided_on=date(2025, 3, 1)
)


def test_annual_report_key_figures_count_only_transmitted_reports():
    built = annual_report(plan_data(YEAR1, decisions=[STRENGTHEN]), 1, TODAY)
    figures = {f.label: (f.value, f.detail) for f in built.key_figures}
    # Fiche 3 is still a draft: not in the mean (50 %, not 60 %), listed as late.
    assert figures["Taux d’avancement du contrat"] == (f"50,0{NBSP}%", "2 fiches renseignées sur 3")
    assert figures["Fiches transmises"] == ("2 sur 3", "1 fiche en retard")
    assert figures["Actions réalisées"] == (
        "1 sur 2",
        "1 action réalisée sur 2 prévues (1 sans réponse)",
    )
    assert figures["Objectifs atteints"] == (
        "1 sur 2",
        "objectif atteint : 1 fiche sur 2 ayant répondu",
    )
    assert [(f.number, f.status_label) for f in built.late] == [("3", "En cours")]
    assert built.contract.rate == 50 and built.contract.expected == 3


def test_annual_report_sections_and_their_charts():
    built = annual_report(plan_data(YEAR1), 1, TODAY)
    ambitions, objectives = built.section_levels
    assert ambitions.heading == "Avancement par ambition"
    assert objectives.heading == "Avancement par objectif général"
    assert [(r.full_label, r.rate_label, r.coverage) for r in ambitions.rows] == [
        ("1. Prévenir", f"50,0{NBSP}%", "2 fiches renseignées sur 2"),
        ("2. Soigner", "aucun taux d’avancement renseigné", "0 fiche renseignée sur 1"),
    ]
    assert ambitions.chart.title == "Taux d’avancement par ambition — année 1 (2024)"
    assert ambitions.chart.table.rows[1][:2] == ("2. Soigner", "aucun taux d’avancement renseigné")
    assert objectives.rows[0].rate == 50
    assert [(r.label, r.rate_label) for r in built.pilots] == [
        ("CAF", f"50,0{NBSP}%"),
        ("Département", f"60,0{NBSP}%"),
    ]
    # Publics as the controlled list names them (plans.publics), not as each fiche wrote them.
    assert {r.label for r in built.publics} == {"Parents et familles", "Enfants et jeunes"}


def test_annual_report_fiche_sections():
    built = annual_report(plan_data(YEAR1, decisions=[STRENGTHEN]), 1, TODAY)
    one, two, three = built.fiches
    assert (one.rate_label, one.objective_label) == (f"40,0{NBSP}%", "Non")
    assert [(a.letter, a.done_label, a.comment) for a in one.actions] == [("A", "Oui", "fait")]
    assert one.not_due == 1
    result, monitoring = one.indicators
    assert (result.value, result.change) == (f"4{NBSP}cours", "pas d’année précédente")
    assert monitoring.computed and monitoring.value == "pas d’année précédente"
    assert "Nombre de cours réalisés" in monitoring.source
    assert two.obstacles == "Manque de salles."
    assert two.decision.kind_label == "Renforcement" and two.decision.reason == "Forte demande."
    assert [(d.fiche_number, d.kind_label) for d in built.decisions] == [("2", "Renforcement")]
    # A draft shows neither its rate nor its answers in the report.
    assert not three.transmitted and three.rate_label == "non renseigné"
    assert [a.done_label for a in three.actions] == ["Sans réponse"]
    assert three.decision is None


def test_indicator_evolution_and_year_2():
    year2 = [
        report(
            1,
            rate=60,
            actions={11: ("yes", ""), 12: ("partly", "")},
            values={101: ValueData(Decimal(6), unit="cours")},
        ),
        report(2, rate=100),
        report(3, rate=20),
    ]
    built = annual_report(plan_data(YEAR1, year2), 2, TODAY)
    result, monitoring = built.fiches[0].indicators
    assert result.value == f"6{NBSP}cours"
    assert result.change == f"+2 (+50,0{NBSP}%)"
    assert (result.change_absolute, result.change_relative) == (Decimal(2), Fraction(1, 2))
    # « Evolution du nombre de cours » is computed from « Nombre de cours réalisés », not typed.
    assert monitoring.computed and monitoring.value == f"+2 (+50,0{NBSP}%)"
    assert built.contract.rate == 60 and not built.late
    assert (
        built.cover.status
        == "Campagne ouverte, saisie jusqu’au 31 janvier 2026 : chiffres provisoires"
    )


def test_the_year_1_report_ignores_later_years():
    year2 = [report(1, rate=100, values={101: ValueData(Decimal(40))})]
    first = annual_report(plan_data(YEAR1), 1, TODAY)
    again = annual_report(plan_data(YEAR1, year2), 1, TODAY)
    assert first.fiches == again.fiches and first.contract == again.contract


def test_weights_and_stopped_fiches():
    weighted = annual_report(plan_data(YEAR1, fiche1={"weight": Decimal(3)}), 1, TODAY)
    assert weighted.contract.rate == Fraction(3 * 40 + 60, 4)
    year2 = [report(1, rate=60), report(2, rate=80)]
    stopped = annual_report(plan_data(YEAR1, year2, fiche3={"stopped_year": 1}), 2, TODAY)
    # Stopped by the COPIL after year 1: not expected in year 2, so not late either.
    assert stopped.contract.expected == 2 and not stopped.late
    assert stopped.fiches[2].notes == ("fiche arrêtée en année 1 : non comptée",)


def test_text_values_have_no_evolution():
    text = report(1, rate=20, values={101: ValueData(text="en cours")})
    built = annual_report(plan_data(YEAR1, [text]), 2, TODAY)
    assert built.fiches[0].indicators[0].value == "en cours"
    assert built.fiches[0].indicators[0].change == "valeur en texte : pas d’évolution calculée"


def test_cover_and_demo_label():
    built = annual_report(plan_data(YEAR1, demo=True), 1, TODAY)
    cover = built.cover
    assert cover.is_demo and cover.demo_label == DEMO_LABEL == "Données de démonstration"
    assert cover.subtitle == "Année 1 (2024)"
    assert cover.period == "2024 à 2028"
    assert cover.signature == "Signé le 1er février 2024"
    assert cover.status == "Campagne figée le 10 février 2025, en attente du COPIL"
    assert built.filename == "rapport-annuel-cls-test-annee-1-demonstration"
    assert not annual_report(plan_data(YEAR1), 1, TODAY).is_demo


def test_no_campaign_no_report():
    with pytest.raises(ValueError):
        annual_report(plan_data(YEAR1), 2, TODAY)


def test_empty_year():
    built = annual_report(plan_data([]), 1, TODAY)
    assert built.contract.rate_label == "aucun taux d’avancement renseigné"
    assert [f.number for f in built.late] == ["1", "2", "3"]
    assert built.section_levels[0].chart.table.rows[0][1] == "aucun taux d’avancement renseigné"


def test_final_report_trajectories():
    year2 = [report(1, rate=60), report(2, rate=100), report(3, rate=20)]
    built = final_report(plan_data(YEAR1, year2, decisions=[STRENGTHEN]), TODAY)
    assert [c.label for c in built.years] == [f"Année {y} ({2023 + y})" for y in range(1, 6)]
    assert [r.rate_label for r in built.contract[:2]] == [f"50,0{NBSP}%", f"60,0{NBSP}%"]
    one = built.fiches[0]
    assert [p.rate_label for p in one.points] == [
        f"40,0{NBSP}%",
        f"60,0{NBSP}%",
        "pas de campagne",
        "pas de campagne",
        "pas de campagne",
    ]
    assert one.summary == f"de 40,0{NBSP}% (année 1) à 60,0{NBSP}% (année 2)"
    # A year without a campaign says so: nobody was asked, nothing is « 0 fiche renseignée ».
    assert [p.actions_label for p in one.points][1:3] == [
        "0 action réalisée sur 2 prévues (2 sans réponse)",
        "—",
    ]
    three = built.contract[2]
    assert (three.rate_label, three.coverage, three.objectives_short) == (
        "pas de campagne",
        "—",
        "—",
    )
    assert built.contract[0].objectives_short == "1 sur 2"
    assert built.fiches[2].summary == f"20,0{NBSP}% en année 2"
    assert built.fiches[1].decisions[0].kind_label == "Renforcement"
    assert built.chart.table.rows[0][:3] == ("Ensemble du contrat", f"50,0{NBSP}%", f"60,0{NBSP}%")
    assert [s[0] for s in built.chart.table.rows] == [
        "Ensemble du contrat",
        "1. Prévenir",
        "2. Soigner",
    ]
    figures = {f.label: f.value for f in built.key_figures}
    assert figures["Trajectoire du contrat"] == f"de 50,0{NBSP}% (année 1) à 60,0{NBSP}% (année 2)"
    assert built.cover.status == "Sans campagne : année 3, année 4, année 5"


def test_final_report_without_any_campaign():
    built = final_report(plan_data(), TODAY)
    assert built.chart.description == "Aucune donnée à représenter."
    assert built.fiches[0].summary == "aucun taux d’avancement renseigné"
    assert not built.is_demo


def test_french_formats():
    assert fr_date(date(2025, 3, 1)) == "1er mars 2025"
    assert fr_date(date(2024, 12, 15)) == "15 décembre 2024"
    assert plural(1, "fiche") == "1 fiche" and plural(0, "fiche") == "0 fiche"
    assert plural(Fraction(3, 2), "action") == "1,5 action" and plural(2, "action") == "2 actions"


def test_section_weights_multiply_their_fiches_above_them_not_in_their_own_rate():
    year1 = [*YEAR1[:2], report(3, rate=80)]
    data = plan_data(year1)
    weights = {"A1": Decimal("0.5"), "B": 3}
    sections = tuple(replace(s, weight=weights.get(s.id, 1)) for s in data.sections)
    built = annual_report(replace(data, sections=sections), 1, TODAY)
    # (0.5 × 40 + 0.5 × 60 + 3 × 80) / (0.5 + 0.5 + 3); 60 % with equal weights.
    assert built.contract.rate == Fraction(145, 2)
    ambitions, objectives = built.section_levels
    assert [r.rate for r in ambitions.rows] == [50, 80]
    assert objectives.rows[0].rate == 50


# --- From the database -------------------------------------------------------------------------


@pytest.mark.django_db
def test_loader_reads_the_campaigns_reports_and_decisions(plan):
    data = load_plan_data(plan)
    assert [c.year for c in data.campaigns] == [1, 2]
    assert data.territory == "Carcassonne Agglo" and data.start_year == 2024
    built = annual_report(data, 1, TODAY)
    figures = {f.label: f.value for f in built.key_figures}
    assert figures["Taux d’avancement du contrat"] == f"50,0{NBSP}%"
    assert figures["Fiches transmises"] == "2 sur 3"
    assert [f.number for f in built.late] == ["3"]
    two = built.fiches[1]
    assert (two.rate_label, two.objective_label) == (f"60,0{NBSP}%", "Oui")
    assert two.decision.kind_label == "Renforcement"
    assert two.obstacles == "Difficulté à mobiliser les pères."
    assert two.pilots == ("Caisse d'allocations familiales de l'Aude", "Département de l'Aude")
    year2 = annual_report(data, 2, TODAY)
    courses = next(i for i in year2.fiches[1].indicators if i.text == "Nombre de cours réalisés")
    assert courses.change == f"+2 (+50,0{NBSP}%)"
    computed = next(i for i in year2.fiches[1].indicators if i.text.startswith("Evolution"))
    assert computed.computed and computed.value == f"+2 (+50,0{NBSP}%)"


@pytest.mark.django_db
@pytest.mark.parametrize("n_fiches", [3, 9])
def test_loader_query_count_is_constant(django_assert_num_queries, n_fiches):
    plan = build_followed_plan(n_fiches=n_fiches)
    plan.perimeter  # noqa: B018 — loaded beforehand, as the views select it with the plan
    with django_assert_num_queries(QUERIES):
        data = load_plan_data(plan)
    assert len(data.fiches) == n_fiches


@pytest.mark.django_db
def test_loader_reads_section_and_fiche_weights(plan):
    objective = plan.sections.get(number="1.1")
    SectionFollowup.objects.create(plan=plan, section=objective, weight=Decimal("0.5"))
    FicheFollowup.objects.create(plan=plan, fiche=plan.fiches.get(number="2"), weight=2)
    data = load_plan_data(plan)
    weights = {s.number: s.weight for s in data.sections}
    assert weights == {"1": 1, "1.1": Decimal("0.5"), "1.2": 1, "2": 1}
    assert {f.number: f.weight for f in data.fiches} == {"1": 1, "2": 2, "3": 1}
