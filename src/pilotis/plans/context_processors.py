"""Template context shared by every page: what the current user may do on plans."""

from django.utils.functional import SimpleLazyObject

from pilotis.plans import perms


def plan_permissions(request) -> dict:
    # Lazy, so pages that never show the import link do not pay the group query.
    return {"can_import": SimpleLazyObject(lambda: perms.can_import(request.user))}
