"""The indicator dictionary shipped with Pilotis (data/indicators.json) and the plan themes."""

from __future__ import annotations

import json
from importlib.resources import files

from django.db import transaction

from pilotis.core.text import fold
from pilotis.observatory.models import Indicator

# Themes of a territorial health plan; a fiche acts on a theme when its title or its section's
# mentions one of the words (folded).
THEMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "population": ("Démographie", ("vieilliss", "personnes agees", "autonomie", "aidant")),
    "social": (
        "Conditions de vie et précarité",
        ("precarite", "vulnerab", "insertion", "pauvrete", "acces aux droits", "parentalite"),
    ),
    "access": (
        "Accès aux soins et coordination",
        (
            "acces aux soins",
            "medecin",
            "offre de soins",
            "coordination",
            "exercice coordonne",
            "urgence",
            "professionnels de sante",
            "parcours",
            "attractivite",
            "installation",
        ),
    ),
    "prevention": (
        "Prévention et promotion de la santé",
        (
            "prevention",
            "depistage",
            "promotion de la sante",
            "vaccination",
            "education",
            "sante sexuelle",
        ),
    ),
    "health_status": (
        "État de santé",
        ("maladies chroniques", "diabete", "cancer", "nutrition", "activite physique", "addiction"),
    ),
    "mental_health": (
        "Santé mentale",
        ("sante mentale", "psychi", "souffrance psych", "suicide", "bien-etre"),
    ),
    "environment": (
        "Santé environnementale",
        ("environnement", "habitat", "qualite de l'air", "eau", "logement", "climat"),
    ),
}


def theme_label(code: str) -> str:
    return THEMES.get(code, (code, ()))[0]


def themes_of(text: str) -> set[str]:
    """The themes a fiche's text (title, section titles) speaks of."""
    folded = fold(text)
    return {code for code, (_, words) in THEMES.items() if any(w in folded for w in words)}


def shipped_indicators() -> list[dict]:
    return json.loads(files("pilotis.observatory").joinpath("data/indicators.json").read_text())


def load_indicators() -> tuple[int, int]:
    """Create or update the shipped indicators (by code); returns (created, updated)."""
    created = updated = 0
    with transaction.atomic():
        for position, entry in enumerate(shipped_indicators()):
            values = {k: v for k, v in entry.items() if k != "code"}
            unknown = set(values) - {f.name for f in Indicator._meta.get_fields()}
            if unknown:
                raise ValueError(f"{entry['code']} : champs inconnus {sorted(unknown)}")
            if values["theme"] not in THEMES:
                raise ValueError(f"{entry['code']} : thème inconnu « {values['theme']} »")
            _, was_created = Indicator.objects.update_or_create(
                code=entry["code"], defaults={**values, "position": position}
            )
            created += was_created
            updated += not was_created
    return created, updated


# Column names producers use for an indicator (folded), besides its code and label.
PRODUCER_COLUMNS = {
    "apl": "apl_gp",
    "apl mg": "apl_gp",
    "apl aux medecins generalistes": "apl_gp",
    "apl aux medecins generalistes (hors remplacants)": "apl_gp",
    "pmun": "population",
    "population municipale": "population",
    "pop": "population",
    "tx_pauvrete": "poverty_rate",
    "taux de pauvrete": "poverty_rate",
    "med": "median_income",
    "mediane du niveau de vie": "median_income",
    "part des 65 ans ou plus": "share_65_plus",
    "part des 75 ans ou plus": "share_75_plus",
    "densite": "density",
    "densite de population": "density",
}


def aliases(indicators) -> dict[str, str]:
    """Folded header → indicator code, for `parsing.detect`."""
    out = dict(PRODUCER_COLUMNS)
    for indicator in indicators:
        out[fold(indicator.code)] = indicator.code
        out[fold(indicator.label)] = indicator.code
    return out
