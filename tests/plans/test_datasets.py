"""Pure shaping of a plan's structured data, without a database: French numbers, tables, totals."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from pilotis.plans import datasets

NNBSP = "\u202f"
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (150000, f"150{NNBSP}000"),
        (1320, f"1{NNBSP}320"),
        (999, "999"),
        (25.0, "25"),
        (0.05, "0,05"),
        (82.9, "82,9"),
        (1234567.25, f"1{NNBSP}234{NNBSP}567,25"),
        (-1200, f"\u22121{NNBSP}200"),
        (0, "0"),
        (None, ""),
        ("19%", "19%"),  # text is kept as written
    ],
)
def test_fr_number(value, expected):
    assert datasets.fr_number(value) == expected


def test_fr_number_with_fixed_decimals_and_no_negative_zero():
    assert datasets.fr_number(15.9176, 1) == "15,9"
    assert datasets.fr_number(-0.0001, 1) == "0,0"


def test_euros_percent_and_units():
    assert datasets.fr_euros(347500) == f"347{NNBSP}500{NBSP}€"
    assert datasets.fr_euros(None) == ""
    assert datasets.fr_percent(85 / 534) == f"15,9{NBSP}%"
    assert datasets.fr_percent(7 / 85) == f"8,2{NBSP}%"
    assert datasets.fr_percent(None) == ""
    assert datasets.with_unit(26, "%") == f"26{NBSP}%"
    assert datasets.with_unit(150000, "habitants") == f"150{NNBSP}000{NBSP}habitants"
    assert datasets.with_unit(None, "%") == ""


@pytest.mark.parametrize(
    ("columns", "n", "expected"),
    [
        (
            "Zone d’implantation Modalités Existant au 01/06/2023",
            1,
            ("Modalités", ["Existant au 01/06/2023"]),
        ),
        ("Zone d’implantation Modalités Mentions Cible", 1, ("Modalités Mentions", ["Cible"])),
        (
            "Zone d’implantation Modalités/mentions Existant au 1er juin 2023 Cibles",
            2,
            ("Modalités/mentions", ["Existant au 1er juin 2023", "Cibles"]),
        ),
        (
            "Zone d’implantation Existant au 1er juin 2023 Cibles",
            2,
            ("Modalités", ["Existant au 1er juin 2023", "Cibles"]),
        ),
        (
            "Zone d’implantation Equipements matériels lourds Existant au 01/06/2023 "
            "Implantations Appareils",
            2,
            (
                "Equipements matériels lourds",
                ["Implantations (existant au 01/06/2023)", "Appareils (existant au 01/06/2023)"],
            ),
        ),
        # Headings the line does not end with: numbered, the header line kept whole.
        ("Zone d’implantation Modalités Nombre", 2, ("Modalités Nombre", ["Valeur 1", "Valeur 2"])),
        ("", 1, ("Modalités", ["Valeur"])),
    ],
)
def test_care_supply_table_headings(columns, n, expected):
    assert datasets.table_headings(columns, n) == expected


def test_budget_totals_and_balances_are_computed():
    extra = {
        "budget": [
            {
                "mission": None,
                "fiche": None,
                "label": "Général",
                "detail": "",
                "expenses": 100,
                "resources": 100,
            },
            {
                "mission": "1",
                "fiche": "1.A",
                "label": "M1",
                "detail": "x",
                "expenses": 50,
                "resources": 40,
            },
        ],
        "budget_total": {"expenses": 150, "resources": 150, "note": ""},
        "budget_check": [],
    }
    budget = datasets.budget(extra)
    assert [r.balance for r in budget.rows] == [f"0{NBSP}€", f"\u221210{NBSP}€"]
    assert (budget.expenses, budget.resources, budget.balance) == (
        f"150{NBSP}€",
        f"140{NBSP}€",
        f"\u221210{NBSP}€",
    )
    assert budget.stated_differs  # 150 stated, 140 summed
    assert budget.checks == []
    assert datasets.budget({}) is None


def test_members_shares_come_from_the_counts_not_the_stored_shares():
    extra = {
        "members": [
            {
                "profession": "A",
                "count": 1,
                "territory": 4,
                "pending": 0,
                "share": 0.9,
                "representativity_as_written": "25%",
            },
            {
                "profession": "B",
                "count": 3,
                "territory": None,
                "pending": None,
                "share": 0.9,
                "representativity_as_written": "",
            },
        ],
        "members_total": {
            "count": 5,
            "territory": 10,
            "pending": 2,
            "representativity_as_written": "40%",
        },
        "members_check": [
            {"field": "members", "message": "Total différent", "first_line": 9, "last_line": 9}
        ],
    }
    members = datasets.members(extra)
    assert [(r.share, r.coverage) for r in members.rows] == [
        (f"25,0{NBSP}%", f"25,0{NBSP}%"),
        (f"75,0{NBSP}%", ""),
    ]
    total = members.total
    assert (total.count, total.territory, total.pending, total.coverage) == (
        "4",
        "10",
        "2",
        f"40,0{NBSP}%",
    )
    assert total.representativity == "40%"
    assert members.stated_differs and members.stated_count == "5"
    assert members.checks == [datasets.Check("Total différent", "ligne 9")]


def test_perimeter_totals_stated_and_computed():
    communes = [NS(name="A", code="1", population=10), NS(name="B", code="2", population=None)]
    perimeter = datasets.perimeter(communes, {"perimeter_total": {"stated": 30, "computed": 30}})
    assert perimeter.rows == [("A", "1", "10"), ("B", "2", "")]
    assert perimeter.has_population
    assert perimeter.computed == ""  # a commune without population: no sum to speak of
    assert not perimeter.differs
    full = datasets.perimeter(communes[:1], {"perimeter_total": {"stated": 30}})
    assert (full.stated, full.computed, full.differs) == ("30", "10", True)
    assert datasets.perimeter([], {}) is None


def test_parts_in_reading_order_and_only_those_present():
    extra = {
        "governance": [{"number": "1", "name": "Collège", "composition": ""}],
        "challenges": [{"text": "Aller-vers", "span": [1, 1]}],
        "prs_engagements": [{"number": 1, "title": "Prévention"}],
        "budget": [],
        "unknown": {"x": 1},
    }
    parts = datasets.parts(extra)
    assert [p.key for p in parts] == ["governance", "challenges", "prs_engagements"]
    assert parts[0].template == "plans/data/_governance.html"
    assert parts[2].anchor == "donnees-prs-engagements"
    assert datasets.parts({}) == [] and datasets.parts(None) == []


def test_cnr_proposals_grouped_by_theme_in_document_order():
    extra = {
        "cnr_proposals": [
            {"theme": "B", "text": "b1"},
            {"theme": "A", "text": "a1"},
            {"theme": "B", "text": "b2"},
            {"theme": "A", "text": ""},
        ]
    }
    assert datasets.cnr_proposals(extra) == [("B", ["b1", "b2"]), ("A", ["a1"])]
