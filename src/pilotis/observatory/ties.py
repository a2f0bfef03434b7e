"""Tying a fiche's indicators to the observatory's: suggested from their words, set by the
coordinator (each change in the fiche's history)."""

from __future__ import annotations

from django.db import transaction

from pilotis.core.text import fold
from pilotis.observatory.models import Indicator
from pilotis.plans.models import FicheIndicator

# Words (folded) that must all appear in a fiche indicator's text for the observatory indicator
# to be proposed; the first rule that matches wins.
SUGGESTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("no_treating_doctor", ("sans medecin traitant",)),
    ("breast_screening", ("depistage", "sein")),
    ("breast_screening", ("mammograph",)),
    ("colorectal_screening", ("depistage", "colorectal")),
    ("cervical_screening", ("depistage", "col de l")),
    ("emergency_no_admission", ("urgences", "non suivis")),
    ("apl_gp", ("accessibilite potentielle",)),
    ("ivg_rate", ("ivg",)),
]


def suggest(text: str) -> str:
    folded = fold(text)
    for code, words in SUGGESTIONS:
        if all(w in folded for w in words):
            return code
    return ""


def suggestions(plan) -> list[tuple[FicheIndicator, Indicator]]:
    """The plan's untied fiche indicators whose words name an observatory indicator."""
    indicators = {i.code: i for i in Indicator.objects.all()}
    out = []
    for item in FicheIndicator.objects.filter(
        fiche__plan=plan, observatory_indicator__isnull=True, archived=False
    ).select_related("fiche"):
        code = suggest(item.text)
        if code in indicators:
            out.append((item, indicators[code]))
    return out


def tie(item: FicheIndicator, indicator: Indicator | None, user=None, reason: str = "") -> bool:
    """Set (or clear) the tie; recorded in the fiche's history. True when something changed."""
    if item.observatory_indicator_id == (indicator.pk if indicator else None):
        return False
    with transaction.atomic():
        item.observatory_indicator = indicator
        item._history_user = user
        item._change_reason = reason or "Rattachement à l’observatoire"
        item.save(update_fields=["observatory_indicator"])
    return True
