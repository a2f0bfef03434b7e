"""Invitations end to end through a real SMTP server: invite, e-mail, link, password, membership."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.accounts.models import Invitation, Membership, Role
from tests.factories import PASSWORD, UserFactory, create_plan

pytestmark = pytest.mark.django_db

STRONG = "une phrase de passe bien longue"
AGENT = "agent.parentalite@caf-aude.fr"


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html(response)))


def main(response) -> str:
    """The page's own content, without the header and footer every page shares."""
    return re.search(r'<main id="content".*?</main>', html(response), re.S).group(0)


def invite(client, plan, email=AGENT, role="pilot", organisations=("caf",)):
    ids = [plan.organisations.get(key=key).pk for key in organisations]
    return client.post(
        f"/plans/{plan.slug}/membres/", {"email": email, "role": role, "organisations": ids}
    )


@pytest.fixture
def as_coordinator(client, coordinator):
    client.force_login(coordinator)
    return client


def test_a_coordinator_invites_a_caf_agent_who_joins_as_pilot(
    client, as_coordinator, plan, smtp, django_user_model
):
    page = html(as_coordinator.get(f"/plans/{plan.slug}/membres/"))
    assert "Claire Coordinatrice" in page and "Coordinateur·rice" in page
    assert '<label class="fr-label" for="id_email">' in page
    assert (
        '<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="id_role-legend">'
        in page
    )
    assert "Caisse d&#x27;allocations familiales de l&#x27;Aude (CAF)" in page

    response = invite(as_coordinator, plan)
    assert response.status_code == 302
    assert "Invitation envoyée à agent.parentalite@caf-aude.fr" in text(
        as_coordinator.get(response["Location"])
    )

    message = smtp.only()
    assert message["To"] == AGENT and message["X-Envelope-To"] == AGENT
    # The parser keeps the space left by the header's folding: mail clients drop it.
    assert message["Subject"].strip() == f"Pilotis : invitation à rejoindre « {plan.title} »"
    body = smtp.body(message)
    assert "Claire Coordinatrice vous invite" in body
    assert "avec le rôle « Pilote » pour Caisse d'allocations familiales de l'Aude" in body
    assert "expire dans 7 jours" in body
    link = smtp.link(message, "/comptes/invitation/")

    # Only the hash of the token is stored.
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(Invitation.objects.values_list()))
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)

    # The invitee, in another browser.
    as_coordinator.logout()
    page = html(client.get(link))
    assert "Créer votre compte" in page and AGENT in page
    assert '<label class="fr-label" for="id_password1">' in page
    response = client.post(
        link,
        {"first_name": "Paule", "last_name": "Parent", "password1": STRONG, "password2": STRONG},
    )
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()

    agent = django_user_model.objects.get(email=AGENT)
    assert agent.username == AGENT and agent.get_full_name() == "Paule Parent"
    assert agent.password.startswith("argon2")  # Argon2 for new passwords
    membership = Membership.objects.get(user=agent)
    assert membership.plan == plan and membership.role == Role.PILOT
    assert list(membership.organisations.values_list("key", flat=True)) == ["caf"]
    assert roles.fiche_roles_of(agent, plan.fiches.get(number="2"), Role.PILOT) == {"copilot"}
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == agent

    # Signed in, welcomed.
    page = text(client.get(response["Location"]))
    assert "Bienvenue ! Votre compte est créé" in page and "Paule Parent" in page
    assert int(client.session["_auth_user_id"]) == agent.pk


def test_an_expired_link_says_so_and_creates_nothing(as_coordinator, client, plan, smtp):
    invite(as_coordinator, plan)
    link = smtp.link(smtp.only(), "/comptes/invitation/")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    as_coordinator.logout()
    response = client.get(link)
    assert response.status_code == 410
    assert "Ce lien a expiré ou l’invitation a été annulée" in html(response)
    response = client.post(
        link, {"first_name": "A", "last_name": "B", "password1": STRONG, "password2": STRONG}
    )
    assert response.status_code == 410
    assert not get_user_model().objects.filter(email=AGENT).exists()


def test_a_link_works_only_once(as_coordinator, client, plan, smtp):
    invite(as_coordinator, plan)
    link = smtp.link(smtp.only(), "/comptes/invitation/")
    as_coordinator.logout()
    data = {"first_name": "A", "last_name": "B", "password1": STRONG, "password2": STRONG}
    assert client.post(link, data).status_code == 302
    client.logout()
    response = client.get(link)
    assert response.status_code == 410
    assert "Ce lien a déjà été utilisé : une invitation ne sert qu’une fois." in html(response)
    assert client.post(link, data).status_code == 410
    assert get_user_model().objects.filter(email=AGENT).count() == 1


def test_a_wrong_token_is_a_plain_404(as_coordinator, client, plan, smtp):
    invite(as_coordinator, plan)
    link = smtp.link(smtp.only(), "/comptes/invitation/")
    as_coordinator.logout()
    wrong = link[:-5] + ("AAAA/" if not link.endswith("AAAA/") else "BBBB/")
    response = client.get(wrong)
    unknown_page = client.get("/une-page-qui-n-existe-pas/")
    assert response.status_code == 404 == unknown_page.status_code
    assert main(response) == main(unknown_page)
    assert "Page non trouvée" in main(response)
    assert client.post(wrong, {"password1": STRONG}).status_code == 404


def test_a_weak_password_is_refused_in_french(as_coordinator, client, plan, smtp):
    invite(as_coordinator, plan)
    link = smtp.link(smtp.only(), "/comptes/invitation/")
    as_coordinator.logout()
    response = client.post(
        link,
        {"first_name": "A", "last_name": "B", "password1": "123456", "password2": "123456"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères." in page
    assert "Ce mot de passe est trop courant." in page
    assert "Ce mot de passe est entièrement numérique." in page
    assert 'aria-invalid="true"' in html(response)
    response = client.post(
        link, {"first_name": "A", "last_name": "B", "password1": STRONG, "password2": STRONG + "x"}
    )
    assert "Les deux mots de passe ne correspondent pas." in text(response)
    assert not get_user_model().objects.filter(email=AGENT).exists()
    assert Invitation.objects.get().accepted_at is None


def test_reinviting_an_existing_user_adds_the_membership_without_a_new_password(
    as_coordinator, client, plan, smtp
):
    known = UserFactory(username="paule", email="Paule.Parent@caf-aude.fr")
    roles.grant(known, create_plan(n_fiches=1), Role.PARTNER)
    invite(as_coordinator, plan, email="paule.parent@caf-aude.fr", role="copil", organisations=())
    message = smtp.only()
    assert "Vous avez déjà un compte Pilotis à cette adresse" in smtp.body(message)
    link = smtp.link(message, "/comptes/invitation/")
    as_coordinator.logout()
    page = text(client.get(link))
    assert "Vous avez déjà un compte Pilotis (identifiant : paule)" in page
    assert "id_password1" not in page
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"] == f"/comptes/login/?next={plan.get_absolute_url()}"
    known.refresh_from_db()
    assert known.check_password(PASSWORD)  # unchanged
    assert roles.roles_of(known, plan) == {"copil"}
    assert "_auth_user_id" not in client.session  # signs in with the password (and code) as usual
    assert client.post(link).status_code == 410


def test_accepting_one_link_honours_every_pending_invitation_to_that_address(
    as_coordinator, coordinator, client, plan, smtp
):
    other = create_plan(n_fiches=1)
    roles.grant(coordinator, other, Role.COORDINATOR)
    invite(as_coordinator, plan)
    invite(as_coordinator, other, email=AGENT.upper(), role="partner")
    first = smtp.link(smtp.messages[0], "/comptes/invitation/")
    second = smtp.link(smtp.messages[1], "/comptes/invitation/")
    as_coordinator.logout()
    client.post(
        first, {"first_name": "A", "last_name": "B", "password1": STRONG, "password2": STRONG}
    )
    agent = get_user_model().objects.get(email=AGENT)
    assert roles.roles_of(agent, plan) == {"pilot"} and roles.roles_of(agent, other) == {"partner"}
    assert client.get(second).status_code == 410


def test_pilots_and_partners_need_an_organisation(as_coordinator, plan, smtp):
    response = invite(as_coordinator, plan, organisations=())
    assert response.status_code == 400
    assert "Choisissez au moins une organisation" in text(response)
    response = invite(as_coordinator, plan, email="pas-une-adresse")
    assert "Saisissez une adresse de courriel valide." in text(response)
    assert not Invitation.objects.exists() and not smtp.messages


def test_organisations_of_another_plan_cannot_be_posted(as_coordinator, plan, smtp):
    other = create_plan(n_fiches=1)
    response = as_coordinator.post(
        f"/plans/{plan.slug}/membres/",
        {"email": AGENT, "role": "pilot", "organisations": [other.organisations.get(key="caf").pk]},
    )
    assert response.status_code == 400 and not Invitation.objects.exists()


def test_only_coordinators_of_the_plan_may_invite(client, plan, smtp):
    url = f"/plans/{plan.slug}/membres/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/comptes/login/?next={url}"
    assert client.post(url, {"email": AGENT, "role": "coordinator"}).status_code == 302

    pilot = UserFactory()
    roles.grant(pilot, plan, Role.PILOT, [plan.organisations.get(key="caf")])
    elsewhere = UserFactory()
    roles.grant(elsewhere, create_plan(n_fiches=1), Role.COORDINATOR)
    for user in (pilot, elsewhere, UserFactory(coordinator=True)):
        client.force_login(user)
        assert client.get(url).status_code == 403
        response = client.post(url, {"email": AGENT, "role": "coordinator"})
        assert response.status_code == 403
        assert "Seuls les coordinateurs de ce plan peuvent gérer ses membres." in html(response)
        membership = Membership.objects.filter(plan=plan).first()
        assert client.post(f"{url}{membership.pk}/retirer/").status_code == 403
    assert not Invitation.objects.exists() and not smtp.messages
    assert client.get("/plans/plan-inconnu/membres/").status_code == 404

    client.force_login(UserFactory(is_superuser=True))
    assert client.get(url).status_code == 200


def test_members_link_in_the_menu_for_the_plans_coordinators_only(client, plan, coordinator):
    client.force_login(coordinator)
    assert f'href="/plans/{plan.slug}/membres/"' in html(client.get(plan.get_absolute_url()))
    assert ">Membres</a>" not in html(client.get("/"))  # outside a plan
    pilot = UserFactory()
    roles.grant(pilot, plan, Role.PILOT, [plan.organisations.get(key="caf")])
    client.force_login(pilot)
    assert ">Membres</a>" not in html(client.get(plan.get_absolute_url()))


def test_revoke_a_membership_but_never_the_last_coordinator(as_coordinator, coordinator, plan):
    pilot = UserFactory(first_name="Paule", last_name="Parent")
    membership = roles.grant(pilot, plan, Role.PILOT, [plan.organisations.get(key="caf")])
    url = f"/plans/{plan.slug}/membres/"
    page = text(as_coordinator.get(url))
    assert "Paule Parent" in page and "Pilote" in page
    response = as_coordinator.post(f"{url}{membership.pk}/retirer/")
    assert response.status_code == 302
    assert "Paule Parent n’est plus « Pilote » dans ce plan." in text(as_coordinator.get(url))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert as_coordinator.get(f"{url}{membership.pk}/retirer/").status_code == 405

    own = Membership.objects.get(user=coordinator, plan=plan)
    as_coordinator.post(f"{url}{own.pk}/retirer/")
    assert Membership.objects.filter(pk=own.pk).exists()
    assert "seul coordinateur ou la seule coordinatrice" in text(as_coordinator.get(url))


def test_cancel_a_pending_invitation(as_coordinator, client, plan, smtp):
    invite(as_coordinator, plan)
    link = smtp.link(smtp.only(), "/comptes/invitation/")
    url = f"/plans/{plan.slug}/membres/"
    assert AGENT in text(as_coordinator.get(url))
    invitation = Invitation.objects.get()
    as_coordinator.post(f"{url}invitations/{invitation.pk}/annuler/")
    page = text(as_coordinator.get(url))
    assert f"L’invitation de {AGENT} est annulée." in page
    assert "Aucune invitation en attente." in page
    as_coordinator.logout()
    assert client.get(link).status_code == 410


def test_nothing_is_kept_when_the_email_cannot_leave(as_coordinator, plan, settings, smtp):
    from tests.accounts.conftest import free_port

    settings.EMAIL_PORT = free_port()  # nobody listens there
    response = invite(as_coordinator, plan)
    assert response.status_code == 200
    assert "Le courriel d’invitation n’a pas pu être envoyé ; rien n’a été enregistré." in text(
        response
    )
    assert not Invitation.objects.exists()


def test_member_pages_of_an_unpublished_plan_are_404_to_outsiders(client, plan):
    """Issue 9: these pages answered 403 and so revealed the slugs of unpublished plans."""
    plan.published = False
    plan.save()
    member = UserFactory()
    membership = roles.grant(member, plan, Role.PILOT, [])
    invitation = Invitation.objects.create(
        plan=plan,
        email="x@example.org",
        role=Role.PILOT,
        token_hash="0" * 64,
        expires_at=timezone.now() + timedelta(days=7),
    )
    client.force_login(UserFactory())
    for path in (
        f"/plans/{plan.slug}/membres/",
        f"/plans/{plan.slug}/membres/{membership.pk}/retirer/",
        f"/plans/{plan.slug}/membres/invitations/{invitation.pk}/annuler/",
    ):
        assert client.get(path).status_code in (404, 405), path
        assert client.post(path).status_code == 404, path
    # A member who does not manage members still gets 403, as on the other pages.
    client.force_login(member)
    assert client.get(f"/plans/{plan.slug}/membres/").status_code == 403
