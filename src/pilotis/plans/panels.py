"""Sections other apps add to the plan's pages: a fiche's (the observatory's trend of the
territory…) and an organisation's (the resources it runs, the bodies it sits in).

Plans imports none of those apps: each registers a provider, called with the reader, the fiche
and its indicators as the page already loaded them; a provider returns None when it has nothing
to show (and should then run no query).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pilotis.plans.models import Fiche, FicheIndicator, Organisation


@dataclass
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


PANEL_PROVIDERS: list[Callable[[Any, Fiche, list[FicheIndicator]], Panel | None]] = []


def register_panel(provider: Callable[[Any, Fiche, list[FicheIndicator]], Panel | None]) -> None:
    if provider not in PANEL_PROVIDERS:
        PANEL_PROVIDERS.append(provider)


def fiche_panels(user, fiche: Fiche, indicators: list[FicheIndicator]) -> list[Panel]:
    panels = []
    for provider in PANEL_PROVIDERS:
        panel = provider(user, fiche, indicators)
        if panel is not None:
            panels.append(panel)
    return panels


# --- The organisation page: what the directory and the governance add --------------------------


@dataclass(frozen=True)
class Item:
    text: str
    url: str = ""


@dataclass
class OrganisationPanel:
    """A titled list on an organisation's page (the resources it runs, the bodies it sits in)."""

    title: str
    items: list[Item] = field(default_factory=list)
    empty: str = ""


OrganisationProvider = Callable[[Organisation, Any], OrganisationPanel | None]
ORGANISATION_PANELS: list[OrganisationProvider] = []


def register_organisation_panel(provider: OrganisationProvider) -> None:
    if provider not in ORGANISATION_PANELS:
        ORGANISATION_PANELS.append(provider)


def organisation_panels(organisation: Organisation, user) -> list[OrganisationPanel]:
    """Every registered provider's panel for this organisation and reader (one query each)."""
    found = [provider(organisation, user) for provider in ORGANISATION_PANELS]
    return [p for p in found if p is not None]
