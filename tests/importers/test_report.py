"""French wording of the import summary and report (pure, no database)."""

from pilotis.importers.persist import ImportSummary, KindCounts
from pilotis.importers.report import content_line, counts_line, plural, report_lines, summary_lines
from pilotis.plans.draft import ReviewFlag
from tests.factories import make_draft, span


def test_plural_follows_french_usage():
    assert plural(0, "fiche") == "0 fiche"
    assert plural(1, "fiche") == "1 fiche"
    assert plural(2, "fiche") == "2 fiches"
    assert plural(2, "indicateur de suivi", "indicateurs de suivi") == "2 indicateurs de suivi"


def test_counts_line_agrees_and_leaves_out_zeros():
    assert counts_line("fiches", KindCounts(created=1, unchanged=54)) == (
        "  Fiches : 1 créée, 54 inchangées"
    )
    assert counts_line("indicators", KindCounts(updated=2, deleted=1)) == (
        "  Indicateurs : 2 modifiés, 1 supprimé"
    )


def test_content_line_counts_indicators_by_kind():
    assert content_line(make_draft(3)) == (
        "3 fiches, 6 actions, 6 indicateurs de résultat, 3 indicateurs de suivi"
    )


def test_summary_of_a_no_op_and_of_a_dry_run():
    draft = make_draft(1)
    summary = ImportSummary("cls-test")
    summary.counts["fiches"].unchanged = 1
    lines = summary_lines(draft, summary)
    assert lines[1] == "Rien n'a changé : le plan enregistré est déjà à jour."
    assert len(lines) == 2

    summary = ImportSummary("cls-test", dry_run=True, warnings=["Fiche n°1 : attention."])
    summary.counts["fiches"].created = 1
    assert summary_lines(draft, summary)[1:] == [
        "Simulation : rien n'a été enregistré.",
        "L'import ferait :",
        "  Fiches : 1 créée",
        "Avertissements (1) :",
        "  Fiche n°1 : attention.",
    ]


def test_report_names_fields_in_french_with_their_lines():
    draft = make_draft(1, unplaced=[])
    draft.fiches[0].flags.append(ReviewFlag("operational_objectives", "Illisible", span(3, 9)))
    draft.fiches[0].flags.append(ReviewFlag("autre", "Sans ligne"))
    assert report_lines(draft) == [
        "Aucune ligne non placée.",
        "Points à vérifier (3) :",
        "  fiche n°1, actions : Échéance illisible (ligne 1070)",
        "  fiche n°1, objectifs opérationnels : Illisible (lignes 3 à 9)",
        "  fiche n°1, autre : Sans ligne",
    ]
