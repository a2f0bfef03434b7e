"""Target publics as a vocabulary: resolved from the text as written, editable, used by filters."""

import pytest

from pilotis.accounts import roles
from pilotis.plans import publics
from pilotis.plans.models import Plan
from tests.factories import FicheFactory, PlanFactory, UserFactory


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The report's 89 raw strings had these side by side.
        ("personnes âgée", ("Personnes âgées",)),
        ("Personnes âgées", ("Personnes âgées",)),
        ("isolée", ("Personnes en précarité",)),
        (
            "handicap Population du territoire",
            ("Personnes en situation de handicap", "Tout public"),
        ),
        ("Enfants de 0 à 6 ans et leurs parents", ("Enfants et jeunes", "Parents et familles")),
        ("Aidants familiaux", ("Parents et familles", "Aidants")),
        ("Professionnels de santé, élus", ("Professionnels", "Élus")),
        ("Touristes", ("Autres publics",)),
        ("", ()),
    ],
)
def test_a_public_as_written_is_resolved_to_the_list(text, expected):
    assert publics.resolve(text) == expected


def test_a_word_matches_the_start_of_words_only():
    # « elu » must not find « evolution » nor « salubrite ».
    assert publics.resolve("évolution de la salubrité") == ("Autres publics",)


def test_the_list_as_typed_by_the_coordinator():
    parsed, problems = publics.parse_lines(
        "Personnes âgées : âgé, senior\n\nSaisonniers agricoles : saisonnier, vendanges\n"
    )
    assert problems == []
    assert [(p.code, p.label) for p in parsed] == [
        ("elderly", "Personnes âgées"),
        ("saisonniers-agricoles", "Saisonniers agricoles"),
    ]
    assert publics.resolve("Vendangeurs et saisonniers", parsed) == ("Saisonniers agricoles",)
    _, problems = publics.parse_lines(": rien\nAidants :\nAidants : aidant\nAidants : aidant")
    assert problems == [
        "ligne 1 : le libellé manque avant les deux-points",
        "ligne 2 : donnez après « Aidants : » les mots qui désignent ce public",
        "ligne 4 : « Aidants » figure deux fois",
    ]
    assert publics.vocabulary(publics.to_stored(parsed)) == parsed
    assert publics.vocabulary(None) == publics.DEFAULT


@pytest.mark.django_db
def test_pages(client):
    plan = PlanFactory(slug="cls-publics")
    FicheFactory(plan=plan, number="1", public="personnes âgée")
    FicheFactory(plan=plan, number="2", public="Personnes âgées isolées")
    FicheFactory(plan=plan, number="3", public="saisonniers")
    page = client.get(f"/plans/{plan.slug}/publics/").content.decode()
    assert "Personnes âgées (2 fiches)" in page and "Autres publics (1 fiche)" in page
    table = client.get(f"/plans/{plan.slug}/tableau/", {"public": "Personnes âgées"}).content
    assert b"/fiches/1/" in table and b"/fiches/2/" in table and b"/fiches/3/" not in table

    # A visitor reads the published plan's list but may not change it.
    assert client.post(f"/plans/{plan.slug}/publics/", {"publics": "x : y"}).status_code == 403
    user = UserFactory()
    roles.grant(user, plan, roles.Role.PILOT)
    client.force_login(user)
    assert client.post(f"/plans/{plan.slug}/publics/", {"publics": "x : y"}).status_code == 403
    coordinator = UserFactory()
    roles.grant(coordinator, plan, roles.Role.COORDINATOR)
    client.force_login(coordinator)
    refused = client.post(f"/plans/{plan.slug}/publics/", {"publics": "Aidants :"})
    assert refused.status_code == 400 and "les mots qui désignent" in refused.content.decode()
    client.post(
        f"/plans/{plan.slug}/publics/",
        {"publics": "Personnes âgées : âgé\nSaisonniers : saisonnier"},
    )
    page = client.get(f"/plans/{plan.slug}/publics/").content.decode()
    assert "Saisonniers (1 fiche)" in page
    assert Plan.objects.get(pk=plan.pk).history.first().history_user == coordinator
