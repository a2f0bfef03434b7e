"""One length limit per free-text field and no control character, whatever the entry point
(issue 9, items 3 and 6): the follow-up form, which the spreadsheet upload validates through."""

from __future__ import annotations

from pilotis.core import limits
from pilotis.followup.forms import ReportForm


def form(**data) -> ReportForm:
    return ReportForm({"version": "1", **data}, actions=[], indicators=[], allow_partial=False)


def test_the_form_refuses_text_beyond_the_limit_in_french():
    assert form(obstacles="x" * limits.LONG_TEXT).is_valid()
    refused = form(obstacles="x" * (limits.LONG_TEXT + 1))
    assert not refused.is_valid()
    assert refused.errors["obstacles"] == [
        "Ce texte dépasse 20\u202f000 caractères : raccourcissez-le."
    ]


def test_the_form_refuses_characters_xml_cannot_hold():
    for text in ("Retard\x01", "fin\ufffe"):
        refused = form(comment=text)
        assert not refused.is_valid(), repr(text)
        assert "caractère de contrôle invisible" in refused.errors["comment"][0]
    assert form(comment="nul\x00").errors["comment"] == ["Le caractère nul n’est pas autorisé."]
    assert form(comment="Deux lignes\r\net une tabulation\t.").is_valid()


def test_the_api_has_the_same_limit():
    import re
    from pathlib import Path

    from pilotis.api import schemas

    assert re.fullmatch(schemas.NO_NUL, "Bien parti\n")
    assert not re.fullmatch(schemas.NO_NUL, "x\x01")
    text = Path(schemas.__file__).read_text(encoding="utf-8")
    assert "20_000" not in text and "limits.LONG_TEXT" in text
