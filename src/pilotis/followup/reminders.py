"""Reminders to pilots: who has fiches not transmitted while the deadline is near or past."""

from __future__ import annotations

import smtplib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

from pilotis.accounts import roles
from pilotis.followup import tracking
from pilotis.followup.models import Campaign, FicheReport
from pilotis.plans.models import FicheRole


@dataclass(frozen=True)
class LateFiche:
    report: FicheReport
    lateness: str  # tracking.LATE or tracking.DUE_SOON
    url: str

    @property
    def campaign(self) -> Campaign:
        return self.report.campaign

    @property
    def fiche(self):
        return self.report.fiche

    @property
    def lateness_label(self) -> str:
        return tracking.LATENESS_LABELS[self.lateness]


@dataclass
class Reminder:
    """One e-mail: a pilot and their fiches to transmit, grouped by campaign."""

    user: object
    fiches: list[LateFiche]

    @property
    def by_campaign(self) -> list[tuple[Campaign, list[LateFiche]]]:
        groups: dict[int, list[LateFiche]] = {}
        for item in self.fiches:
            groups.setdefault(item.campaign.pk, []).append(item)
        return [(items[0].campaign, items) for items in groups.values()]


def campaigns_to_chase(today: date, days: int, plan_slug: str | None = None) -> QuerySet:
    """Open campaigns whose deadline is past or within `days` days (today counted).

    Demonstration campaigns are left out: their pilots are real people who owe them nothing.
    """
    found = Campaign.objects.filter(
        status=Campaign.Status.OPEN, deadline__lt=today + timedelta(days=days), is_demo=False
    ).select_related("plan")
    if plan_slug:
        found = found.filter(plan__slug=plan_slug)
    return found.order_by("deadline", "plan__title", "year")


def absolute(path: str) -> str:
    return f"{settings.PILOTIS_BASE_URL}{path}"


def plan_reminders(
    campaigns: Iterable[Campaign], today: date, days: int
) -> tuple[list[Reminder], list[LateFiche]]:
    """The e-mails to send, and the late fiches no pilot account with an address will hear of.

    Five queries whatever the number of campaigns and fiches: reports, their steering
    organisations, pilot memberships, users.
    """
    campaigns = list(campaigns)
    reports = list(
        FicheReport.objects.filter(
            campaign__in=campaigns,
            status__in=[FicheReport.Status.TO_DO, FicheReport.Status.IN_PROGRESS],
        )
        .select_related("campaign__plan", "fiche")
        .order_by("campaign__deadline", "campaign__plan__title", "fiche__position", "fiche__pk")
    )
    late = []
    for report in reports:
        lateness = tracking.lateness(report.status, report.campaign.deadline, today, days)
        if lateness:
            campaign = report.campaign
            url = reverse(
                "followup:report", args=[campaign.plan.slug, campaign.year, report.fiche.number]
            )
            late.append(LateFiche(report, lateness, absolute(url)))
    steering: dict[int, set[int]] = defaultdict(set)
    for fiche_id, organisation_id in FicheRole.objects.filter(
        fiche__in=[item.report.fiche_id for item in late],
        role__in=roles.STEERING_FICHE_ROLES,
    ).values_list("fiche_id", "organisation_id"):
        steering[fiche_id].add(organisation_id)
    pilots = roles.reachable_pilots({c.plan_id for c in campaigns})
    found = tracking.recipients({item: steering[item.report.fiche_id] for item in late}, pilots)
    users = get_user_model().objects.in_bulk(found.keys())
    reminders = [Reminder(users[user_id], items) for user_id, items in found.items()]
    reminders.sort(key=lambda r: (r.user.last_name.casefold(), r.user.get_username()))
    reached = {item for items in found.values() for item in items}
    return reminders, [item for item in late if item not in reached]


def render(reminder: Reminder, today: date) -> EmailMessage:
    n = len(reminder.fiches)
    context = {
        "user": reminder.user,
        "groups": reminder.by_campaign,
        "count": n,
        "today": today,
        "my_fiches_url": absolute(reverse("followup:my_fiches")),
    }
    body = render_to_string("followup/email/reminder_body.txt", context)
    subject = f"Pilotis : {n} fiche{'s' if n > 1 else ''} à transmettre pour le suivi annuel"
    return EmailMessage(subject=subject, body=body, to=[reminder.user.email])


# What a run of the reminders says, line by line: ("out" | "err" | "warn", text).
Say = Callable[[str, str], None]


def _s(n: int) -> str:
    """French plural mark: none for 0 and 1."""
    return "s" if n > 1 else ""


def remind(today: date, days: int, plan_slug: str | None, dry_run: bool, say: Say) -> int:
    """Send (or, dry, list) the reminders due today; the number of e-mails that failed."""
    campaigns = list(campaigns_to_chase(today, days, plan_slug))
    if not campaigns:
        say("out", "Aucune campagne ouverte n’arrive à échéance : personne à relancer.")
        return 0
    to_send, unreached = plan_reminders(campaigns, today, days)
    failed = 0
    for reminder in to_send:
        user = reminder.user
        name = user.get_full_name() or user.get_username()
        n = len(reminder.fiches)
        fiches = f"{n} fiche{_s(n)}"
        if dry_run:
            say("out", f"Enverrait à {user.email} ({name}) : {fiches}")
            for item in reminder.fiches:
                say(
                    "out",
                    f"  - {item.campaign.plan.title}, {item.campaign.year_label} : "
                    f"fiche n°{item.fiche.number} — {item.fiche.title} "
                    f"({item.report.get_status_display().lower()}, "
                    f"{item.lateness_label.lower()}) {item.url}",
                )
            continue
        try:
            render(reminder, today).send()
        except (smtplib.SMTPException, OSError) as exc:
            failed += 1
            say("err", f"Échec de l’envoi à {user.email} ({name}) : {exc}")
        else:
            say("out", f"Envoyé à {user.email} ({name}) : {fiches}")
    for item in unreached:
        say(
            "warn",
            f"Personne à relancer pour la fiche n°{item.fiche.number} "
            f"({item.campaign.plan.title}, {item.campaign.year_label}) : aucun compte "
            "de pilote avec une adresse électronique pour ses organisations.",
        )
    count, sent = len(to_send), len(to_send) - failed
    if dry_run:
        would = "aurait été envoyé" if count < 2 else "auraient été envoyés"
        say("out", f"Simulation : {count} courriel{_s(count)} {would}, rien n’est parti.")
    else:
        say("out", f"{sent} courriel{_s(sent)} envoyé{_s(sent)} sur {count}.")
    return failed


def failure_message(failed: int) -> str:
    return f"{failed} courriel{_s(failed)} {'n’ont' if failed > 1 else 'n’a'} pas pu partir."
