"""The Terres des Confluences CLS parser, checked against the OCR'd scan (pure: no database)."""

import re

import pytest

from pilotis.core.text import fold
from pilotis.importers.confluences import EXTRA_LABELS, fix_ocr, looks_like, parse
from pilotis.importers.persist import check_draft
from pilotis.plans.draft import ParseError
from tests.seeds import CONFLUENCES, seed_bytes

SEEDS = [
    "000_1d393093c933b2a1.txt",
    "001_78a9efdf112cd05a.txt",
    CONFLUENCES,
    "003_4693c211c99e4cd9.txt",
    "004_954aabb6f103aed8.txt",
]


def source() -> str:
    return seed_bytes(CONFLUENCES).decode("utf-8")


@pytest.fixture(scope="module")
def draft():
    return parse(source(), CONFLUENCES)


def fiche(draft, number):
    (found,) = [f for f in draft.fiches if f.number == number]
    return found


def roles(f, role):
    return [(r.as_written, r.organisation) for r in f.roles if r.role == role]


def flag_fields(f):
    return {flag.field for flag in f.flags}


def test_plan_header(draft):
    assert draft.kind == "cls"
    assert draft.title == (
        "Contrat local de santé de la Communauté de communes Terres des Confluences"
    )
    assert (
        draft.slug == "contrat-local-de-sante-de-la-communaute-de-communes-terres-des-confluences"
    )
    assert draft.territory_name == "Communauté de communes Terres des Confluences"
    assert draft.territory_level == "epci"
    assert draft.levels == ["Axe", "Objectif opérationnel"]
    # The scan states neither a signature date nor the contract's years.
    assert (draft.start_year, draft.signature_date, draft.signatories) == (None, None, [])
    assert check_draft(draft) == []


def test_axes_objectives_and_fiches(draft):
    axes = [s for s in draft.sections if s.level == 0]
    assert [(a.key, a.number, a.title) for a in axes] == [
        (
            "AX1",
            "1",
            "Redimensionner le volet santé de la compétence action sociale d’intérêt communautaire",
        ),
        ("AX2", "2", "Valoriser les actions mises en œuvre par les partenaires sur le territoire"),
        ("AX3", "3", "Favoriser la mise en relation des acteurs (élus, professionnels.)"),
        ("AX4", "4", "Développer l'essor d’actions complémentaires innovantes"),
    ]
    objectives = [s for s in draft.sections if s.level == 1]
    assert [o.key for o in objectives] == [
        "OO1.1",
        "OO1.2",
        "OO1.3",
        "OO1.4",
        "OO1.5",
        "OO2.1",
        "OO2.2",
        "OO2.3",
        "OO3.1",
        "OO3.2",
        "OO4.1",
        "OO4.2",
    ]
    assert all(o.parent_key == f"AX{o.number[0]}" for o in objectives)
    assert [f.number for f in draft.fiches] == [
        "1.1.1",
        "1.1.2",
        "1.1.3",
        "1.2.1",
        "1.3.1",
        "1.4.1",
        "1.4.2",
        "1.4.3",
        "1.5.1",
        "2.1.1",
        "2.2.1",
        "2.3.1",
        "3.1.1",
        "3.2.1",
        "4.1.1",
        "4.2.1",
    ]
    assert all(f.section_key == "OO" + f.number.rsplit(".", 1)[0] for f in draft.fiches)
    by_key = {o.key: o for o in objectives}
    # A title cut by the label "opérationnel" and one printed after the number.
    assert by_key["OO1.3"].title == (
        "Ancrer la CC comme point relais infradépartemental pour l'accueil de nouveaux "
        "PS/structures"
    )
    assert by_key["OO3.2"].title == (
        "Fédérer les acteurs du territoire autour d’événements collectifs sur la prévention "
        "en santé"
    )
    assert (by_key["OO1.1"].span.first_line, by_key["OO1.1"].span.last_line) == (3, 5)


def test_objective_2_3_is_found_despite_its_unreadable_number(draft):
    (objective,) = [s for s in draft.sections if s.key == "OO2.3"]
    assert objective.title == "Créer un annuaire numérique santé intercommunal"
    assert objective.parent_key == "AX2"
    f = fiche(draft, "2.3.1")
    assert f.section_key == "OO2.3"
    assert any(flag.field == "section_key" and "2.3" in flag.message for flag in f.flags)
    unplaced = {u.line: (u.text, u.reason) for u in draft.unplaced}
    assert unplaced[649][0] == "¥" and unplaced[650][0] == "eod"
    assert "numéro d'objectif illisible" in unplaced[649][1]


def test_fiche_1_1_1_reads_like_the_paper(draft):
    """Labels "Filotes de [action Fartenaire(s) 3 mobiliser/Assaciés", a qualified partner list,
    a funding line whose "|" was read "J"."""
    f = fiche(draft, "1.1.1")
    assert f.title == "Déploiement de formation et d’ateliers de sensibilisation"
    assert (f.span.first_line, f.span.last_line) == (16, 73)
    # The context of objective 1.1, shared by its three actions.
    assert f.context.startswith(
        "La compétence santé est une nouvelle compétence pour l'intercommunalité, qui reste "
        "pour le moment assumée"
    )
    assert f.context.endswith("autour des enjeux prioritaires de la santé publique.")
    assert fiche(draft, "1.1.3").context == f.context
    description = f.extra["description"]
    assert description.startswith("Différentes formations seront proposées aux élus")
    assert "n'ont pas vocation à transformer les élus" in description  # "&" read as "à"
    assert description.endswith("tourisme, urbanisme, développement economique.")
    assert description.count("\n\n") == 2
    assert f.pilotage_label == "pilotage"
    assert roles(f, "pilot") == [("CCTC", "cctc")]
    assert roles(f, "partner") == [
        ("IFERIS", "iferis"),
        ("IREPS", "ireps"),
        ("MSA", "msa"),
        ("Mutualité française", "mutualite-francaise"),
        ("Psycom", "psycom"),
    ]
    assert f.extra["partners_note"] == "En fonction des thématiques abordées"
    assert f.public == "L'ensemble des élus de la CC"
    assert f.extra["facilitators"] == "Vulgarisation des contenus de formation"
    assert f.extra["obstacles"] == "Manque de disponibilité des élus sur les formations proposées"
    assert f.extra["calendar"] == "3 sessions/an : Mars/Juin/Octobre"
    assert f.extra["funding"] == "Enveloppe formation élus interne à la CC"
    assert f.actions == []
    assert [(i.kind, i.text) for i in f.indicators] == [
        ("monitoring", "Emargements sur les différentes sessions de formation proposées"),
        ("monitoring", "Nombre de formation proposées"),
        ("monitoring", "Nombre d’élus formés"),
        ("result", "Questionnaire sur l'évolution des connaissances des élus en matière de santé"),
    ]
    assert f.flags == []


def test_fiche_1_4_2_reads_like_the_paper(draft):
    """ "Pilates de [action", both columns interleaved beside the public, "CcD", numbered steps
    with calendar years, indicators tied to the steps."""
    f = fiche(draft, "1.4.2")
    assert f.title == "Construction d’un « Pôle Santé »"
    assert (f.span.first_line, f.span.last_line) == (368, 422)
    assert f.context.startswith("Le territoire souffre d’un manque de praticiens en santé")
    assert f.extra["description"].startswith(
        "La collectivité s'est investie dans la construction de la MSP de Saint Nicolas"
    )
    assert "Etape" not in f.extra["description"]
    assert roles(f, "pilot") == [
        ("CCTC", "cctc"),
        (
            "Commission de coordination sanitaire territoriale",
            ("commission-de-coordination-sanitaire-territoriale"),
        ),
    ]
    assert [r for r, _ in roles(f, "partner")] == [
        "Elus",
        "URPS",
        "Ordre des Médecins",
        "CPAM",
        "DDARS",
        "CD",
        "Exercices coordonnés",
        "CHIC",
        "GHT",
    ]
    keys = dict(roles(f, "partner"))
    assert keys["DDARS"] == "ddars-82"
    assert keys["CD"] == "departement"
    assert keys["CHIC"] == "chic-castelsarrasin-moissac"
    assert keys["Ordre des Médecins"] == "ordre-medecins"
    assert f.public == "PS du territoire et structures annexes"
    assert f.extra["facilitators"] == "Réflexion déjà amorcée"
    assert f.extra["obstacles"] == "Budget et adéquation entre les possibilités et les besoins"
    assert f.extra["calendar"] == "Etape 1/2023, Etape 2/2024, Etape 3/2025"
    assert f.extra["funding"] == "3 millions d’euros HT"
    assert [(a.letter, a.text, a.deadline_as_written, a.deadline_years) for a in f.actions] == [
        ("1", "Etude de faisabilité", "2023", []),
        ("2", "Construction et élaboration du projet de santé", "2024", []),
        ("3", "Mise en fonctionnement du Pôle de santé, et de son projet", "2025", []),
    ]
    assert [(i.kind, i.actions, i.text) for i in f.indicators] == [
        ("monitoring", ["1"], "Restitution de l'étude de faisabilité et arbitrage"),
        ("monitoring", ["2"], "livraison du bati"),
        ("monitoring", ["3"], "Projet de santé"),
    ]
    # The split of the columns is a reading, and the calendar years are not contract years.
    assert flag_fields(f) == {"pilots", "partners", "public", "actions"}
    (pilots_flag,) = [flag for flag in f.flags if flag.field == "pilots"]
    assert "Commission de coordination sanitaire territoriale" in pilots_flag.message
    assert (pilots_flag.span.first_line, pilots_flag.span.last_line) == (395, 404)


def test_public_and_partners_sharing_rows(draft):
    # "Bublic visé sur le territoire, …" / "Citoyens du territoire outil de visibilité…"
    f = fiche(draft, "2.1.1")
    assert roles(f, "pilot") == [("CCTC (service santé et communication)", "cctc")]
    (partner,) = roles(f, "partner")
    assert partner[0] == (
        "Ensemble des partenaires du secteur social, sanitaire et médico-social qui déploient "
        "des actions sur le territoire, pour lesquels le CLS pourra un outil de visibilité et "
        "de diffusion"
    )
    assert f.public == "Citoyens du territoire, Partenaires"
    # "Fublic visé Commission PCAET" / "Citoyens Commission Mobhilité"
    f = fiche(draft, "4.1.1")
    assert [r for r, _ in roles(f, "partner")] == [
        "Elus",
        "CPIE",
        "Commission PCAET",
        "Commission Mobilité",
    ]
    assert f.public == "Citoyens"
    # "Fublic visé Partenaires PA" then the public, then "Partenaires Jeunes".
    f = fiche(draft, "4.2.1")
    assert [r for r, _ in roles(f, "partner")] == [
        "Elus",
        "Partenaires précarité",
        "Partenaires PA",
        "Partenaires Jeunes",
    ]
    assert f.public == "Public en situation de précarité, Personnes âgées isolées, Jeunes"
    # "Pubilic visé oTI": the office de tourisme, beside the label.
    f = fiche(draft, "1.2.1")
    assert roles(f, "pilot") == [("Commission Communication CCTC", "commission-communication-cctc")]
    assert [r for r, _ in roles(f, "partner")] == [
        "Cabinet extérieur dans la mise en place d’une démarche en marketing territorial",
        "OTI",
    ]
    assert f.public == "CCTC et partenaires économiques et sociaux, citoyens du territoire"


def test_coportage_makes_every_structure_a_copilot(draft):
    f = fiche(draft, "1.5.1")
    assert f.pilotage_label == "co-pilotage"
    assert [r.role for r in f.roles] == ["copilot"] * 7
    assert [r.organisation for r in f.roles] == [
        "cctc",
        "cpts",
        "msp-moissac",
        "msp-castelsarrasin",
        "csp-canal-a-laronne",
        "csp-apas-82",
        "chic-castelsarrasin-moissac",
    ]
    assert f.public == "Secteur sanitaire CCTC"
    assert flag_fields(f) == {"pilots", "partners"}


def test_funding_is_kept_as_written(draft):
    funding = {f.number: f.extra.get("funding") for f in draft.fiches}
    assert funding == {
        "1.1.1": "Enveloppe formation élus interne à la CC",
        "1.1.2": "Pas de budget dédié",
        "1.1.3": "Pas de budget dédié",
        "1.2.1": "Aarbitrer par la CC",
        "1.3.1": "Pas de financement dédié",
        "1.4.1": "Pas de budget dédié",
        "1.4.2": "3 millions d’euros HT",
        "1.4.3": "18 000 euros (CCTC et voire cofinancements)",
        "1.5.1": "Selon actions et enveloppe de chaque structure",
        "2.1.1": "Pas de budget dédié",
        "2.2.1": "Pas de budget dédié",
        "2.3.1": None,  # "Financements mohilisables |" and nothing after
        "3.1.1": "Pas de budget dédié",
        "3.2.1": "Voir avec les membres du Comité de suivi",
        "4.1.1": "A mobiliser",
        "4.2.1": "A définir",
    }


def test_flags_sit_where_the_reading_is_doubtful(draft):
    flagged = {f.number: flag_fields(f) for f in draft.fiches if f.flags}
    assert flagged == {
        "1.1.3": {"title"},  # "(bureau, conférence" then "=1": the end of the title is lost
        "1.2.1": {"pilots", "partners", "public"},
        "1.4.1": {"partners", "public"},
        "1.4.2": {"actions", "pilots", "partners", "public"},
        "1.4.3": {"pilots", "partners"},
        "1.5.1": {"pilots", "partners"},
        "2.1.1": {"partners", "public"},
        "2.3.1": {"section_key"},
        "4.1.1": {"actions", "partners", "public"},  # and two steps numbered "1/"
        "4.2.1": {"partners", "public"},
    }
    # The commission is a pilot in 1.4.2 by the layout, read so in 1.4.3 where it is alone.
    (flag,) = [f for f in fiche(draft, "1.4.3").flags if f.field == "pilots"]
    assert "pilote d'une autre action" in flag.message
    assert (
        "Commission de coordination sanitaire territoriale",
        ("commission-de-coordination-sanitaire-territoriale"),
    ) in roles(fiche(draft, "1.4.3"), "pilot")


def test_steps_become_actions(draft):
    f = fiche(draft, "2.3.1")
    assert [(a.letter, a.text) for a in f.actions] == [
        ("1", "Constitution du groupe de travail"),
        ("2", "Identification des annuaires déjà existants"),
        ("3", "Arbitrage sur les entrées priorisées"),
        ("4", "Travail en sous-groupe et élaboration de l'annuaire"),
        ("5", "Finalisation de l'annuaire et diffusion"),
    ]
    assert all(a.deadline_as_written == "" and a.deadline_years == [] for a in f.actions)
    assert f.extra["description"].endswith("remis à jour tos les 2 ans.")
    f = fiche(draft, "4.1.1")
    assert [a.letter for a in f.actions] == ["1", "1", "2"]
    assert f.actions[2].text == (
        "Proposition d'actions en SE sur les différents regroupements de communes opérés au "
        "sein de la CC"
    )
    # The calendar does not say which line is which step: kept as written, not matched.
    assert f.extra["calendar"].split("\n") == [
        "Janvier/Avril 2023 : mise en place du groupe de travail élus",
        "Avril/Décembre 2023 : prospection et définitions des actions par bassin de vie",
        "2024 : lancement des premières actions en SE",
    ]
    assert sum(len(f.actions) for f in draft.fiches) == 11


def test_indicator_kinds(draft):
    indicators = [i for f in draft.fiches for i in f.indicators]
    assert sum(i.kind == "monitoring" for i in indicators) == 22
    assert sum(i.kind == "result" for i in indicators) == 15
    # "Indicateur(s) de résultats" followed by nothing.
    assert [i.kind for i in fiche(draft, "3.1.1").indicators] == ["monitoring"]
    # An indicator wrapped over two lines is one indicator.
    assert fiche(draft, "1.5.1").indicators[-1].text == (
        "Meilleure interconnaissance des acteurs sur le territoire (questionnaire auprès des "
        "membres de la commission)"
    )


def test_extra_keys_have_french_labels(draft):
    used = {key for f in draft.fiches for key in f.extra}
    assert used <= set(EXTRA_LABELS)  # every key the parser fills has a French label
    assert EXTRA_LABELS["facilitators"] == "Éléments facilitateurs"


@pytest.mark.parametrize(
    ("scanned", "fixed"),
    [
        ("Enveloppe formation élus interne 3 la CC", "Enveloppe formation élus interne à la CC"),
        (
            "elle peine a se structurer et & se mobiliser",
            "elle peine a se structurer et à se mobiliser",
        ),
        ("la commission 3 & 4 fois par an", "la commission 3 à 4 fois par an"),
        ("de I'action", "de l'action"),
        ("|'action sur la collectivité", "l'action sur la collectivité"),
        ("|l s’agit", "Il s’agit"),
        ("les impacts de 'urbanisme", "les impacts de l'urbanisme"),
        ("mise en place d’'une", "mise en place d’une"),
        ("doit pouvoir &tre identifiée", "doit pouvoir être identifiée"),
        ("une compétence a part entiére", "une compétence a part entière"),
        # Numbers stay numbers; an unaccented "a" may be the verb: both kept.
        ("proposer 3 sessions de formation", "proposer 3 sessions de formation"),
        ("pouvoir editer 2 a 3 newsletters", "pouvoir editer 2 a 3 newsletters"),
        ("Le Centre de Santé Canal 4 Laronne", "Le Centre de Santé Canal 4 Laronne"),
        ("Chaque année, 3 nouvelles actions", "Chaque année, 3 nouvelles actions"),
    ],
)
def test_fix_ocr(scanned, fixed):
    assert fix_ocr(scanned) == fixed


def test_text_is_whitespace_normalised(draft):
    for f in draft.fiches:
        texts = [f.title, f.public, *(r.as_written for r in f.roles)]
        texts += [a.text for a in f.actions] + [i.text for i in f.indicators]
        for text in texts:
            assert text == text.strip()
            assert "  " not in text and "\n" not in text


def test_nothing_is_silently_dropped(draft):
    """Every word of the parsed part is in a field of the draft or in the unplaced lines.

    The comparison runs on the text after `fix_ocr` (the parser's reading of each line); label
    words, in the spellings the scan gives them, are the only exception.
    """
    lines = [fix_ocr(line) for line in source().split("\n")]
    first, last = draft.fiche_part
    source_words = set(re.findall(r"\w+", fold("\n".join(lines[first - 1 : last]))))
    kept = [s.title + " " + s.number for s in draft.sections]
    for f in draft.fiches:
        kept += [f.number, f.title, f.context, f.public, *f.extra.values()]
        kept += [r.as_written for r in f.roles]
        kept += [a.letter + " " + a.text + " " + a.deadline_as_written for a in f.actions]
        kept += [" ".join(i.actions) + " " + i.text for i in f.indicators]
    kept += [u.text for u in draft.unplaced]
    kept_words = set(re.findall(r"\w+", fold(" ".join(kept))))
    layout = set(
        fold(
            "Axe d intervention stratégique Objectif opérationnel Contexte Action Description "
            "de l action laction Pilotes Filotes Pilates Filates Flilates Pllotes Partenaire s "
            "Fartenaire à mobiliser mabiliser Associés Assaciés 4ssociés 4ssocids ssocids "
            "Associds Public Fublic FPublic Pubilic Bublic visé Eléments facilitateurs "
            "fagilitateurs Freins Freins_ Calendrier Modalités Muodalités de suivi Indicateur "
            "Indicatenr Indigatenr s de processus résultats résuftats Financements mobilisables "
            "mohilisables mobhilisahles J Coportage Etape"
        ).split()
    )
    assert source_words - kept_words - layout == set()


def test_unplaced_lines_are_noise_with_a_reason(draft):
    assert [(u.line, u.text) for u in draft.unplaced] == [
        (124, "=1"),
        (255, "- ; ]"),
        (309, "- ; ]"),
        (649, "¥"),
        (650, "eod"),
    ]
    assert all(u.reason for u in draft.unplaced)


@pytest.mark.parametrize("name", SEEDS)
def test_looks_like_recognises_only_this_document(name):
    assert looks_like(seed_bytes(name).decode("utf-8")) == (name == CONFLUENCES)


def test_other_text_is_refused():
    with pytest.raises(ParseError, match="aucune action numérotée"):
        parse("Compte rendu de réunion\nRien à voir.\n", "cr.txt")


def test_parsing_is_deterministic():
    assert parse(source(), "a.txt") == parse(source(), "a.txt")
