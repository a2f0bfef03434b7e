"""Demonstration campaigns: generated values, the command, and never a real year touched."""

from __future__ import annotations

import random
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pilotis.followup import demo, services
from pilotis.followup.models import PROGRESS_RATES, Campaign, Decision, FicheReport
from pilotis.reports.loader import load_plan_data
from pilotis.reports.model import annual_report
from tests.factories import create_plan

FICHES = [
    demo.FicheShape(
        n,
        str(n),
        (demo.ActionShape(f"{n}A", (1, 2)), demo.ActionShape(f"{n}B", (2,))),
        (
            demo.IndicatorShape(f"{n}r", "result", "Nombre de cours réalisés"),
            demo.IndicatorShape(f"{n}m", "monitoring", "Evolution du nombre de cours"),
            demo.IndicatorShape(f"{n}t", "result", "Taux de participation"),
        ),
    )
    for n in range(1, 21)
]


def two_years(seed: int = demo.SEED):
    rng = random.Random(seed)
    first = demo.generate_year(FICHES, 1, rng, late=1)
    return first, demo.generate_year(FICHES, 2, rng, first, late=3, partly=True)


def test_generated_values_are_plausible_and_repeatable():
    first, second = two_years()
    assert (first, second) == two_years()  # seeded: the same demo on every run
    sent = [r for r in first.values() if r.status in ("submitted", "validated")]
    assert len(sent) == 19  # one late fiche
    assert all(r.rate in PROGRESS_RATES for r in sent)
    assert all(set(r.actions) == {f"{n}A"} for n, r in first.items() if r in sent)
    assert not any(a == "partly" for r in first.values() for a in r.actions.values())
    # « Evolution du nombre de cours » is computed from the courses, never typed.
    assert not any(f"{n}m" in r.values for n, r in {**first, **second}.items())
    assert sum(r.status not in ("submitted", "validated") for r in second.values()) == 3
    # Year 2 goes on from year 1: rates do not fall back.
    for number, report in second.items():
        if report.rate is not None and first[number].rate is not None:
            assert report.rate >= first[number].rate


def test_decisions_strengthen_fiche_2():
    first, _ = two_years()
    kinds = demo.decisions_for(FICHES, first)
    assert kinds[2] == "strengthen"
    assert set(kinds.values()) <= {"continue", "strengthen", "reorient"}


@pytest.fixture
def plan(db):
    return create_plan(n_fiches=4, slug="cls-demo", start_year=2024)


def run(*args) -> str:
    out = StringIO()
    call_command("demo_campaign", *args, stdout=out)
    return out.getvalue()


def test_command_creates_two_demo_campaigns(plan):
    output = run("--plan", plan.slug)
    assert (
        "Campagne de démonstration de l’année 1 (2024) créée (validée) : 3 fiches transmises"
        in (output)
    )
    assert "Campagne de démonstration de l’année 2 (2025) créée (ouverte)" in output
    campaigns = list(Campaign.objects.filter(plan=plan).order_by("year"))
    assert [(c.year, c.is_demo, c.status) for c in campaigns] == [
        (1, True, "validated"),
        (2, True, "open"),
    ]
    # Frozen before its COPIL, as a real year 1 would have been.
    assert campaigns[0].snapshot["reports"]
    assert campaigns[0].frozen_at.date() == date(2025, 2, 14)
    assert Decision.objects.filter(campaign=campaigns[0]).count() == 4
    assert Decision.objects.get(campaign=campaigns[0], fiche__number="2").kind == "strengthen"
    report = annual_report(load_plan_data(plan), 1, date(2025, 4, 1))
    assert report.is_demo and len(report.late) == 1
    assert report.cover.status == "Évaluation validée par le COPIL le 14 mars 2025"
    assert report.contract.rate is not None


def test_command_replaces_its_own_campaigns_with_the_same_values(plan):
    run("--plan", plan.slug)
    before = list(
        FicheReport.objects.filter(plan=plan)
        .order_by("campaign__year", "fiche__position")
        .values_list("progress_rate", "status")
    )
    output = run("--plan", plan.slug)
    assert "l’année 1 (2024) remplacée" in output
    after = list(
        FicheReport.objects.filter(plan=plan)
        .order_by("campaign__year", "fiche__position")
        .values_list("progress_rate", "status")
    )
    assert before == after
    assert Campaign.objects.filter(plan=plan).count() == 2


def test_command_refuses_a_real_campaigns_year(plan):
    services.open_campaign(plan, 2, date(2026, 1, 31))
    with pytest.raises(CommandError) as refusal:
        run("--plan", plan.slug)
    assert "a déjà une vraie campagne de suivi (année 2)" in str(refusal.value)
    assert "jamais mêlées à un vrai suivi" in str(refusal.value)
    # Nothing written: the real campaign alone, untouched.
    assert [(c.year, c.is_demo) for c in Campaign.objects.filter(plan=plan)] == [(2, False)]


def test_command_removes_its_campaigns_only(plan):
    run("--plan", plan.slug)
    assert "2 campagne(s) de démonstration retirée(s)" in run("--plan", plan.slug, "--supprimer")
    assert not Campaign.objects.filter(plan=plan).exists()


def test_command_without_the_plan(db):
    assert "introuvable : aucune campagne de démonstration créée" in run()
