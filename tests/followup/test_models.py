"""Follow-up models and services: constraints, opening a campaign, saving, freezing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError
from django.utils import timezone

from pilotis.followup import services
from pilotis.followup.models import ActionStatus, Campaign, FicheReport, IndicatorValue
from pilotis.plans.models import Action, Fiche, Plan
from tests.factories import FicheFactory, PlanFactory
from tests.followup.conftest import build_carcassonne

pytestmark = pytest.mark.django_db

DEADLINE = date(2025, 3, 15)


def fiche(plan: Plan, number: str) -> Fiche:
    return plan.fiches.get(number=number)


def test_opening_a_campaign_creates_a_report_to_do_for_every_fiche(
    plan, people, django_assert_num_queries
):
    other = build_carcassonne(slug="cls-other")
    # Four statements (campaign, fiche ids, every report in one INSERT, their creation in the
    # history in one INSERT) and two savepoints.
    with django_assert_num_queries(8):
        campaign = services.open_campaign(
            plan, 1, DEADLINE, allow_partial=True, opened_by=people.coordinator
        )
    assert campaign.status == Campaign.Status.OPEN and campaign.is_open
    assert campaign.opened_by == people.coordinator and campaign.allow_partial
    reports = list(campaign.reports.select_related("fiche").order_by("pk"))
    assert [r.fiche.number for r in reports] == ["1", "2", "3"]
    assert {r.status for r in reports} == {FicheReport.Status.TO_DO}
    # The shard key repeats the campaign's plan on every row.
    assert {r.plan_id for r in reports} == {plan.pk}
    assert all(r.version == 1 and r.updated_at is None for r in reports)
    created = FicheReport.history.filter(campaign_id=campaign.pk)
    assert {(h.history_type, h.history_user) for h in created} == {("+", people.coordinator)}
    assert created.first().history_change_reason == "Ouverture de la campagne de l’année 1 (2024)"
    assert not FicheReport.objects.filter(plan=other).exists()


def test_one_campaign_per_plan_and_contract_year(plan):
    services.open_campaign(plan, 1, DEADLINE)
    with pytest.raises(services.CampaignExists):
        services.open_campaign(plan, 1, DEADLINE)
    assert Campaign.objects.count() == 1 and FicheReport.objects.count() == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(plan=plan, year=1, deadline=DEADLINE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(plan=plan, year=0, deadline=DEADLINE)
    for year in (0, 6):
        with pytest.raises(ValueError):
            services.open_campaign(plan, year, DEADLINE)
    services.open_campaign(build_carcassonne(slug="cls-other"), 1, DEADLINE)  # another plan


def test_calendar_year_and_label():
    plan = PlanFactory.build(start_year=2024)
    assert Campaign(plan=plan, year=1).calendar_year == 2024
    assert Campaign(plan=plan, year=3).year_label == "année 3 (2026)"
    undated = PlanFactory.build(start_year=None)
    assert Campaign(plan=undated, year=2).calendar_year is None
    assert Campaign(plan=undated, year=2).year_label == "année 2"


def test_report_constraints(plan):
    campaign = services.open_campaign(plan, 1, DEADLINE)
    report = campaign.reports.get(fiche__number="2")
    with pytest.raises(IntegrityError), transaction.atomic():
        FicheReport.objects.create(plan=plan, campaign=campaign, fiche=report.fiche)
    # The paper scale only, even written past the forms.
    with pytest.raises(IntegrityError), transaction.atomic():
        FicheReport.objects.filter(pk=report.pk).update(progress_rate=45)
    for rate in (0, 20, 100, None):
        FicheReport.objects.filter(pk=report.pk).update(progress_rate=rate)
    indicator = report.fiche.indicators.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorValue.objects.create(
            plan=plan, report=report, indicator=indicator, value_number=3, value_text="trois"
        )
    IndicatorValue.objects.create(plan=plan, report=report, indicator=indicator, value_number=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorValue.objects.create(plan=plan, report=report, indicator=indicator)
    action = report.fiche.actions.first()
    ActionStatus.objects.create(plan=plan, report=report, action=action, done="yes")
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionStatus.objects.create(plan=plan, report=report, action=action, done="no")


def test_follow_up_data_is_never_deleted_silently_with_a_fiche_or_an_action(plan):
    campaign = services.open_campaign(plan, 1, DEADLINE)
    report = campaign.reports.get(fiche__number="2")
    action = report.fiche.actions.get(letter="A")
    ActionStatus.objects.create(plan=plan, report=report, action=action, done="yes")
    with pytest.raises(RestrictedError):
        report.fiche.delete()
    with pytest.raises(RestrictedError):
        action.delete()
    # The whole plan goes with its follow-up.
    plan.delete()
    assert not Campaign.objects.exists()
    assert not FicheReport.objects.exists() and not ActionStatus.objects.exists()


def test_report_for_a_fiche_added_after_opening(plan):
    campaign = services.open_campaign(plan, 1, DEADLINE)
    added = FicheFactory(plan=plan, number="4", position=4)
    report = services.report_for(campaign, added)
    assert report.status == FicheReport.Status.TO_DO and report.plan_id == plan.pk
    assert services.report_for(campaign, added).pk == report.pk


def save(report, version, user, intent=services.DRAFT, **fields):
    actions = services_actions(report)
    indicators = list(report.fiche.indicators.order_by("pk"))
    data = services.ReportData(
        progress_rate=fields.get("progress_rate"),
        objective_reached=fields.get("objective_reached"),
        obstacles=fields.get("obstacles", ""),
        comment=fields.get("comment", ""),
        actions={a.pk: fields.get("actions", {}).get(a.letter, ("", "")) for a in actions},
        indicators={
            i.pk: {
                "value_number": fields.get("numbers", {}).get(i.pk),
                "value_text": "",
                "unit": "",
                "baseline": "",
                "target": "",
            }
            for i in indicators
        },
    )
    return services.save_report(
        report,
        data,
        version=version,
        user=user,
        intent=intent,
        actions=actions,
        indicators=indicators,
        statuses={s.action_id: s for s in report.action_statuses.all()},
        values={v.indicator_id: v for v in report.indicator_values.all()},
    )


def services_actions(report) -> list[Action]:
    return [a for a in report.fiche.actions.order_by("pk") if 1 in a.deadline_years]


def test_save_report_bumps_the_version_and_refuses_a_stale_one(plan, people):
    campaign = services.open_campaign(plan, 1, DEADLINE)
    report = campaign.reports.get(fiche__number="2")
    indicator = report.fiche.indicators.get(kind="result")
    save(
        report,
        1,
        people.caf_pilot,
        progress_rate=40,
        actions={"A": ("yes", "Fait en mars"), "B": ("", "")},
        numbers={indicator.pk: Decimal("12.5")},
    )
    report.refresh_from_db()
    assert report.version == 2 and report.status == FicheReport.Status.IN_PROGRESS
    assert report.updated_by == people.caf_pilot and report.updated_at is not None
    assert report.progress_rate == 40 and report.submitted_at is None
    # An action left unanswered and an indicator left empty add no row.
    assert list(report.action_statuses.values_list("action__letter", "done", "comment")) == [
        ("A", "yes", "Fait en mars")
    ]
    assert [v.value_number for v in report.indicator_values.all()] == [Decimal("12.5")]
    assert {s.plan_id for s in report.action_statuses.all()} == {plan.pk}

    with pytest.raises(services.StaleReport):
        save(report, 1, people.coordinator, progress_rate=80)
    report.refresh_from_db()
    assert report.progress_rate == 40 and report.version == 2  # nothing written

    save(report, 2, people.caf_pilot, services.SUBMIT, progress_rate=60)
    report.refresh_from_db()
    assert report.status == FicheReport.Status.SUBMITTED and report.submitted_at
    assert report.version == 3
    save(report, 3, people.coordinator, services.VALIDATE, progress_rate=60)
    report.refresh_from_db()
    assert report.status == FicheReport.Status.VALIDATED
    assert report.validated_by == people.coordinator and report.validated_at
    services.set_status(report, FicheReport.Status.IN_PROGRESS, people.coordinator)
    report.refresh_from_db()
    assert report.status == FicheReport.Status.IN_PROGRESS and report.version == 5
    assert report.validated_by is None and report.validated_at is None


def test_freezing_keeps_a_snapshot_of_every_report(plan, people):
    campaign = services.open_campaign(plan, 1, timezone.localdate() + timedelta(days=3))
    report = campaign.reports.get(fiche__number="2")
    indicator = report.fiche.indicators.get(kind="result")
    save(
        report,
        1,
        people.caf_pilot,
        services.SUBMIT,
        progress_rate=80,
        objective_reached=True,
        obstacles="Peu de salles",
        actions={"A": ("yes", ""), "B": ("no", "Reporté")},
        numbers={indicator.pk: Decimal("120")},
    )
    frozen = services.freeze_campaign(campaign)
    assert frozen.status == Campaign.Status.FROZEN and frozen.frozen_at
    snapshot = Campaign.objects.get(pk=campaign.pk).snapshot
    assert snapshot["plan"] == plan.slug and snapshot["year"] == 1
    assert snapshot["calendar_year"] == 2024
    assert [r["fiche"] for r in snapshot["reports"]] == ["1", "2", "3"]
    two = snapshot["reports"][1]
    assert two["status"] == "submitted" and two["progress_rate"] == 80
    assert two["objective_reached"] is True and two["obstacles"] == "Peu de salles"
    assert two["updated_by"] == "Paule Parent"
    assert [(a["letter"], a["done"], a["comment"]) for a in two["actions"]] == [
        ("A", "yes", ""),
        ("B", "no", "Reporté"),
    ]
    assert two["indicators"][0]["value_number"] == "120"
    assert two["indicators"][0]["text"] == "Nombre de familles accompagnées"
    assert snapshot["reports"][0]["status"] == "to_do"
    # Freezing again changes nothing.
    again = services.freeze_campaign(campaign)
    assert again.frozen_at == frozen.frozen_at
