"""Pure shaping helpers of the plan pages, without a database."""

from __future__ import annotations

from types import SimpleNamespace as NS

from pilotis.plans import display
from pilotis.plans.templatetags.pilotis_tags import fr_plural


def section(pk, parent=None, depth=0, number="", title="t"):
    return NS(pk=pk, parent_id=parent, depth=depth, number=number, title=title)


def fiche(number, section_id):
    return NS(number=number, section_id=section_id)


LEVELS = ["Ambition", "Objectif général"]


def level_name(depth):
    return LEVELS[depth] if depth < len(LEVELS) else "Section"


def test_section_tree_walks_depth_first_with_fiches_at_any_depth():
    sections = [
        section(1, number="1"),
        section(2, 1, 1, "1.1"),
        section(3, 2, 2, "a"),
        section(4, number="2"),
    ]
    fiches = [fiche("1", 1), fiche("2", 3), fiche("3", None), fiche("4", 99)]
    tree = display.section_tree(sections, fiches, level_name)
    assert [(n.label, n.depth, n.heading_level) for n in tree] == [
        ("Ambition 1", 0, 3),
        ("Objectif général 1.1", 1, 4),
        ("Section a", 2, 5),
        ("Ambition 2", 0, 3),  # no fiche, still listed
        ("Fiches hors section", 0, 3),  # nothing loaded is left out
    ]
    assert [[f.number for f in n.fiches] for n in tree] == [["1"], [], ["2"], [], ["3", "4"]]


def test_section_label_does_not_repeat_the_level_name():
    assert display.section_label("Ambition", "1") == "Ambition 1"
    assert display.section_label("Ambition", "AMBITION 1") == "AMBITION 1"
    assert display.section_label("Axe", "") == "Axe"


def test_ancestors_from_root_and_cycle_safe():
    sections = [section(1), section(2, 1), section(3, 2)]
    assert [s.pk for s in display.ancestors(3, sections)] == [1, 2, 3]
    assert display.ancestors(None, sections) == []
    looping = [section(1, 2), section(2, 1)]
    assert [s.pk for s in display.ancestors(1, looping)] == [2, 1]


def test_year_columns_cover_contract_and_any_later_deadline():
    years = [(1, 2024), (2, 2025)]
    actions = [NS(deadline_years=[1]), NS(deadline_years=[4])]
    columns = display.year_columns(years, 2024, actions)
    assert [c.label for c in columns] == [
        "Année 1 (2024)",
        "Année 2 (2025)",
        "Année 3 (2026)",
        "Année 4 (2027)",
    ]
    assert [planned for _, planned in display.year_cells([2, 4], columns)] == [
        False,
        True,
        False,
        True,
    ]
    assert display.YearColumn(3, None).label == "Année 3"


def test_letters_label():
    assert display.letters_label([]) == ""
    assert display.letters_label(["A"]) == "Action A"
    assert display.letters_label(["A", "C", "D"]) == "Actions A, C et D"


def test_flag_items_accept_stored_dicts_and_strings():
    flags = [
        {"field": "actions", "message": "Échéance illisible", "first_line": 3, "last_line": 5},
        {"field": "titre", "message": "Coupé", "span": {"first_line": 7, "last_line": 7}},
        "Texte libre",
    ]
    assert display.flag_items(flags) == [
        {"field": "actions", "message": "Échéance illisible", "lines": "lignes 3 à 5"},
        {"field": "titre", "message": "Coupé", "lines": "ligne 7"},
        {"field": "", "message": "Texte libre", "lines": ""},
    ]


def test_paragraphs_split_on_line_breaks():
    assert display.paragraphs("Un.\n\n Deux.\nTrois.\n") == ["Un.", "Deux.", "Trois."]
    assert display.paragraphs("") == []


def test_excerpt_matches_without_accents_and_marks_the_original_text():
    texts = ["Titre sans rapport", "Le soutien à la parentalité est essentiel."]
    assert (
        display.excerpt(texts, "parentalite")
        == "Le soutien à la <mark>parentalité</mark> est essentiel."
    )


def test_excerpt_is_escaped_and_windowed():
    long = "début " + "mot " * 100 + "<b>Santé</b> publique " + "fin " * 100
    out = display.excerpt([long], "sante", width=80)
    assert out.startswith("… ") and out.endswith(" …")
    assert "&lt;b&gt;<mark>Santé</mark>&lt;/b&gt;" in out
    assert len(out) < 200


def test_excerpt_handles_ligatures_and_falls_back_to_first_text():
    assert "<mark>œuvre</mark>" in display.excerpt(["mise en œuvre du plan"], "oeuvre")
    assert display.excerpt(["Premier", "Second"], "absent") == "Premier"
    assert display.excerpt([], "x") == ""


def test_french_plural_is_singular_for_zero_and_one():
    assert [fr_plural(n) for n in (0, 1, 2)] == ["", "", "s"]
    assert fr_plural([1, 2, 3], "a,ont") == "ont"
    assert fr_plural(1, "a,ont") == "a"
    assert fr_plural("n/a") == ""
