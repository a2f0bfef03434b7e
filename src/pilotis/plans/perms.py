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
