"""Invitations by e-mail: create with a secret token, find by that token, accept, send."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from pilotis.accounts import roles
from pilotis.accounts.models import Invitation, Membership
from pilotis.plans.models import Organisation, Plan


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    *,
    email: str,
    plan: Plan,
    role: str,
    organisations: Iterable[Organisation],
    created_by: AbstractBaseUser | None,
) -> tuple[Invitation, str]:
    """Store a new invitation; return it with its token, which is never stored nor shown again."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        email=email.strip(),
        plan=plan,
        role=role,
        token_hash=hash_token(token),
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_DAYS),
    )
    invitation.organisations.set([o for o in organisations if o.plan_id == plan.pk])
    return invitation, token


def find(token: str) -> Invitation | None:
    """The invitation of this token, whatever its state; None for a token never issued."""
    return (
        Invitation.objects.select_related("plan", "created_by")
        .filter(token_hash=hash_token(token))
        .first()
    )


def existing_user(email: str) -> AbstractBaseUser | None:
    """The account already using this address (the oldest, should several share it).

    An account named after the address counts too: invited accounts take it as their username.
    """
    email = email.strip()
    return (
        get_user_model()
        .objects.filter(Q(email__iexact=email) | Q(username__iexact=email))
        .order_by("pk")
        .first()
    )


@transaction.atomic
def accept(invitation: Invitation, user: AbstractBaseUser) -> list[Membership]:
    """Give `user` the memberships of every pending invitation sent to the same address.

    The link proves the address belongs to the user, so invitations to other plans or roles sent
    to it meanwhile are honoured at once rather than leaving dead links in the mailbox. Returns
    an empty list when the invitation was used or expired meanwhile (a double submission).
    """
    locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).pending().first()
    if locked is None:
        return []
    batch = list(
        Invitation.objects.select_for_update()
        .filter(email__iexact=invitation.email)
        .pending()
        .select_related("plan")
        .prefetch_related("organisations")
        .order_by("pk")
    )
    now = timezone.now()
    memberships = []
    for item in batch:
        memberships.append(roles.grant(user, item.plan, item.role, item.organisations.all()))
        item.accepted_at = now
        item.accepted_by = user
        item.save(update_fields=["accepted_at", "accepted_by"])
    return memberships


def send(invitation: Invitation, accept_url: str) -> None:
    """E-mail the link; raises the SMTP backend's error when the message cannot be sent."""
    context = {
        "invitation": invitation,
        "url": accept_url,
        "inviter": invitation.created_by,
        # Names, not objects: the join filter needs strings where autoescaping is off.
        "organisations": [str(o) for o in invitation.organisations.all()],
        "days": settings.INVITATION_DAYS,
        "account_exists": existing_user(invitation.email) is not None,
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context)
    body = render_to_string("accounts/email/invitation_body.txt", context)
    EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        to=[invitation.email],
    ).send()
