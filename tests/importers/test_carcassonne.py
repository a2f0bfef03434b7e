"""The Carcassonne CLS parser, checked against the signed contract (a pure test: no database)."""

import re

import pytest

from pilotis.core.text import fold
from pilotis.importers.carcassonne import parse
from tests.seeds import CARCASSONNE, carcassonne_draft, seed_bytes


@pytest.fixture(scope="module")
def draft():
    return carcassonne_draft()


def fiche(draft, number):
    (found,) = [f for f in draft.fiches if f.number == str(number)]
    return found


def test_plan_header(draft):
    assert draft.kind == "cls"
    assert draft.title == "Contrat local de santé de Carcassonne Agglo 2024-2029"
    assert (draft.start_year, draft.duration_years) == (2024, 5)
    assert draft.signatories == [
        "L'Agence Régionale de Santé Occitanie",
        "Carcassonne Agglo",
        "La Ville de Carcassonne",
        "La Caisse Primaire d'Assurance-Maladie de l'Aude",
    ]
    assert draft.levels == ["Ambition", "Objectif général"]


def test_totals(draft):
    assert len(draft.fiches) == 55
    assert [f.number for f in draft.fiches] == [str(n) for n in range(1, 56)]
    assert sum(len(f.actions) for f in draft.fiches) == 192
    indicators = [i for f in draft.fiches for i in f.indicators]
    assert sum(i.kind == "result" for i in indicators) == 100
    assert sum(i.kind == "monitoring" for i in indicators) == 67


def test_ambitions_and_general_objectives(draft):
    ambitions = [s for s in draft.sections if s.level == 0]
    assert [a.title for a in ambitions] == [
        "Agir pour des comportements favorables en santé",
        "Renforcer et garantir l’accès aux soins pour tous sur l’ensemble du territoire",
        "Développer un environnement et un cadre de vie impactant positivement la santé",
        "Améliorer le bien-être de la population dans une vision globale de santé physique, "
        "sociale et psychique",
        "Anticiper les enjeux de demain pour innover en santé",
    ]
    objectives = {s.key: s for s in draft.sections if s.level == 1}
    assert objectives["A1.O1"].title == (
        "Informer et sensibiliser le grand public sur la santé globale, les facteurs "
        "protecteurs et les facteurs de risques"
    )
    # A table cell wrapped across a blank line stays one objective.
    assert objectives["A2.O4"].title == (
        "Lutter contre le non-recours aux droits et aux soins des personnes les plus fragiles"
    )
    # Every fiche hangs under a general objective of its own ambition (fiches 1–13 are in 1…).
    ranges = {1: range(1, 14), 2: range(14, 31), 3: range(31, 45), 4: range(45, 53)}
    ranges[5] = range(53, 56)
    for f in draft.fiches:
        section = objectives[f.section_key]
        ambition = int(section.parent_key[1:])
        assert int(f.number) in ranges[ambition], f.number


def test_fiche_2_reads_like_the_paper(draft):
    f = fiche(draft, 2)
    assert f.title == "Soutenir la parentalité"
    assert f.pilotage_label == "co-pilotage"
    assert [(r.as_written, r.organisation) for r in f.pilots] == [
        ("CAF", "caf"),
        ("CD", "departement"),
        ("CLS", "cls"),
    ]
    assert [r.as_written for r in f.partners][:4] == [
        "ARS",
        "Département (PMI)",
        "CPAM",
        "Education Nationale",
    ]
    assert f.partners[-1].as_written == "SITFA"
    assert f.linked_fiches == ["1", "3", "4"]
    assert f.strategic_objective.startswith("Accompagner les parents dès les premières années")
    assert f.operational_objectives == [
        "Améliorer les compétences parentales et réduire le stress parental",
        "Renforcer les liens familiaux",
        "Favoriser l'adoption de pratiques éducatives positives",
        "Améliorer le bien-être global de l'enfant et sa réussite éducative",
    ]
    assert [a.letter for a in f.actions] == list("ABCDEFG")
    assert f.actions[0].deadline_years == [1, 2, 3, 4, 5]
    assert f.actions[0].deadline_as_written == "Années 1 2, 3, 4 et 5"
    assert all(a.deadline_years == [2, 3, 4, 5] for a in f.actions[1:])
    assert f.actions[6].text == (
        "Développement de la médiation intrafamiliale et accompagnement des parents et des "
        "adolescents aux différentes étapes d’accès à l’autonomie"
    )
    assert f.public == "futurs parents, enfants, professionnels jeunesse"
    assert "Convention Territoriale Globale" in f.programmes
    assert "PRS Occitanie 2023-2028" in f.programmes
    result = [(i.actions, i.text) for i in f.indicators if i.kind == "result"]
    monitoring = [(i.actions, i.text) for i in f.indicators if i.kind == "monitoring"]
    assert result[0] == (["A"], "Programme déployé et nombre de bénéficiaires")
    assert [r[0] for r in result] == [["A"], ["B"], ["C"], ["D"], ["F"]]
    assert monitoring[-1] == (["F"], "Evolution du nombre d’ateliers")
    assert f.context.startswith("Accompagner l’enfant dès son plus jeune âge")
    assert "Liens avec" not in f.context
    assert (f.span.first_line, f.span.last_line) == (2560, 2757)


def test_side_column_is_taken_out_of_the_action_text(draft):
    f = fiche(draft, 1)
    assert len(f.operational_objectives) == 4
    assert f.operational_objectives[0].startswith("Développer et coordonner des actions")
    action_a = f.actions[0].text
    assert "Les objectifs opérationnels" not in action_a
    assert "Favoriser l'alimentation" not in action_a
    # The action goes on after the column: its last lines are kept.
    assert action_a.endswith(
        "[Format : ateliers, activités ludiques et interactives, jeux, "
        "applications, escape game, retour d’expériences, conception de "
        "supports]"
    )


@pytest.mark.parametrize(
    ("number", "letter", "years", "text_end"),
    [
        (9, "A", [2], "modalités de mise en œuvre"),  # "Année 2 O/N" on one line
        (9, "B", [3], "éligibilité du dispositif"),  # letter, text and deadline on one line
        (9, "F", [4, 5], "et sa reconduction"),  # "Années 4" / "et 5"
        (11, "E", [2, 3, 4, 5], "Territoire Actif PNNS"),  # "Année 2, 3," / "4 et 5"
        (37, "A", [1], "plan végétal"),  # "2024 O/N": a calendar year
        (1, "E", [2, 3, 4, 5], "prévention des addictions"),
    ],
)
def test_deadline_variants(draft, number, letter, years, text_end):
    (action,) = [a for a in fiche(draft, number).actions if a.letter == letter]
    assert action.deadline_years == years
    assert action.text.endswith(text_end)


def test_every_action_has_a_deadline(draft):
    missing = [
        (f.number, a.letter) for f in draft.fiches for a in f.actions if not a.deadline_years
    ]
    flagged = [
        (f.number, re.search(r"Action (\w)", flag.message).group(1))
        for f in draft.fiches
        for flag in f.flags
        if flag.field == "actions" and "échéance" in flag.message
    ]
    assert missing == flagged


@pytest.mark.parametrize(
    ("number", "links"),
    [
        (1, ["2", "3", "4"]),  # "Liens avec les Fiches-actions n° 2, 3 et 4"
        (3, ["1", "2", "4"]),  # "Liens avec fiches-actions n°1,2 et 4"
        (6, ["1"]),  # "Lien avec la fiche-action n°1"
        (9, ["2"]),  # "Liens avec la fiche-action n°2"
        (42, ["2", "43"]),  # "Lien fiches-actions n°2 et n°43"
        (49, ["3"]),  # "Lien avec la fiche-action sur les CPS", flagged for review
    ],
)
def test_link_spellings(draft, number, links):
    assert fiche(draft, number).linked_fiches == links


def test_link_by_topic_is_flagged(draft):
    assert any("CPS" in flag.message for flag in fiche(draft, 49).flags)


def test_indicator_prefixes(draft):
    f52 = [i for i in fiche(draft, 52).indicators if i.kind == "result"]
    assert (f52[-1].actions, f52[-1].text) == (["A", "C"], "Répertoires réalisés")
    f23 = fiche(draft, 23).indicators
    assert (f23[0].actions, f23[0].text) == (["A"], "Nombre de dispositifs implantés")
    assert f23[-1].actions == ["B"]  # "B – "
    f19 = [i for i in fiche(draft, 19).indicators if i.kind == "monitoring"]
    assert (f19[-1].actions, f19[-1].text) == ([], "Nombre de réunions partenariales de suivi")


def test_repeated_action_letter_is_kept_and_flagged(draft):
    f = fiche(draft, 34)
    assert [a.letter for a in f.actions] == ["A", "A", "B"]
    assert any("lettre A" in flag.message for flag in f.flags)


def test_organisation_variants_resolve_to_one(draft):
    by_key = {o.key: o for o in draft.organisations}
    assert {"CD", "Département", "Département (PMI)"} <= set(by_key["departement"].aliases)
    assert by_key["departement"].name == "Conseil départemental de l'Aude"
    # The glossary of the contract gives full names.
    assert by_key["ussap"].name == "Union Sanitaire et Sociale Aude Pyrénées"
    pilots_of_2 = {r.organisation for r in fiche(draft, 2).pilots}
    assert pilots_of_2 == {"caf", "departement", "cls"}


def test_text_is_whitespace_normalised(draft):
    for f in draft.fiches:
        for text in [f.title, f.strategic_objective, f.public, *(a.text for a in f.actions)]:
            assert text == text.strip()
            assert "  " not in text and "\n" not in text


def test_nothing_is_silently_dropped(draft):
    """Every word of the fiche part is in a field of the draft or in the list of unplaced lines.

    Layout words (labels, grid, the O/N column) are the only exception.
    """
    lines = seed_bytes(CARCASSONNE).decode("utf-8").split("\n")
    first, last = draft.fiche_part
    source_words = set(re.findall(r"\w+", fold("\n".join(lines[first - 1 : last]))))
    kept = [s.title for s in draft.sections]
    for f in draft.fiches:
        kept += [f.number, f.title, f.context, f.strategic_objective, f.public]
        kept += f.operational_objectives + f.programmes + f.linked_fiches
        kept += [r.as_written for r in f.roles]
        kept += [a.letter + " " + a.text + " " + a.deadline_as_written for a in f.actions]
        kept += [" ".join(i.actions) + " " + i.text for i in f.indicators]
    kept += [u.text for u in draft.unplaced]
    kept_words = set(re.findall(r"\w+", fold(" ".join(kept))))
    layout = set(
        fold(
            "Fiche Action n° Pilotage Co-pilotage Partenaires Liens avec les Fiches-actions la "
            "fiche-action Lien Objectif stratégique Déclinaison des actions Echéance Réalisé O N "
            "Tx d avancement 20 40 60 80 100 Atteinte obj Année 1 2 3 4 5 Public cible d autres "
            "projets et programmes INDICATEURS De résultat De suivi Les objectifs opérationnels "
            "AMBITION"
        ).split()
    )
    assert source_words - kept_words - layout == set()


def test_unplaced_lines_are_reported_with_a_reason(draft):
    reasons = {u.reason for u in draft.unplaced}
    assert reasons <= {
        "numéro de page",
        "adresse web en note de bas de page",
        "tiret seul : aucun indicateur indiqué",
        "tiret seul : aucun programme indiqué",
    }
    assert any(u.text == "49" and u.line == 3406 for u in draft.unplaced)


def test_parsing_is_deterministic():
    text = seed_bytes(CARCASSONNE).decode("utf-8")
    assert parse(text, "a.txt") == parse(text, "a.txt")


def test_the_prs_engagements_the_contract_serves(draft):
    engagements = draft.extra["prs_engagements"]
    assert [e["number"] for e in engagements] == [1, 2, 3, 4, 5, 6]
    assert engagements[0]["title"] == (
        "Dynamiser et adapter la prévention et la promotion de la santé aux âges clés et aux "
        "milieux de vie"
    )
    assert engagements[5]["title"] == "Soutenir l’attractivité des métiers de la santé"
    assert (engagements[5]["first_line"], engagements[5]["last_line"]) == (281, 281)
