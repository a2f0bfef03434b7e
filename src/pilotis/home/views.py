"""The home page (what each person has to do) and the footer's legal pages: thin views."""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import render
from django.views.decorators.http import require_safe

from pilotis.accounts import roles
from pilotis.followup import summary, tracking
from pilotis.governance import summary as governance
from pilotis.plans import perms
from pilotis.plans.models import Fiche, Plan

# The footer's pages: template and title. The accessibility level is written once, in
# home/_accessibility_level.html, which the footer and the statement both include (RGAA 4.1).
PAGES = {
    "accessibility": ("home/accessibility.html", "Déclaration d’accessibilité"),
    "legal": ("home/legal.html", "Mentions légales"),
    "personal_data": ("home/personal_data.html", "Données personnelles"),
    "sitemap": ("home/sitemap.html", "Plan du site"),
}


@require_safe
def static_page(request, page: str):
    template, title = PAGES[page]
    context = {"title": title, "breadcrumb_data": {"current": title}}
    return render(request, template, context)


@require_safe
def home(request):
    """What the person has to do and where things stand; the plans they may read, for everyone.

    The home reads the follow-up through its public module `followup.summary` only.
    """
    user = request.user
    plans = list(
        perms.visible_plans(user)
        .select_related("perimeter")
        .annotate(fiche_count=Count("fiches"))
        .order_by("-is_demo", "title")
    )
    context = {"title": "Accueil", "plans": plans}
    if user.is_authenticated:
        coordinated = roles.plan_ids_of(user, roles.Role.COORDINATOR)
        _, todos = summary.pilot_todos(user)
        frozen, validated = summary.copil_campaigns(user)
        campaigns = summary.open_campaigns_of_coordinator(user)
        meetings = governance.next_copil(p.campaign.plan_id for p in campaigns) if campaigns else {}
        for progress in campaigns:
            progress.next_copil = meetings.get(progress.campaign.plan_id)
        context |= {
            "campaigns": campaigns,
            "todos": [t for t in todos if not tracking.is_done(t.status)],
            "frozen": frozen,
            "validated": validated,
            "to_review": _to_review(coordinated),
            "recent": _recent_changes(coordinated),
        }
    return render(request, "home/home.html", context)


def _to_review(plan_ids) -> list[tuple[Plan, int]]:
    """Plans whose import left fiches « à vérifier », with how many."""
    if not plan_ids:
        return []
    flagged: dict[int, int] = {}
    for plan_id, flags in Fiche.objects.filter(plan_id__in=plan_ids).values_list(
        "plan_id", "review_flags"
    ):
        if flags:
            flagged[plan_id] = flagged.get(plan_id, 0) + 1
    plans = Plan.objects.filter(pk__in=flagged).only("slug", "title").order_by("title")
    return [(plan, flagged[plan.pk]) for plan in plans]


def _recent_changes(plan_ids, limit: int = 5) -> list:
    """The latest edits of fiches in the plans `plan_ids`, newest first, with their author."""
    if not plan_ids:
        return []
    return list(
        Fiche.history.filter(plan_id__in=plan_ids)
        .select_related("history_user", "plan")
        .order_by("-history_date")[:limit]
    )
