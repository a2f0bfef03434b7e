"""`pilotis personal_data`: export a person's data, erase it (RGPD)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pilotis.accounts import invitations, roles
from pilotis.accounts.models import Invitation, Membership, Role
from pilotis.api import tokens
from pilotis.api.models import ApiToken
from tests.factories import PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("personal_data", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def person():
    plan = PlanFactory()
    user = UserFactory(
        username="paule", first_name="Paule", last_name="Parent", email="paule.parent@caf.fr"
    )
    roles.grant(user, plan, Role.PILOT)
    tokens.create(user, "tableur")
    invitations.create(
        email="paule.parent@caf.fr", plan=plan, role=Role.COPIL, organisations=[], created_by=None
    )
    return user


def test_export_lists_the_account_and_what_refers_to_it(person):
    data = json.loads(run("export", "paule"))
    assert data["compte"]["email"] == "paule.parent@caf.fr"
    kinds = {ref["donnée"] for ref in data["références"]}
    assert {"jeton d'API", "invitation", "membre d'un plan"} <= kinds


def test_erase_says_what_it_would_do_then_does_it(person):
    out = run("erase", "paule.parent@caf.fr")
    assert "relancer avec --oui" in out and "anonymiser le compte" in out
    assert Membership.objects.filter(user=person).exists()  # nothing done yet

    run("erase", "paule", "--oui")
    person.refresh_from_db()
    assert person.username == f"personne-supprimee-{person.pk}"
    assert person.email == "" and not person.is_active and not person.has_usable_password()
    assert not Membership.objects.filter(user=person).exists()
    assert not ApiToken.objects.filter(user=person).exists()
    assert not Invitation.objects.filter(email__iexact="paule.parent@caf.fr").exists()


def test_unknown_person_is_refused():
    with pytest.raises(CommandError, match="Aucun compte « personne »"):
        run("export", "personne")


def test_a_body_representative_is_erased_with_their_address():
    from datetime import date

    from pilotis.governance.models import Body, BodyMember

    body = Body.objects.create(plan=PlanFactory(), name="COPIL", kind="copil")
    member = BodyMember.objects.create(
        body=body,
        label="CAF de l’Aude",
        representative="Paule Parent",
        function="Directrice",
        email="paule.parent@caf.fr",
        consent_on=date(2026, 1, 5),
    )
    assert "et ce qui l'accompagne" in run("erase", "paule.parent@caf.fr")  # dry run
    run("erase", "paule.parent@caf.fr", "--oui")
    member.refresh_from_db()
    # The organisation still sits in the body; nothing of the person is left, history included.
    assert (member.label, member.representative, member.function, member.email) == (
        "CAF de l’Aude",
        "",
        "",
        "",
    )
    assert member.consent_on is None
    assert not BodyMember.history.filter(representative="Paule Parent").exists()
