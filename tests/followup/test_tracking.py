"""Pure follow-up logic, without a database: actions due, lateness, missing, reminders, changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from pilotis.followup import tracking
from pilotis.followup.tracking import DUE_SOON, LATE


@dataclass
class A:
    letter: str
    deadline_years: list[int] | None


def test_actions_due_in_a_contract_year_keep_their_order():
    actions = [A("A", [1, 2, 3, 4, 5]), A("B", [2, 3]), A("C", []), A("D", None), A("E", [1])]
    assert [a.letter for a in tracking.actions_due(actions, 1)] == ["A", "E"]
    assert [a.letter for a in tracking.actions_due(actions, 2)] == ["A", "B"]
    assert tracking.actions_due(actions, 6) == []
    # An action without any deadline is never due: the contract did not schedule it.
    assert all(a.letter not in "CD" for y in range(1, 6) for a in tracking.actions_due(actions, y))
    assert tracking.actions_due([], 1) == []


DEADLINE = date(2025, 3, 15)


@pytest.mark.parametrize(
    ("status", "today", "expected"),
    [
        ("to_do", date(2025, 3, 16), LATE),
        ("in_progress", date(2025, 6, 1), LATE),
        ("to_do", DEADLINE, DUE_SOON),  # the deadline day itself is still on time
        ("to_do", date(2025, 3, 9), DUE_SOON),  # 6 days left
        ("to_do", date(2025, 3, 8), None),  # 7 days left: not yet
        ("to_do", date(2025, 1, 1), None),
        ("submitted", date(2025, 6, 1), None),
        ("validated", date(2025, 6, 1), None),
        ("submitted", DEADLINE, None),
    ],
)
def test_lateness(status, today, expected):
    assert tracking.lateness(status, DEADLINE, today) == expected


def test_lateness_window_can_be_changed():
    assert tracking.lateness("to_do", DEADLINE, date(2025, 3, 1), warn_days=30) == DUE_SOON
    assert tracking.lateness("to_do", DEADLINE, DEADLINE, warn_days=0) is None
    assert tracking.lateness("to_do", DEADLINE, date(2025, 3, 16), warn_days=0) == LATE


def test_status_counts_list_every_state_in_order():
    counts = tracking.status_counts(["submitted", "to_do", "to_do", "validated"])
    assert list(counts.items()) == [
        ("to_do", 2),
        ("in_progress", 0),
        ("submitted", 1),
        ("validated", 1),
    ]
    assert tracking.status_counts([]) == dict.fromkeys(tracking.STATUS_ORDER, 0)


def test_missing_by_organisation_groups_sorts_and_names_the_pilots():
    names = {1: "CAF", 2: "Département", 3: "Carcassonne Agglo"}
    rows = [
        ("f1", "to_do", [2]),
        ("f2", "in_progress", [1, 2, 3]),
        ("f3", "submitted", [3]),  # transmitted: not missing
        ("f4", "to_do", [3]),
        ("f5", "to_do", []),  # nobody steers it
        ("f6", "validated", [1]),
    ]
    missing = tracking.missing_by_organisation(rows, names, {1: ["Paule", "Alice"], 3: ["Alain"]})
    assert [(m.organisation, m.fiches, m.pilots) for m in missing] == [
        ("Carcassonne Agglo", ["f2", "f4"], ["Alain"]),
        ("Département", ["f1", "f2"], []),
        ("CAF", ["f2"], ["Alice", "Paule"]),
        ("Sans pilote", ["f5"], []),
    ]
    assert tracking.missing_by_organisation([("f3", "submitted", [3])], names) == []


def test_recipients_get_the_fiches_their_organisations_steer():
    fiches = {"fiche 2": {10, 11, 12}, "fiche 3": {13, 12}, "fiche 4": set()}
    pilots = {"caf agent": {10}, "agglo agent": {13}, "cls agent": {12}, "idle": {99}}
    assert tracking.recipients(fiches, pilots) == {
        "caf agent": ["fiche 2"],
        "agglo agent": ["fiche 3"],
        "cls agent": ["fiche 2", "fiche 3"],
    }
    assert tracking.recipients({}, pilots) == {}


def test_changed_fields_are_those_stored_differently_since_loading():
    loaded = {"rate": "a", "obstacles": "b", "action_1_done": "c"}
    current = {"rate": "a", "obstacles": "x", "action_1_done": "c", "action_2_done": "d"}
    # A field the form did not have when loaded (an action made due meanwhile) counts as changed.
    assert tracking.changed_fields(loaded, current) == ["obstacles", "action_2_done"]
    assert tracking.changed_fields(current, current) == []


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (Decimal("12.5000"), "12,5"),
        (Decimal("100.0000"), "100"),
        (Decimal("0.0000"), "0"),
        (Decimal("-3.2500"), "-3,25"),
        (Decimal("1234567.0001"), "1234567,0001"),
    ],
)
def test_decimal_text_is_written_the_french_way(value, text):
    assert tracking.decimal_text(value) == text
