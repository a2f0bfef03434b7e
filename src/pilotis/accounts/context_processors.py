"""Template context shared by every page: the account links the navigation may show."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from pilotis.accounts import roles


def _members_url(request) -> str:
    """Link to the current plan's members, for its coordinators; empty elsewhere."""
    match = request.resolver_match
    slug = (
        match.kwargs.get("slug")
        if match and match.namespace in {"plans", "accounts", "followup", "reports"}
        else None
    )
    if not slug or not roles.is_coordinator_by_slug(request.user, slug):
        return ""
    return reverse("accounts:members", args=[slug])


def account_links(request) -> dict:
    # Lazy: anonymous pages and pages outside a plan never pay for the membership query.
    return {"plan_members_url": SimpleLazyObject(lambda: _members_url(request))}
