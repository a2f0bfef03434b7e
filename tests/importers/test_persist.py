"""save_draft: creation, idempotence, update in place, deletion, rollback; and its pure helpers."""

from __future__ import annotations

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pilotis.core.text import fold
from pilotis.importers import persist
from pilotis.importers.persist import (
    KINDS,
    DraftError,
    FicheLink,
    check_draft,
    keyed_by_occurrence,
    save_draft,
)
from pilotis.plans.draft import (
    CommuneDraft,
    IndicatorDraft,
    RoleDraft,
    SectionDraft,
    UnplacedLine,
    fiche_search_text,
)
from pilotis.plans.models import (
    Action,
    Fiche,
    FicheIndicator,
    FicheRole,
    Organisation,
    Plan,
    Programme,
    Section,
)
from pilotis.plans.models import UnplacedLine as UnplacedLineRow
from tests.factories import make_draft, make_fiche, make_organisations, span
from tests.importers.conftest import snapshot

# --- Pure helpers (no database) ---------------------------------------------------------------


def test_search_text_holds_every_text_of_the_fiche_folded_once():
    fiche = make_fiche(1)
    orgs = {o.key: o for o in make_organisations()}
    text = fiche_search_text(fiche, orgs)
    for piece in [
        "eduquer a la sante n°1",
        "les ecoles du territoire",
        "informer le grand public",
        "former les animateurs",
        "elaborer des programmes educatifs",
        "nombre d'enfants mobilises",
        "enfants, parents",
        "prs occitanie 2023-2028",
        "cpam de l'aude",
        "caisse d'allocations familiales de l'aude",
        "agence regionale de sante occitanie",
        "manque de moyens humains",
    ]:
        assert piece in text
    assert text == fold(text)
    # "ARS" is both as written and the acronym: kept once.
    assert text.split(" ").count("ars") == 1


def test_search_text_without_known_organisation_keeps_the_text_as_written():
    fiche = make_fiche(1)
    fiche.roles = [RoleDraft("pilot", "Mairie de Trèbes", "mairie-trebes")]
    assert "mairie de trebes" in fiche_search_text(fiche, {})


def test_check_draft_accepts_a_good_draft():
    assert check_draft(make_draft(3)) == []


def test_check_draft_names_every_inconsistency():
    draft = make_draft(2, kind="contrat")
    draft.fiches[1].number = "1"
    draft.sections.append(SectionDraft("B.1", 1, "2.1", "Orphan", "B"))
    draft.sections.append(SectionDraft("X", 0, "9", "Boucle", "Y"))
    draft.sections.append(SectionDraft("Y", 0, "9", "Boucle", "X"))
    draft.fiches[0].roles[0].role = "chef"
    draft.fiches[0].programmes.append("P" * 301)
    problems = check_draft(draft)
    assert "type de plan inconnu « contrat »" in problems
    assert "fiche n°1 en double" in problems
    assert "la section B.1 a un parent inconnu « B »" in problems
    assert "la section X est sa propre ancêtre" in problems
    assert "fiche n°1 : rôle inconnu « chef »" in problems
    assert any(p.startswith("fiche n°1 : le programme dépasse 300 caractères") for p in problems)


def test_keyed_by_occurrence_numbers_repeats():
    assert keyed_by_occurrence(["A", "A", "B"]) == [("A", 0), ("A", 1), ("B", 0)]


# --- Creation ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_first_import_creates_everything():
    summary = save_draft(make_draft(3), source_sha256="abc")
    c = summary.counts
    assert c["plan"].created == 1
    assert c["sections"].created == 3
    assert c["organisations"].created == 3
    assert c["programmes"].created == 2
    assert c["fiches"].created == 3
    assert c["roles"].created == 9
    assert c["programme_links"].created == 6
    assert c["fiche_links"].created == 3
    assert c["actions"].created == 6
    assert c["indicators"].created == 9
    assert c["unplaced_lines"].created == 2
    assert summary.warnings == []

    plan = Plan.objects.get(slug="cls-test")
    assert summary.plan_id == plan.pk
    assert plan.source_document == "cls-test.txt"
    assert plan.source_sha256 == "abc"
    assert plan.imported_at is not None
    assert plan.perimeter.name == "Test Agglo"
    assert plan.perimeter.level == "epci"
    assert plan.levels == ["Ambition", "Objectif général"]

    root = Section.objects.get(plan=plan, key="A")
    assert root.parent is None
    assert sorted(s.key for s in root.children.all()) == ["A.1", "A.2"]
    assert Section.objects.get(key="A.2").depth == 1

    fiche = Fiche.objects.get(plan=plan, number="1")
    assert fiche.section.key == "A.1"
    assert (fiche.source_first_line, fiche.source_last_line) == (1050, 1095)
    assert fiche.review_flags == [
        {
            "field": "actions",
            "message": "Échéance illisible",
            "first_line": 1070,
            "last_line": 1070,
        }
    ]
    assert "agence regionale de sante occitanie" in fiche.search_text
    assert [f.number for f in fiche.linked_fiches.all()] == ["2"]
    assert [(r.role, r.organisation.key) for r in fiche.roles.all()] == [
        ("pilot", "ars"),
        ("partner", "cpam"),
        ("partner", "caf"),
    ]
    assert [(p.programme.code, p.as_written) for p in fiche.programme_links.all()] == [
        ("prs", "PRS Occitanie 2023-2028"),
        ("ctg", "Convention Territoriale Globale"),
    ]
    action = fiche.actions.get(letter="A")
    assert action.deadline_years == [1, 2]
    assert (action.source_first_line, action.source_last_line) == (1060, 1062)
    indicators = list(fiche.indicators.values_list("kind", "position", "action_letters"))
    assert indicators == [("monitoring", 0, ["A", "B"]), ("result", 0, ["A"]), ("result", 1, [])]
    assert list(plan.unplaced_lines.values_list("line", "reason")) == [
        (5, "pied de page"),
        (1020, "hors rubrique"),
    ]
    # The model's search finds the fiche by a pilot's resolved name, without accents.
    assert Fiche.objects.filter(plan=plan).search("Régionale santé").count() == 3


# --- Idempotence and updates ------------------------------------------------------------------


@pytest.mark.django_db
def test_second_import_of_the_same_draft_changes_nothing():
    save_draft(make_draft(3), source_sha256="abc")
    before = snapshot()
    summary = save_draft(make_draft(3), source_sha256="abc")
    assert snapshot() == before  # same ids, same values, imported_at included
    assert not summary.changed
    for kind in KINDS:
        counts = summary.counts[kind]
        assert (counts.created, counts.updated, counts.deleted) == (0, 0, 0), kind
    assert summary.counts["fiches"].unchanged == 3
    assert summary.counts["indicators"].unchanged == 9


@pytest.mark.django_db
def test_changes_update_rows_in_place():
    save_draft(make_draft(3))
    fiche_ids = dict(Fiche.objects.values_list("number", "pk"))
    action_b = Action.objects.get(fiche__number="1", letter="B").pk
    monitoring = FicheIndicator.objects.get(fiche__number="1", kind="monitoring").pk
    imported_at = Plan.objects.get().imported_at

    draft = make_draft(3)
    draft.fiches[0].title = "Nouveau titre"
    draft.fiches[0].actions[0].text = "Action A reformulée"
    # A new result indicator first: the monitoring indicator keeps its row.
    draft.fiches[0].indicators.insert(0, IndicatorDraft("result", [], "Nouveau", span(1)))
    draft.organisations[0].name = "ARS Occitanie"
    summary = save_draft(draft)

    assert dict(Fiche.objects.values_list("number", "pk")) == fiche_ids
    assert Action.objects.get(fiche__number="1", letter="B").pk == action_b
    assert FicheIndicator.objects.get(fiche__number="1", kind="monitoring").pk == monitoring
    fiche = Fiche.objects.get(number="1")
    assert fiche.title == "Nouveau titre"
    assert "ars occitanie" in fiche.search_text
    assert fiche.actions.get(letter="A").text == "Action A reformulée"
    c = summary.counts
    # Every fiche names the ARS, so every search_text changes with its name.
    assert (c["fiches"].updated, c["fiches"].unchanged) == (3, 0)
    assert (c["actions"].updated, c["actions"].unchanged) == (1, 5)
    # Result indicators shift by one: the two old ones are updated, one row is added.
    assert (c["indicators"].created, c["indicators"].updated) == (1, 2)
    assert c["organisations"].updated == 1
    assert c["plan"].unchanged == 1
    assert Plan.objects.get().imported_at > imported_at


@pytest.mark.django_db
def test_removed_elements_are_deleted():
    save_draft(make_draft(3))
    draft = make_draft(2)
    del draft.fiches[1].actions[1]
    draft.fiches[1].roles = [r for r in draft.fiches[1].roles if r.organisation != "caf"]
    draft.fiches[0].roles = [r for r in draft.fiches[0].roles if r.organisation != "caf"]
    draft.organisations = [o for o in draft.organisations if o.key != "caf"]
    draft.sections = [s for s in draft.sections if s.key != "A.2"]
    draft.fiches[1].section_key = "A.1"
    draft.unplaced = [UnplacedLine(5, "Page 3 / 120", "pied de page")]
    summary = save_draft(draft)

    c = summary.counts
    assert c["fiches"].deleted == 1
    assert c["actions"].deleted == 3  # fiche 3's two and fiche 2's B
    assert c["sections"].deleted == 1
    assert c["organisations"].deleted == 1
    assert c["unplaced_lines"].deleted == 1
    assert c["unplaced_lines"].unchanged == 1
    # Fiche 3 linked to 1 and 2 linked to 3; now 2 links to 1 (n_fiches=2).
    assert c["fiche_links"].deleted == 2
    assert sorted(Fiche.objects.values_list("number", flat=True)) == ["1", "2"]
    assert not Organisation.objects.filter(key="caf").exists()
    assert not Section.objects.filter(key="A.2").exists()
    assert Fiche.objects.get(number="2").section.key == "A.1"
    assert Action.objects.filter(fiche__number="2").count() == 1
    assert UnplacedLineRow.objects.count() == 1
    assert set(FicheLink.objects.values_list("from_fiche__number", "to_fiche__number")) == {
        ("1", "2"),
        ("2", "1"),
    }


@pytest.mark.django_db
def test_section_moves_to_a_new_parent_created_in_the_same_import():
    save_draft(make_draft(2))
    moved = Section.objects.get(key="A.2").pk
    draft = make_draft(2)
    draft.sections.insert(0, SectionDraft("B", 0, "2", "Nouvelle ambition", None))
    draft.sections[-1].parent_key = "B"
    save_draft(draft)
    section = Section.objects.get(key="A.2")
    assert section.pk == moved
    assert section.parent.key == "B"


@pytest.mark.django_db
def test_programmes_are_shared_between_plans():
    save_draft(make_draft(2))
    summary = save_draft(make_draft(2, slug="autre-cls"))
    assert summary.counts["programmes"].created == 0
    assert Programme.objects.count() == 2
    assert Plan.objects.count() == 2


@pytest.mark.django_db
def test_inconsistencies_are_warned_not_fatal():
    draft = make_draft(2)
    draft.fiches[0].linked_fiches = ["2", "99"]
    draft.fiches[1].section_key = "Z"
    draft.fiches[1].roles.append(RoleDraft("partner", "Mairie de Trèbes", "mairie-trebes"))
    summary = save_draft(draft)
    assert summary.warnings == [
        "Fiche n°2 : « Mairie de Trèbes » renvoie à une organisation non définie "
        "(mairie-trebes) ; elle est créée sous ce nom.",
        "Fiche n°2 : section « Z » inconnue ; la fiche est rangée hors section.",
        "Fiche n°1 : la fiche liée n°99 n'existe pas dans le plan ; le lien est ignoré.",
    ]
    assert Fiche.objects.get(number="2").section is None
    assert Organisation.objects.get(key="mairie-trebes").name == "Mairie de Trèbes"
    assert [f.number for f in Fiche.objects.get(number="1").linked_fiches.all()] == ["2"]


@pytest.mark.django_db
def test_inconsistent_draft_is_refused_before_writing():
    draft = make_draft(2)
    draft.fiches[1].number = "1"
    with pytest.raises(DraftError, match="fiche n°1 en double"):
        save_draft(draft)
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_dry_run_reports_without_writing():
    summary = save_draft(make_draft(2), dry_run=True)
    assert summary.counts["fiches"].created == 2
    assert summary.dry_run and summary.plan_id is None
    assert all(not rows for rows in snapshot().values())


@pytest.mark.django_db
def test_perimeter_communes_and_extras():
    draft = make_draft(1, extra={"key_figures": [{"label": "Population", "value": 60000}]})
    draft.perimeter = [CommuneDraft("Trèbes", "11397", 5800), CommuneDraft("Berriac", "11037")]
    draft.fiches[0].actions[0].extra = {"calendrier": "dès la signature des ACI"}
    summary = save_draft(draft)
    plan = Plan.objects.get()
    assert plan.extra == {"key_figures": [{"label": "Population", "value": 60000}]}
    assert Action.objects.get(letter="A").extra == {"calendrier": "dès la signature des ACI"}
    assert "des aci" in Fiche.objects.get().search_text
    assert sorted(plan.perimeter.communes.values_list("name", "code", "level")) == [
        ("Berriac", "11037", "commune"),
        ("Trèbes", "11397", "commune"),
    ]
    assert summary.counts["communes"].created == 2
    assert summary.warnings == []
    trebes = plan.perimeter.communes.get(name="Trèbes")
    assert (trebes.population, trebes.population_source) == (5800, "cls-test.txt")
    assert plan.perimeter.communes.get(name="Berriac").population is None

    # Another document listing other communes replaces the set; one listing none keeps it.
    draft.perimeter = [CommuneDraft("Berriac", "11037"), CommuneDraft("Pennautier", "11279")]
    summary = save_draft(draft)
    assert (summary.counts["communes"].created, summary.counts["communes"].deleted) == (1, 1)
    assert sorted(plan.perimeter.communes.values_list("name", flat=True)) == [
        "Berriac",
        "Pennautier",
    ]
    draft.perimeter = []
    assert not save_draft(draft).changed
    assert plan.perimeter.communes.count() == 2


# --- Atomicity --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_failure_midway_leaves_the_database_as_it_was(monkeypatch):
    save_draft(make_draft(3))
    before = snapshot()

    def fail(*args, **kwargs):
        raise RuntimeError("panne simulée")

    # Fiches, sections and roles are already written when indicators fail.
    monkeypatch.setattr(persist._Writer, "_indicators", fail)
    draft = make_draft(2)
    draft.fiches[0].title = "Changé"
    draft.sections.append(SectionDraft("B", 0, "2", "Nouvelle", None))
    with pytest.raises(RuntimeError):
        save_draft(draft)
    assert snapshot() == before


# --- Efficiency -------------------------------------------------------------------------------


def _queries(draft) -> int:
    with CaptureQueriesContext(connection) as ctx:
        save_draft(draft)
    return len(ctx.captured_queries)


# 20 fiches rather than more: SQLite takes at most 999 parameters per INSERT, so Django splits a
# larger bulk insert (history rows are wide) into batches; PostgreSQL has no such limit.
LARGE = 20


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_number_of_fiches():
    # The territory and programmes exist beforehand for both plans, as they would in production.
    save_draft(make_draft(1, slug="premier"))
    first_small = _queries(make_draft(2))
    again_small = _queries(make_draft(2))
    first_large = _queries(make_draft(LARGE, slug="grand-cls"))
    again_large = _queries(make_draft(LARGE, slug="grand-cls"))
    assert first_large == first_small
    assert again_large == again_small
    # Pinned: the history adds one INSERT per batch of rows written to a first import (25 → 35:
    # plan, sections of each tree depth (2), organisations, fiches, roles, programme links,
    # actions, indicators, fiche links); a re-import that changes nothing writes no history.
    assert first_small == 35
    assert again_small == 14


@pytest.mark.django_db
def test_query_count_of_deletions_does_not_grow_with_the_number_of_fiches():
    # Each deletion is recorded in the history in one query per kind, not one per row.
    save_draft(make_draft(4, slug="petit"))
    save_draft(make_draft(LARGE, slug="grand-cls"))
    few = _queries(make_draft(2, slug="petit"))
    many = _queries(make_draft(2, slug="grand-cls"))
    assert many == few


@pytest.mark.django_db
def test_roles_listed_partner_first_are_stored_pilots_first():
    draft = make_draft(1)
    roles = draft.fiches[0].roles
    draft.fiches[0].roles = roles[1:] + roles[:1]
    save_draft(draft)
    roles = FicheRole.objects.filter(fiche__number="1").values_list("role", flat=True)
    assert list(roles) == ["pilot", "partner", "partner"]
    # Same fiche with pilots first: nothing to update.
    assert not save_draft(copy.deepcopy(make_draft(1))).changed
