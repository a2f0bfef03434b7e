"""Sign-in security: lockout, password reset through SMTP, TOTP second factor, settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.conftest import totp_code
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "un tout nouveau mot de passe"


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html(response)))


def login(client, username, password, **extra):
    return client.post("/comptes/login/", {"username": username, "password": password, **extra})


def signed_in_as(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


# --- Lockout --------------------------------------------------------------------------------------


def test_lockout_after_five_failures_with_a_french_page(client, settings):
    user = UserFactory()
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = login(client, user.username, "mauvais mot de passe")
        assert response.status_code == 200 and "Connexion impossible" in text(response)
    response = login(client, user.username, "mauvais mot de passe")
    assert response.status_code == 429
    page = text(response)
    assert "Connexion temporairement bloquée" in page
    assert (
        "Après 5 essais erronés, la connexion à ce compte depuis votre poste est bloquée "
        "pendant 15 minutes" in page
    )
    # Even the right password is refused while locked.
    response = login(client, user.username, PASSWORD)
    assert response.status_code == 429 and signed_in_as(client) is None

    # Per account and address: a colleague behind the same address still signs in.
    colleague = UserFactory()
    assert login(client, colleague.username, PASSWORD).status_code == 302
    client.logout()

    # Once the cool-off has passed, the right password works again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert login(client, user.username, PASSWORD).status_code == 302
    assert signed_in_as(client) == user.pk


def test_failure_limit_and_cooloff_follow_the_settings(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    user = UserFactory()
    login(client, user.username, "faux")
    response = login(client, user.username, "faux")
    assert response.status_code == 429
    assert "Après 2 essais erronés" in text(response) and "pendant 1 minute," in text(response)


# --- Password reset -------------------------------------------------------------------------------


def test_password_reset_through_smtp(client, smtp):
    user = UserFactory(email="paule.parent@caf-aude.fr")
    page = html(client.get("/comptes/login/"))
    assert 'href="/comptes/mot-de-passe-oublie/"' in page
    page = html(client.get("/comptes/mot-de-passe-oublie/"))
    assert '<label class="fr-label" for="id_email">' in page

    response = client.post("/comptes/mot-de-passe-oublie/", {"email": "Paule.Parent@caf-aude.fr"})
    assert response.status_code == 302
    assert "Vérifiez votre messagerie" in text(client.get(response["Location"]))
    message = smtp.only()
    assert message["To"] == "paule.parent@caf-aude.fr"
    assert message["Subject"].strip() == "Pilotis : choisir un nouveau mot de passe"
    assert f"identifiant : {user.username}" in smtp.body(message)
    link = smtp.link(message, "/comptes/reinitialisation/")

    response = client.get(link)  # Django moves the token out of the address first
    assert response.status_code == 302
    form_url = response["Location"]
    page = html(client.get(form_url))
    assert "Choisir un nouveau mot de passe" in page
    assert '<label class="fr-label" for="id_new_password1">' in page

    response = client.post(form_url, {"new_password1": "court", "new_password2": "court"})
    assert "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères." in text(
        response
    )
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert "Mot de passe changé" in text(client.get(response["Location"]))
    assert signed_in_as(client) is None  # a reset never skips the sign-in (nor its code)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and user.password.startswith("argon2")

    # The link served once.
    response = client.get(link)
    assert "Ce lien de réinitialisation a déjà servi ou a expiré." in text(response)
    assert login(client, user.username, NEW_PASSWORD).status_code == 302


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, smtp):
    response = client.post("/comptes/mot-de-passe-oublie/", {"email": "personne@exemple.fr"})
    assert (
        response.status_code == 302
        and response["Location"] == "/comptes/mot-de-passe-oublie/envoye/"
    )
    assert smtp.messages == []


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)
    page = html(client.get("/comptes/mot-de-passe/"))
    assert '<label class="fr-label" for="id_old_password">' in page
    response = client.post(
        "/comptes/mot-de-passe/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/comptes/"
    assert "Votre mot de passe a été changé." in text(client.get("/comptes/"))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_pages_require_sign_in(client):
    for url in ("/comptes/", "/comptes/mot-de-passe/", "/comptes/double-authentification/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")


def test_logout_is_a_post(client):
    client.force_login(UserFactory())
    assert client.get("/comptes/logout/").status_code == 405
    assert client.post("/comptes/logout/").status_code == 302
    assert signed_in_as(client) is None


# --- TOTP -----------------------------------------------------------------------------------------


def test_totp_enrolment_then_sign_in_with_a_code(client, coordinator, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code below must not delay the right one
    client.force_login(coordinator)
    assert "Activer la double authentification" in text(client.get("/comptes/"))
    page = html(client.get("/comptes/double-authentification/"))
    assert "<svg" in page and 'class="pilotis-qr"' in page  # drawn on the server
    assert "<script" not in page.split('<main id="content"')[1].split("</main>")[0]
    device = TOTPDevice.objects.get(user=coordinator, confirmed=False)
    assert device.config_url.startswith("otpauth://totp/Pilotis")
    assert re.search(r"<code class=\"pilotis-secret\">[A-Z2-7]{4}( [A-Z2-7]{1,4})+</code>", page)
    assert html(client.get("/comptes/double-authentification/")).count("<svg") == page.count(
        "<svg"
    )  # the same device on reload
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1

    response = client.post("/comptes/double-authentification/", {"token": "000000"})
    assert response.status_code == 400 and "Code incorrect ou expiré" in text(response)
    response = client.post("/comptes/double-authentification/", {"token": totp_code(device)})
    assert response.status_code == 302
    assert "La double authentification est activée" in text(client.get("/comptes/"))
    device.refresh_from_db()
    assert device.confirmed
    client.logout()

    # The password alone no longer signs in: a code is asked.
    response = login(client, coordinator.username, PASSWORD, next="/recherche/")
    assert response.status_code == 302 and response["Location"] == "/comptes/connexion/code/"
    assert signed_in_as(client) is None
    page = html(client.get("/comptes/connexion/code/"))
    assert (
        '<label class="fr-label" for="id_token">' in page and 'autocomplete="one-time-code"' in page
    )
    response = client.post("/comptes/connexion/code/", {"token": "12345"})
    assert response.status_code == 400
    assert "Saisissez les 6 chiffres affichés par l’application." in text(response)
    response = client.post("/comptes/connexion/code/", {"token": "000000"})
    assert "Code incorrect ou expiré" in text(response) and signed_in_as(client) is None

    response = client.post("/comptes/connexion/code/", {"token": totp_code(device, 1)})
    assert response.status_code == 302 and response["Location"] == "/recherche/"
    assert signed_in_as(client) == coordinator.pk
    assert client.session["otp_device_id"] == device.persistent_id  # request.user.is_verified()


def test_wrong_codes_count_towards_the_lockout(client, coordinator, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = TOTPDevice.objects.create(user=coordinator, name="app", confirmed=True)
    login(client, coordinator.username, PASSWORD)
    for _ in range(4):
        assert client.post("/comptes/connexion/code/", {"token": "000000"}).status_code == 400
    response = client.post("/comptes/connexion/code/", {"token": "000000"})
    assert response.status_code == 429 and "Connexion temporairement bloquée" in text(response)
    response = client.post("/comptes/connexion/code/", {"token": totp_code(device)})
    assert response.status_code == 429 and signed_in_as(client) is None


def test_code_page_without_a_pending_sign_in_goes_back_to_login(client):
    response = client.get("/comptes/connexion/code/")
    assert response.status_code == 302 and response["Location"] == "/comptes/login/"


def test_totp_can_be_turned_off_with_a_code(client, coordinator, settings):
    device = TOTPDevice.objects.create(user=coordinator, name="app", confirmed=True)
    client.force_login(coordinator)
    page = text(client.get("/comptes/double-authentification/"))
    assert "La double authentification est activée" in page
    response = client.post("/comptes/double-authentification/", {"token": totp_code(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=coordinator).exists()


def test_totp_page_is_for_coordinators_and_administrators(client):
    client.force_login(UserFactory())
    assert client.get("/comptes/double-authentification/").status_code == 403
    assert "double authentification" not in text(client.get("/comptes/")).lower()
    client.force_login(UserFactory(is_superuser=True))
    assert client.get("/comptes/double-authentification/").status_code == 200


def test_the_admin_signs_in_through_the_same_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/comptes/login/?next=/admin/"


# --- Settings from the environment ----------------------------------------------------------------


def settings_with(tmp_path, **env) -> dict[str, str]:
    """Settings read by a fresh interpreter with these environment variables."""
    names = [
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_USE_TLS",
        "EMAIL_HOST_USER",
        "DEFAULT_FROM_EMAIL",
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        "INVITATION_DAYS",
        "SESSION_EXPIRE_AT_BROWSER_CLOSE",
        "PASSWORD_HASHERS",
    ]
    code = (
        "from django.conf import settings\n"
        f"for name in {names!r}: print(name, '=', getattr(settings, name))\n"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PILOTIS_", "DATABASE_URL"))}
    environ = {
        **base,
        "PILOTIS_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "pilotis.settings",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=False
    )
    if result.returncode:
        return {"error": result.stderr}
    return dict(line.split(" = ", 1) for line in result.stdout.splitlines())


def test_email_settings_from_the_environment(tmp_path):
    demo = settings_with(tmp_path, PILOTIS_DEBUG="true")
    assert demo["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    relay = settings_with(
        tmp_path,
        PILOTIS_DEBUG="true",
        PILOTIS_EMAIL_HOST="smtp.exemple.fr",
        PILOTIS_EMAIL_HOST_USER="pilotis",
        PILOTIS_DEFAULT_FROM_EMAIL="Pilotis <pilotis@exemple.fr>",
    )
    assert relay["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert relay["EMAIL_HOST"] == "smtp.exemple.fr"
    assert relay["EMAIL_PORT"] == "587" and relay["EMAIL_USE_TLS"] == "True"
    assert relay["EMAIL_HOST_USER"] == "pilotis"
    assert relay["DEFAULT_FROM_EMAIL"] == "Pilotis <pilotis@exemple.fr>"
    production = settings_with(tmp_path, PILOTIS_SECRET_KEY="x" * 50)
    assert production["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert production["EMAIL_HOST"] == "localhost" and production["EMAIL_PORT"] == "25"
    assert production["EMAIL_USE_TLS"] == "False"
    bad = settings_with(tmp_path, PILOTIS_DEBUG="true", PILOTIS_EMAIL_PORT="vingt-cinq")
    assert "PILOTIS_EMAIL_PORT" in bad["error"]


def test_security_settings_from_the_environment(tmp_path):
    default = settings_with(tmp_path, PILOTIS_DEBUG="true")
    assert default["AXES_FAILURE_LIMIT"] == "5" and default["AXES_COOLOFF_TIME"] == "0:15:00"
    assert default["INVITATION_DAYS"] == "7"
    assert default["SESSION_EXPIRE_AT_BROWSER_CLOSE"] == "True"
    assert default["PASSWORD_HASHERS"].startswith(
        "['django.contrib.auth.hashers.Argon2PasswordHasher', "
        "'django.contrib.auth.hashers.PBKDF2PasswordHasher'"
    )
    custom = settings_with(
        tmp_path,
        PILOTIS_DEBUG="true",
        PILOTIS_LOGIN_FAILURE_LIMIT="10",
        PILOTIS_LOGIN_COOLOFF_MINUTES="60",
        PILOTIS_INVITATION_DAYS="14",
        PILOTIS_SESSION_EXPIRE_AT_BROWSER_CLOSE="false",
    )
    assert custom["AXES_FAILURE_LIMIT"] == "10" and custom["AXES_COOLOFF_TIME"] == "1:00:00"
    assert custom["INVITATION_DAYS"] == "14"
    assert custom["SESSION_EXPIRE_AT_BROWSER_CLOSE"] == "False"
    bad = settings_with(tmp_path, PILOTIS_DEBUG="true", PILOTIS_LOGIN_FAILURE_LIMIT="0")
    assert "PILOTIS_LOGIN_FAILURE_LIMIT" in bad["error"]


def test_pbkdf2_passwords_still_work_and_are_upgraded_to_argon2(client, settings):
    from django.contrib.auth.hashers import make_password

    user = UserFactory()
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    assert login(client, user.username, PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2")
