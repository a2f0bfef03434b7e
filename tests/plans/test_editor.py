"""The plan editor: its pure ordering helpers, its changes (history, refusals, versions), its
pages (permissions, query counts, conflict messages), and the JSON round trip of a plan written
by hand."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse

from pilotis.accounts import roles
from pilotis.followup import services as followup
from pilotis.followup.models import ActionStatus, FicheReport, IndicatorValue
from pilotis.importers.persist import save_draft
from pilotis.plans import editor
from pilotis.plans.content import VersionConflict
from pilotis.plans.export import plan_from_dict, plan_to_dict
from pilotis.plans.models import (
    Action,
    Fiche,
    FicheIndicator,
    Organisation,
    Plan,
    Programme,
    Section,
)
from tests.factories import UserFactory

# --- Pure helpers (no database) -----------------------------------------------------------------


def test_preorder_walks_the_tree_depth_first_siblings_by_position():
    nodes = [(1, None, 2), (2, None, 1), (3, 1, 0), (4, 2, 5), (5, 2, 1), (6, 99, 0)]
    # 6's parent is unknown: it is kept, as a root (position 0 comes first).
    assert editor.preorder(nodes) == [6, 2, 5, 4, 1, 3]


def test_fiche_order_follows_the_sections_then_fiches_without_section():
    fiches = [(10, None, 0), (11, 2, 5), (12, 1, 9), (13, 2, 1), (14, 77, 0)]
    assert editor.fiche_order([2, 1], fiches) == [13, 11, 12, 10, 14]


def test_swapped_moves_one_place_and_stops_at_the_ends():
    assert editor.swapped([1, 2, 3], 2, editor.UP) == [2, 1, 3]
    assert editor.swapped([1, 2, 3], 2, editor.DOWN) == [1, 3, 2]
    assert editor.swapped([1, 2, 3], 1, editor.UP) == [1, 2, 3]
    assert editor.swapped([1, 2, 3], 3, editor.DOWN) == [1, 2, 3]


def test_next_letter_and_keys():
    assert editor.next_letter([]) == "A"
    assert editor.next_letter(["a", "B", "D"]) == "C"
    assert editor.next_letter(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + ["1"]) == "2"
    assert editor.unique_key("cpam", ["cpam", "cpam-2"]) == "cpam-3"
    assert editor.plan_slug("Nouveau", []) == "nouveau-2"  # "nouveau" names the creation page
    assert editor.plan_slug("CLS de l’Aude", ["cls-de-laude"]) == "cls-de-laude-2"


def test_merged_aliases_keep_every_spelling_once():
    keep = Organisation(name="Département de l’Aude", acronym="CD 11", aliases=["CD11"])
    drop = Organisation(
        name="Conseil départemental", acronym="CD 11", aliases=["département de l’aude", "Dpt"]
    )
    assert editor.merged_aliases(keep, drop) == ["CD11", "Conseil départemental", "CD 11", "Dpt"]


# --- Changes, on the database -------------------------------------------------------------------


@pytest.fixture
def coordinator(db):
    return UserFactory(username="coord", first_name="Claire", last_name="Coordination")


@pytest.fixture
def plan(coordinator):
    values = editor.PlanValues(
        kind=Plan.Kind.OTHER,
        title="Atelier santé ville de Testville",
        signatories=["Ville de Testville"],
        signature_date=date(2025, 1, 15),
        start_year=2025,
        duration_years=3,
        perimeter="Testville",
        levels=["Axe", "Objectif"],
    )
    return editor.create_plan(values, coordinator)


def _section(plan, parent, number, title, user):
    plan.refresh_from_db()
    return editor.add_section(plan, plan.version, parent, number, title, user)


def _fiche(plan, section, number, user, **values):
    plan.refresh_from_db()
    return editor.add_fiche(
        plan,
        plan.version,
        section,
        {"number": number, "title": f"Fiche {number}", **values},
        user,
    )


def test_sections_at_any_depth_move_and_refuse_removal_when_not_empty(plan, coordinator):
    one = _section(plan, None, "1", "Axe un", coordinator)
    two = _section(plan, None, "2", "Axe deux", coordinator)
    one_one = _section(plan, one, "1.1", "Objectif", coordinator)
    deep = _section(plan, one_one, "1.1.1", "Sous-objectif", coordinator)
    assert deep.depth == 2
    ordered = lambda: list(plan.sections.order_by("position").values_list("number", flat=True))  # noqa: E731
    assert ordered() == ["1", "1.1", "1.1.1", "2"]

    plan.refresh_from_db()
    assert editor.move_section(two, plan.version, editor.UP, coordinator)
    assert ordered() == ["2", "1", "1.1", "1.1.1"]
    plan.refresh_from_db()
    assert not editor.move_section(two, plan.version, editor.UP, coordinator)  # already first

    fiche = _fiche(plan, deep, "1", coordinator)
    plan.refresh_from_db()
    with pytest.raises(editor.EditRefused) as refused:
        editor.remove_section(one, plan.version, coordinator)
    assert refused.value.message == (
        "La section « 1 Axe un » n’est pas vide : elle contient 1 sous-section. "
        "Déplacez ou supprimez d’abord son contenu."
    )
    with pytest.raises(editor.EditRefused, match="elle contient 1 fiche"):
        editor.remove_section(deep, plan.version, coordinator)

    plan.refresh_from_db()
    assert editor.rename_section(two, plan.version, "2", "Axe deux, renommé", coordinator)
    plan.refresh_from_db()
    editor.remove_section(
        _section(plan, two, "2.1", "Vide", coordinator), plan.version, coordinator
    )
    assert not plan.sections.filter(title="Vide").exists()
    record = Section.history.filter(history_type="-").get()
    assert (record.history_user, record.history_change_reason) == (
        coordinator,
        "Suppression d’une section",
    )
    assert Fiche.objects.get(pk=fiche.pk).section_id == deep.pk


def test_a_stale_plan_version_is_refused_and_nothing_changes(plan, coordinator):
    version = plan.version
    _section(plan, None, "1", "Axe un", coordinator)
    with pytest.raises(editor.PlanChanged):
        editor.add_section(plan, version, None, "2", "Axe deux", coordinator)
    assert plan.sections.count() == 1


def _campaign_with_data(plan, fiche, action, indicator):
    campaign = followup.open_campaign(plan, 1, date.today() + timedelta(days=30))
    report = FicheReport.objects.get(campaign=campaign, fiche=fiche)
    ActionStatus.objects.create(plan=plan, report=report, action=action, done="yes")
    IndicatorValue.objects.create(plan=plan, report=report, indicator=indicator, value_text="12")
    return campaign, report


def test_removing_what_follow_up_data_holds_is_refused_archiving_works(plan, coordinator):
    fiche = _fiche(plan, None, "1", coordinator)
    editor.add_action(fiche, fiche.version, "", "Informer", [1, 2], coordinator)
    action = fiche.actions.get()
    editor.add_indicator(fiche, fiche.version, "result", "Familles informées", ["A"], coordinator)
    indicator = fiche.indicators.get()
    other = _fiche(plan, None, "2", coordinator)
    campaign, report = _campaign_with_data(plan, fiche, action, indicator)

    with pytest.raises(editor.EditRefused) as refused:
        editor.remove_fiche(fiche, fiche.version, coordinator)
    message = refused.value.message
    assert message.startswith(
        "Impossible de supprimer la fiche n°1 : des données de suivi s’y rattachent — "
    )
    assert "1 suivi d’une fiche" in message and "(campagne de l’année 1 (2025))" in message
    assert "Archivez plutôt la fiche n°1" in message
    with pytest.raises(
        editor.EditRefused, match="l’action A : des données de suivi .* 1 réalisation d’une action"
    ):
        editor.remove_action(action, fiche.version, coordinator)
    with pytest.raises(editor.EditRefused, match="1 valeur d’indicateur"):
        editor.remove_indicator(indicator, fiche.version, coordinator)
    assert Action.objects.filter(pk=action.pk).exists()
    assert FicheIndicator.objects.filter(pk=indicator.pk).exists()

    # Archive instead: the fiche leaves the next campaign and the plan page; its report stays.
    assert editor.set_fiche_archived(fiche, fiche.version, True, coordinator)
    assert editor.set_action_archived(action, fiche.version, True, coordinator)
    campaign2 = followup.open_campaign(plan, 2, date.today() + timedelta(days=30))
    assert list(campaign2.reports.values_list("fiche__number", flat=True)) == ["2"]
    assert FicheReport.objects.filter(pk=report.pk).exists()
    with pytest.raises(followup.FicheStopped, match="est archivée"):
        followup.report_for(campaign2, fiche)
    assert followup.report_for(campaign, fiche) == report  # the past report is still there
    assert followup.current_parts([action], set()) == []
    assert followup.current_parts([action], {action.pk}) == [action]
    # Without follow-up data (added after both campaigns opened), a fiche is removed, its
    # history kept; fiche 2, with its two « to do » reports, is held by them.
    with pytest.raises(editor.EditRefused, match="2 suivis des fiches"):
        editor.remove_fiche(other, other.version, coordinator)
    late = _fiche(plan, None, "3", coordinator)
    editor.remove_fiche(late, late.version, coordinator)
    assert Fiche.history.filter(id=late.pk, history_type="-").get().history_user == coordinator


def test_fiche_parts_check_the_fiche_version(plan, coordinator):
    fiche = _fiche(plan, None, "1", coordinator)
    stale = fiche.version
    editor.add_action(fiche, fiche.version, "", "Informer", [1], coordinator)
    with pytest.raises(VersionConflict):
        editor.add_action(fiche, stale, "", "Former", [2], coordinator)
    assert list(fiche.actions.values_list("text", flat=True)) == ["Informer"]
    with pytest.raises(editor.EditRefused, match="déjà une action A"):
        editor.add_action(fiche, fiche.version, "a", "Doublon", [], coordinator)


def test_action_letter_change_follows_in_indicators_and_reorders(plan, coordinator):
    fiche = _fiche(plan, None, "1", coordinator)
    for text in ("Un", "Deux", "Trois"):
        editor.add_action(fiche, fiche.version, "", text, [1], coordinator)
    editor.add_indicator(fiche, fiche.version, "monitoring", "Suivi", ["B"], coordinator)
    b = fiche.actions.get(letter="B")
    assert editor.update_action(b, fiche.version, "B2", "Deux bis", [2, 3], coordinator)
    assert fiche.indicators.get().action_letters == ["B2"]
    assert editor.move_action(b, fiche.version, editor.UP, coordinator)
    assert list(fiche.actions.order_by("position").values_list("letter", flat=True)) == [
        "B2",
        "A",
        "C",
    ]
    assert "deux bis" in Fiche.objects.get(pk=fiche.pk).search_text


def test_organisations_roles_links_and_programmes(plan, coordinator):
    fiche = _fiche(plan, None, "1", coordinator)
    other = _fiche(plan, None, "2", coordinator)
    role = editor.add_role(
        fiche,
        fiche.version,
        "pilot",
        None,
        {"name": "Caisse d’allocations familiales", "acronym": "CAF", "aliases": []},
        coordinator,
    )
    assert role.organisation.key == "caf"
    with pytest.raises(editor.EditRefused, match="« Caisse d’allocations familiales » existe déjà"):
        editor.add_role(
            fiche,
            fiche.version,
            "partner",
            None,
            {"name": "caf", "acronym": "", "aliases": []},
            coordinator,
        )
    with pytest.raises(editor.EditRefused, match="est déjà pilote de la fiche n°1"):
        editor.add_role(fiche, fiche.version, "pilot", role.organisation, None, coordinator)
    editor.add_fiche_link(fiche, fiche.version, other, coordinator)
    with pytest.raises(editor.EditRefused, match="déjà liée à la fiche n°2"):
        editor.add_fiche_link(fiche, fiche.version, other, coordinator)
    link = editor.add_programme(fiche, fiche.version, None, "PRSE 4", coordinator)
    assert Programme.objects.get(pk=link.programme_id).name == "PRSE 4"
    editor.remove_role(role, fiche.version, coordinator)
    assert not fiche.roles.exists()


# --- The JSON round trip -------------------------------------------------------------------------


def test_a_plan_written_by_hand_exports_and_reimports_to_the_same_plan(plan, coordinator):
    axis = _section(plan, None, "1", "Prévenir", coordinator)
    objective = _section(plan, axis, "1.1", "Dès l’enfance", coordinator)
    first = _fiche(plan, objective, "1", coordinator, context="Contexte.", public="Familles")
    second = _fiche(plan, axis, "2", coordinator)
    editor.add_action(first, first.version, "", "Informer", [1, 2], coordinator)
    editor.add_action(first, first.version, "", "Former", [3], coordinator)
    editor.add_indicator(first, first.version, "result", "Familles informées", ["A"], coordinator)
    editor.add_indicator(first, first.version, "monitoring", "Réunions tenues", [], coordinator)
    editor.add_role(
        first,
        first.version,
        "pilot",
        None,
        {"name": "Ville de Testville", "acronym": "", "aliases": ["Mairie"]},
        coordinator,
    )
    editor.add_fiche_link(first, first.version, second, coordinator)
    plan.refresh_from_db()

    exported = json.loads(json.dumps(plan_to_dict(plan)))
    summary = save_draft(plan_from_dict(exported))
    assert not summary.changed, {
        k: v for k, v in summary.counts.items() if v.created or v.updated or v.deleted
    }
    plan.refresh_from_db()
    assert json.loads(json.dumps(plan_to_dict(plan))) == exported
    assert exported["kind"] == "other"
    # Reading order: the axis's own fiche before those of its objective.
    assert [f["number"] for f in exported["fiches"]] == ["2", "1"]


# --- Pages: permissions, query counts, conflicts ------------------------------------------------


@pytest.fixture
def written(plan, coordinator):
    """The plan with one axis, one fiche, an action, a pilot and an indicator."""
    axis = _section(plan, None, "1", "Axe", coordinator)
    fiche = _fiche(plan, axis, "1", coordinator)
    editor.add_action(fiche, fiche.version, "", "Informer", [1], coordinator)
    editor.add_role(
        fiche,
        fiche.version,
        "pilot",
        None,
        {"name": "CAF", "acronym": "", "aliases": []},
        coordinator,
    )
    editor.add_indicator(fiche, fiche.version, "result", "Familles", [], coordinator)
    plan.refresh_from_db()
    return plan, fiche


# Pages that take a POST besides their GET (the others answer 405 to a POST).
POSTED = {"plan_settings", "section_add", "fiche_add", "action_edit", "organisations"}
ROUTES = {
    "editor": lambda p, f: reverse("plans:editor", args=[p.slug]),
    "plan_settings": lambda p, f: reverse("plans:plan_settings", args=[p.slug]),
    "section_add": lambda p, f: reverse("plans:section_add", args=[p.slug]),
    "fiche_add": lambda p, f: reverse("plans:fiche_add", args=[p.slug]),
    "fiche_parts": lambda p, f: reverse("plans:fiche_parts", args=[p.slug, f.number]),
    "action_edit": lambda p, f: reverse(
        "plans:action_edit", args=[p.slug, f.number, f.actions.get(letter="A").pk]
    ),
    "organisations": lambda p, f: reverse("plans:organisations_editor", args=[p.slug]),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("stranger", 404),
        ("coordinator_elsewhere", 404),
        ("pilot", 403),
        ("copil", 403),
        ("coordinator", 200),
        ("administrator", 200),
    ],
)
def test_permission_matrix_of_the_editor(client, written, coordinator, route, who, expected):
    plan, fiche = written
    users = {
        "stranger": UserFactory(),
        "coordinator": coordinator,
        "administrator": UserFactory(is_superuser=True, is_staff=True),
    }
    if who == "coordinator_elsewhere":
        # Coordinating another plan gives no right on this one.
        elsewhere = Plan.objects.create(slug="autre", kind="cls", title="Autre plan")
        users[who] = UserFactory()
        roles.grant(users[who], elsewhere, roles.Role.COORDINATOR)
    elif who in ("pilot", "copil"):
        users[who] = UserFactory()
        roles.grant(users[who], plan, who, plan.organisations.all())
    if who != "anonymous":
        client.force_login(users[who])
    url = ROUTES[route](plan, fiche)
    assert client.get(url).status_code == expected
    if expected != 200 and route in POSTED:
        # Writing is refused alike, and changes nothing.
        response = client.post(url, {"version": plan.version, "title": "Pirate", "number": "9"})
        assert response.status_code == expected
        assert not plan.sections.filter(title="Pirate").exists()
        assert Plan.objects.get(pk=plan.pk).title == plan.title


def test_plan_creation_needs_an_account(client, db, settings):
    response = client.get(reverse("plans:plan_create"))
    assert response.status_code == 302
    assert response.url.startswith(reverse(settings.LOGIN_URL))
    client.force_login(UserFactory())
    assert client.get(reverse("plans:plan_create")).status_code == 200
    page = client.get(reverse("plans:index"))
    assert "Créer un plan" in page.text


def test_bad_plan_form_is_refused_with_french_messages(client, db):
    client.force_login(UserFactory())
    response = client.post(
        reverse("plans:plan_create"),
        {"kind": "cls", "title": "", "start_year": "25", "duration_years": "0"},
    )
    assert response.status_code == 400
    assert "Le titre est obligatoire." in response.text
    assert "L’année 1 doit être postérieure à 1990." in response.text
    assert "La durée est d’au moins un an." in response.text
    assert not Plan.objects.exists()


def test_two_people_editing_the_same_fiche_get_the_conflict_message(client, written, coordinator):
    plan, fiche = written
    other = UserFactory()
    roles.grant(other, plan, roles.Role.COORDINATOR)
    version = fiche.version  # both opened the page at this version
    url = reverse("plans:fiche_part_add", args=[plan.slug, fiche.number, "action"])
    client.force_login(other)
    client.post(url, {"letter": "", "text": "La leur", "deadline_years": ["1"], "version": version})
    client.force_login(coordinator)
    response = client.post(
        url,
        {"letter": "", "text": "La mienne", "deadline_years": ["1"], "version": version},
        follow=True,
    )
    assert (
        "La fiche a été modifiée pendant que vous la modifiiez : rien n’a été enregistré."
        in response.text
    )
    assert list(fiche.actions.values_list("text", flat=True)) == ["Informer", "La leur"]

    # The same on a one-form page (an action's page): 409, the typed text kept.
    action = fiche.actions.get(letter="A")
    response = client.post(
        reverse("plans:action_edit", args=[plan.slug, fiche.number, action.pk]),
        {"letter": "A", "text": "Informer mieux", "deadline_years": ["1"], "version": version},
    )
    assert response.status_code == 409
    assert "Informer mieux" in response.text
    assert Action.objects.get(pk=action.pk).text == "Informer"


def test_a_refused_removal_names_what_holds_it_on_the_page(client, written, coordinator):
    plan, fiche = written
    action, indicator = fiche.actions.get(), fiche.indicators.get()
    _campaign_with_data(plan, fiche, action, indicator)
    client.force_login(coordinator)
    fiche.refresh_from_db()
    response = client.post(
        reverse(
            "plans:fiche_part_action", args=[plan.slug, fiche.number, "action", action.pk, "remove"]
        ),
        {"version": fiche.version},
        follow=True,
    )
    assert (
        "Impossible de supprimer l’action A : des données de suivi s’y rattachent" in response.text
    )
    assert Action.objects.filter(pk=action.pk).exists()
    response = client.post(
        reverse("plans:fiche_remove", args=[plan.slug, fiche.number]),
        {"version": fiche.version, "operation": "archive"},
        follow=True,
    )
    assert "La fiche n°1 est archivée" in response.text
    overview = client.get(plan.get_absolute_url())
    assert reverse("plans:fiche", args=[plan.slug, "1"]) not in overview.text


@pytest.mark.parametrize(
    ("route", "queries"),
    [("editor", 7), ("fiche_parts", 13), ("organisations", 7), ("action_edit", 5)],
)
def test_editor_pages_query_counts(
    client, written, coordinator, django_assert_num_queries, route, queries
):
    plan, fiche = written
    url = ROUTES[route](plan, fiche)
    client.force_login(coordinator)
    client.get(url)  # sessions and caches warm
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    # More of everything must not mean more queries.
    axis = plan.sections.get()
    for number in ("2", "3"):
        extra = _fiche(plan, axis, number, coordinator)
        editor.add_action(extra, extra.version, "", "Autre", [1], coordinator)
        editor.add_role(
            extra,
            extra.version,
            "partner",
            None,
            {"name": f"Asso {number}", "acronym": "", "aliases": []},
            coordinator,
        )
    for text in ("Deux", "Trois"):
        editor.add_action(fiche, Fiche.objects.get(pk=fiche.pk).version, "", text, [2], coordinator)
    fiche.refresh_from_db()
    editor.add_indicator(fiche, fiche.version, "monitoring", "Suivi", ["A", "B"], coordinator)
    editor.add_fiche_link(
        fiche, fiche.version, Fiche.objects.get(plan=plan, number="2"), coordinator
    )
    editor.add_programme(fiche, fiche.version, None, "PRSE 4", coordinator)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("who", "expected"),
    [("stranger", 404), ("coordinator_elsewhere", 404), ("pilot", 403), ("coordinator", 302)],
)
def test_permission_matrix_of_the_editor_writes(client, written, coordinator, who, expected):
    """The POST-only routes: buttons and the add forms of the fiche's parts page."""
    plan, fiche = written
    if who == "coordinator":
        user = coordinator
    else:
        user = UserFactory()
        target = plan
        if who == "coordinator_elsewhere":
            target = Plan.objects.create(slug="autre", kind="cls", title="Autre plan")
        if who != "stranger":
            roles.grant(user, target, "coordinator" if target != plan else who)
    client.force_login(user)
    section, action = plan.sections.get(), fiche.actions.get()
    fiche.refresh_from_db()
    posts = [
        (reverse("plans:section_action", args=[plan.slug, section.pk, "down"]), {}),
        (
            reverse("plans:fiche_part_add", args=[plan.slug, fiche.number, "action"]),
            {"text": "Intrusion", "deadline_years": ["1"]},
        ),
        (
            reverse(
                "plans:fiche_part_action",
                args=[plan.slug, fiche.number, "action", action.pk, "archive"],
            ),
            {},
        ),
        (
            reverse("plans:fiche_remove", args=[plan.slug, fiche.number]),
            {"operation": "archive"},
        ),
    ]
    for url, data in posts:
        response = client.post(url, {"version": Fiche.objects.get(pk=fiche.pk).version, **data})
        assert response.status_code == expected, url
    changed = Fiche.objects.get(pk=fiche.pk).archived
    assert changed is (who == "coordinator")
    assert fiche.actions.filter(text="Intrusion").exists() is (who == "coordinator")
