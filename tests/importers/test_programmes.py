"""programme_for: the shared programme a fiche's "linked programme" line names."""

import pytest

from pilotis.importers.programmes import (
    CODE_MAX_LENGTH,
    clean_programme_text,
    programme_code_from_text,
    programme_for,
)


@pytest.mark.parametrize(
    ("as_written", "code"),
    [
        ("PRS Occitanie 2023-2028", "prs"),
        ("- PRS 2023-2028", "prs"),
        ("Schéma Territorial de Santé / PRS Occitanie 2023-2028", "prs"),
        ("PRSE Occitanie 2023-2028", "prse"),
        ("PRSE Environnement 2023-2028", "prse"),
        ("Convention Territoriale Globale", "ctg"),
        ("CTG", "ctg"),
        ("Projet Alimentaire Territorial", "pat"),
        ("PCAET", "pcaet"),
        ("Plan Climat Air Energie Territorial", "pcaet"),
        ("Plan Climat-Air-Énergie Territorial", "pcaet"),
        ("Projets de santé des CPTS", "cpts"),
        ("Projet CPTS", "cpts"),
        ("Contrat Local de Santé Mentale", "clsm"),
        ("PTSM Aude", "ptsm"),
        ("PNNS 4", "pnns"),
        ("Contrat de Ville", "contrat-de-ville"),
        ("Plan végétal", "plan-vegetal"),
    ],
)
def test_programme_code(as_written, code):
    assert programme_for(as_written).code == code


def test_known_programme_has_a_french_name():
    assert programme_for("PRS Occitanie 2023-2028").name == "Projet régional de santé (PRS)"


def test_unknown_programme_is_named_as_written_without_its_bullet():
    ref = programme_for("- Dispositif Moi  Sénior")
    assert ref.name == "Dispositif Moi Sénior"
    assert ref.code == "dispositif-moi-senior"


def test_clean_programme_text_keeps_inner_dashes():
    assert clean_programme_text("– PRS 2023-2028 ") == "PRS 2023-2028"


def test_long_texts_get_distinct_codes_that_fit():
    a = programme_code_from_text(
        "Avis du HCSP relatif à la mesure du dioxyde de carbone, version A"
    )
    b = programme_code_from_text(
        "Avis du HCSP relatif à la mesure du dioxyde de carbone, version B"
    )
    assert a != b
    assert len(a) <= CODE_MAX_LENGTH and len(b) <= CODE_MAX_LENGTH
