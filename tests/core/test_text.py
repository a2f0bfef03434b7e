from pilotis.core.text import fold, join_lines, word_set


def test_fold_removes_accents_case_and_ligatures():
    assert fold("Santé  PARENTALITÉ") == "sante parentalite"
    assert fold("Œuvre") == "oeuvre"


def test_join_lines_keeps_compound_hyphens():
    assert join_lines(["Améliorer le bien-", "être global"]) == "Améliorer le bien-être global"
    assert join_lines(["secteur médico-", "social "]) == "secteur médico-social"


def test_join_lines_rejoins_a_word_broken_by_a_hyphen_when_the_word_is_known():
    words = word_set("un accompagnement renforcé")
    assert join_lines(["un accompa-", "gnement"], words) == "un accompagnement"


def test_join_lines_normalises_whitespace_and_skips_blank_lines():
    assert join_lines(["  deux   espaces ", "", "\tet une tabulation "]) == (
        "deux espaces et une tabulation"
    )
