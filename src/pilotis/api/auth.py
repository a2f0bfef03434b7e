"""Who is calling: a personal token (Authorization: Bearer …), else the session, else nobody."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from pilotis.api import tokens


class BearerToken(HttpBearer):
    """A personal API token; a presented but unusable token is a 401, never a fall-back."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if not header:
            return None
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != self.openapi_scheme or not secret.strip():
            raise AuthenticationError(
                401, "En-tête Authorization attendu sous la forme « Bearer <jeton> »."
            )
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = tokens.check(token)
        if found.token is None:
            raise AuthenticationError(401, found.refusal)
        # The perms modules read request.user, as in the pages: the token's owner acts.
        request.user = found.token.user
        request.api_token = found.token
        return found.token.user


class SessionCookie(APIKeyCookie):
    """The signed-in browser session, for same-site pages; writes need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        # A cookie is sent by the browser on any site's request: a write must prove it comes
        # from Pilotis' own pages (safe methods pass the check untouched).
        if check_csrf(request) is not None:
            raise HttpError(
                403,
                "Jeton CSRF manquant ou invalide : envoyez l'en-tête X-CSRFToken avec une "
                "requête de session.",
            )
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover
        return None  # __call__ decides; kept because APIKeyCookie declares it abstract.


def anonymous(request: HttpRequest) -> Any:
    """Nobody signed in: reads go on with the public's rights."""
    user = getattr(request, "user", None)
    return user if user is not None else AnonymousUser()


# Reads are open to everybody (the rights filter what they see); writes need someone.
READ_AUTH = [BearerToken(), SessionCookie(), anonymous]
WRITE_AUTH = [BearerToken(), SessionCookie()]
