"""core.forms.NoControlCharacters on the forms that write the plan and the COPIL's decisions:
text XML cannot hold is refused at input with a French message (issue 9.3)."""

import pytest

from pilotis.core.forms import CONTROL_CHARACTER
from pilotis.followup.forms_copil import DecisionForm
from pilotis.plans.views_content import FicheContentForm


@pytest.mark.parametrize("bad", ["a\x01b", "fin\ufffe", "x\x0bz"])
def test_the_fiche_text_form_refuses_control_characters(bad):
    form = FicheContentForm({"title": "Intitulé", "context": bad, "version": 1})
    assert not form.is_valid()
    assert form.errors["context"] == [CONTROL_CHARACTER]


def test_a_copil_decision_refuses_them_and_accepts_line_breaks():
    refused = DecisionForm({"kind": "strengthen", "reason": "Motif\x02"})
    assert not refused.is_valid()
    assert CONTROL_CHARACTER in refused.errors["reason"]
    accepted = DecisionForm({"kind": "strengthen", "reason": "Ligne 1\r\nLigne 2\tfin"})
    assert accepted.is_valid(), accepted.errors


def test_free_text_without_a_limit_gets_the_shared_one():
    form = FicheContentForm({"title": "Intitulé", "context": "x" * 20_001, "version": 1})
    assert not form.is_valid()
    assert form.errors["context"] == ["Ce texte dépasse 20\u202f000 caractères : raccourcissez-le."]
    # A field with its own limit keeps it.
    assert FicheContentForm().fields["pilotage_label"].max_length < 20_000


def test_a_text_document_loses_the_characters_xml_cannot_hold():
    from pilotis.importers.decoding import decode_text

    assert decode_text(b"Fiche 1\x0c\nTitre\x01 propre\r\n", "plan.txt") == (
        "Fiche 1\nTitre propre\n"
    )


def test_an_upload_over_the_limit_is_refused_with_its_name_and_weight(settings):
    from types import SimpleNamespace

    from pilotis.core.forms import too_big

    settings.MAX_UPLOAD_MB = 2
    heavy = SimpleNamespace(name="annuaire.xlsx", size=3 * 1024 * 1024)
    assert too_big(heavy) == (
        "Le fichier « annuaire.xlsx » pèse 3,0 Mo : la taille maximale est de 2 Mo."
    )
    assert too_big(heavy, 5) == ""
    assert too_big(SimpleNamespace(name="a.csv", size=2 * 1024 * 1024)) == ""
