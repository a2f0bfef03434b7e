"""plan_to_dict / plan_from_dict: content of the JSON format, round trip, query count."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pilotis.importers.persist import save_draft
from pilotis.plans.draft import CommuneDraft, ParseError
from pilotis.plans.export import (
    FORMAT,
    VERSION,
    json_source_sha256,
    plan_from_dict,
    plan_from_json,
    plan_to_dict,
    plan_to_json,
)
from pilotis.plans.models import Plan
from tests.factories import make_draft


def _stored(n_fiches: int = 2, **overrides) -> Plan:
    save_draft(make_draft(n_fiches, **overrides), source_sha256="f" * 64)
    return Plan.objects.get(slug=overrides.get("slug", "cls-test"))


@pytest.mark.django_db
def test_plan_fields():
    data = plan_to_dict(_stored())
    assert data["format"] == FORMAT and data["version"] == VERSION
    assert data["slug"] == "cls-test"
    assert data["kind"] == "cls"
    assert data["kind_label"] == "Contrat local de santé"
    assert data["title"] == "Contrat local de santé de Test 2024-2029"
    assert data["signatories"] == ["ARS Occitanie", "Test Agglo"]
    assert data["signature_date"] == "2024-02-15"
    assert (data["start_year"], data["duration_years"]) == (2024, 5)
    assert data["perimeter"] == {
        "name": "Test Agglo",
        "level": "epci",
        "code": "200000000",
        "communes": [],
    }
    assert data["extra"] == {}
    assert data["levels"] == ["Ambition", "Objectif général"]
    assert data["source"]["document"] == "cls-test.txt"
    assert data["source"]["sha256"] == "f" * 64
    assert [o["key"] for o in data["organisations"]] == ["ars", "caf", "cpam"]
    assert data["organisations"][0] == {
        "key": "ars",
        "name": "Agence régionale de santé Occitanie",
        "acronym": "ARS",
        "aliases": ["ARS", "DD ARS"],
    }
    assert data["unplaced_lines"][0] == {
        "line": 5,
        "text": "Page 3 / 120",
        "reason": "pied de page",
    }


@pytest.mark.django_db
def test_sections_tree():
    (root,) = plan_to_dict(_stored())["sections"]
    assert root["key"] == "A"
    assert root["level_name"] == "Ambition"
    assert root["title"] == "Promouvoir la santé à tous les âges"
    assert root["source"] == {"first_line": 10, "last_line": 200}
    assert [(c["key"], c["level_name"], c["number"]) for c in root["children"]] == [
        ("A.1", "Objectif général", "1.1"),
        ("A.2", "Objectif général", "1.2"),
    ]


@pytest.mark.django_db
def test_fiche_content():
    fiches = plan_to_dict(_stored(3))["fiches"]
    assert [f["number"] for f in fiches] == ["1", "2", "3"]
    fiche = fiches[0]
    assert fiche["title"] == "Éduquer à la santé n°1"
    assert fiche["section_key"] == "A.1"
    assert fiche["sections"] == ["Promouvoir la santé à tous les âges", "Prévenir dès l'enfance"]
    assert fiche["pilotage"] == "pilotage"
    assert fiches[1]["pilotage"] == "co-pilotage"
    assert fiche["pilots"] == [
        {
            "role": "pilot",
            "as_written": "ARS",
            "organisation": "Agence régionale de santé Occitanie",
            "organisation_key": "ars",
        }
    ]
    assert [(p["as_written"], p["organisation_key"]) for p in fiche["partners"]] == [
        ("CPAM de l'Aude", "cpam"),
        ("CAF", "caf"),
    ]
    assert fiche["linked_fiches"] == ["2"]
    assert fiche["context"].startswith("Contexte de la fiche 1")
    assert fiche["strategic_objective"] == "Informer le grand public sur la santé globale"
    assert fiche["operational_objectives"] == ["Former les animateurs", "Créer des outils"]
    assert fiche["actions"][0] == {
        "letter": "A",
        "text": "Élaborer des programmes éducatifs",
        "deadline_years": [1, 2],
        "deadline_as_written": "Années 1 et 2",
        "calendar_years": [2024, 2025],
        "extra": {},
        "source": {"first_line": 1060, "last_line": 1062},
    }
    assert fiche["public"] == "Enfants, parents"
    assert fiche["programmes"] == [
        {
            "code": "prs",
            "name": "Projet régional de santé (PRS)",
            "as_written": "PRS Occitanie 2023-2028",
        },
        {
            "code": "ctg",
            "name": "Convention territoriale globale (CTG)",
            "as_written": "Convention Territoriale Globale",
        },
    ]
    assert [(i["action"], i["actions"], i["text"]) for i in fiche["result_indicators"]] == [
        ("A", ["A"], "Nombre d'enfants mobilisés"),
        (None, [], "Taux de satisfaction"),
    ]
    assert fiche["monitoring_indicators"] == [
        {
            "action": "A",
            "actions": ["A", "B"],
            "text": "Nombre de séances",
            "source": {"first_line": 1082, "last_line": 1082},
        }
    ]
    assert fiche["extra"] == {"Freins": "Manque de moyens humains"}
    assert fiche["review_flags"] == [
        {
            "field": "actions",
            "message": "Échéance illisible",
            "first_line": 1070,
            "last_line": 1070,
        }
    ]
    assert fiche["source"] == {"document": "cls-test.txt", "first_line": 1050, "last_line": 1095}


@pytest.mark.django_db
def test_communes_and_extras_are_exported_and_read_back(django_assert_num_queries):
    draft = make_draft(1, extra={"budget": [{"mission": "1", "montant": 1000}]})
    draft.perimeter = [CommuneDraft("Trèbes", "11397", 5800), CommuneDraft("Berriac", "11037")]
    draft.fiches[0].actions[0].extra = {"calendrier": "1 mois après la signature des ACI"}
    save_draft(draft)
    plan = Plan.objects.get()
    with django_assert_num_queries(10):
        data = plan_to_dict(plan)
    assert data["perimeter"]["communes"] == [
        {"name": "Berriac", "insee_code": "11037", "population": None},
        {"name": "Trèbes", "insee_code": "11397", "population": 5800},
    ]
    assert data["extra"] == {"budget": [{"mission": "1", "montant": 1000}]}
    assert data["fiches"][0]["actions"][0]["extra"] == {
        "calendrier": "1 mois après la signature des ACI"
    }
    back = plan_from_dict(json.loads(json.dumps(data)))
    assert sorted(c.name for c in back.perimeter) == ["Berriac", "Trèbes"]
    assert back.extra == draft.extra
    assert back.fiches[0].actions[0].extra == draft.fiches[0].actions[0].extra
    assert not save_draft(back).changed


@pytest.mark.django_db
def test_plan_without_perimeter_nor_start_year():
    plan = _stored(1, territory_name="", start_year=None, signature_date=None)
    data = plan_to_dict(plan)
    assert data["perimeter"] is None
    assert data["signature_date"] is None
    assert data["fiches"][0]["actions"][0]["calendar_years"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("n_fiches", [2, 10])
def test_query_count_is_constant(n_fiches, django_assert_num_queries):
    plan = _stored(n_fiches)
    # perimeter, sections, organisations, fiches, roles+organisations, actions, indicators,
    # programme links+programmes, linked fiches, unplaced lines
    with django_assert_num_queries(10):
        data = plan_to_dict(plan)
    assert len(data["fiches"]) == n_fiches


@pytest.mark.django_db
def test_round_trip_changes_nothing():
    plan = _stored(3)
    exported = plan_to_json(plan)
    draft = plan_from_json(exported.encode())
    summary = save_draft(draft, source_sha256=json_source_sha256(exported.encode()))
    assert not summary.changed, summary.counts
    assert plan_to_json(Plan.objects.get(pk=plan.pk)) == exported


def test_plan_from_dict_restores_the_draft():
    original = make_draft(2)
    data = {
        "format": FORMAT,
        "version": VERSION,
        "slug": "cls-test",
        "kind": "cls",
        "title": "T",
        "source": {"document": "doc.txt"},
        "sections": [{"key": "A", "title": "Ambition", "children": [{"key": "A.1", "title": "O"}]}],
        "fiches": [
            {
                "number": "1",
                "title": "Fiche",
                "section_key": "A.1",
                "pilots": [{"role": "copilot", "as_written": "ARS", "organisation_key": "ars"}],
                "partners": [{"as_written": "CAF", "organisation_key": "caf"}],
                "actions": [{"letter": "A", "text": "Faire", "deadline_years": [1]}],
                "result_indicators": [{"action": "A", "text": "Nombre"}],
                "monitoring_indicators": [{"actions": ["A", "B"], "text": "Suivi"}],
                "review_flags": [{"field": "titre", "message": "Douteux", "first_line": 3}],
                "source": {"first_line": 2, "last_line": 9},
            }
        ],
    }
    draft = plan_from_dict(data)
    assert draft.document == "doc.txt"
    assert [(s.key, s.parent_key) for s in draft.sections] == [("A", None), ("A.1", "A")]
    (fiche,) = draft.fiches
    assert [(r.role, r.organisation) for r in fiche.roles] == [
        ("copilot", "ars"),
        ("partner", "caf"),
    ]
    assert fiche.actions[0].span.document == "doc.txt"
    assert fiche.actions[0].span.first_line == 0  # unknown
    assert [(i.kind, i.actions) for i in fiche.indicators] == [
        ("result", ["A"]),
        ("monitoring", ["A", "B"]),
    ]
    assert fiche.flags[0].span.first_line == 3
    assert (fiche.span.first_line, fiche.span.last_line) == (2, 9)
    assert original.kind == draft.kind


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "n'est pas un export de plan Pilotis"),
        ({"format": "autre"}, "n'est pas un export de plan Pilotis"),
        ({"format": FORMAT, "version": 99}, "Version 99 du format d'export non prise en charge"),
        ({"format": FORMAT, "version": VERSION, "kind": "cls", "title": "T"}, "« slug » manquant"),
        (
            {
                "format": FORMAT,
                "version": VERSION,
                "slug": "s",
                "kind": "cls",
                "title": "T",
                "fiches": [{"number": "1", "title": "F", "actions": [{"letter": 1}]}],
            },
            r"« fiches\[0\]\.actions\[0\]\.letter » : type inattendu \(nombre\)",
        ),
        (
            {
                "format": FORMAT,
                "version": VERSION,
                "slug": "s",
                "kind": "cls",
                "title": "T",
                "signature_date": "15/02/2024",
            },
            "date invalide",
        ),
    ],
)
def test_plan_from_dict_names_what_is_wrong(data, message):
    with pytest.raises(ParseError, match=message):
        plan_from_dict(data)


def test_plan_from_json_refuses_invalid_json():
    with pytest.raises(ParseError, match="JSON invalide, ligne 1"):
        plan_from_json(b"{nope")
    assert json_source_sha256(b"{nope") is None
    assert json_source_sha256(json.dumps({"source": {"sha256": "ab"}}).encode()) == "ab"


@pytest.mark.django_db
def test_documented_example_is_a_valid_export():
    """docs/export-format.md's example must stay importable, and round-trip once stored."""
    doc = (Path(__file__).parents[2] / "docs" / "export-format.md").read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)\n```", doc, re.S).group(1)
    draft = plan_from_json(example.encode())
    summary = save_draft(draft)
    # The example's fiche links to fiches it leaves out for brevity.
    assert all("la fiche liée" in w for w in summary.warnings)
    data = plan_to_dict(Plan.objects.get(slug=draft.slug))
    documented = json.loads(example)
    ignored_fiche_keys = {"linked_fiches"}
    for key in ["slug", "kind", "title", "perimeter", "levels", "sections", "organisations"]:
        assert data[key] == documented[key], key
    for stored, shown in zip(data["fiches"], documented["fiches"], strict=True):
        for key in shown.keys() - ignored_fiche_keys:
            assert stored[key] == shown[key], key
