"""directory.falc, pure: abbreviations spelled out once, one idea per sentence."""

from pilotis.directory import falc


def test_abbreviations_are_explained_the_first_time_only():
    seen: set[str] = set()
    assert falc.explain("Le CCAS et la MDPH", seen) == (
        "Le CCAS (centre communal d’action sociale) et la MDPH (maison départementale des "
        "personnes handicapées)"
    )
    assert falc.explain("Appelez le CCAS", seen) == "Appelez le CCAS"


def test_one_idea_per_sentence():
    assert falc.sentences("Accueil le lundi; le mardi.\nSur rendez-vous") == [
        "Accueil le lundi.",
        "le mardi.",
        "Sur rendez-vous.",
    ]
