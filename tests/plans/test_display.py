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


# --- Extra rubrics: labels, order, texts --------------------------------------------------------


def test_extra_rubrics_follow_extra_labels_order_whatever_the_stored_order():
    extra = {
        "budget": "70 000 €",
        "challenge": "Adopter la stratégie",
        "regional_number": "4",
        "findings": "Constat.",
        "calendar": "2024",
    }
    rubrics = display.extra_rubrics(extra)
    assert [r.code for r in rubrics] == [
        "regional_number",
        "challenge",
        "findings",
        "calendar",
        "budget",
    ]
    assert [r.label for r in rubrics] == [
        "Numéro régional",
        "Défi à relever",
        "Constats",
        "Calendrier",
        "Budget",
    ]


def test_unknown_extra_keys_fall_back_to_their_code_after_the_known_ones():
    extra = {"zeta": "z", "Freins": "Manque de moyens", "obstacles": "o", "alpha": "a", "vide": " "}
    rubrics = display.extra_rubrics(extra)
    # Unknown keys keep their stored order; an empty value shows no rubric.
    assert [(r.code, r.label) for r in rubrics] == [
        ("obstacles", "Freins"),
        ("zeta", "zeta"),
        ("Freins", "Freins"),
        ("alpha", "alpha"),
    ]
    assert display.extra_rubrics(None) == []


def test_every_documented_extra_key_has_a_french_label():
    from pilotis.plans.draft import EXTRA_LABELS

    prs = ["regional_number", "challenge", "findings", "expected_results", "in_practice"]
    prs += ["key_figures", "themes", "pathways", "keywords", "citizen_voice"]
    cpts = ["label", "mission", "axis", "pilots", "working_group", "actors", "calendar"]
    cpts += ["means", "budget", "details", "start_month", "start_month_latest", "end_month"]
    confluences = ["description", "facilitators", "obstacles", "funding", "partners_note"]
    for code in prs + cpts + confluences:
        assert EXTRA_LABELS[code] and EXTRA_LABELS[code] != code
    assert EXTRA_LABELS["in_practice"] == "En pratique"
    assert EXTRA_LABELS["actors"] == "Acteurs concernés"


def test_fiche_rubrics_are_split_by_their_place_on_the_page():
    extra = {
        "budget": "b",
        "mission": "Mission 2",
        "description": "d",
        "working_group": "w",
        "label": "l",
    }
    groups = display.fiche_rubrics(extra)
    assert [r.code for r in groups["facts"]] == ["mission", "label"]
    assert [r.code for r in groups["lead"]] == ["description"]
    assert [r.code for r in groups["more"]] == ["working_group", "budget"]


def blocks_repr(blocks):
    def items(xs):
        return [(i.text, items(i.children)) if i.children else i.text for i in xs]

    return [("ul", items(b.items)) if b.items else b.text for b in blocks]


def test_text_blocks_keep_paragraphs_and_lines():
    assert blocks_repr(display.text_blocks("Un.\n\nDeux.\nTrois.\n")) == ["Un.", "Deux.", "Trois."]
    assert display.text_blocks("") == []


def test_text_blocks_read_bullets_as_nested_lists():
    text = "Acteurs :\n- Libéraux\n  - MG\n  - IDEL\n- DAC\n\n→ ARS\nFin."
    assert blocks_repr(display.text_blocks(text)) == [
        "Acteurs :",
        ("ul", [("Libéraux", ["MG", "IDEL"]), "DAC", "ARS"]),  # a blank line keeps the list
        "Fin.",
    ]


def test_text_blocks_split_inline_bullets():
    text = "Adapter les modalités : • Décloisonner. • Harmoniser."
    assert blocks_repr(display.text_blocks(text)) == [
        "Adapter les modalités :",
        ("ul", ["Décloisonner.", "Harmoniser."]),
    ]


def test_line_item_rubrics_are_lists_and_a_single_item_is_a_sentence():
    rubrics = display.extra_rubrics(
        {"themes": "Prévention\nPRAPS", "keywords": "Santé", "findings": "A.\nB."}
    )
    by_code = {r.code: blocks_repr(r.blocks) for r in rubrics}
    assert by_code["themes"] == [("ul", ["Prévention", "PRAPS"])]
    assert by_code["keywords"] == ["Santé"]
    assert by_code["findings"] == ["A.", "B."]  # prose: one paragraph a line


def test_month_span_of_cpts_actions():
    assert display.month_span({"start_month": "1"}) == (
        "à partir du 1er mois après la signature de l’ACI"
    )
    assert display.month_span({"start_month": "1", "end_month": "18"}) == (
        "à partir du 1er mois après la signature de l’ACI, jusqu’au 18e mois au plus tard"
    )
    assert display.month_span(
        {"start_month": "6", "start_month_latest": "12", "end_month": "24"}
    ) == ("entre le 6e et le 12e mois après la signature de l’ACI, jusqu’au 24e mois au plus tard")
    assert display.month_span({"end_month": "12"}) == (
        "jusqu’au 12e mois après la signature de l’ACI au plus tard"
    )
    assert display.month_span({}) == ""


def test_action_schedule_leaves_out_a_calendar_repeating_the_fiches():
    calendar = "Démarrage 1 mois après la signature des ACI"
    extra = {
        "calendar": calendar,
        "start_month": "1",
        "details": "- Recenser\n- Informer",
        "lieu": "Carcassonne",
    }
    schedule = display.action_schedule(extra, fiche_calendar=calendar)
    assert schedule.calendar == ""
    assert schedule.months.startswith("à partir du 1er mois")
    assert blocks_repr(schedule.details) == [("ul", ["Recenser", "Informer"])]
    assert [(r.label, r.text) for r in schedule.others] == [("lieu", "Carcassonne")]
    assert display.action_schedule(extra, fiche_calendar="autre").calendar == calendar
    assert display.action_schedule(None) == display.ActionSchedule()
