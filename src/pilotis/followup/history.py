"""The follow-up's part of a fiche's history page: each yearly report, action status and
indicator value, who changed it, when, before and after (issue 3)."""

from __future__ import annotations

from pilotis.followup.models import ActionStatus, Campaign, FicheReport, IndicatorValue
from pilotis.plans.history import HIDDEN_FIELDS, Source
from pilotis.plans.models import Fiche

# Bookkeeping the history's own user and date already tell, and the keys tying a row to its
# report: the subject names them.
HIDDEN = HIDDEN_FIELDS | frozenset(
    {
        "campaign",
        "report",
        "action",
        "indicator",
        "updated_by",
        "updated_at",
        "submitted_at",
        "validated_by",
        "validated_at",
    }
)


def _year_label(plan, year: int) -> str:
    return Campaign(plan=plan, year=year).year_label


def fiche_sources(fiche: Fiche) -> list[Source]:
    """The follow-up records of the fiche, every year: three queries to name them (reports,
    actions, indicators), three to read them. The fiche history is read by coordinators and
    COPIL members only (plans.perms), who read every report anyway."""
    plan = fiche.plan
    rows = list(
        FicheReport.objects.filter(fiche=fiche).values_list("pk", "campaign_id", "campaign__year")
    )
    campaign_years = {campaign_id: year for _, campaign_id, year in rows}
    report_years = {pk: year for pk, _, year in rows}
    letters = dict(fiche.actions.values_list("pk", "letter"))
    texts = dict(fiche.indicators.values_list("pk", "text"))

    def year_of(campaign_id=None, report_id=None) -> str:
        year = campaign_years.get(campaign_id) if campaign_id else report_years.get(report_id)
        return f"Suivi de l’{_year_label(plan, year)}" if year else "Suivi d’une année supprimée"

    return [
        Source(
            FicheReport,
            FicheReport.history.filter(fiche_id=fiche.pk),
            lambda r: year_of(campaign_id=r.campaign_id),
            HIDDEN,
        ),
        Source(
            ActionStatus,
            ActionStatus.history.filter(action_id__in=list(letters)),
            lambda r: f"{year_of(report_id=r.report_id)} — action {letters.get(r.action_id, '?')}",
            HIDDEN,
        ),
        Source(
            IndicatorValue,
            IndicatorValue.history.filter(indicator_id__in=list(texts)),
            lambda r: (
                f"{year_of(report_id=r.report_id)} — indicateur "
                f"« {texts.get(r.indicator_id, 'supprimé')[:80]} »"
            ),
            HIDDEN,
        ),
    ]
