"""The roll-up weights: reading typed weights, the « Pondération » page, rights, conflicts, and
their effect on the report's figures."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from django.contrib.auth.models import AnonymousUser

from pilotis.accounts import roles
from pilotis.followup import weights
from pilotis.followup.models import FicheFollowup, SectionFollowup
from pilotis.followup.rollups import (
    FicheInput,
    PlanInput,
    SectionInput,
    contract_weights,
    section_paths,
)
from pilotis.plans.models import Plan
from tests.factories import FicheFactory, SectionFactory, UserFactory
from tests.followup.conftest import build_carcassonne, member
from tests.followup.test_views import MENU_GROUP_CHECK, SIGNED_IN, text
from tests.reports.conftest import build_followed_plan

NBSP = "\u00a0"

# --- Pure: typed weights and the contract weight ------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1", Decimal(1)),
        ("0,5", Decimal("0.5")),
        ("0.5", Decimal("0.5")),
        (" 2,2500 ", Decimal("2.25")),
        (",25", Decimal("0.25")),
        ("0", Decimal(0)),
        ("1\u202f000", Decimal(1000)),
        ("9999,9999", Decimal("9999.9999")),
    ],
)
def test_parse_weight_reads_french_decimals(typed, expected):
    assert weights.parse_weight(typed) == expected


BAD = [
    ("-1", "Un poids ne peut pas être négatif (« -1 »)."),
    ("\u22120,5", "Un poids ne peut pas être négatif (« \u22120,5 »)."),
    ("abc", "« abc » n’est pas un nombre (exemples : 1 ; 0,5 ; 2)."),
    ("1e3", "« 1e3 » n’est pas un nombre (exemples : 1 ; 0,5 ; 2)."),
    ("NaN", "« NaN » n’est pas un nombre (exemples : 1 ; 0,5 ; 2)."),
    ("1,2,3", "« 1,2,3 » n’est pas un nombre (exemples : 1 ; 0,5 ; 2)."),
    ("0,12345", "4 chiffres après la virgule au plus (« 0,12345 »)."),
    ("10000", "Le poids ne peut pas dépasser 9\u202f999,9999 (« 10000 »)."),
    ("", "Indiquez un poids (1 par défaut)."),
]


@pytest.mark.parametrize(("typed", "message"), BAD)
def test_parse_weight_refuses_with_a_french_reason(typed, message):
    with pytest.raises(weights.InvalidWeight) as refused:
        weights.parse_weight(typed)
    assert str(refused.value) == message


def test_contract_weights_multiply_the_sections_above_as_the_roll_ups_do():
    """docs/roll-ups.md's example: objective 1.1 weighs 3, fiche 2 weighs 2."""
    sections = (
        SectionInput("A1", None),
        SectionInput("A1.O1", "A1", weight=3),
        SectionInput("A1.O2", "A1"),
    )
    paths = section_paths(sections)
    fiches = (
        FicheInput(1, section_path=paths["A1.O1"]),
        FicheInput(2, section_path=paths["A1.O1"], weight=2),
        FicheInput(3, section_path=paths["A1.O2"]),
        FicheInput(4, weight=Decimal("0.5")),
    )
    assert contract_weights(PlanInput(sections, fiches)) == {1: 3, 2: 6, 3: 1, 4: Fraction(1, 2)}


# --- The page -----------------------------------------------------------------------------------


def url(plan: Plan) -> str:
    return f"/plans/{plan.slug}/suivi/ponderation/"


def add_tree(plan: Plan) -> dict[str, object]:
    """Ambition 1 > objective 1.1 (fiches 1 and 2) and objective 1.2 (fiche 3)."""
    ambition = SectionFactory(
        plan=plan, key="A1", number="1", title="Agir pour la santé", position=1
    )
    o1 = SectionFactory(
        plan=plan, parent=ambition, key="A1.1", number="1.1", title="Prévenir", position=2
    )
    o2 = SectionFactory(
        plan=plan, parent=ambition, key="A1.2", number="1.2", title="Soigner", position=3
    )
    plan.fiches.filter(number__in=["1", "2"]).update(section=o1)
    plan.fiches.filter(number="3").update(section=o2)
    return {"ambition": ambition, "o1": o1, "o2": o2}


@pytest.fixture
def tree(plan):
    return add_tree(plan)


def loaded(client, plan) -> dict[str, str]:
    """What the page's form posts back untouched: every weight and its hidden « seen » twin."""
    response = client.get(url(plan))
    assert response.status_code == 200
    page = response.content.decode()
    posted = dict(re.findall(r'<input type="hidden" name="([\w-]+-seen)" value="([^"]*)"', page))
    form = response.context["form"]
    posted.update({name: form.initial[name] for name in form.fields})
    return posted


def fiche_key(plan, number: str) -> str:
    return f"fiche-{plan.fiches.get(number=number).pk}"


def section_key(section) -> str:
    return f"section-{section.pk}"


def stored(plan) -> tuple[dict, dict, int]:
    """Stored weights by fiche and section number, and the number of history records."""
    fiches = dict(FicheFollowup.objects.filter(plan=plan).values_list("fiche__number", "weight"))
    sections = dict(
        SectionFollowup.objects.filter(plan=plan).values_list("section__number", "weight")
    )
    records = FicheFollowup.history.count() + SectionFollowup.history.count()
    return fiches, sections, records


ROLES = ["partner", "copil", "caf_copil", "agglo_pilot", "caf_pilot", "coordinator", "admin"]


def user_of(people, who):
    return AnonymousUser() if who == "anonymous" else getattr(people, who)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "outsider", *ROLES])
@pytest.mark.parametrize("published", [True, False])
def test_rights_to_read_and_to_set_the_weights(client, plan, people, tree, who, published):
    Plan.objects.filter(pk=plan.pk).update(published=published)
    plan.refresh_from_db()
    sets = who in ("coordinator", "admin")
    # Partners read the plan's fiches only once it is published (plans/perms.py).
    reads = (
        sets
        or who in ("copil", "caf_copil", "agglo_pilot", "caf_pilot")
        or (who == "partner" and published)
    )
    if who != "anonymous":
        client.force_login(user_of(people, who))
    response = client.get(url(plan))
    if who == "anonymous":
        assert response.status_code == 302  # to the sign-in page
    elif who == "outsider":
        assert response.status_code == (403 if published else 404)
    elif reads:
        assert response.status_code == 200
        assert ('name="action" value="save"' in response.content.decode()) is sets
    else:
        assert response.status_code == 403
    data = {fiche_key(plan, "2"): "2", f"{fiche_key(plan, '2')}-seen": "1"}
    data.update({section_key(s): "1" for s in tree.values()})
    data.update({f"{section_key(s)}-seen": "1" for s in tree.values()})
    for number in ("1", "3"):
        data[fiche_key(plan, number)] = "1"
        data[f"{fiche_key(plan, number)}-seen"] = "1"
    response = client.post(url(plan), {**data, "action": "save"})
    if sets:
        assert response.status_code == 302
        assert stored(plan)[0] == {"2": Decimal(2)}
    else:
        expected = {"anonymous": 302, "outsider": 403 if published else 404}.get(who, 403)
        assert response.status_code == expected
        assert stored(plan) == ({}, {}, 0)


@pytest.mark.django_db
def test_the_page_shows_the_tree_with_labelled_inputs_and_the_contract_weights(
    client, plan, people, tree
):
    client.force_login(people.coordinator)
    response = client.get(url(plan))
    page = response.content.decode()
    shown = text(response)
    assert "<caption>Poids des sections et des fiches du plan</caption>" in page
    assert '<th scope="col">Section ou fiche</th>' in page
    assert "Ambition 1 — Agir pour la santé" in shown
    assert "Objectif général 1.1 — Prévenir" in shown
    assert "Fiche n°2 — Soutenir la parentalité" in shown
    name = fiche_key(plan, "2")
    # Each input has its label (read by screen readers, hidden on screen).
    assert re.search(
        rf'<label class="fr-label fr-sr-only" for="id_{name}">Poids — Fiche n°2 « Soutenir la '
        r"parentalité »</label>",
        page.replace("&#x27;", "'"),
    )
    rows = response.context["rows"]
    assert [r.node.label.split(" — ")[0] for r in rows] == [
        "Ambition 1",
        "Objectif général 1.1",
        "Fiche n°1",
        "Fiche n°2",
        "Objectif général 1.2",
        "Fiche n°3",
    ]
    assert [r.share for r in rows if not r.node.is_section] == [f"33,3{NBSP}%"] * 3
    assert rows[0].share == f"100,0{NBSP}%"


@pytest.mark.django_db
def test_saving_writes_only_the_changed_weights_with_history(client, plan, people, tree):
    FicheFollowup.objects.create(plan=plan, fiche=plan.fiches.get(number="3"), weight=2)
    client.force_login(people.coordinator)
    data = loaded(client, plan)
    assert data[fiche_key(plan, "3")] == "2"
    data[fiche_key(plan, "2")] = "0,5"
    data[section_key(tree["o1"])] = "3"
    history_before = stored(plan)[2]
    response = client.post(url(plan), {**data, "action": "save"}, follow=True)
    assert "Pondération enregistrée : 2 poids modifiés." in text(response)
    fiches, sections, records = stored(plan)
    assert fiches == {"2": Decimal("0.5"), "3": Decimal(2)}
    assert sections == {"1.1": Decimal(3)}
    assert records == history_before + 2
    record = FicheFollowup.history.filter(fiche__number="2").get()
    assert record.history_user == people.coordinator
    assert record.history_change_reason == weights.HISTORY_REASON
    # Posting the same weights again changes nothing.
    response = client.post(url(plan), {**loaded(client, plan), "action": "save"}, follow=True)
    assert "Aucun poids n’a changé" in text(response)
    assert stored(plan)[2] == records
    # Fiche 3 keeps its contract weight 2, fiche 2 weighs 0.5 × 3 in the contract.
    rows = {r.node.label.split(" — ")[0]: r for r in response.context["rows"]}
    assert rows["Fiche n°2"].contract_weight == "1,5"
    assert rows["Fiche n°1"].contract_weight == "3"
    assert rows["Fiche n°3"].contract_weight == "2"


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "message"), BAD)
def test_a_bad_weight_is_refused_by_name_and_nothing_is_stored(
    client, plan, people, tree, typed, message
):
    client.force_login(people.coordinator)
    data = loaded(client, plan)
    data[fiche_key(plan, "1")] = "2"  # a good change, not applied either
    data[fiche_key(plan, "2")] = typed
    response = client.post(url(plan), {**data, "action": "save"})
    assert response.status_code == 400
    shown = text(response).replace("&#x27;", "'")
    assert "La pondération n’est pas enregistrée" in shown
    assert f"Fiche n°2 « Soutenir la parentalité » : {message}" in shown.replace("&quot;", '"')
    assert "Rien n’a été enregistré." in shown
    assert stored(plan) == ({}, {}, 0)


@pytest.mark.django_db
def test_a_bad_section_weight_names_the_section(client, plan, people, tree):
    client.force_login(people.coordinator)
    data = loaded(client, plan)
    data[section_key(tree["o2"])] = "-2"
    response = client.post(url(plan), {**data, "action": "save"})
    assert response.status_code == 400
    assert "Objectif général 1.2 « Soigner » : Un poids ne peut pas être négatif" in text(response)
    assert stored(plan) == ({}, {}, 0)


@pytest.mark.django_db
def test_weights_changed_meanwhile_are_refused_and_named(client, plan, people, tree):
    client.force_login(people.coordinator)
    data = loaded(client, plan)
    # Another coordinator saves fiche 2 and objective 1.1 in the meantime.
    other = member(plan, "coordinator")
    weights.save_weights(
        plan,
        {("fiche", plan.fiches.get(number="2").pk): Decimal(3)},
        {("fiche", plan.fiches.get(number="2").pk): Decimal(1)},
        other,
    )
    SectionFollowup.objects.create(plan=plan, section=tree["o1"], weight=Decimal("0.5"))
    data[fiche_key(plan, "1")] = "4"
    response = client.post(url(plan), {**data, "action": "save"})
    assert response.status_code == 409
    shown = text(response)
    assert "La pondération a été modifiée par quelqu’un d’autre" in shown
    assert "Fiche n°2 « Soutenir la parentalité » : 1 → 3" in shown
    assert "Objectif général 1.1 « Prévenir » : 1 → 0,5" in shown
    assert stored(plan)[0] == {"2": Decimal(3)}  # fiche 1 not saved
    # The form now shows their weights with mine; saving it again keeps both.
    form = response.context["form"]
    assert form.initial[fiche_key(plan, "1")] == "4"
    assert form.initial[fiche_key(plan, "2")] == "3"
    again = dict(re.findall(r'name="([\w-]+-seen)" value="([^"]*)"', response.content.decode()))
    again.update({name: form.initial[name] for name in form.fields})
    response = client.post(url(plan), {**again, "action": "save"})
    assert response.status_code == 302
    assert stored(plan)[0] == {"1": Decimal(4), "2": Decimal(3)}
    assert stored(plan)[1] == {"1.1": Decimal("0.5")}


@pytest.mark.django_db
def test_a_fiche_added_meanwhile_refuses_the_save(client, plan, people, tree):
    client.force_login(people.coordinator)
    data = loaded(client, plan)
    FicheFactory(plan=plan, number="4", title="Nouvelle fiche", section=tree["o2"], position=9)
    data[fiche_key(plan, "1")] = "2"
    response = client.post(url(plan), {**data, "action": "save"})
    assert response.status_code == 409
    assert "Fiche n°4 « Nouvelle fiche » : ajout au plan depuis l’ouverture de la page" in (
        text(response)
    )
    assert stored(plan) == ({}, {}, 0)


@pytest.mark.django_db
def test_preview_shows_the_contract_weights_without_saving(client, plan, people, tree):
    client.force_login(people.coordinator)
    data = loaded(client, plan)
    data[section_key(tree["o1"])] = "2"
    data[fiche_key(plan, "2")] = "0"
    response = client.post(url(plan), {**data, "action": "preview"})
    assert response.status_code == 200
    assert "Aperçu des poids saisis : rien n’est enregistré" in text(response)
    rows = {r.node.label.split(" — ")[0]: r for r in response.context["rows"]}
    assert (rows["Fiche n°1"].contract_weight, rows["Fiche n°1"].share) == ("2", f"66,7{NBSP}%")
    assert (rows["Fiche n°2"].contract_weight, rows["Fiche n°2"].share) == ("0", f"0,0{NBSP}%")
    assert rows["Objectif général 1.2"].share == f"33,3{NBSP}%"
    assert stored(plan) == ({}, {}, 0)


@pytest.mark.django_db
def test_all_weights_zero_preview_says_no_share(client, plan, people, tree):
    client.force_login(people.coordinator)
    data = loaded(client, plan)
    for number in ("1", "2", "3"):
        data[fiche_key(plan, number)] = "0"
    response = client.post(url(plan), {**data, "action": "preview"})
    assert {r.share for r in response.context["rows"]} == {"—"}


@pytest.mark.django_db
def test_reset_puts_every_weight_back_to_one(client, plan, people, tree):
    FicheFollowup.objects.create(plan=plan, fiche=plan.fiches.get(number="3"), weight=2)
    SectionFollowup.objects.create(plan=plan, section=tree["o1"], weight=0)
    client.force_login(people.coordinator)
    response = client.post(url(plan), {"action": "reset"}, follow=True)
    assert "Poids remis à 1 : 2 poids modifiés." in text(response)
    fiches, sections, _ = stored(plan)
    assert fiches == {"3": Decimal(1)} and sections == {"1.1": Decimal(1)}
    assert FicheFollowup.history.filter(history_type="~").count() == 1
    response = client.post(url(plan), {"action": "reset"}, follow=True)
    assert "Tous les poids valaient déjà 1 : rien n’a changé." in text(response)


@pytest.mark.django_db
def test_readers_see_the_weights_without_a_form(client, plan, people, tree):
    FicheFollowup.objects.create(plan=plan, fiche=plan.fiches.get(number="3"), weight=2)
    client.force_login(people.caf_pilot)
    response = client.get(url(plan))
    assert response.status_code == 200
    assert response.context["form"] is None
    assert "<form" not in re.search(r"<main.*</main>", response.content.decode(), re.S).group(0)
    rows = {r.node.label.split(" — ")[0]: r for r in response.context["rows"]}
    assert rows["Fiche n°3"].weight_label == "2"
    assert "Poids différents de 1 : 1." in text(response)


# --- The campaigns page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_campaigns_page_links_coordinators_and_lists_set_weights_to_others(
    client, plan, people, tree
):
    FicheFollowup.objects.create(
        plan=plan, fiche=plan.fiches.get(number="2"), weight=Decimal("2.5")
    )
    SectionFollowup.objects.create(plan=plan, section=tree["o2"], weight=0)
    client.force_login(people.coordinator)
    shown = text(client.get(f"/plans/{plan.slug}/suivi/"))
    assert "Régler les poids des sections et des fiches" in shown
    client.force_login(people.copil)
    response = client.get(f"/plans/{plan.slug}/suivi/")
    shown = text(response)
    assert "Régler les poids" not in shown
    assert "Objectif général 1.2 — Soigner : poids 0" in shown
    assert "Fiche n°2 — Soutenir la parentalité : poids 2,5" in shown
    assert url(plan) in response.content.decode()


@pytest.mark.django_db
def test_campaigns_page_says_when_every_weight_is_one(client, plan, people):
    client.force_login(people.caf_pilot)
    assert "Toutes les fiches comptent à égalité" in text(client.get(f"/plans/{plan.slug}/suivi/"))


# --- The report's figures follow the weights ----------------------------------------------------


@pytest.mark.django_db
def test_a_fiche_weighted_zero_no_longer_moves_its_sections_rate(client):
    """tests/reports' plan, year 1: fiche 1 (ambition 1) at 40 %, fiche 2 (objective 1.1) at
    60 %; ambition 1 is at 50 % with equal weights, 40 % once fiche 2 weighs 0."""
    plan = build_followed_plan()
    coordinator = UserFactory()
    roles.grant(coordinator, plan, "coordinator", [])
    client.force_login(coordinator)
    report_url = f"/plans/{plan.slug}/suivi/1/rapport/"

    def ambition_rows():
        built = client.get(report_url).context["report"]
        return [(r.full_label, r.rate_label) for r in built.section_levels[0].rows]

    def contract():
        built = client.get(report_url).context["report"]
        return next(f.value for f in built.key_figures if f.label.startswith("Taux"))

    assert ambition_rows()[0] == ("1. Agir pour des comportements favorables en santé", "50,0\xa0%")
    data = loaded(client, plan)
    data[fiche_key(plan, "2")] = "0"
    assert client.post(url(plan), {**data, "action": "save"}).status_code == 302
    assert ambition_rows()[0][1] == f"40,0{NBSP}%"
    assert contract() == f"40,0{NBSP}%"
    # Weighted 3 instead, fiche 2 counts three times: (40 + 3 × 60) / 4 = 55 %.
    data = loaded(client, plan)
    data[fiche_key(plan, "2")] = "3"
    client.post(url(plan), {**data, "action": "save"})
    assert ambition_rows()[0][1] == f"55,0{NBSP}%"
    # A section's weight does not change its own rate, only above it: objective 1.1 weighed
    # 0 takes fiche 2 out of the ambition and the contract.
    objective = plan.sections.get(number="1.1")
    data = loaded(client, plan)
    data[fiche_key(plan, "2")] = "1"
    data[section_key(objective)] = "0"
    client.post(url(plan), {**data, "action": "save"})
    assert ambition_rows()[0][1] == f"40,0{NBSP}%"
    built = client.get(report_url).context["report"]
    assert built.section_levels[1].rows[0].rate_label == f"60,0{NBSP}%"


# --- Query counts -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("n_extra", [0, 12])
def test_weights_page_query_count_is_constant(client, django_assert_num_queries, n_extra):
    plan = build_carcassonne(n_extra)
    add_tree(plan)
    FicheFollowup.objects.create(plan=plan, fiche=plan.fiches.get(number="2"), weight=2)
    coordinator = member(plan, "coordinator")
    pilot = member(plan, "pilot", "caf")
    client.force_login(coordinator)
    # plan, sections, fiches, section weights, fiche weights
    with django_assert_num_queries(SIGNED_IN + 5):
        response = client.get(url(plan))
    assert len(response.context["rows"]) == 6 + n_extra
    client.force_login(pilot)
    with django_assert_num_queries(SIGNED_IN + MENU_GROUP_CHECK + 5):
        assert client.get(url(plan)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("n_extra", [0, 12])
def test_campaigns_page_for_members_query_count_is_constant(
    client, django_assert_num_queries, n_extra
):
    plan = build_carcassonne(n_extra)
    FicheFollowup.objects.create(plan=plan, fiche=plan.fiches.get(number="2"), weight=2)
    client.force_login(member(plan, "copil"))
    # plan, campaigns with their counts, section weights, fiche weights set
    with django_assert_num_queries(SIGNED_IN + MENU_GROUP_CHECK + 4):
        assert client.get(f"/plans/{plan.slug}/suivi/").status_code == 200


@pytest.mark.django_db
def test_a_plan_without_sections_lists_its_fiches(client, plan, people):
    client.force_login(people.coordinator)
    response = client.get(url(plan))
    page = response.content.decode()
    assert '<th scope="col">Fiche</th>' in page
    assert "<caption>Poids des fiches du plan</caption>" in page
    assert [r.node.label.split(" — ")[0] for r in response.context["rows"]] == [
        "Fiche n°1",
        "Fiche n°2",
        "Fiche n°3",
    ]
    data = loaded(client, plan)
    data[fiche_key(plan, "3")] = "0,25"
    assert client.post(url(plan), {**data, "action": "save"}).status_code == 302
    assert stored(plan)[0] == {"3": Decimal("0.25")}
