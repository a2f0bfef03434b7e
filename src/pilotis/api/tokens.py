"""Create, recognise and revoke personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from pilotis.api.models import ApiToken

# Tells a leaked secret apart at a glance (in logs, in a repository scan) from other secrets.
TOKEN_PREFIX = "pil_"
PREFIX_LENGTH = 8
# A token's last use is written at most once a minute: a script's burst costs one write.
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(
    user: AbstractBaseUser, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Store a new token of `user`; return it with its secret, never stored nor shown again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_token(secret),
        expires_at=expires_at,
    )
    return token, secret


@dataclass(frozen=True)
class Check:
    """The outcome of presenting a secret: the token when it opens the API, else why not."""

    token: ApiToken | None
    refusal: str = ""


def check(secret: str) -> Check:
    """Recognise a presented secret; the refusal message is French, for the API's 401."""
    token = (
        ApiToken.objects.select_related("user").filter(token_hash=hash_token(secret)).first()
        if secret
        else None
    )
    if token is None:
        return Check(None, "Jeton d'API inconnu.")
    if token.is_revoked:
        return Check(None, "Ce jeton d'API a été révoqué.")
    if token.is_expired:
        return Check(None, "Ce jeton d'API a expiré.")
    if not token.user.is_active:
        return Check(None, "Le compte de ce jeton d'API est désactivé.")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return Check(token)


def revoke(token: ApiToken) -> bool:
    """Revoke the token now; False when it already was (the first revocation date is kept)."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    return bool(updated)
