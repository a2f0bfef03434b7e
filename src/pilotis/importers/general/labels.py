"""The French labels of a fiche's rubrics, as contracts write them, and the field each fills.

To teach the general reader a new label, add its spelling to the list of its field: spellings
are compared folded (no accents, no case), without punctuation or plural marks, every word made
singular ("Partenaire(s) associé(e)s :" reads "partenaire associe"), so write them plainly. A
label that starts with a listed spelling also matches ("Pilote de l'action et référent" is a
pilot): the longest spelling that fits wins. A label that matches nothing becomes an extra
rubric of the fiche, under its own name, flagged for review.
"""

from __future__ import annotations

from dataclasses import dataclass

from pilotis.importers.common import LabelTable, canonical_label

# Field code -> French name shown on the review page (where a label can be reassigned).
# Codes that are keys of a fiche's `extra` (description, budget…) are stored under that key.
FIELDS: dict[str, str] = {
    "title": "Intitulé de la fiche",
    "number": "Numéro de la fiche",
    "pilots": "Pilotes",
    "copilots": "Co-pilotes",
    "partners": "Partenaires",
    "public": "Public cible",
    "strategic_objective": "Objectif stratégique",
    "operational_objectives": "Objectifs opérationnels",
    "context": "Contexte",
    "description": "Description de l’action",
    "modalities": "Modalités de mise en œuvre",
    "actions": "Actions (étapes)",
    "calendar": "Calendrier",
    "indicators": "Indicateurs",
    "result_indicators": "Indicateurs de résultat",
    "monitoring_indicators": "Indicateurs de suivi",
    "links": "Liens (fiches et programmes)",
    "territory": "Territoire concerné",
    "expected_results": "Résultats attendus",
    "facilitators": "Éléments facilitateurs",
    "obstacles": "Freins",
    "means": "Moyens",
    "budget": "Budget",
    "funding": "Financements mobilisables",
    "axis": "Axe",
    "rubric": "Autre rubrique (gardée sous son nom)",
    "ignore": "Ne pas importer (lignes non placées)",
}

# Field codes stored in a fiche's `extra` under the same key.
EXTRA_FIELDS = frozenset(
    {
        "description",
        "modalities",
        "calendar",
        "territory",
        "expected_results",
        "facilitators",
        "obstacles",
        "means",
        "budget",
        "funding",
        "axis",
    }
)

# Field code -> spellings met in contracts (CLS, CPTS projects, PTSM, CTG fiches).
SPELLINGS: dict[str, list[str]] = {
    "title": [
        "intitulé",
        "intitulé de l'action",
        "intitulé de la fiche",
        "intitulé de la fiche action",
        "titre",
        "titre de l'action",
        "nom de l'action",
        "libellé de l'action",
    ],
    "number": ["numéro", "numéro de la fiche", "numéro de l'action", "n° de fiche", "référence"],
    "pilots": [
        "pilote",
        "pilote de l'action",
        "pilotage",
        "porteur",
        "porteur de l'action",
        "porteur de projet",
        "structure porteuse",
        "structure pilote",
        "responsable",
        "responsable de l'action",
        "référent",
        "référent de l'action",
        "maître d'ouvrage",
        "pilote et référent",
    ],
    "copilots": [
        "co-pilote",
        "copilote",
        "co-pilotage",
        "copilotage",
        "co-porteur",
        "coporteur",
        "co-portage",
    ],
    "partners": [
        "partenaire",
        "partenaires associés",
        "partenaires mobilisés",
        "partenaires pressentis",
        "partenaires impliqués",
        "partenaires de l'action",
        "partenaires opérationnels",
        "acteurs associés",
        "acteurs mobilisés",
        "acteurs concernés",
        "acteurs impliqués",
        "contributeurs",
    ],
    "public": [
        "public",
        "public cible",
        "public visé",
        "public concerné",
        "population ciblée",
        "population cible",
        "population concernée",
        "bénéficiaires",
        "cible",
        "personnes concernées",
    ],
    "strategic_objective": [
        "objectif général",
        "objectif stratégique",
        "objectif principal",
        "objectif de l'action",
        "objectif",
        "finalité",
    ],
    "operational_objectives": [
        "objectifs spécifiques",
        "objectifs opérationnels",
        "objectifs intermédiaires",
        "sous-objectifs",
        "objectifs de l'action",
    ],
    "context": [
        "contexte",
        "contexte et enjeux",
        "contexte et justification",
        "éléments de contexte",
        "constat",
        "constats",
        "diagnostic",
        "problématique",
        "justification",
        "enjeux",
        "raison d'être de l'action",
    ],
    "description": [
        "description",
        "description de l'action",
        "descriptif",
        "descriptif de l'action",
        "contenu de l'action",
        "présentation de l'action",
        "présentation",
    ],
    "modalities": [
        "modalités de mise en œuvre",
        "modalités d'intervention",
        "modalités",
        "mise en œuvre",
        "méthodologie",
    ],
    "actions": [
        "étapes",
        "étapes de mise en œuvre",
        "étapes de réalisation",
        "actions",
        "actions à mettre en œuvre",
        "actions à mener",
        "actions prévues",
        "sous-actions",
        "activités",
        "plan d'action",
        "déroulement",
        "déclinaison opérationnelle",
    ],
    "calendar": [
        "calendrier",
        "calendrier prévisionnel",
        "calendrier de mise en œuvre",
        "calendrier de réalisation",
        "échéancier",
        "échéance",
        "échéances",
        "planning",
        "durée",
        "période de réalisation",
        "période",
        "date de mise en œuvre",
    ],
    "indicators": [
        "indicateurs",
        "indicateurs d'évaluation",
        "indicateurs de suivi et d'évaluation",
        "indicateurs de suivi et de résultat",
        "évaluation",
        "critères d'évaluation",
        "modalités d'évaluation",
    ],
    "result_indicators": [
        "indicateurs de résultat",
        "indicateurs de résultats",
        "indicateurs d'impact",
        "indicateurs d'efficacité",
    ],
    "monitoring_indicators": [
        "indicateurs de suivi",
        "indicateurs de processus",
        "indicateurs de réalisation",
        "indicateurs d'activité",
        "indicateurs de moyens",
    ],
    "links": [
        "liens avec",
        "lien avec",
        "articulation avec",
        "articulation",
        "cohérence avec",
        "liens avec d'autres fiches",
        "fiches liées",
        "actions liées",
        "liens avec les plans et programmes",
        "plans et programmes",
        "politiques publiques concernées",
        "lien avec le PRS",
    ],
    "territory": [
        "territoire",
        "territoire concerné",
        "territoire d'intervention",
        "territoire ciblé",
        "périmètre",
        "lieu",
        "lieux",
        "zone géographique",
        "communes concernées",
        "échelle territoriale",
    ],
    "expected_results": ["résultats attendus", "effets attendus", "impacts attendus"],
    "facilitators": ["éléments facilitateurs", "leviers", "facteurs de réussite", "atouts"],
    "obstacles": [
        "freins",
        "freins identifiés",
        "points de vigilance",
        "difficultés",
        "difficultés pressenties",
        "risques",
        "obstacles",
    ],
    "means": ["moyens", "moyens humains", "moyens mobilisés", "moyens nécessaires", "ressources"],
    "budget": [
        "budget",
        "budget prévisionnel",
        "coût",
        "coût estimé",
        "coût prévisionnel",
        "estimation financière",
        "moyens financiers",
    ],
    "funding": [
        "financement",
        "financements",
        "financements mobilisables",
        "financements envisagés",
        "sources de financement",
        "financeurs",
        "plan de financement",
    ],
    "axis": ["axe", "axe stratégique", "priorité", "ambition", "orientation stratégique"],
}


@dataclass(frozen=True)
class LabelMatch:
    """A label as written and the field it is read as; `known` when the tables name it."""

    as_written: str
    canonical: str
    field: str
    known: bool


TABLE = LabelTable(SPELLINGS, prefixes=True)
INDEX = TABLE.exact


def field_of(label: str, mapping: dict[str, str] | None = None) -> LabelMatch | None:
    """The field a label names, or None when it names none of the tables' fields.

    `mapping` (canonical label -> field code) is the coordinator's: it wins over the tables.
    """
    canonical = canonical_label(label)
    if not canonical:
        return None
    if mapping and canonical in mapping:
        return LabelMatch(label, canonical, mapping[canonical], True)
    code = TABLE.match(label)
    return LabelMatch(label, canonical, code, True) if code else None
