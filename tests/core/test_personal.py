"""Personal contact data found in imported text and taken out (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from pilotis.core.personal import (
    EMAIL,
    PHONE,
    REMOVED,
    Finding,
    is_personal_email,
    redact,
    redact_tree,
)


@pytest.mark.parametrize(
    "number",
    ["06 21 77 66 05", "0621776605", "04.68.11.22.33", "+33 6 21 77 66 05", "07-12-34-56-78"],
)
def test_phone_numbers_are_removed(number):
    text, found = redact(f"Téléphone : {number}.")
    assert text == f"Téléphone : {REMOVED}."
    assert found == [Finding(PHONE, number)]


@pytest.mark.parametrize(
    "text", ["2024-2029", "SIRET 12345678901234", "61 500 habitants", "n° 0621"]
)
def test_other_numbers_stay(text):
    assert redact(text) == (text, [])


def test_personal_emails_are_removed_and_desks_kept():
    text, found = redact("Écrire à marie.cretal@gmail.com ou contact@ars.sante.fr")
    assert text == f"Écrire à {REMOVED} ou contact@ars.sante.fr"
    assert found == [Finding(EMAIL, "marie.cretal@gmail.com")]
    assert is_personal_email("jean.dupont@ars.sante.fr")
    assert not is_personal_email("accueil@mairie-carcassonne.fr")


def test_findings_are_masked_for_the_report():
    assert Finding(PHONE, "06 21 77 66 05").masked == "06 … 05"
    assert Finding(EMAIL, "helene.mourou@sfr.fr").masked == "h…@sfr.fr"


@dataclass
class Item:
    text: str
    line: int = 0
    extra: dict = field(default_factory=dict)


def test_redact_tree_cleans_nested_text_in_place_and_says_where():
    tree = [Item("voir 06 21 77 66 05", line=12, extra={"contact": ["a.b@gmail.com"]})]
    found = redact_tree(tree)
    assert tree[0].text == f"voir {REMOVED}" and tree[0].extra == {"contact": [REMOVED]}
    assert [(f.finding.kind, f.line, f.where) for f in found] == [
        (PHONE, 12, "text"),
        (EMAIL, 12, "extra, contact"),
    ]
    assert redact_tree(tree) == []  # idempotent: a re-import finds nothing more
