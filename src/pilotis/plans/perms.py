"""Who may do what on plans: the one place permission rules live, used by views and templates."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

COORDINATORS_GROUP = "coordinateurs"


def can_import(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Importing a document creates or replaces a whole plan: coordinators and superusers only."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=COORDINATORS_GROUP).exists()


def can_edit_links(user: AbstractBaseUser | AnonymousUser | None, plan) -> bool:
    """Proposing, accepting, rejecting or adding links between plans: the same people as for
    imports (coordinators, superusers). `plan` is the plan whose page the user acts from."""
    return can_import(user)
