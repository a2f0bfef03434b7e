"""Links across plans: the service, the constraints, the pages and who may change them."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import IntegrityError, transaction

from pilotis.accounts.models import Membership, Role
from pilotis.plans import crosslinks, perms
from pilotis.plans.models import CrossLink, Plan, PlanSectionLink
from tests.factories import (
    FicheFactory,
    PlanFactory,
    SectionFactory,
    TerritoryFactory,
    UserFactory,
    create_plan,
)

pytestmark = pytest.mark.django_db

ACCEPTED, PROPOSED, REJECTED = (
    CrossLink.Status.ACCEPTED,
    CrossLink.Status.PROPOSED,
    CrossLink.Status.REJECTED,
)
ENGAGEMENTS = [
    "Dynamiser et adapter la prévention et la promotion de la santé aux âges clés et aux "
    "milieux de vie",
    "Accompagner chaque personne pour lui permettre d’être actrice de sa santé",
    "Renforcer l’accès pour tous à une prise en charge adaptée aux besoins de santé sur "
    "l’ensemble des territoires",
]


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    page = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", page).replace("&#x27;", "'").replace("&#x27;", "'")


def fiche(plan, number, title, body, position=0, **fields):
    """A fiche whose only words are `title` and `body`: factory boilerplate would match all."""
    values = dict(
        context=body,
        strategic_objective="",
        operational_objectives=[],
        public="",
        position=position,
    )
    values.update(fields)
    return FicheFactory(plan=plan, number=number, title=title, **values)


@pytest.fixture
def cls():
    plan = create_plan(2, slug="cls-carcassonne", title="Contrat local de santé de Carcassonne")
    fiche(
        plan,
        "18",
        "Améliorer l’accès aux soins non programmés et le parcours de soins non programmé",
        "Soutenir la maison médicale de garde. Ouvrir un centre de soins non programmés. "
        "Travailler avec le SAS et les urgences.",
        position=18,
    )
    fiche(
        plan,
        "32",
        "Développer la pratique de jardins partagés",
        "Créer des jardins partagés dans les quartiers pour une alimentation saine.",
        position=32,
    )
    return plan


@pytest.fixture
def cpts():
    plan = PlanFactory(slug="cpts-bassin", kind=Plan.Kind.CPTS, title="Projet de santé CPTS")
    mission = SectionFactory(plan=plan, key="M1", number="1", title="Accès aux soins")
    fiche(
        plan,
        "1.B",
        "Prise en charge des soins non programmés",
        "Organiser et coordonner les soins non programmés sur le territoire avec le SAS. "
        "Diminuer les passages aux urgences.",
        position=2,
        section=mission,
    )
    fiche(
        plan,
        "3.C",
        "Actions de prévention pour les jeunes",
        "Ateliers avec les jeunes et leurs parents sur les écrans et les addictions.",
        position=3,
        section=mission,
    )
    return plan


@pytest.fixture
def prs():
    plan = PlanFactory(
        slug="prs-ariege",
        kind=Plan.Kind.PRS_SCHEME,
        title="Schéma territorial de santé de l’Ariège",
        levels=["Engagement", "Défi"],
        perimeter=TerritoryFactory(level="department", code="09", name="Ariège"),
    )
    for number, title in enumerate(ENGAGEMENTS, start=1):
        SectionFactory(plan=plan, key=f"E{number}", number=str(number), title=title)
    return plan


def coordinating(*plans, username: str | None = None):
    """A user coordinating `plans` (memberships, as invitations give them)."""
    user = UserFactory(**({"username": username} if username else {}))
    for plan in plans:
        Membership.objects.create(user=user, plan=plan, role=Role.COORDINATOR)
    return user


@pytest.fixture
def coordinator(client, cls, cpts, prs):
    """A coordinator of the three plans: accepts on every side."""
    client.force_login(coordinating(cls, cpts, prs))
    return client


def link_between(a, b):
    return CrossLink.objects.get(source_fiche__in=[a, b], target_fiche__in=[a, b])


def make_link(source, target, status=ACCEPTED, **fields):
    return CrossLink.objects.create(
        source_plan=source.plan,
        source_fiche=source,
        target_plan=target.plan,
        target_fiche=target,
        status=status,
        origin=fields.pop("origin", CrossLink.Origin.SUGGESTION),
        **fields,
    )


# --- Suggestions ---------------------------------------------------------------------------------


def test_suggest_links_proposes_the_unscheduled_care_fiches(cls, cpts):
    created = crosslinks.suggest_links(cpts)
    assert created >= 1
    link = link_between(cpts.fiches.get(number="1.B"), cls.fiches.get(number="18"))
    assert link.status == PROPOSED and link.origin == CrossLink.Origin.SUGGESTION
    assert 0 < link.score <= 1
    assert link.reason.startswith("Termes communs : soins non programmés")
    assert (link.source_plan, link.target_plan) == (cpts, cls)
    jardins = cls.fiches.get(number="32")
    assert not CrossLink.objects.filter(target_fiche=jardins, source_fiche__number="1.B").exists()


def test_suggesting_again_creates_nothing_new(cls, cpts):
    first = crosslinks.suggest_links(cpts)
    assert crosslinks.suggest_links(cpts) == 0
    # From the other plan the same pair is recognised, whatever its direction.
    crosslinks.suggest_links(cls)
    assert (
        CrossLink.objects.filter(source_fiche__number="18", target_fiche__number="1.B").count()
        + (CrossLink.objects.filter(source_fiche__number="1.B", target_fiche__number="18").count())
        == 1
    )
    assert CrossLink.objects.count() >= first


def test_a_rejected_pair_is_never_proposed_again(cls, cpts):
    crosslinks.suggest_links(cpts)
    care, cls_18 = cpts.fiches.get(number="1.B"), cls.fiches.get(number="18")
    crosslinks.decide(link_between(care, cls_18), REJECTED, UserFactory())
    assert crosslinks.suggest_links(cpts) == 0
    assert crosslinks.suggest_links(cls) == 0
    assert link_between(care, cls_18).status == REJECTED
    proposals = crosslinks.compute_suggestions(cpts)
    assert any(p.existing == REJECTED for p in proposals)


def test_an_accepted_link_is_left_as_it_is(cls, cpts):
    crosslinks.suggest_links(cpts)
    user = UserFactory()
    link = link_between(cpts.fiches.get(number="1.B"), cls.fiches.get(number="18"))
    link.score, link.reason = 0.5, "Termes communs : test"
    link.save()
    crosslinks.decide(link, ACCEPTED, user)
    crosslinks.suggest_links(cpts)
    link.refresh_from_db()
    assert (link.status, link.decided_by, link.score, link.reason) == (
        ACCEPTED,
        user,
        0.5,
        "Termes communs : test",
    )


def test_a_pending_proposal_gets_the_fresh_score(cls, cpts):
    crosslinks.suggest_links(cpts)
    link = link_between(cpts.fiches.get(number="1.B"), cls.fiches.get(number="18"))
    fresh = link.score
    CrossLink.objects.filter(pk=link.pk).update(score=0.01, reason="ancien")
    crosslinks.suggest_links(cpts)
    link.refresh_from_db()
    assert (link.score, link.status) == (fresh, PROPOSED)
    assert link.reason.startswith("Termes communs")


def test_suggestions_only_against_the_plans_given(cls, cpts, prs):
    other = PlanFactory(slug="autre")
    fiche(other, "1", "Soins non programmés", "Soins non programmés, SAS, urgences.")
    crosslinks.suggest_links(cpts, others=[cls])
    assert not CrossLink.objects.filter(target_plan=other).exists()
    assert CrossLink.objects.filter(target_plan=cls).exists()


@pytest.mark.parametrize("n", [2, 12])
def test_suggest_links_query_count_is_constant(django_assert_num_queries, cpts, n):
    create_plan(n)
    # other plans, fiches, their actions, stored pairs; then savepoint, stored pairs again,
    # one insert for all, release
    with django_assert_num_queries(8):
        crosslinks.suggest_links(cpts)


# --- Decisions, manual links, constraints -------------------------------------------------------


def test_decide_records_who_and_when():
    source, target = FicheFactory(), FicheFactory()
    link = make_link(source, target, PROPOSED)
    user = UserFactory()
    crosslinks.decide(link, ACCEPTED, user)
    link.refresh_from_db()
    assert link.status == ACCEPTED and link.decided_by == user and link.decided_at
    with pytest.raises(ValueError):
        crosslinks.decide(link, "peut-être", user)


def test_manual_link_is_accepted_and_reuses_a_stored_pair():
    source, target = FicheFactory(), FicheFactory()
    user = UserFactory()
    link, created = crosslinks.add_manual_link(source, target, user)
    assert created and link.status == ACCEPTED and link.origin == CrossLink.Origin.MANUAL
    assert link.score is None and link.decided_by == user

    rejected = make_link(FicheFactory(), FicheFactory(), REJECTED)
    again, created = crosslinks.add_manual_link(rejected.target_fiche, rejected.source_fiche, user)
    assert not created and again.pk == rejected.pk and again.status == ACCEPTED
    assert again.origin == CrossLink.Origin.SUGGESTION  # where it came from is kept


def test_manual_link_to_a_section_of_another_plan(prs):
    source = FicheFactory()
    engagement = prs.sections.get(number="3")
    link, created = crosslinks.add_manual_link(source, engagement, None)
    assert created and link.target_section == engagement and link.target_plan == prs
    assert crosslinks.add_manual_link(source, engagement, None) == (link, False)


def test_manual_link_inside_one_plan_is_refused():
    source = FicheFactory()
    with pytest.raises(ValueError):
        crosslinks.add_manual_link(source, FicheFactory(plan=source.plan), None)


def test_the_database_refuses_inconsistent_links(prs):
    a, b = FicheFactory(), FicheFactory()
    make_link(a, b)
    # A link to the whole of b's plan is allowed once.
    CrossLink.objects.create(
        source_plan=a.plan, source_fiche=a, target_plan=b.plan, origin=CrossLink.Origin.MANUAL
    )
    section = prs.sections.first()
    bad = [
        dict(source_fiche=b, target_fiche=a, target_plan=a.plan),  # the same pair, reversed
        dict(source_fiche=a, target_fiche=FicheFactory(plan=a.plan), target_plan=a.plan),
        dict(source_fiche=a, target_fiche=b, target_section=section, target_plan=b.plan),
        dict(source_fiche=a, target_plan=b.plan),  # the whole plan again
        dict(source_fiche=a, target_fiche=FicheFactory(), score=1.5),
    ]
    for fields in bad:
        fields.setdefault("target_plan", fields.get("target_fiche", a).plan)
        with pytest.raises(IntegrityError), transaction.atomic():
            CrossLink.objects.create(
                source_plan=fields["source_fiche"].plan,
                origin=CrossLink.Origin.MANUAL,
                **fields,
            )


# --- What the document declares: the PRS engagements a CLS serves -------------------------------


def declare(plan, *titles):
    plan.extra["prs_engagements"] = [
        {"number": i, "title": title, "first_line": 266 + i, "last_line": 266 + i}
        for i, title in enumerate(titles, start=1)
    ]
    plan.save()


def test_match_titles_is_folded_and_fuzzy(prs):
    sections = list(prs.sections.order_by("position"))
    declared = [
        {"number": 2, "title": "ACCOMPAGNER chaque personne pour lui permettre d'etre actrice "},
        {"number": 1, "title": ENGAGEMENTS[0].replace("milieux", "milieu")},
        {"number": 9, "title": "Soutenir l’attractivité des métiers de la santé"},
    ]
    matched = crosslinks.match_titles(declared, sections)
    assert [s.number if s else None for s in matched] == ["2", "1", None]


def test_links_from_document_links_the_cls_to_the_prs_engagements(cls, prs):
    declare(cls, *ENGAGEMENTS[:2], "Soutenir l’attractivité des métiers de la santé")
    result = crosslinks.links_from_document(cls)
    assert [s.number for _, s in result.matched] == ["1", "2"]
    assert [e["number"] for e in result.unmatched] == [3]
    links = list(PlanSectionLink.objects.order_by("section__position"))
    assert [link.section.number for link in links] == ["1", "2"]
    assert links[0].origin == CrossLink.Origin.DOCUMENT
    assert links[0].as_written.startswith("Engagement 1 : Dynamiser")
    assert (links[0].source_first_line, links[0].source_last_line) == (267, 267)

    again = crosslinks.links_from_document(cls)
    assert (again.created, again.deleted) == (0, 0)
    # The document changed: the link it no longer supports goes, a manual one stays.
    PlanSectionLink.objects.create(
        plan=cls, section=prs.sections.get(number="3"), origin=CrossLink.Origin.MANUAL
    )
    declare(cls, ENGAGEMENTS[0])
    changed = crosslinks.links_from_document(cls)
    assert (changed.created, changed.deleted) == (0, 1)
    assert sorted(link.section.number for link in PlanSectionLink.objects.all()) == ["1", "3"]


def test_links_from_document_dry_run_stores_nothing(cls, prs):
    declare(cls, *ENGAGEMENTS)
    result = crosslinks.links_from_document(cls, dry_run=True)
    assert len(result.matched) == 3 and not PlanSectionLink.objects.exists()


def test_links_from_document_without_a_scheme_or_a_declaration(cls):
    assert "aucun engagement" in crosslinks.links_from_document(cls).note
    declare(cls, *ENGAGEMENTS)
    result = crosslinks.links_from_document(cls)
    assert result.note == "Aucun schéma territorial du PRS n’est enregistré."
    assert not result.matched


def test_several_schemes_need_the_department_of_the_perimeter(cls, prs):
    aude = PlanFactory(
        slug="prs-aude",
        kind=Plan.Kind.PRS_SCHEME,
        perimeter=TerritoryFactory(level="department", code="11", name="Aude"),
    )
    for number, title in enumerate(ENGAGEMENTS, start=1):
        SectionFactory(plan=aude, key=f"E{number}", number=str(number), title=title)
    declare(cls, *ENGAGEMENTS)
    result = crosslinks.links_from_document(cls)
    assert result.matched == [] and "Plusieurs schémas" in result.note

    carcassonne = TerritoryFactory(level="commune", code="11069", name="Carcassonne")
    cls.perimeter.communes.add(carcassonne)
    result = crosslinks.links_from_document(cls)
    assert {section.plan for _, section in result.matched} == {aude}


# --- Permissions ---------------------------------------------------------------------------------


def test_can_edit_links_only_coordinators_and_superusers():
    plan = PlanFactory()
    assert not perms.can_edit_links(AnonymousUser(), plan)
    assert not perms.can_edit_links(None, plan)
    assert not perms.can_edit_links(UserFactory(), plan)
    assert perms.can_edit_links(coordinating(plan), plan)
    assert perms.can_edit_links(UserFactory(is_superuser=True), plan)
    # Issue 9: coordinating *some* plan (or the legacy group) gives no right on this one.
    assert not perms.can_edit_links(coordinating(PlanFactory()), plan)
    assert not perms.can_edit_links(UserFactory(coordinator=True), plan)


@pytest.fixture
def proposed(cls, cpts):
    return make_link(
        cpts.fiches.get(number="1.B"),
        cls.fiches.get(number="18"),
        PROPOSED,
        score=0.42,
        reason="Termes communs : soins non programmés, sas",
    )


def test_readers_cannot_decide_propose_or_add(client, cls, cpts, proposed):
    decide_url = f"/plans/{cls.slug}/liens/{proposed.pk}/decision/"
    propose_url = f"/plans/{cls.slug}/liens/proposer/"
    add_url = f"/plans/{cls.slug}/fiches/18/liens/ajouter/"
    target = f"fiche-{cpts.fiches.get(number='3.C').pk}"
    # Anonymous visitors are sent to the login page.
    for url, data in [(decide_url, {"decision": ACCEPTED}), (propose_url, {}), (add_url, {})]:
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")
    assert client.get(add_url).status_code == 302
    # Signed-in agents who do not coordinate are refused.
    client.force_login(UserFactory())
    assert client.post(decide_url, {"decision": ACCEPTED}).status_code == 403
    assert client.post(propose_url).status_code == 403
    assert client.get(f"{add_url}?plan={cpts.slug}").status_code == 403
    assert client.post(add_url, {"plan": cpts.slug, "target": target}).status_code == 403
    proposed.refresh_from_db()
    assert proposed.status == PROPOSED
    assert CrossLink.objects.count() == 1


def test_decisions_are_posted_only(coordinator, cls, proposed):
    response = coordinator.get(f"/plans/{cls.slug}/liens/{proposed.pk}/decision/")
    assert response.status_code == 405


# --- Pages ---------------------------------------------------------------------------------------


def test_an_accepted_link_shows_on_both_fiches(client, cls, cpts, proposed):
    crosslinks.decide(proposed, ACCEPTED, None)
    on_cls = text(client.get(f"/plans/{cls.slug}/fiches/18/"))
    assert "Liens avec d’autres plans" in on_cls
    assert "Projet de santé CPTS : Fiche n°1.B — Prise en charge des soins non programmés" in on_cls
    on_cpts = client.get(f"/plans/{cpts.slug}/fiches/1.B/")
    assert (
        "Contrat local de santé de Carcassonne : Fiche n°18 — Améliorer l’accès aux soins non "
        "programmés"
    ) in text(on_cpts)
    assert f'href="/plans/{cls.slug}/fiches/18/"' in on_cpts.content.decode()
    assert "Accepter" not in text(on_cpts)  # readers get no buttons


def test_readers_do_not_see_proposals(client, cls, proposed):
    page = text(client.get(f"/plans/{cls.slug}/fiches/18/"))
    assert "Aucun lien avec une fiche d’un autre plan." in page
    assert "Liens proposés" not in page and "soins non programmés, sas" not in page


def test_coordinator_sees_proposals_with_buttons_and_the_manual_form(coordinator, cls, proposed):
    response = coordinator.get(f"/plans/{cls.slug}/fiches/18/")
    page, txt = response.content.decode(), text(response)
    assert "Liens proposés, à examiner" in txt
    # The raw similarity score is for sorting, never shown (issue 13).
    assert "Proposé automatiquement — Termes communs : soins non programmés, sas" in txt
    assert "0,42" not in txt
    form = re.search(
        rf'<form method="post" action="/plans/{cls.slug}/liens/{proposed.pk}/decision/".*?</form>',
        page,
        re.S,
    )
    assert form and "csrfmiddlewaretoken" in form.group(0)
    assert 'name="decision" value="accepted"' in form.group(0)
    assert 'name="decision" value="rejected"' in form.group(0)
    assert "le lien avec Fiche n°1.B" in form.group(0)  # buttons say which link to readers
    assert f'action="/plans/{cls.slug}/fiches/18/liens/ajouter/"' in page
    assert '<option value="cpts-bassin">Projet de santé CPTS</option>' in page
    assert f'<option value="{cls.slug}"' not in page  # a link joins two different plans


def test_accept_then_reject_from_the_fiche_page(coordinator, cls, cpts, proposed):
    fiche_url = f"/plans/{cls.slug}/fiches/18/"
    url = f"/plans/{cls.slug}/liens/{proposed.pk}/decision/"
    response = coordinator.post(url, {"decision": ACCEPTED, "next": fiche_url})
    assert response.status_code == 302 and response["Location"] == fiche_url
    proposed.refresh_from_db()
    assert proposed.status == ACCEPTED and proposed.decided_by.username
    page = text(coordinator.get(fiche_url))
    assert "Lien accepté." in page and "Retirer le lien avec Fiche n°1.B" in page

    # From the other plan's side too.
    url = f"/plans/{cpts.slug}/liens/{proposed.pk}/decision/"
    response = coordinator.post(url, {"decision": REJECTED}, follow=True)
    assert "Lien rejeté : il ne sera plus proposé." in text(response)
    assert response.redirect_chain[-1][0] == f"/plans/{cpts.slug}/liens/"
    proposed.refresh_from_db()
    assert proposed.status == REJECTED


def test_decisions_refuse_bad_values_foreign_plans_and_outside_redirects(
    coordinator, cls, proposed
):
    url = f"/plans/{cls.slug}/liens/{proposed.pk}/decision/"
    assert coordinator.post(url, {"decision": "peut-être"}).status_code == 400
    other = PlanFactory()
    foreign = f"/plans/{other.slug}/liens/{proposed.pk}/decision/"
    assert coordinator.post(foreign, {"decision": ACCEPTED}).status_code == 404
    response = coordinator.post(url, {"decision": ACCEPTED, "next": "https://ailleurs.example/"})
    assert response["Location"] == f"/plans/{cls.slug}/liens/"


def test_adding_a_link_by_hand_in_two_steps(coordinator, cls, cpts, prs):
    url = f"/plans/{cls.slug}/fiches/18/liens/ajouter/"
    step1 = coordinator.get(url)
    assert "1. Le plan lié" in text(step1) and "2. La fiche" not in text(step1)
    step2 = coordinator.get(f"{url}?plan={cpts.slug}")
    page = step2.content.decode()
    assert "2. Le plan entier « Projet de santé CPTS », ou l’une de ses fiches" in text(step2)
    care = cpts.fiches.get(number="1.B")
    assert f'<option value="fiche-{care.pk}">n°1.B — Prise en charge des soins' in page
    assert '<optgroup label="Sections">' in page

    response = coordinator.post(url, {"plan": cpts.slug, "target": f"fiche-{care.pk}"})
    assert response.status_code == 302 and response["Location"] == f"/plans/{cls.slug}/fiches/18/"
    link = link_between(care, cls.fiches.get(number="18"))
    assert (link.status, link.origin) == (ACCEPTED, CrossLink.Origin.MANUAL)
    assert "Lien ajouté avec « Projet de santé CPTS »." in text(
        coordinator.get(response["Location"])
    )

    engagement = prs.sections.get(number="3")
    coordinator.post(url, {"plan": prs.slug, "target": f"section-{engagement.pk}"})
    page = text(coordinator.get(f"/plans/{cls.slug}/fiches/18/"))
    assert "Schéma territorial de santé de l’Ariège : Engagement 3 — Renforcer l’accès" in page


def test_adding_a_link_refuses_the_same_plan_and_unknown_targets(coordinator, cls, cpts):
    url = f"/plans/{cls.slug}/fiches/18/liens/ajouter/"
    assert "Choisissez un autre plan" in text_of(coordinator.get(f"{url}?plan={cls.slug}"))
    own = cls.fiches.get(number="32")
    response = coordinator.post(url, {"plan": cls.slug, "target": f"fiche-{own.pk}"})
    assert response.status_code == 400
    response = coordinator.post(url, {"plan": cpts.slug, "target": f"fiche-{own.pk}"})
    assert response.status_code == 400
    assert "Choisissez une fiche ou une section de la liste." in response.content.decode()
    assert not CrossLink.objects.exists()


def text_of(response) -> str:
    return text(response) if response.status_code == 200 else response.content.decode()


def test_plan_links_page_for_readers_and_coordinators(client, cls, cpts, proposed):
    accepted = make_link(
        cls.fiches.get(number="32"), cpts.fiches.get(number="3.C"), origin="manual"
    )
    reader = text(client.get(f"/plans/{cls.slug}/liens/"))
    assert "Liens acceptés" in reader
    assert "n°32 — Développer la pratique de jardins partagés" in reader
    assert "Ajouté à la main" in reader
    assert "Liens proposés" not in reader and "Proposer des liens" not in reader

    client.force_login(coordinating(cls))
    response = client.get(f"/plans/{cls.slug}/liens/")
    page = text(response)
    assert "Liens proposés, à examiner" in page
    assert "n°18 — Améliorer l’accès aux soins non programmés" in page
    assert "Proposé automatiquement Termes communs : soins non programmés, sas" in page
    assert "0,42" not in page and "Score" not in page
    assert "Proposer des liens" in page
    assert f'action="/plans/{cls.slug}/liens/proposer/"' in response.content.decode()
    assert accepted.pk


def test_propose_button_runs_the_engine(coordinator, cls, cpts, prs):
    declare(cls, *ENGAGEMENTS)
    response = coordinator.post(f"/plans/{cls.slug}/liens/proposer/", follow=True)
    page = text(response)
    assert re.search(r"\d+ nouveaux? liens? proposés?\.", page)
    assert "D’après le document, le plan sert 3 engagements du PRS." in page
    assert CrossLink.objects.filter(status=PROPOSED).exists()
    again = text(coordinator.post(f"/plans/{cls.slug}/liens/proposer/", follow=True))
    assert "Aucun nouveau lien à proposer." in again


def test_overviews_show_the_engagements_served_and_the_contracts_declining_them(client, cls, prs):
    declare(cls, *ENGAGEMENTS[:2])
    crosslinks.links_from_document(cls)
    on_cls = client.get(f"/plans/{cls.slug}/")
    txt = text(on_cls)
    assert "Engagements du PRS servis" in txt
    assert "Engagement 1 — Dynamiser et adapter la prévention" in txt
    assert "Indiqué par le document, ligne 267" in txt
    section = prs.sections.get(number="1")
    assert f'href="/plans/{prs.slug}/#section-{section.pk}"' in on_cls.content.decode()
    on_prs = text(client.get(f"/plans/{prs.slug}/"))
    assert "Contrats qui le déclinent" in on_prs
    assert "Contrat local de santé de Carcassonne Engagement 1, Engagement 2" in on_prs
    assert "Engagements du PRS servis" not in on_prs


# --- Query counts -------------------------------------------------------------------------------


def link_many(cls, n):
    """`n` other plans, each with a fiche linked to CLS fiche 18: accepted, proposed, section."""
    cls_18 = cls.fiches.get(number="18")
    for i in range(n):
        other = PlanFactory()
        target = fiche(other, "1", f"Fiche liée {i}", "Texte.")
        make_link(target, cls_18, ACCEPTED if i % 2 else PROPOSED, score=0.3)
        section = SectionFactory(plan=other, number=str(i))
        CrossLink.objects.create(
            source_plan=cls,
            source_fiche=cls_18,
            target_plan=other,
            target_section=section,
            status=ACCEPTED,
            origin=CrossLink.Origin.MANUAL,
        )
        PlanSectionLink.objects.create(plan=cls, section=section, origin="document")


@pytest.mark.parametrize("n", [1, 8])
def test_fiche_page_query_count_does_not_grow_with_links(client, django_assert_num_queries, cls, n):
    link_many(cls, n)
    with django_assert_num_queries(10):  # the fiche page's 9, and its links across plans
        text(client.get(f"/plans/{cls.slug}/fiches/18/"))


@pytest.mark.parametrize("n", [1, 8])
def test_fiche_page_query_count_for_coordinators(coordinator, django_assert_num_queries, cls, n):
    link_many(cls, n)
    coordinator.get("/")  # the session is read once per request, counted below
    # session, user, their memberships (asked once per request; a plan's coordinator needs no
    # legacy group query), the 10 of a reader, the other plans for the manual form, the fiche's
    # follow-up reports (its trajectory panel, none here)
    with django_assert_num_queries(15):
        text(coordinator.get(f"/plans/{cls.slug}/fiches/18/"))


@pytest.mark.parametrize("n", [1, 8])
def test_plan_links_and_overview_query_counts(client, django_assert_num_queries, cls, n):
    link_many(cls, n)
    with django_assert_num_queries(3):  # plan, links, section links
        text(client.get(f"/plans/{cls.slug}/liens/"))
    with django_assert_num_queries(6):  # the overview's 5, and the section links
        text(client.get(f"/plans/{cls.slug}/"))


# --- Command ------------------------------------------------------------------------------------


def test_command_dry_run_prints_and_stores_nothing(cls, cpts, prs):
    declare(cls, *ENGAGEMENTS)
    out = StringIO()
    call_command("suggest_links", cpts.slug, "--dry-run", stdout=out)
    output = out.getvalue()
    assert "n°1.B ↔ Contrat local de santé de Carcassonne, n°18" in output
    assert "(nouveau)" in output and "Termes communs : soins non programmés" in output
    assert "Simulation : rien n’a été enregistré." in output
    assert not CrossLink.objects.exists()

    out = StringIO()
    call_command("suggest_links", stdout=out)
    output = out.getvalue()
    assert CrossLink.objects.filter(status=PROPOSED).exists()
    assert "Sert l’engagement 1 du « Schéma territorial de santé de l’Ariège »" in output
    assert PlanSectionLink.objects.count() == 3
    assert re.search(r"Total : \d+ nouveaux? liens? proposés?\.", output)


def test_command_unknown_plan_fails_in_french():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Aucun plan n’a l’identifiant « inconnu »"):
        call_command("suggest_links", "inconnu", stdout=StringIO())


# --- What the document names: fiches working with a stored CPTS project -------------------------


def _cpts_project():
    perimeter = TerritoryFactory(level="perimeter", code="", name="CPTS du Bassin Carcassonnais")
    return PlanFactory(kind=Plan.Kind.CPTS, title="Projet de Santé – CPTS", perimeter=perimeter)


def _role(fiche_, key, name, as_written, role, acronym=""):
    from tests.factories import FicheRoleFactory, OrganisationFactory

    org = OrganisationFactory(plan=fiche_.plan, key=key, name=name, acronym=acronym)
    return FicheRoleFactory(fiche=fiche_, organisation=org, as_written=as_written, role=role)


def test_fiches_naming_a_stored_cpts_are_linked_to_its_project():
    project = _cpts_project()
    contract = PlanFactory()
    named = fiche(contract, "18", "Soins non programmés", "…", position=1)
    generic = fiche(contract, "15", "Accompagner les projets de santé des CPTS", "…", position=2)
    unrelated = fiche(contract, "32", "Jardins partagés", "…", position=3)
    _role(named, "cpts-bassin-carcassonnais", "CPTS du Bassin Carcassonnais", "CPTS BC", "copilot")
    _role(generic, "cpts", "Communauté professionnelle territoriale de santé", "CPTS", "copilot")
    _role(unrelated, "cpts-cabardes", "CPTS du Cabardès", "CPTS Cabardès", "partner")

    # A page passes the user's rights: without the project's coordination, only proposed.
    preview = crosslinks.cpts_links_from_document(contract, True, may_accept=lambda pk: False)
    assert {link.status for link in preview} == {PROPOSED}
    created = crosslinks.cpts_links_from_document(contract)
    links = {(link.source_fiche.number, link.status) for link in created}
    assert links == {("18", ACCEPTED), ("15", PROPOSED)}
    assert all(link.target_plan == project and link.target_fiche is None for link in created)
    (link_18,) = [link for link in created if link.source_fiche == named]
    assert link_18.reason == "La fiche nomme « CPTS BC » parmi ses pilotes."
    # Run again: nothing new, decisions kept.
    crosslinks.decide(CrossLink.objects.get(source_fiche=generic), REJECTED, None)
    assert crosslinks.cpts_links_from_document(contract) == []
    assert CrossLink.objects.get(source_fiche=generic).status == REJECTED


def test_a_whole_plan_link_shows_on_the_fiche_and_is_added_by_hand(client):
    project = _cpts_project()
    contract = create_plan(2)
    fiche_2 = contract.fiches.get(number="2")
    coordinator = coordinating(contract, project)
    link, created = crosslinks.add_manual_link(fiche_2, project, coordinator)
    assert created and link.target_fiche is None and link.target_section is None
    assert crosslinks.add_manual_link(fiche_2, project, coordinator) == (link, False)
    page = text(client.get(fiche_2.get_absolute_url()))
    assert "Le plan entier : Projet de Santé – CPTS" in page

    client.force_login(coordinator)
    url = f"/plans/{contract.slug}/fiches/1/liens/ajouter/"
    form = client.get(url, {"plan": project.slug}).content.decode()
    assert 'value="plan"' in form
    response = client.post(url, {"plan": project.slug, "target": "plan"})
    assert response.status_code == 302
    assert CrossLink.objects.filter(
        source_fiche__number="1", target_plan=project, target_fiche=None
    ).exists()


def test_a_contract_naming_no_stored_cpts_gets_no_generic_proposal():
    _cpts_project()
    elsewhere = PlanFactory()
    piloted = fiche(elsewhere, "1.5.1", "Coordonner les professionnels", "…")
    _role(piloted, "cpts", "CPTS Quercy Garonne", "CPTS", "pilot")
    assert crosslinks.cpts_links_from_document(elsewhere) == []


# --- Issue 9: a link between two plans is proposed by one side and accepted by the other -------


def test_one_side_proposes_the_other_accepts(client, cls, cpts):
    care = cpts.fiches.get(number="1.B")
    cls_side, cpts_side = coordinating(cls), coordinating(cpts)
    client.force_login(cls_side)
    url = f"/plans/{cls.slug}/fiches/18/liens/ajouter/"
    response = client.post(url, {"plan": cpts.slug, "target": f"fiche-{care.pk}"}, follow=True)
    assert "Lien proposé à la coordination de « Projet de santé CPTS »" in text(response)
    link = link_between(care, cls.fiches.get(number="18"))
    assert (link.status, link.source_plan) == (PROPOSED, cls)
    assert "En attente de l’accord de la coordination de l’autre plan." in text(response)
    # The proposing side may not accept its own proposal, from either plan's pages.
    for slug in (cls.slug, cpts.slug):
        decide_url = f"/plans/{slug}/liens/{link.pk}/decision/"
        assert client.post(decide_url, {"decision": ACCEPTED}).status_code == 403
    link.refresh_from_db()
    assert link.status == PROPOSED

    # The other side sees it with « Accepter » and accepts it from its own pages.
    client.force_login(cpts_side)
    page = client.get(f"/plans/{cpts.slug}/liens/").content.decode()
    assert f'action="/plans/{cpts.slug}/liens/{link.pk}/decision/"' in page
    assert 'value="accepted"' in page
    response = client.post(f"/plans/{cpts.slug}/liens/{link.pk}/decision/", {"decision": ACCEPTED})
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.status, link.decided_by) == (ACCEPTED, cpts_side)
    # Either side may withdraw it.
    client.force_login(cls_side)
    client.post(f"/plans/{cls.slug}/liens/{link.pk}/decision/", {"decision": REJECTED})
    link.refresh_from_db()
    assert link.status == REJECTED


def test_a_coordinator_of_another_plan_writes_no_link_here(client, cls, cpts, proposed):
    """Issue 9's probe: the coordinator of plan B adding, deciding and proposing on plan A."""
    client.force_login(coordinating(cpts))
    own = cls.fiches.get(number="18")
    add = client.post(
        f"/plans/{cls.slug}/fiches/32/liens/ajouter/", {"plan": cpts.slug, "target": "plan"}
    )
    decide = client.post(f"/plans/{cls.slug}/liens/{proposed.pk}/decision/", {"decision": ACCEPTED})
    propose = client.post(f"/plans/{cls.slug}/liens/proposer/")
    assert (add.status_code, decide.status_code, propose.status_code) == (403, 403, 403)
    assert list(CrossLink.objects.values_list("pk", "status")) == [(proposed.pk, PROPOSED)]
    assert own.pk == proposed.target_fiche_id


def test_adding_what_the_other_side_proposed_accepts_it(cls, cpts, proposed):
    user = coordinating(cls)
    link, created = crosslinks.add_manual_link(
        cls.fiches.get(number="18"), cpts.fiches.get(number="1.B"), user, accept=False
    )
    assert (link.pk, created, link.status, link.decided_by) == (
        proposed.pk,
        False,
        ACCEPTED,
        user,
    )


def test_perms_accept_and_reject_by_side(cls, cpts, proposed):
    cls_side, cpts_side, both = coordinating(cls), coordinating(cpts), coordinating(cls, cpts)
    admin = UserFactory(is_superuser=True)
    # `proposed` comes from the CPTS: the CLS accepts it, the CPTS only withdraws it.
    assert perms.can_accept_link(cls_side, proposed, cls)
    assert not perms.can_accept_link(cpts_side, proposed, cpts)
    assert not perms.can_accept_link(cpts_side, proposed, cls)
    assert perms.can_accept_link(both, proposed, cpts) and perms.can_accept_link(
        admin, proposed, cpts
    )
    assert perms.can_reject_link(cpts_side, proposed, cpts)
    assert not perms.can_reject_link(cpts_side, proposed, cls)
    assert not perms.can_accept_link(cls_side, proposed, PlanFactory())
