"""Who may do what on plans: the one place permission rules live, used by views and templates."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from pilotis.accounts import roles

# Kept for accounts created before plan memberships existed (and by `seed_demo`).
COORDINATORS_GROUP = "coordinateurs"
_GROUP_CACHE_ATTR = "_pilotis_in_coordinators_group"


def can_import(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Importing a document creates or replaces a whole plan: coordinators and superusers only.

    A coordinator of any plan may import; so may the members of the legacy group.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if roles.is_administrator(user) or roles.coordinates_any_plan(user):
        return True
    # Cached on the user object (one per request): the menu asks on every page, views again.
    cached = getattr(user, _GROUP_CACHE_ATTR, None)
    if cached is None:
        cached = user.groups.filter(name=COORDINATORS_GROUP).exists()
        setattr(user, _GROUP_CACHE_ATTR, cached)
    return cached


def can_edit_links(user: AbstractBaseUser | AnonymousUser | None, plan) -> bool:
    """Proposing, accepting, rejecting or adding links between plans: the same people as for
    imports (coordinators, superusers). `plan` is the plan whose page the user acts from."""
    return can_import(user)
