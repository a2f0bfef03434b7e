"""Resolve organisations as written in a plan ("CD", "Département (PMI)") to one organisation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.text import slugify

from pilotis.core.text import fold, squash
from pilotis.importers.common import split_outside_parens as _split_outside_parens
from pilotis.plans.draft import OrganisationDraft

# Organisations met in health contracts of Occitanie, with the spellings and acronyms they go by.
# A document's own glossary completes this table (full names of acronyms it defines).
# key, full name, acronym, other spellings (compared accent- and case-insensitively)
REFERENCE: list[tuple[str, str, str, list[str]]] = [
    ("ars", "Agence régionale de santé Occitanie", "ARS", ["ARS Occitanie", "DD ARS", "DD11 ARS"]),
    ("cpam", "Caisse primaire d'assurance maladie de l'Aude", "CPAM", ["CPAM de l'Aude"]),
    ("caf", "Caisse d'allocations familiales de l'Aude", "CAF", ["CAF de l'Aude"]),
    ("msa", "Mutualité sociale agricole", "MSA", []),
    ("carsat", "Caisse d'assurance retraite et de la santé au travail", "CARSAT", []),
    (
        "departement",
        "Conseil départemental de l'Aude",
        "CD",
        ["Département", "Conseil départemental", "Conseil Départemental de l'Aude", "CD11"],
    ),
    ("region", "Région Occitanie", "", ["Région", "Conseil régional"]),
    (
        "carcassonne-agglo",
        "Carcassonne Agglo",
        "CA",
        ["Carcassonne Agglomération", "Agglo", "Communauté d'agglomération de Carcassonne"],
    ),
    ("ville-carcassonne", "Ville de Carcassonne", "", ["Mairie de Carcassonne"]),
    ("cls", "Coordination du Contrat local de santé", "CLS", ["Contrat local de santé"]),
    (
        "cias",
        "Centre intercommunal d'action sociale de Carcassonne Agglo",
        "CIAS",
        ["Carcassonne Agglo (CIAS)"],
    ),
    ("ch", "Centre hospitalier de Carcassonne", "CH", ["Centre hospitalier"]),
    ("education-nationale", "Éducation nationale", "", ["Education Nationale"]),
    ("pmi", "Protection maternelle et infantile (Département)", "PMI", []),
    ("mdph", "Maison départementale des personnes handicapées", "MDPH", []),
    ("mda", "Maison des adolescents", "MDA", []),
    ("cpts", "CPTS du territoire", "CPTS", []),
    (
        "cpts-bassin-carcassonnais",
        "CPTS du Bassin Carcassonnais",
        "CPTS BC",
        ["CPTS Bassin carcassonnais", "CPTS du Bassin carcassonnais"],
    ),
    ("cpts-cabardes", "CPTS du Cabardès", "", ["CPTS Cabardès"]),
    ("ireps", "Instance régionale d'éducation et de promotion de la santé", "IREPS", []),
    ("ussap", "Union sanitaire et sociale Aude Pyrénées", "USSAP", []),
    ("mutualite-francaise", "Mutualité Française", "", []),
    ("csapa", "Centre de soins, d'accompagnement et de prévention en addictologie", "CSAPA", []),
    ("crcdc", "Centre régional de coordination des dépistages des cancers", "CRCDC", []),
    ("ddtm", "Direction départementale des territoires et de la mer", "DDTM", []),
    (
        "dreal",
        "Direction régionale de l'environnement, de l'aménagement et du logement",
        "DREAL",
        [],
    ),
    (
        "ddetspp",
        "Direction départementale de l'emploi, du travail, des solidarités et de la protection "
        "des populations",
        "DDETSPP",
        ["DDESTPP", "DDESTSPP", "DDETS-PP"],
    ),
    (
        "smmar",
        "Syndicat mixte des milieux aquatiques et des rivières",
        "SMMAR",
        ["SMAAR"],
    ),
    ("urps-ml", "URPS Médecins libéraux Occitanie", "URPS ML", ["URPS Médecins"]),
    ("urps", "Unions régionales des professionnels de santé Occitanie", "URPS", ["URPS Occitanie"]),
    ("ptsm", "Projet territorial de santé mentale", "PTSM", []),
    ("dac11", "Dispositif d'appui à la coordination de l'Aude", "DAC11", ["DAC", "DAC 11"]),
    ("france-services", "France Services", "", []),
    ("mloa", "Mission locale Ouest Audois", "MLOA", []),
    ("paej", "Point d'accueil écoute jeunes", "PAEJ", []),
    ("gem", "Groupe d'entraide mutuelle", "GEM", []),
    ("unafam", "Union nationale de familles et amis de personnes malades psychiques", "UNAFAM", []),
    ("udaf", "Union départementale des associations familiales", "UDAF", []),
    ("atmo", "Atmo Occitanie", "ATMO", []),
    ("cerema", "Cerema", "CEREMA", []),
    ("cnrs", "Centre national de la recherche scientifique", "CNRS", []),
    ("ademe", "Agence de la transition écologique", "ADEME", []),
    ("adil", "Agence départementale d'information sur le logement", "ADIL", []),
    (
        "ordre-medecins",
        "Conseil de l'Ordre des médecins",
        "",
        ["Conseil de l'ordre des médecins", "Conseil de l'ordre"],
    ),
    ("communes", "Communes", "", ["communes du territoire"]),
    ("centres-sociaux", "Centres sociaux", "", []),
    ("professionnels-sante", "Professionnels de santé", "", ["professionnels de santé"]),
    # Aude (CPTS du Bassin Carcassonnais). Bare spellings that could name another department's
    # body ("Préfecture", "Centre 15", "SAS") are mapped by that document's parser, not here.
    ("clinique-montreal", "Clinique Montréal", "", ["Clinique Montréal Carcassonne"]),
    ("gerontopole-toulouse", "Gérontopôle de Toulouse", "", ["Gérontopôle de Toulouse (CHU)"]),
    ("sas11", "Service d'accès aux soins de l'Aude", "", ["SAS 11", "SAS de l'Aude"]),
    ("mmg-carcassonne", "Maison médicale de garde de Carcassonne", "", ["MMG de Carcassonne"]),
    ("prefecture-aude", "Préfecture de l'Aude", "", []),
    ("samu11", "SAMU de l'Aude (Centre 15)", "", ["SAMU 11", "Centre 15 de l'Aude"]),
    # Tarn-et-Garonne (CLS of Terres des Confluences). Bare spellings that could name another
    # department's body ("CHIC", "DDARS") are mapped by that document's parser, not here.
    (
        "cctc",
        "Communauté de communes Terres des Confluences",
        "CCTC",
        ["CC Terres des Confluences", "Terres des Confluences"],
    ),
    (
        "ddars-82",
        "Délégation départementale de Tarn-et-Garonne de l'ARS Occitanie",
        "DDARS 82",
        ["DD ARS 82", "DD82 ARS"],
    ),
    (
        "chic-castelsarrasin-moissac",
        "Centre hospitalier intercommunal Castelsarrasin-Moissac",
        "",
        ["CHIC Castelsarrasin-Moissac", "CHIC de Castelsarrasin-Moissac"],
    ),
    (
        "msp-castelsarrasin",
        "Maison de santé pluriprofessionnelle de Castelsarrasin",
        "",
        ["MSP Castel", "MSP Castelsarrasin", "MSP de Castelsarrasin"],
    ),
    (
        "msp-moissac",
        "Maison de santé pluriprofessionnelle de Moissac",
        "",
        ["MSP Moissac", "MSP de Moissac"],
    ),
    (
        "csp-canal-a-laronne",
        "Centre de santé Canal à Laronne",
        "",
        ["CSP Canal", "CSP Canal a Laronne", "CSP Canal à Laronne"],
    ),
    ("csp-apas-82", "Centre de santé APAS 82", "", ["CSP APAS 82", "APAS 82"]),
]

_PAREN = re.compile(r"\s*\(([^)]*)\)\s*")


def _norm(text: str) -> str:
    text = text.replace("’", "'")
    return fold(re.sub(r"[.:;]+$", "", text))


@dataclass
class OrganisationResolver:
    """Maps as-written mentions to organisation keys, collecting every spelling it met."""

    glossary: dict[str, str] = field(default_factory=dict)  # acronym -> full name
    _index: dict[str, str] = field(default_factory=dict)
    _orgs: dict[str, OrganisationDraft] = field(default_factory=dict)
    _reference: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, name, acronym, aliases in REFERENCE:
            self._reference[key] = (name, acronym)
            for spelling in [name, acronym, *aliases]:
                if spelling:
                    self._index.setdefault(_norm(spelling), key)

    def known(self, text: str) -> bool:
        """Whether a fragment names an organisation of the reference table or the glossary."""
        return self._lookup(text) is not None

    def _lookup(self, text: str) -> str | None:
        norm = _norm(text)
        if not norm:
            return None
        if norm in self._index:
            return self._index[norm]
        # "Carcassonne Agglo : mobilités" is a service of Carcassonne Agglo.
        if ":" in text:
            head = _norm(text.split(":", 1)[0])
            if head in self._index:
                return self._index[head]
        # "Département (PMI)", "CAF (SIAF)": the organisation is what precedes the parentheses.
        bare = _norm(_PAREN.sub(" ", text))
        if bare in self._index:
            return self._index[bare]
        for prefix in ("association ", "l'", "la ", "le ", "les "):
            if bare.startswith(prefix) and bare[len(prefix) :] in self._index:
                return self._index[bare[len(prefix) :]]
        return None

    def resolve(self, as_written: str) -> str:
        """Return the key of the organisation a mention names, creating it when new."""
        text = squash(as_written).strip(" ,;")
        key = self._lookup(text)
        if key is None:
            acronym = text if re.fullmatch(r"[A-Z0-9][A-Z0-9 -]{1,12}", text) else ""
            key = slugify(fold(text))[:80] or "organisation"
            self._index[_norm(text)] = key
            if key not in self._orgs:
                name = self.glossary.get(acronym) or text[:1].upper() + text[1:]
                self._orgs[key] = OrganisationDraft(key=key, name=name, acronym=acronym)
        elif key not in self._orgs:
            name, acronym = self._reference.get(key, (text, ""))
            if acronym and acronym in self.glossary and key not in _KEEP_REFERENCE_NAME:
                name = self.glossary[acronym]
            self._orgs[key] = OrganisationDraft(key=key, name=name, acronym=acronym)
        org = self._orgs[key]
        if text not in org.aliases:
            org.aliases.append(text)
        return key

    def organisations(self) -> list[OrganisationDraft]:
        return sorted(self._orgs.values(), key=lambda o: fold(o.name))


# Reference names more precise than a generic glossary entry ("ARS: Agence Régionale de Santé").
_KEEP_REFERENCE_NAME = {"ars", "cls", "cias"}


def split_pilots(text: str, resolver: OrganisationResolver) -> list[str]:
    """Split a pilotage line into organisations as written.

    "/" separates organisations; a fragment that follows an "Organisation : service" fragment and
    names no known organisation is another service of the same one ("Carcassonne Agglo : Enfance,
    jeunesse, famille/ Séniors, santé handicap/CLS" is Carcassonne Agglo and the CLS).
    """
    parts: list[str] = []
    for raw in _split_outside_parens(text, "/"):
        piece = squash(raw)
        if not piece:
            continue
        if (
            parts
            and ":" in parts[-1]
            and not any(resolver.known(p) for p in _split_outside_parens(piece, ","))
        ):
            parts[-1] = f"{parts[-1]} / {piece}"
            continue
        if ":" in piece:
            parts.append(piece)
        else:
            parts.extend(squash(p) for p in _split_outside_parens(piece, ",") if squash(p))
    return parts


def split_partners(text: str) -> list[str]:
    """Split a partner list on commas outside parentheses ("Département (PMI), CAF")."""
    return [
        squash(p).strip(" .") for p in _split_outside_parens(text, ",") if squash(p).strip(" .")
    ]


def parse_glossary(lines: list[str]) -> dict[str, str]:
    """Read "ACRONYME: Nom complet" entries, an entry possibly wrapping on the next line."""
    glossary: dict[str, str] = {}
    last = None
    for line in lines:
        stripped = squash(line)
        match = re.match(r"^([A-Z][A-Z0-9\-]{1,15})\s*:\s*(.+)$", stripped)
        if match:
            last = match.group(1)
            glossary[last] = match.group(2).strip()
        elif stripped and last:
            glossary[last] += " " + stripped
        else:
            last = None
    return glossary
