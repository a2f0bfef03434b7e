"""A fiche's indicator tied to the observatory: suggested, set with history, its trend on the
fiche page (and no query when nothing is tied)."""

from __future__ import annotations

from pilotis.observatory import loading, ties
from pilotis.observatory.models import Indicator, Observation
from pilotis.plans.models import FicheIndicator
from tests.factories import FicheFactory, FicheIndicatorFactory, PlanFactory


def test_suggestions_from_the_words():
    assert ties.suggest("Réduction du % de patients sans médecin traitant") == "no_treating_doctor"
    assert ties.suggest("Taux de participation au dépistage du cancer du sein") == (
        "breast_screening"
    )
    assert ties.suggest("Nombre d’enfants mobilisés") == ""


def test_fiche_page_shows_the_territorys_trend(client, aude):
    plan = PlanFactory(slug="cpts")
    loading.attach_perimeters([plan])
    fiche = FicheFactory(plan=plan, number="1.A")
    item = FicheIndicatorFactory(
        fiche=fiche, text="Réduction du % de patients sans médecin traitant", kind="monitoring"
    )
    FicheIndicatorFactory(fiche=fiche, text="Nombre de réunions")
    indicator = Indicator.objects.get(code="no_treating_doctor")
    ((found, proposed),) = ties.suggestions(plan)
    assert (found, proposed) == (item, indicator)
    assert ties.tie(item, indicator, reason="test")
    assert not ties.tie(item, indicator)
    assert item.history.first().history_change_reason == "test"
    for territory, period, value in [
        (aude["epci"], "2021", 8.9),
        (aude["epci"], "2023", 10.4),
        (aude["11"], "2023", 9.1),
    ]:
        Observation.objects.create(
            indicator=indicator,
            territory=territory,
            period=period,
            value=value,
            source="Rezone",
            provenance="rezone.csv",
        )
    html = client.get(f"/plans/{plan.slug}/fiches/1.A/").content.decode()
    assert "Le territoire, d’après l’observatoire" in html
    assert "Part des patients de 17 ans et plus sans médecin traitant" in html
    assert "10,4</strong>" in html and "8,9</strong>" in html and "9,1</strong>" in html
    assert html.index("10,4") < html.index("8,9")  # newest period first


def test_no_panel_and_no_query_without_a_tie(aude, django_assert_num_queries):
    from pilotis.observatory.providers import fiche_trend

    fiche = FicheFactory()
    items = [FicheIndicatorFactory(fiche=fiche)]
    with django_assert_num_queries(0):
        assert fiche_trend(None, fiche, items) is None


def test_coordinator_ties_by_form(client, aude):
    from pilotis.accounts import roles
    from pilotis.accounts.models import Role
    from tests.factories import UserFactory

    plan = PlanFactory(slug="cls")
    item = FicheIndicatorFactory(fiche=FicheFactory(plan=plan), text="Taux de dépistage du sein")
    user = UserFactory()
    client.force_login(user)
    assert client.get(f"/plans/{plan.slug}/territoire/indicateurs/").status_code == 403
    roles.grant(user, plan, Role.COORDINATOR)
    html = client.get(f"/plans/{plan.slug}/territoire/indicateurs/").content.decode()
    assert "(proposé)" in html
    client.post(
        f"/plans/{plan.slug}/territoire/indicateurs/", {f"tie-{item.pk}": "breast_screening"}
    )
    item.refresh_from_db()
    assert item.observatory_indicator.code == "breast_screening"
    assert FicheIndicator.history.filter(id=item.pk).first().history_user == user
