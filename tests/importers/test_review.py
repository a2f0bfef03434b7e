"""Import review: the diff against the stored plan and the coordinator's corrections (pure)."""

import pytest

from pilotis.importers.review import CorrectionError, apply_corrections, diff_plans
from pilotis.plans.draft import ReviewFlag
from tests.factories import make_draft


def test_a_new_plan_is_all_additions():
    diff = diff_plans(None, make_draft(3))
    assert diff.is_new and diff.changed
    assert [f.number for f in diff.fiches_added] == ["1", "2", "3"]
    assert len(diff.sections_added) == 3


def test_the_same_draft_changes_nothing():
    diff = diff_plans(make_draft(3), make_draft(3))
    assert not diff.changed
    assert diff.fiches_unchanged == 3


def test_changes_are_listed_fiche_by_fiche_with_french_field_names():
    stored = make_draft(3)
    new = make_draft(3)
    new.fiches[1].public = "Tout public"
    new.fiches[1].actions[0].deadline_years = [1]
    new.fiches.pop()  # fiche 3 removed
    new.sections[1].title = "Prévenir dès la naissance"
    new.title = "Contrat local de santé de Test 2025-2030"
    diff = diff_plans(stored, new)
    assert [(c.number, c.fields) for c in diff.fiches_changed] == [
        ("2", ["actions", "public cible"])
    ]
    assert [c.number for c in diff.fiches_removed] == ["3"]
    assert diff.sections_renamed == ["Prévenir dès l'enfance → Prévenir dès la naissance"]
    assert diff.plan_fields == ["titre"]


def test_a_correction_replaces_the_field_clears_its_flag_and_is_recorded():
    draft = make_draft(2)
    draft.fiches[0].flags.append(ReviewFlag("public", "Public cible mêlé aux partenaires"))
    fixed = apply_corrections(draft, {"1": {"public": "  Enfants,   parents et enseignants "}})
    fiche = fixed.fiches[0]
    assert fiche.public == "Enfants, parents et enseignants"
    assert [f.field for f in fiche.flags] == ["actions"]  # other flags stay
    assert fixed.extra["corrections"] == [
        {
            "fiche": "1",
            "field": "public",
            "before": "Enfants, parents",
            "after": "Enfants, parents et enseignants",
        }
    ]
    assert draft.fiches[0].public == "Enfants, parents"  # the original draft is untouched


def test_corrected_partners_resolve_to_known_organisations_or_new_ones():
    fixed = apply_corrections(make_draft(2), {"2": {"partners": "CAF\nMaison des familles\n"}})
    partners = [(r.as_written, r.organisation) for r in fixed.fiches[1].partners]
    assert partners == [("CAF", "caf"), ("Maison des familles", "maison-des-familles")]
    assert [r.as_written for r in fixed.fiches[1].pilots] == ["ARS"]
    assert "maison-des-familles" in {o.key for o in fixed.organisations}


def test_corrected_pilots_keep_the_pilotage_label():
    fixed = apply_corrections(make_draft(2), {"2": {"pilots": "CAF\nCPAM"}})
    assert [(r.role, r.organisation) for r in fixed.fiches[1].pilots] == [
        ("copilot", "caf"),
        ("copilot", "cpam"),
    ]


@pytest.mark.parametrize(
    ("corrections", "message"),
    [
        ({"9": {"public": "x"}}, "Fiche n°9 : elle n'existe pas"),
        ({"1": {"linked_fiches": "2, 7"}}, "Fiche n°1, fiches liées : n°7 n'existe pas"),
        ({"1": {"linked_fiches": "1"}}, "ne se lie pas à elle-même"),
        ({"1": {"pilots": "  \n "}}, "indiquez au moins un pilote"),
        ({"1": {"title": ""}}, "l'intitulé ne peut être vide"),
        ({"1": {"number": "4"}}, "la rubrique « number » ne se corrige pas ici"),
    ],
)
def test_bad_corrections_are_refused_with_the_fiche_and_field(corrections, message):
    with pytest.raises(CorrectionError, match=message):
        apply_corrections(make_draft(2), corrections)
