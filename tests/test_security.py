"""Security baseline: Content-Security-Policy without inline scripts, headers, production settings
(`check --deploy` clean, secure cookies, HSTS), and no secret in the repository."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from pilotis.accounts.models import Membership, Role
from tests.factories import UserFactory, create_plan

REPO = Path(__file__).resolve().parent.parent


def directives(header: str) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.fixture
def plan(db):
    return create_plan(3)


@pytest.fixture
def coordinator(client, plan):
    user = UserFactory()
    Membership.objects.create(user=user, plan=plan, role=Role.COORDINATOR)
    client.force_login(user)
    return client


def test_csp_header_allows_no_inline_script_or_style(client, plan):
    response = client.get(f"/plans/{plan.slug}/fiches/2/")
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline script"),
    (re.compile(r"\sstyle=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "style element"),
    (re.compile(r"\son[a-z]+=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_pages_hold_nothing_the_policy_would_block(client, coordinator, plan):
    """The DSFR's scripts and styles are files: the pages work under the policy as they are."""
    pages = [
        "/",
        "/recherche/?q=sante",
        f"/plans/{plan.slug}/",
        f"/plans/{plan.slug}/fiches/2/",
        f"/plans/{plan.slug}/fiches/2/modifier/",
        f"/plans/{plan.slug}/fiches/2/historique/",
        f"/plans/{plan.slug}/organisations/",
        f"/plans/{plan.slug}/donnees/",
        f"/plans/{plan.slug}/liens/",
        "/plans/import/",
    ]
    for path in pages:
        response = coordinator.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        for pattern, what in INLINE:
            assert not pattern.search(page), f"{what} in {path}"
        # The DSFR's scripts load from our own static files.
        assert re.search(r'<script type="module"\s+src="/static/dsfr/', page), path
    coordinator.logout()
    login = coordinator.get("/comptes/login/").content.decode()
    assert not any(pattern.search(login) for pattern, _ in INLINE)


def production_env(tmp_path, **extra) -> dict[str, str]:
    # Nothing of the test run leaks in: no Pilotis variable, no relaxed async safety (which the
    # browser tests set for themselves).
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PILOTIS_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    environ.update(
        PILOTIS_DEBUG="false",
        # 50 characters, random: what `check --deploy` asks of a secret key.
        PILOTIS_SECRET_KEY=secrets.token_urlsafe(40)[:50],
        PILOTIS_ALLOWED_HOSTS="pilotis.exemple.fr",
        PILOTIS_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="pilotis.settings",
        **extra,
    )
    return environ


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pilotis", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_cookies_and_transport(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE, "
        "s.CSRF_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_PROXY_SSL_HEADER, s.DATA_UPLOAD_MAX_MEMORY_SIZE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(tmp_path, PILOTIS_MAX_UPLOAD_MB="5"),
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "True",
        "31536000",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        str(5 * 1024 * 1024),
    ]


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    environ = production_env(tmp_path)
    del environ["PILOTIS_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-m", "pilotis", "check"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode != 0 and "PILOTIS_SECRET_KEY est obligatoire" in result.stderr


def test_no_secret_in_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [p for p in tracked if p.startswith("var/") or p.endswith(("secret_key", ".env"))]
    assert "var/" in (REPO / ".gitignore").read_text().split()
    # The key comes from the environment, or is generated beside the demo database.
    settings_text = (REPO / "src/pilotis/settings.py").read_text()
    assert not re.search(r"SECRET_KEY\s*=\s*['\"]", settings_text)
