"""Who may manage accounts: plan members, invitations and the second factor."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django_otp.plugins.otp_totp.models import TOTPDevice

from pilotis.accounts import roles
from pilotis.plans import perms as plan_perms
from pilotis.plans.models import Plan

User = AbstractBaseUser | AnonymousUser | None


def can_manage_members(user: User, plan: Plan | int) -> bool:
    """Invite, list and revoke the members of a plan: its coordinators and the administrators."""
    return roles.is_coordinator(user, plan)


def can_use_totp(user: User) -> bool:
    """The TOTP second factor is offered to administrators and coordinators (of any plan).

    Whoever already has one keeps access to the page, so that it can still be turned off after
    losing the coordinator role.
    """
    if plan_perms.can_import(user):
        return True
    return (
        user is not None and user.is_authenticated and TOTPDevice.objects.filter(user=user).exists()
    )
