"""Personal API tokens: created on the account page (shown once, stored hashed), used, revoked."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from pilotis.api import tokens
from pilotis.api.models import ApiToken
from tests.api.conftest import Api
from tests.factories import UserFactory

PAGE = "/comptes/jetons/"


@pytest.fixture
def agent(db):
    return UserFactory(username="agent-caf")


def _secret_in(html: str) -> str:
    found = re.search(r'id="new-token" value="(pil_[^"]+)"', html)
    assert found, html
    return found.group(1)


def test_page_requires_sign_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/")


def test_creation_shows_the_token_once_and_stores_only_its_hash(client, agent):
    client.force_login(agent)
    response = client.post(PAGE, {"name": "Tableur de suivi CAF", "expiry": "90"})
    assert response.status_code == 200
    html = response.content.decode()
    secret = _secret_in(html)
    assert "Copiez-le maintenant" in html
    assert response["Cache-Control"] == "no-store"

    token = ApiToken.objects.get(user=agent)
    assert token.name == "Tableur de suivi CAF"
    assert token.prefix == secret[:8]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    # The secret is nowhere in the database row.
    assert secret not in repr(ApiToken.objects.filter(pk=token.pk).values().get())
    assert (
        timezone.now() + timedelta(days=89) < token.expires_at < timezone.now() + timedelta(days=91)
    )

    # Shown once: the list afterwards names the token by its prefix only.
    listing = client.get(PAGE).content.decode()
    assert "Tableur de suivi CAF" in listing
    assert f"{token.prefix}…" in listing
    assert secret not in listing
    assert 'id="new-token"' not in listing


def test_page_is_labelled_french_and_lists_only_ones_own_tokens(client, agent):
    other = UserFactory(username="quelquun")
    tokens.create(other, "Jeton d'un autre")
    client.force_login(agent)
    html = client.get(PAGE).content.decode()
    assert '<label class="fr-label" for="id_name">' in html
    assert "Durée de validité" in html
    assert "Jeton d'un autre" not in html
    assert "Vous n’avez aucun jeton" in html


def test_creation_without_a_name_is_refused(client, agent):
    client.force_login(agent)
    response = client.post(PAGE, {"name": "   ", "expiry": ""})
    assert response.status_code == 400
    assert "Le jeton n’a pas été créé" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_token_opens_the_api_and_records_its_use(agent):
    token, secret = tokens.create(agent, "script")
    assert token.last_used_at is None
    response = Api(secret).get("plans")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_is_refused_with_401(client, agent):
    token, secret = tokens.create(agent, "script")
    client.force_login(agent)
    response = client.post(f"/comptes/jetons/{token.pk}/revoquer/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None

    response = Api(secret).get("plans")
    assert response.status_code == 401
    assert response.json() == {"detail": "Ce jeton d'API a été révoqué."}
    assert response["WWW-Authenticate"].startswith("Bearer")
    # The list says so and offers no second revocation.
    html = client.get(PAGE).content.decode()
    assert "Révoqué le" in html
    assert f"/comptes/jetons/{token.pk}/revoquer/" not in html


def test_revoking_someone_elses_token_is_404(client, agent):
    token, secret = tokens.create(UserFactory(username="autre"), "script")
    client.force_login(agent)
    assert client.post(f"/comptes/jetons/{token.pk}/revoquer/").status_code == 404
    assert Api(secret).get("plans").status_code == 200


def test_revocation_is_a_post(client, agent):
    token, _ = tokens.create(agent, "script")
    client.force_login(agent)
    assert client.get(f"/comptes/jetons/{token.pk}/revoquer/").status_code == 405


def test_expired_token_is_refused(agent):
    token, secret = tokens.create(agent, "script", expires_at=timezone.now() + timedelta(days=1))
    assert Api(secret).get("plans").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Api(secret).get("plans")
    assert response.status_code == 401
    assert response.json()["detail"] == "Ce jeton d'API a expiré."


@pytest.mark.parametrize(
    "header, message",
    [
        ("Bearer pil_inconnu", "Jeton d'API inconnu."),
        ("Bearer ", "En-tête Authorization attendu sous la forme « Bearer <jeton> »."),
        ("Token abc", "En-tête Authorization attendu sous la forme « Bearer <jeton> »."),
    ],
)
def test_unknown_or_malformed_token_is_401_even_on_public_reads(db, header, message):
    response = Api().get("plans", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == {"detail": message}


def test_token_of_a_deactivated_account_is_refused(agent):
    _, secret = tokens.create(agent, "script")
    agent.is_active = False
    agent.save()
    assert Api(secret).get("plans").status_code == 401


def test_token_acts_with_its_owners_rights_not_the_sessions(client, world):
    """A browser signed in as the coordinator, sending a pilot's token: the token decides."""
    client.force_login(world.users["coordinator"])
    _, secret = tokens.create(world.users["outsider"], "script")
    api = Api(secret, client=client)
    assert api.get(f"plans/{world.plan.slug}").status_code == 404
    assert Api(client=client).get(f"plans/{world.plan.slug}").status_code == 200
