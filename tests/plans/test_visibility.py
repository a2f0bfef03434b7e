"""Who sees which plan page: every role against published and unpublished plans, and listings."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from pilotis.accounts.models import Membership, Role
from pilotis.plans import perms
from pilotis.plans.models import CrossLink, Fiche, Plan
from tests.factories import FicheFactory, FicheRoleFactory, UserFactory, create_plan

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "outsider", "partner", "pilot", "copil", "coordinator", "admin"]
MEMBERS = {"partner": Role.PARTNER, "pilot": Role.PILOT, "copil": Role.COPIL}
# Fiche 9 names only the Département: the ARS partner does not see it.
SECRET_WORD = "confidentielissime"


def make_plan(published: bool) -> Plan:
    plan = create_plan(3, published=published)
    fiche = FicheFactory(plan=plan, number="9", position=9, title=f"Fiche {SECRET_WORD}")
    FicheRoleFactory(
        fiche=fiche, organisation=plan.organisations.get(key="departement-aude"), role="pilot"
    )
    plan.fiches.get(number="3").linked_fiches.add(fiche)
    return plan


def make_user(who: str, plan: Plan):
    if who == "anonymous":
        return None
    if who == "admin":
        return UserFactory(username="admin", is_superuser=True, is_staff=True)
    user = UserFactory(username=who)
    if who == "coordinator":
        Membership.objects.create(user=user, plan=plan, role=Role.COORDINATOR)
    elif who in MEMBERS:
        membership = Membership.objects.create(user=user, plan=plan, role=MEMBERS[who])
        key = {"partner": "ars", "pilot": "caf", "copil": "ars"}[who]
        membership.organisations.add(plan.organisations.get(key=key))
    return user


def client_for(client, who: str, plan: Plan):
    user = make_user(who, plan)
    if user is not None:
        client.force_login(user)
    return client


PAGES = {
    "overview": "/plans/{slug}/",
    "fiche of the partner": "/plans/{slug}/fiches/1/",
    "other fiche": "/plans/{slug}/fiches/9/",
    "organisations": "/plans/{slug}/organisations/",
    "organisation": "/plans/{slug}/organisations/caf/",
    "import report": "/plans/{slug}/rapport-import/",
    "export": "/plans/{slug}/export.json",
    "data": "/plans/{slug}/donnees/",
    "links": "/plans/{slug}/liens/",
    "history": "/plans/{slug}/fiches/1/historique/",
    "edit": "/plans/{slug}/fiches/1/modifier/",
}
WHOLE_PLAN_PAGES = ["organisations", "organisation", "import report", "export", "data", "links"]
LOGIN = 302  # pages for signed-in people send anonymous visitors to the sign-in page


def expected(page: str, who: str, published: bool) -> int:
    """The rule of plans/perms.py, spelled out page by page."""
    signed_in_only = page in ("history", "edit")
    if who == "anonymous" and signed_in_only:
        return LOGIN
    member = who not in ("anonymous", "outsider")
    if not published and not member:
        return 404  # the plan's existence is not revealed
    if page == "history":
        return 200 if who in ("copil", "coordinator", "admin") else 403
    if page == "edit":
        return 200 if who in ("coordinator", "admin") else 403
    if published or who != "partner":
        return 200
    # A partner of an unpublished plan: the overview and the fiches naming their organisation.
    return 200 if page in ("overview", "fiche of the partner") else 403


MATRIX = [(page, who, published) for page in PAGES for who in WHO for published in (True, False)]


@pytest.mark.parametrize(("page", "who", "published"), MATRIX)
def test_page_status_for_each_role(client, page, who, published):
    plan = make_plan(published)
    client = client_for(client, who, plan)
    response = client.get(PAGES[page].format(slug=plan.slug))
    assert response.status_code == expected(page, who, published)


WRITES = {
    "publish": ("/plans/{slug}/publication/", {"published": "1"}),
    "edit": ("/plans/{slug}/fiches/1/modifier/", {"title": "Nouveau", "version": "1"}),
    "propose links": ("/plans/{slug}/liens/proposer/", {}),
    "decide link": ("/plans/{slug}/liens/{link}/decision/", {"decision": "accepted"}),
    "add link": ("/plans/{slug}/fiches/1/liens/ajouter/", {"plan": "{other}", "target": "plan"}),
}
# Writes are also tried by the coordinator of another plan (issue 9: "coordinator of some plan"
# is not "coordinator of this plan"), here the plan the link comes from.
WRITERS = [*WHO, "elsewhere"]


def other_plan_proposing(plan: Plan) -> tuple[Plan, CrossLink, object]:
    """A published plan whose fiche proposes a link to fiche 1 of `plan`, and its coordinator."""
    other = FicheFactory(plan__published=True).plan
    link = CrossLink.objects.create(
        source_plan=other,
        source_fiche=other.fiches.get(),
        target_plan=plan,
        target_fiche=plan.fiches.get(number="1"),
        status=CrossLink.Status.PROPOSED,
        origin=CrossLink.Origin.SUGGESTION,
    )
    coordinator = UserFactory(username="elsewhere")
    Membership.objects.create(user=coordinator, plan=other, role=Role.COORDINATOR)
    return other, link, coordinator


@pytest.mark.parametrize("published", [True, False])
@pytest.mark.parametrize("who", WRITERS)
@pytest.mark.parametrize("write", list(WRITES))
def test_write_routes_for_each_role(client, write, who, published):
    plan = make_plan(published)
    other, link, elsewhere = other_plan_proposing(plan)
    if who == "elsewhere":
        client.force_login(elsewhere)
    else:
        client = client_for(client, who, plan)
    path, data = WRITES[write]
    data = {k: v.format(other=other.slug) for k, v in data.items()}
    response = client.post(path.format(slug=plan.slug, link=link.pk), data)
    writer = who in ("coordinator", "admin")
    if who == "anonymous":
        assert response.status_code == LOGIN and "/comptes/login/" in response["Location"]
    elif writer:
        assert response.status_code == 302
    elif who in ("outsider", "elsewhere") and not published:
        assert response.status_code == 404
    else:
        assert response.status_code == 403
    fiche = Fiche.objects.get(plan=plan, number="1")
    assert (fiche.title == "Nouveau") == (write == "edit" and writer)
    link.refresh_from_db()
    assert (link.status == "accepted") == (write == "decide link" and writer)
    added = CrossLink.objects.filter(target_plan=other, target_fiche=None).first()
    assert (added is not None) == (write == "add link" and writer)
    if added is not None:
        # Proposed by this plan, accepted by the other: a coordinator of this plan only proposes.
        assert added.status == ("accepted" if who == "admin" else "proposed")


def test_refusals_are_french_and_do_not_name_a_hidden_plan(client):
    plan = make_plan(published=False)
    response = client.get(f"/plans/{plan.slug}/")
    assert response.status_code == 404
    assert plan.title not in response.content.decode()
    client.force_login(make_user("partner", plan))
    response = client.get(f"/plans/{plan.slug}/fiches/9/")
    assert response.status_code == 403
    assert "Cette fiche n’est pas ouverte à votre organisation." in response.content.decode()


@pytest.mark.parametrize("who", WHO)
def test_index_and_search_list_an_unpublished_plan_only_to_its_members(client, who):
    public = create_plan(2, title="Contrat publié")
    plan = make_plan(published=False)
    client = client_for(client, who, plan)
    member = who not in ("anonymous", "outsider")

    index = client.get("/").content.decode()
    assert public.title in index
    assert (plan.title in index) == member
    assert ("Non publié" in index) == member

    search = client.get("/recherche/", {"q": "parentalite"}).content.decode()
    assert f"/plans/{public.slug}/fiches/2/" in search
    assert (f"/plans/{plan.slug}/fiches/2/" in search) == member
    assert (f'value="{plan.slug}"' in search) == member  # the plan filter's options

    secret = client.get("/recherche/", {"q": SECRET_WORD}).content.decode()
    assert (f"/plans/{plan.slug}/fiches/9/" in secret) == (member and who != "partner")


def test_partner_overview_lists_only_their_fiches_and_no_whole_plan_pages(client):
    plan = make_plan(published=False)
    client.force_login(make_user("partner", plan))
    page = client.get(f"/plans/{plan.slug}/").content.decode()
    assert f"/plans/{plan.slug}/fiches/1/" in page
    assert f"/plans/{plan.slug}/fiches/9/" not in page
    assert f"/plans/{plan.slug}/organisations/" not in page
    assert f"/plans/{plan.slug}/export.json" not in page
    # Previous, next and linked fiches stay among the fiches they may open.
    fiche3 = client.get(f"/plans/{plan.slug}/fiches/3/").content.decode()
    assert "/fiches/9/" not in fiche3
    client.force_login(make_user("copil", plan))
    fiche3 = client.get(f"/plans/{plan.slug}/fiches/3/").content.decode()
    assert f'<a href="/plans/{plan.slug}/fiches/9/">Fiche n°9' in fiche3


def test_publication_by_the_coordinator(client):
    plan = make_plan(published=False)
    coordinator = make_user("coordinator", plan)
    client.force_login(coordinator)
    page = client.get(f"/plans/{plan.slug}/").content.decode()
    assert '<p class="fr-badge fr-badge--warning">Non publié</p>' in page
    assert ">Publier</button>" in page
    response = client.post(f"/plans/{plan.slug}/publication/", {"published": "1"}, follow=True)
    assert "Le plan est publié : tout le monde peut le lire." in response.content.decode()
    plan.refresh_from_db()
    assert plan.published and plan.published_by == coordinator and plan.published_at
    record = plan.history.latest()
    assert record.history_user == coordinator and record.history_change_reason == "Publication"
    client.logout()
    assert client.get(f"/plans/{plan.slug}/fiches/9/").status_code == 200
    client.force_login(coordinator)
    page = client.get(f"/plans/{plan.slug}/").content.decode()
    assert "Non publié" not in page and "Retirer la publication" in page
    client.post(f"/plans/{plan.slug}/publication/", {"published": "0"})
    plan.refresh_from_db()
    assert not plan.published and plan.published_by is None


def test_publish_button_only_for_coordinators(client):
    plan = make_plan(published=False)
    client.force_login(make_user("copil", plan))
    page = client.get(f"/plans/{plan.slug}/").content.decode()
    assert "Non publié" in page and ">Publier</button>" not in page


def test_links_to_an_unpublished_plan_are_not_shown_to_the_public(client):
    from pilotis.plans.crosslinks import add_manual_link

    public = create_plan(2, title="Contrat publié")
    hidden = make_plan(published=False)
    add_manual_link(
        public.fiches.get(number="1"), hidden.fiches.get(number="2"), UserFactory(username="x")
    )
    page = client.get(f"/plans/{public.slug}/fiches/1/").content.decode()
    assert hidden.title not in page and f"/plans/{hidden.slug}/" not in page
    client.force_login(make_user("copil", hidden))
    page = client.get(f"/plans/{public.slug}/fiches/1/").content.decode()
    assert f"/plans/{hidden.slug}/fiches/2/" in page


def test_rules_as_functions():
    plan = make_plan(published=False)
    fiche1, fiche9 = plan.fiches.get(number="1"), plan.fiches.get(number="9")
    partner = make_user("partner", plan)
    pilot = make_user("pilot", plan)
    assert not perms.can_view_plan(AnonymousUser(), plan)
    assert not perms.can_view_plan(None, plan)
    assert perms.can_view_plan(partner, plan) and not perms.can_read_whole_plan(partner, plan)
    assert perms.can_view_fiche(partner, fiche1) and not perms.can_view_fiche(partner, fiche9)
    assert perms.can_view_fiche(pilot, fiche9)
    assert set(perms.visible_fiches(partner, plan).values_list("number", flat=True)) == {
        "1",
        "2",
        "3",
    }
    assert list(perms.visible_plans(AnonymousUser())) == []
    assert list(perms.visible_plans(partner)) == [plan]
    assert not perms.can_edit_plan_content(pilot, plan) and not perms.can_publish(pilot, plan)
