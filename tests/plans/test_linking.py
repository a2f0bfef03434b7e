"""The link suggestion engine on hand-made fiches: pure, no database."""

from __future__ import annotations

import random

import pytest

from pilotis.plans.linking import Record, reason, stem, suggest, terms

CLS, CPTS, PRS = 1, 2, 3

CLS_18 = Record(
    18,
    CLS,
    "Améliorer l’accès aux soins non programmés et le parcours de soins non programmé",
    "Objectif stratégique : améliorer l’accès aux soins non programmés et optimiser le parcours "
    "des patients. A- Soutenir la maison médicale de garde. B- Ouverture d’un centre de soins "
    "non programmés. Public cible : professionnels de santé, dispositifs de soins non programmés "
    "(CH, SAS, SDIS, MMG).",
)
CLS_32 = Record(
    32,
    CLS,
    "Développer la pratique de jardins partagés",
    "Créer des jardins partagés dans les quartiers pour une alimentation saine et le lien social. "
    "Accompagner les habitants et les associations de jardiniers.",
)
CLS_2 = Record(
    2,
    CLS,
    "Soutenir la parentalité",
    "Accompagner les parents dès les premières années de vie de leur enfant. Groupes de parole "
    "pour les parents, cours de préparation à la parentalité.",
)
CPTS_1B = Record(
    101,
    CPTS,
    "Prise en charge des soins non programmés",
    "Organiser et coordonner les soins non programmés sur le territoire de la CPTS. Réguler les "
    "soins non programmés en collaboration avec le SAS 11. Diminuer les passages aux urgences.",
)
CPTS_3C = Record(
    102,
    CPTS,
    "Actions de prévention pour les jeunes",
    "Ateliers avec les parents et les jeunes : vie affective, écrans, addictions.",
)
PRS_OBJ = Record(
    201,
    PRS,
    "Soutenir les aidants et améliorer l’offre de répit",
    "Développer les plateformes d’accompagnement et de répit pour les aidants.",
)
RECORDS = [CLS_18, CLS_32, CLS_2, CPTS_1B, CPTS_3C, PRS_OBJ]


def test_stem_strips_french_plurals_only():
    assert stem("soins") == "soin"
    assert stem("sociaux") == "social"
    assert stem("reseaux") == "reseau"
    assert stem("prix") == "pri"  # same stem for "prix" everywhere: matching stays consistent
    assert stem("stress") == "stress"
    assert stem("sas") == "sas"  # short words are kept as they are
    assert stem("sante") == "sante"


def test_terms_are_folded_without_stop_words_and_with_bigrams():
    counts = terms("Les soins non programmés, l’accès aux Soins")
    assert counts["soin"] == 2
    assert counts["non programme"] == 1.5  # bigrams weigh more than single words
    assert counts["soin non"] == 1.5
    assert "les" not in counts and "aux" not in counts and "l" not in counts
    assert "programme acce" not in counts  # no bigram across a comma
    assert counts["acce soin"] == 1.5  # "aux" between them is a stop word


def test_the_unscheduled_care_fiche_of_the_cpts_matches_cls_fiche_18_not_32():
    found = suggest(RECORDS, [CPTS_1B.id])
    assert [s.target_id for s in found][:1] == [18]
    assert 32 not in [s.target_id for s in found]
    best = found[0]
    assert best.source_id == CPTS_1B.id
    assert 0 < best.score <= 1
    assert best.terms[0] == "soins non programmés"  # the chained bigrams, as written
    assert "SAS" in best.terms  # an acronym keeps its capitals


def test_reason_is_a_short_french_line():
    assert reason(("soins non programmés", "sas")) == "Termes communs : soins non programmés, sas"
    assert reason(("répit",)) == "Terme commun : répit"
    assert reason(()) == ""


def test_never_links_two_fiches_of_the_same_plan():
    twin = Record(19, CLS, CLS_18.title, CLS_18.text)
    found = suggest([CLS_18, twin, CLS_32], min_score=0)
    assert found == []


def test_identical_texts_in_two_plans_score_one():
    twin = Record(300, PRS, CLS_32.title, CLS_32.text)
    found = suggest([CLS_32, twin, CLS_2, CPTS_3C], [CLS_32.id])
    assert found[0].target_id == 300 and found[0].score == 1.0


def test_nothing_in_common_gives_nothing():
    assert suggest([CLS_32, CPTS_1B], min_score=0) == []
    assert suggest([], min_score=0) == []
    assert suggest(RECORDS, [999]) == []  # an unknown source is ignored


def test_limit_and_minimum_score():
    many = suggest(RECORDS, [CLS_2.id], limit_per_source=5, min_score=0)
    assert len(many) >= 2
    assert [s.score for s in many] == sorted((s.score for s in many), reverse=True)
    assert len(suggest(RECORDS, [CLS_2.id], limit_per_source=1, min_score=0)) == 1
    high = suggest(RECORDS, [CLS_2.id], limit_per_source=5, min_score=many[0].score + 0.0001)
    assert high == []


def test_without_sources_each_pair_comes_once_from_its_lower_id():
    found = suggest(RECORDS, min_score=0.05)
    pairs = [(s.source_id, s.target_id) for s in found]
    assert all(a < b for a, b in pairs)
    assert len(set(pairs)) == len(pairs)
    assert (18, 101) in pairs


def test_parenting_goes_with_the_youth_prevention_fiche():
    found = suggest(RECORDS, [CLS_2.id], min_score=0.01)
    assert found[0].target_id == CPTS_3C.id
    assert "parents" in found[0].terms


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_suggestions_do_not_depend_on_input_order(seed):
    shuffled = RECORDS[:]
    random.Random(seed).shuffle(shuffled)
    sources = [r.id for r in shuffled if r.plan_id == CLS]
    assert suggest(shuffled, sources, min_score=0) == suggest(RECORDS, sorted(sources), min_score=0)


def test_durations_are_no_common_term_and_acronyms_keep_their_capitals():
    from pilotis.plans.linking import STOP_WORDS, _segments

    assert {"ans", "an", "mois"} <= STOP_WORDS
    segments = _segments("Le COPIL suit les jeunes de 12 ans")
    assert segments == [[("copil", "COPIL"), ("suit", "suit"), ("jeune", "jeunes")]]
