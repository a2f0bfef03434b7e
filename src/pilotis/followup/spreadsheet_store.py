"""The database side of the follow-up spreadsheets: a campaign as plain lines, an upload saved."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import formats, timezone

from pilotis.followup import perms, services, spreadsheets, tracking
from pilotis.followup.forms import stored_values
from pilotis.followup.models import ActionStatus, Campaign, FicheReport, IndicatorValue
from pilotis.plans import display
from pilotis.plans.models import Action, FicheIndicator

Status = FicheReport.Status


class Loaded:
    """A campaign's reports with their actions due, indicators and stored rows, in bulk."""

    def __init__(self, campaign: Campaign, fiche_ids: frozenset[int] | None = None):
        self.campaign = campaign
        # A fiche the COPIL stopped in an earlier year has no line: nothing is expected of it.
        # Not stopped by the COPIL in an earlier year, nor archived before the campaign.
        fiches = campaign.plan.fiches.filter(services.expected_fiches(campaign)).order_by(
            "position", "pk"
        )
        if fiche_ids is not None:
            fiches = fiches.filter(pk__in=fiche_ids)
        fiches = list(fiches.only("plan", "number", "title", "position", "archived"))
        for fiche in fiches:
            fiche.plan = campaign.plan
        reports = {
            r.fiche_id: r
            for r in campaign.reports.select_related("updated_by").filter(fiche__in=fiches)
        }
        self.reports: list[FicheReport] = []
        for fiche in fiches:
            # A fiche added to the plan after the campaign opened gets its report now, as on
            # its report page.
            report = reports.get(fiche.pk) or services.report_for(campaign, fiche)
            report.campaign, report.fiche = campaign, fiche
            self.reports.append(report)
        report_ids = [r.pk for r in self.reports]
        self.statuses: dict[int, dict[int, ActionStatus]] = {}
        for row in ActionStatus.objects.filter(report_id__in=report_ids):
            self.statuses.setdefault(row.report_id, {})[row.action_id] = row
        self.values: dict[int, dict[int, IndicatorValue]] = {}
        for row in IndicatorValue.objects.filter(report_id__in=report_ids):
            self.values.setdefault(row.report_id, {})[row.indicator_id] = row
        answered_actions = {a for rows in self.statuses.values() for a in rows}
        answered_indicators = {i for rows in self.values.values() for i in rows}
        actions: dict[int, list[Action]] = {}
        for action in Action.objects.filter(fiche__in=fiches).order_by("position", "pk"):
            actions.setdefault(action.fiche_id, []).append(action)
        indicators: dict[int, list[FicheIndicator]] = {}
        for indicator in FicheIndicator.objects.filter(fiche__in=fiches).order_by("position", "pk"):
            indicators.setdefault(indicator.fiche_id, []).append(indicator)
        # Archived actions and indicators are asked no more, unless already answered.
        self.actions = {
            f.pk: tracking.actions_due(
                services.current_parts(actions.get(f.pk, []), answered_actions), campaign.year
            )
            for f in fiches
        }
        # Result indicators first, as on the paper fiche and the report page.
        self.indicators = {
            f.pk: sorted(
                services.current_parts(indicators.get(f.pk, []), answered_indicators),
                key=lambda i: i.kind != FicheIndicator.Kind.RESULT,
            )
            for f in fiches
        }

    def report(self, report_id: int) -> FicheReport:
        return next(r for r in self.reports if r.pk == report_id)

    def lines(self, editable: Callable[[FicheReport], bool]) -> spreadsheets.CampaignLines:
        campaign = self.campaign
        return spreadsheets.CampaignLines(
            campaign_id=campaign.pk,
            title=f"Suivi de l’{campaign.year_label} — {campaign.plan.title}",
            allow_partial=campaign.allow_partial,
            fiches=[self._fiche_lines(r, editable(r)) for r in self.reports],
        )

    def _fiche_lines(self, report: FicheReport, editable: bool) -> spreadsheets.FicheLines:
        fiche = report.fiche
        actions = self.actions[fiche.pk]
        indicators = self.indicators[fiche.pk]
        kinds = dict(FicheIndicator.Kind.choices)
        return spreadsheets.FicheLines(
            report_id=report.pk,
            version=report.version,
            number=fiche.number,
            title=fiche.title,
            values=stored_values(
                report,
                actions,
                indicators,
                self.statuses.get(report.pk, {}),
                self.values.get(report.pk, {}),
            ),
            actions=[
                spreadsheets.ActionLine(a.pk, a.letter, a.text, _deadline(a)) for a in actions
            ],
            indicators=[
                spreadsheets.IndicatorLine(
                    i.pk,
                    kinds.get(i.kind, i.kind).removeprefix("Indicateur de ").capitalize(),
                    display.letters_label(i.action_letters),
                    i.text,
                )
                for i in indicators
            ],
            status=report.status,
            editable=editable,
            saved=_saved(report),
        )


def _deadline(action: Action) -> str:
    if action.deadline_as_written:
        return action.deadline_as_written
    years = action.deadline_years or []
    return f"Année{'s' if len(years) > 1 else ''} {', '.join(str(y) for y in years)}"


def _saved(report: FicheReport) -> str:
    if not report.updated_at:
        return ""
    who = report.updated_by
    name = (who.get_full_name() or who.get_username()) if who else "quelqu’un d’autre"
    when = formats.date_format(timezone.localtime(report.updated_at), "j F Y à H:i")
    return f"par {name} le {when}"


def download_lines(campaign: Campaign, user) -> spreadsheets.CampaignLines:
    """What the user's spreadsheet holds: every fiche for coordinators, their fiches for pilots;
    the fiches they may not change (validated, campaign frozen) come greyed."""
    loaded = Loaded(campaign, perms.spreadsheet_fiche_ids(user, campaign))
    return loaded.lines(lambda report: perms.can_edit_report(user, report))


def refusal(user, report: FicheReport) -> str | None:
    """Why the user may not change this report through an upload, in French (None: they may)."""
    if perms.can_edit_report(user, report):
        return None
    number = report.fiche.number
    if not report.campaign.is_open:
        return f"la campagne est figée : la fiche n°{number} n’est plus modifiable"
    if report.status == Status.VALIDATED:
        return (
            f"la fiche n°{number} est validée par la coordination : elle n’est plus modifiable "
            "(la coordination peut la reprendre)"
        )
    return (
        f"vous ne pouvez pas modifier la fiche n°{number} : aucune organisation pour laquelle "
        "vous êtes pilote ne la pilote ni ne la co-pilote"
    )


def read(
    campaign: Campaign, user, files: Sequence[tuple[str, bytes]], *, submit: bool
) -> tuple[spreadsheets.Reading, Loaded | None]:
    """The uploaded files checked against every report of the campaign, as stored now."""
    sheets, errors = spreadsheets.read_files(files)
    if errors:
        return spreadsheets.Reading(errors=errors), None
    loaded = Loaded(campaign)
    reading = spreadsheets.read_upload(
        sheets,
        loaded.lines(lambda report: True),
        submit=submit,
        may_edit=lambda fiche: refusal(user, loaded.report(fiche.report_id)),
    )
    return reading, loaded


@transaction.atomic
def confirm(
    campaign: Campaign, user: AbstractBaseUser, files: Sequence[tuple[str, bytes]], *, submit: bool
) -> spreadsheets.Reading:
    """Check the files again and save their updates through the report service, all or nothing.

    Saved only when the reading has no error. Raises services.StaleReport, with nothing
    written, when a report was saved by someone else since it was read: its version check
    refuses it and the transaction rolls every report back.
    """
    reading, loaded = read(campaign, user, files, submit=submit)
    if reading.errors:
        return reading
    for update in reading.updates:
        report = loaded.report(update.report_id)
        fiche_id = report.fiche_id
        services.save_report(
            report,
            update.data,
            version=update.version,
            user=user,
            intent=update.intent,
            actions=loaded.actions[fiche_id],
            indicators=loaded.indicators[fiche_id],
            statuses=loaded.statuses.get(report.pk, {}),
            values=loaded.values.get(report.pk, {}),
        )
    return reading


def filename(campaign: Campaign, extension: str, sheet: str = "") -> str:
    suffix = f"-{sheet.lower()}" if sheet else ""
    return f"suivi-{campaign.plan.slug}-annee-{campaign.year}{suffix}.{extension}"
