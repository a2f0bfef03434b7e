"""Sections other apps add to a fiche's page (the observatory's trend of the territory…).

Plans imports none of those apps: each registers a provider, called with the reader, the fiche
and its indicators as the page already loaded them; a provider returns None when it has nothing
to show (and should then run no query).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pilotis.plans.models import Fiche, FicheIndicator


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
