"""The follow-up seen where the plan is read: a provider registry (plans never imports followup).

The follow-up app registers a provider (see `followup.apps`) that tells, for a plan and a reader,
each fiche's latest progress rate, its state in the current campaign and the COPIL's last
decision, and the links to the campaign, the reports and the final evaluation. The overview
shows them; a section's rate is rolled up here, from its fiches (pure).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class FicheProgress:
    rate: int | None = None  # latest progress rate reported (0–100), None when never
    rate_year: str = ""  # « année 1 (2024) »: the campaign the rate comes from
    state: str = ""  # state of the fiche's report in the current campaign
    decision: str = ""  # the COPIL's last decision on the fiche


@dataclass
class PlanProgress:
    fiches: dict[int, FicheProgress] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)
    campaign_label: str = ""  # « année 2 (2025), ouverte »
    years: list[tuple[int, str]] = field(default_factory=list)  # campaigns: (year, label)


Provider = Callable[..., "PlanProgress | None"]
PROVIDERS: list[Provider] = []


def register_provider(provider: Provider) -> None:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def plan_progress(plan, user, year: int | None = None) -> PlanProgress | None:
    """What the registered follow-up says of `plan` to `user` (of the campaign of `year`, the
    latest by default); None when nothing (no follow-up app, no campaign, or a reader who may
    not see it)."""
    for provider in PROVIDERS:
        found = provider(plan, user, year)
        if found is not None:
            return found
    return None


def rolled_up_rate(fiche_ids: Iterable[int], progress: PlanProgress) -> int | None:
    """Mean of the latest rates of the fiches given that have one, rounded; None if none has."""
    rates = [
        progress.fiches[pk].rate
        for pk in fiche_ids
        if pk in progress.fiches and progress.fiches[pk].rate is not None
    ]
    return round(sum(rates) / len(rates)) if rates else None


def annotate_tree(nodes, progress: PlanProgress) -> None:
    """Set `rate` on each section node (its fiches and those of its sub-sections) and
    `progress` on each fiche, in place."""

    def fiche_ids(node) -> list[int]:
        ids = [f.pk for f in node.fiches]
        for child in node.children:
            ids += fiche_ids(child)
        return ids

    for node in nodes:
        node.rate = rolled_up_rate(fiche_ids(node), progress)
        for fiche in node.fiches:
            fiche.progress = progress.fiches.get(fiche.pk, FicheProgress())
        annotate_tree(node.children, progress)
