"""The general reader: contracts of layouts no known parser reads, field by field."""

from __future__ import annotations

import io

import pytest

from pilotis.importers import general
from pilotis.importers.common import calendar_years, canonical_label, list_items
from pilotis.importers.general.labels import field_of
from pilotis.importers.registry import parse_document
from pilotis.plans.draft import ParseError
from tests.importers import general_collection as collection


def read(text: str, name: str = "contrat.txt", mapping=None):
    return parse_document(text.encode(), name, label_mapping=mapping)


FICHE = """Contrat local de santé du Pays de Lune 2025-2029

Axe 1 : Prévention

Fiche action n° 1.2 : Développer le sport santé
Pilote(s) : Communauté de communes du Pays de Lune
Co-pilote : CPAM
Partenaires (associés) : CAF, Département (PMI), Associations sportives
Population ciblée : Personnes de plus de 60 ans
Objectif général : Lutter contre la sédentarité
Objectifs spécifiques :
- Augmenter l'offre d'activité physique adaptée
- Faire connaître les créneaux existants
Étapes :
1. Recenser l'offre existante (2025)
2. Créer trois créneaux d'activité physique adaptée
Calendrier : 2026-2027
Indicateurs de résultat : Taux de participation des plus de 60 ans
Indicateurs de suivi :
- Nombre de créneaux créés
Liens avec : fiche 2.1, PRS Occitanie 2023-2028
Point d'attention du COPIL : la mobilité en zone rurale
"""


# --- tables of labels --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Pilote(s)", "pilots"),
        ("Porteur(s) de l'action", "pilots"),
        ("CO-PILOTE", "copilots"),
        ("Partenaires (associés)", "partners"),
        ("Public(s) cible(s)", "public"),
        ("Population ciblée", "public"),
        ("Objectif général/stratégique", "strategic_objective"),
        ("Objectifs spécifiques/opérationnels", "operational_objectives"),
        ("Modalités de mise en œuvre", "modalities"),
        ("Étapes", "actions"),
        ("Echéancier", "calendar"),
        ("Financement(s)", "funding"),
        ("Indicateurs (d'évaluation, de processus, de résultat, de suivi)", "indicators"),
        ("Indicateurs de résultats", "result_indicators"),
        ("Indicateurs de processus", "monitoring_indicators"),
        ("Territoire concerné", "territory"),
        ("Liens avec le PRS", "links"),
        ("Description de l’action", "description"),
    ],
)
def test_labels_of_the_issue_name_their_field(label, field):
    found = field_of(label)
    assert found is not None and found.field == field and found.known


def test_labels_are_compared_folded_without_plural_marks():
    assert canonical_label("Partenaire(s) associé(e)s :") == "partenaire associe"
    assert canonical_label("PUBLICS CIBLES") == canonical_label("Public cible")
    assert field_of("Une phrase qui ne nomme rien") is None


def test_a_coordinators_mapping_wins_over_the_tables():
    mapping = {canonical_label("Partenaires"): "pilots"}
    assert field_of("Partenaires", mapping).field == "pilots"


def test_shared_helpers_read_lists_and_calendars():
    assert list_items(["- un", "  qui continue", "2) deux", "Trois"]) == [
        "un qui continue",
        "deux",
        "Trois",
    ]
    assert calendar_years("de 2025-2027, puis 2029") == [2025, 2026, 2027, 2029]


# --- one fiche, field by field -----------------------------------------------------------


def test_a_fiche_in_labelled_lines_is_read_field_by_field():
    draft = read(FICHE)
    assert draft.title == "Contrat local de santé du Pays de Lune 2025-2029"
    assert (draft.kind, draft.start_year, draft.duration_years) == ("cls", 2025, 5)
    assert draft.levels == ["Axe"]
    assert [(s.number, s.title) for s in draft.sections] == [("1", "Prévention")]
    (fiche,) = draft.fiches
    assert (fiche.number, fiche.title) == ("1.2", "Développer le sport santé")
    assert fiche.section_key == draft.sections[0].key
    assert [(r.role, r.as_written) for r in fiche.roles] == [
        ("pilot", "Communauté de communes du Pays de Lune"),
        ("copilot", "CPAM"),
        ("partner", "CAF"),
        ("partner", "Département (PMI)"),
        ("partner", "Associations sportives"),
    ]
    # Organisations resolved once for the whole plan, as the known layouts do.
    assert {r.organisation for r in fiche.roles} >= {"cpam", "caf", "departement"}
    assert fiche.public == "Personnes de plus de 60 ans"
    assert fiche.strategic_objective == "Lutter contre la sédentarité"
    assert fiche.operational_objectives == [
        "Augmenter l'offre d'activité physique adaptée",
        "Faire connaître les créneaux existants",
    ]
    # Numbered steps are the actions; a step's own year wins over the fiche's calendar.
    assert [(a.letter, a.text, a.deadline_years) for a in fiche.actions] == [
        ("1", "Recenser l'offre existante", [1]),
        ("2", "Créer trois créneaux d'activité physique adaptée", [2, 3]),
    ]
    assert [(i.kind, i.text) for i in fiche.indicators] == [
        ("result", "Taux de participation des plus de 60 ans"),
        ("monitoring", "Nombre de créneaux créés"),
    ]
    assert fiche.linked_fiches == ["2.1"]
    assert fiche.programmes == ["PRS Occitanie 2023-2028"]
    assert fiche.extra["calendar"] == "2026-2027"
    # An unknown label is an extra rubric under its own name, flagged for review.
    assert fiche.extra["Point d'attention du COPIL"] == "la mobilité en zone rurale"
    assert any("Point d'attention du COPIL" in f.message for f in fiche.flags)
    # Provenance: the fiche's lines and each action's line.
    assert (fiche.span.first_line, fiche.actions[0].span.first_line) == (5, 15)
    labels = {entry["label"]: entry["field"] for entry in draft.extra["labels"]}
    assert labels["Pilote(s)"] == "pilots"
    assert labels["Point d'attention du COPIL"] == "rubric"


def test_the_coordinators_mapping_rereads_a_label_for_the_whole_document():
    mapping = {canonical_label("Point d'attention du COPIL"): "obstacles"}
    (fiche,) = read(FICHE, mapping=mapping).fiches
    assert fiche.extra["obstacles"] == "la mobilité en zone rurale"
    assert "Point d'attention du COPIL" not in fiche.extra
    mapping = {canonical_label("Co-pilote"): "partners"}
    (fiche,) = read(FICHE, mapping=mapping).fiches
    assert [r.as_written for r in fiche.partners][0] == "CPAM"
    mapping = {canonical_label("Point d'attention du COPIL"): "ignore"}
    draft = read(FICHE, mapping=mapping)
    assert [(u.line, u.text) for u in draft.unplaced] == [(22, "la mobilité en zone rurale")]


def test_a_calendar_in_years_without_a_signature_year_is_flagged():
    text = FICHE.replace(" 2025-2029", "").replace(" (2025)", "")
    (fiche,) = read(text).fiches
    assert all(a.deadline_years == [] for a in fiche.actions)
    assert fiche.actions[1].deadline_as_written == ""
    assert any("année de signature" in f.message for f in fiche.flags)


def test_steps_inside_a_fiche_action_document_are_not_fiches():
    text = FICHE.replace("1. Recenser", "Action 1 : Recenser").replace(
        "2. Créer", "Action 2 : Créer"
    )
    draft = read(text)
    assert [f.number for f in draft.fiches] == ["1.2"]
    assert [(a.text, a.deadline_years) for a in draft.fiches[0].actions] == [
        ("Recenser l'offre existante", [1]),
        ("Créer trois créneaux d'activité physique adaptée", [2, 3]),
    ]


def test_a_table_of_contents_lends_titles_but_is_no_fiche():
    text = (
        "Sommaire\nFiche n°3 – Aller vers les aidants ........ 12\n\n"
        "Fiche n°3\nPilote : CCAS\nPublic : aidants\n"
    )
    (fiche,) = read(text).fiches
    assert fiche.number == "3"
    assert fiche.title == "Fiche 3"  # the contents line ends with a page number: not kept
    assert any(f.field == "title" for f in fiche.flags)


def test_bulleted_modalities_become_actions_when_no_steps_are_labelled():
    text = (
        "Fiche action 4 : Prévenir les chutes\nPilote : CCAS\n"
        "Modalités de mise en œuvre :\n- Former les aides à domicile\n- Adapter les logements\n"
    )
    (fiche,) = read(text).fiches
    assert [a.text for a in fiche.actions] == [
        "Former les aides à domicile",
        "Adapter les logements",
    ]
    assert any(f.field == "actions" for f in fiche.flags)


# --- the collection: four layouts and more, a share of fields right ----------------------

FLOOR = 0.9


@pytest.fixture(scope="module")
def collection_scores():
    scores = {}
    for layout, (render, filename) in collection.LAYOUTS.items():
        expected = collection.specs(6)
        draft = parse_document(render(expected), filename)
        assert draft.extra["reader"] == "general"
        scores[layout] = collection.score(draft, expected)
    return scores


@pytest.mark.parametrize("layout", list(collection.LAYOUTS))
def test_each_layout_of_the_collection_is_read_above_the_floor(collection_scores, layout):
    scores = collection_scores[layout]
    wrong = {name: f"{r}/{t}" for name, (r, t) in scores.items() if r < t}
    assert collection.share(scores) >= FLOOR, wrong


def test_each_field_is_read_above_the_floor_across_layouts(collection_scores):
    for name in collection.FIELDS:
        right = sum(s[name][0] for s in collection_scores.values())
        total = sum(s[name][1] for s in collection_scores.values())
        assert right / total >= FLOOR, name


def test_the_score_sees_a_wrong_field():
    expected = collection.specs(2)
    draft = parse_document(collection.text_colons(expected), "x.txt")
    draft.fiches[0].public = "Autre public"
    draft.fiches[1].roles = []
    scores = collection.score(draft, expected)
    assert scores["public"] == (1, 2) and scores["pilots"] == (1, 2)


def test_a_docx_of_one_table_per_fiche_keeps_pilots_partners_actions_and_unknown_rubrics():
    expected = collection.specs(4)
    draft = parse_document(collection.docx_tables(expected), "tableaux.docx")
    fiche = draft.fiches[0]
    assert [r.as_written for r in fiche.pilots] == expected[0].pilots
    assert [r.as_written for r in fiche.partners] == expected[0].partners
    assert [a.deadline_years for a in fiche.actions] == [[1], [1, 2], [3]]
    assert fiche.extra["Valeur ajoutée pour le territoire"] == expected[0].unknown[1]
    assert draft.fiches[3].linked_fiches == ["3.1"]


# --- bad input -----------------------------------------------------------------------------


def _docx(build) -> bytes:
    import docx

    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_docx_with_a_nested_table_is_read_and_the_cell_flagged():
    def build(document):
        table = document.add_table(rows=3, cols=2)
        table.cell(0, 0).merge(table.cell(0, 1)).text = "Fiche action n°1 : Habitat"
        table.cell(1, 0).text = "Pilote"
        table.cell(1, 1).text = "ADIL"
        table.cell(2, 0).text = "Indicateurs"
        inner = table.cell(2, 1).add_table(rows=2, cols=2)
        inner.cell(0, 0).text = "Nombre de visites"
        inner.cell(0, 1).text = "20 par an"
        inner.cell(1, 0).text = "Taux de logements adaptés"
        inner.cell(1, 1).text = "50 %"

    (fiche,) = parse_document(_docx(build), "imbrique.docx").fiches
    assert fiche.title == "Habitat" and [r.as_written for r in fiche.pilots] == ["ADIL"]
    assert [i.text for i in fiche.indicators] == [
        "Nombre de visites | 20 par an",
        "Taux de logements adaptés | 50 %",
    ]
    assert any("tableau imbriqué" in f.message for f in fiche.flags)


def test_a_docx_with_cells_merged_down_reads_the_rows_as_one_rubric():
    def build(document):
        document.add_paragraph("Fiche action n°2 : Mobilité")
        table = document.add_table(rows=3, cols=2)
        table.cell(0, 0).text = "Porteur"
        table.cell(0, 1).text = "Mairie de Lune"
        table.cell(1, 0).merge(table.cell(2, 0)).text = "Partenaires"
        table.cell(1, 1).text = "CAF"
        table.cell(2, 1).text = "MSA"

    (fiche,) = parse_document(_docx(build), "fusion.docx").fiches
    assert [r.as_written for r in fiche.partners] == ["CAF", "MSA"]


def test_a_scanned_pdf_is_refused_with_advice_to_use_ocr():
    from tests.importers.rendering import render_scanned_pdf

    with pytest.raises(ParseError) as error:
        parse_document(render_scanned_pdf(2), "scan.pdf")
    message = str(error.value)
    assert "« scan.pdf »" in message and "numérisé" in message and "OCR" in message


def test_a_document_without_any_fiche_says_what_was_looked_for():
    with pytest.raises(ParseError) as error:
        read("Compte rendu du COPIL\nPrésents : ARS, CAF\nLa séance est levée.\n", "cr.txt")
    message = str(error.value)
    assert "n'est pas reconnu comme un plan importable" in message
    assert "aucun titre de fiche" in message
    assert "« Fiche action n° 1.2 »" in message and "« Pilote »" in message


def test_fiche_headings_without_any_rubric_are_no_plan():
    with pytest.raises(ParseError, match="2 titres de fiche trouvés, mais aucune rubrique"):
        read("Fiche action 1 : Un\nDu texte.\nFiche action 2 : Deux\nEncore du texte.\n")


def test_a_300_page_document_is_read():
    specs = collection.specs(120)  # about 300 pages of 50 lines
    text = collection.text_colons(specs).decode()
    text += "\n".join(f"Annexe, ligne {n}." for n in range(15_001 - text.count("\n")))
    assert text.count("\n") >= 15_000
    draft = read(text, "long.txt")
    assert len(draft.fiches) == 120
    # Lines after the last fiche's last rubric belong to it as its text, not lost.
    assert draft.fiches[-1].extra


def test_a_document_beyond_the_limit_is_refused_with_its_size():
    text = FICHE + "\n".join("ligne" for _ in range(general.MAX_LINES))
    with pytest.raises(ParseError) as error:
        read(text, "archives.txt")
    message = str(error.value)
    assert "« archives.txt » est trop long" in message and "annexes" in message


def test_a_docx_table_with_the_heading_beside_its_title_and_rubrics_side_by_side():
    def build(document):
        table = document.add_table(rows=3, cols=4)
        table.cell(0, 0).text = "Fiche action n°5"
        table.cell(0, 1).merge(table.cell(0, 3)).text = "Lutter contre l'isolement"
        for column, text in enumerate(["Pilote", "CCAS", "Co-pilote", "CAF"]):
            table.cell(1, column).text = text
        table.cell(2, 0).text = "Public cible"
        table.cell(2, 1).merge(table.cell(2, 3)).text = "Personnes âgées isolées"

    (fiche,) = parse_document(_docx(build), "cote-a-cote.docx").fiches
    assert (fiche.number, fiche.title) == ("5", "Lutter contre l'isolement")
    assert [(r.role, r.as_written) for r in fiche.roles] == [("pilot", "CCAS"), ("copilot", "CAF")]
    assert fiche.public == "Personnes âgées isolées"


def test_the_import_report_lists_the_labels_the_general_reader_read():
    from pilotis.importers.report import report_lines

    lines = report_lines(read(FICHE))
    assert "Rubriques lues (lecture générale, 12) :" in lines
    assert "  « Pilote(s) » → Pilotes, 1 fiche" in lines
    assert (
        "  « Point d'attention du COPIL » → Autre rubrique (gardée sous son nom) "
        "(rubrique inconnue), 1 fiche"
    ) in lines


def test_a_section_heading_in_a_table_opens_the_section_of_the_fiches_below():
    def build(document):
        table = document.add_table(rows=4, cols=2)
        table.cell(0, 0).merge(table.cell(0, 1)).text = "Axe 2 : Accès aux soins"
        table.cell(1, 0).merge(table.cell(1, 1)).text = "Fiche action 2.1 : Attirer des médecins"
        table.cell(2, 0).text = "Pilote"
        table.cell(2, 1).text = "Ville de Lune"
        table.cell(3, 0).text = "Partenaires"
        table.cell(3, 1).text = "URPS, CPTS"

    draft = parse_document(_docx(build), "axe.docx")
    (fiche,) = draft.fiches
    assert [s.title for s in draft.sections] == ["Accès aux soins"]
    assert fiche.section_key == draft.sections[0].key
    assert [r.as_written for r in fiche.partners] == ["URPS", "CPTS"]


# Lines a contract is made of, for the fuzz test below: headings, labels, items, prose.
_LINES = [
    "Fiche action n°1 : Un titre",
    "Action 2 :",
    "Fiche n°3 – Autre",
    "Axe 1 : Prévention",
    "Priorité II",
    "Pilote",
    "Pilote : CAF / CPAM",
    "Partenaires :",
    "Étapes",
    "1. Première étape (2026)",
    "- un point",
    "Calendrier : 2025-2027",
    "Indicateurs de résultat :",
    "De processus : nombre de réunions",
    "Liens avec : fiche 2, PRS",
    "Rubrique inconnue : texte",
    "Une phrase de texte courant.",
    "Sommaire ........ 3",
    "",
    ":",
    "(",
]


def _block_strategy():
    from hypothesis import strategies as st

    from pilotis.importers.general.blocks import Cell, Paragraph, Table

    paragraph = st.builds(
        Paragraph,
        st.sampled_from(_LINES),
        st.integers(1, 500),
        label=st.sampled_from(["", "Pilote", "Budget :", "Autre chose"]),
        heading=st.booleans(),
        item=st.booleans(),
    )
    cell = st.builds(
        Cell,
        st.lists(paragraph, max_size=3),
        merged_above=st.booleans(),
    )
    nested = st.builds(
        Table, st.lists(st.lists(cell, min_size=1, max_size=3), max_size=3), st.just(1)
    )
    outer_cell = st.builds(
        Cell, st.lists(st.one_of(paragraph, nested), max_size=3), merged_above=st.booleans()
    )
    table = st.builds(
        Table, st.lists(st.lists(outer_cell, min_size=1, max_size=4), max_size=5), st.just(1)
    )
    return st.lists(st.one_of(paragraph, table), max_size=25)


def test_any_arrangement_of_paragraphs_and_tables_gives_a_plan_or_a_parse_error():
    from hypothesis import HealthCheck, given, settings

    from pilotis.importers.general import parse_blocks

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_block_strategy())
    def check(blocks):
        try:
            draft = parse_blocks(blocks, "fuzz.docx")
        except ParseError:
            return
        assert draft.fiches and all(f.title and f.number for f in draft.fiches)
        assert len({f.number for f in draft.fiches}) == len(draft.fiches)

    check()


def test_sections_announced_before_the_fiches_are_one_section_and_empty_ones_are_dropped():
    text = (
        "Contrat local de santé de Lune 2025-2029\n"
        "Axe 1 : Prévention\nAxe 2 : Accès aux soins\nAxe 3 : Santé mentale\n\n"
        "Axe 1\nFiche action 1.1 : Bouger\nPilote : CCAS\n"
        "Axe 2 : Accès aux soins\nFiche action 2.1 : Soigner\nPilote : CPAM\n"
    )
    draft = read(text)
    assert [(s.number, s.title) for s in draft.sections] == [
        ("1", "Prévention"),
        ("2", "Accès aux soins"),
    ]
    assert draft.levels == ["Axe"]
    assert [f.section_key for f in draft.fiches] == [s.key for s in draft.sections]
