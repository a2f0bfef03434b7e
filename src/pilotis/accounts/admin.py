"""Admin of plan memberships and of the invitations (read-only: they are sent from the site)."""

from django.contrib import admin

from pilotis.accounts.models import Invitation, Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "plan", "role", "created_at"]
    list_filter = ["role", "plan"]
    search_fields = ["user__username", "user__email", "user__last_name", "plan__title"]
    list_select_related = ["user", "plan"]
    raw_id_fields = ["user", "plan"]
    filter_horizontal = ["organisations"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "plan",
        "role",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_at",
    ]
    list_filter = ["role", "plan"]
    search_fields = ["email", "plan__title"]
    list_select_related = ["plan", "created_by"]
    readonly_fields = [f.name for f in Invitation._meta.fields] + ["organisations"]

    def has_add_permission(self, request) -> bool:
        # An invitation made here would have no e-mail and no token: invite from the members page.
        return False
