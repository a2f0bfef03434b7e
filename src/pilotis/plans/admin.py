"""Admin of the plan content, with its history; deletions others depend on are refused in French."""

from django.contrib import admin, messages
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from pilotis.plans.models import Fiche, Organisation, Plan, Section


def refusal(obj_label: str, exc: ProtectedError | RestrictedError) -> str:
    """French message for a deletion the database rules refuse, naming what depends on it."""
    blocking = sorted({str(o) for o in exc.args[1]})
    shown = " ; ".join(blocking[:5]) + (" …" if len(blocking) > 5 else "")
    return (
        f"Suppression impossible : d’autres données renvoient à {obj_label} ({shown}). "
        "Retirez-les d’abord, ou supprimez le plan entier."
    )


class RefusedDeletionAdmin(SimpleHistoryAdmin):
    """Turns a ProtectedError or RestrictedError into a message instead of a server error.

    The admin's confirmation page already lists protected objects and refuses; this covers the
    case where a dependent row appears between that page and the confirmation.
    """

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except (ProtectedError, RestrictedError) as exc:
            obj = self.get_object(request, object_id)
            self.message_user(request, refusal(f"« {obj} »", exc), messages.ERROR)
            return HttpResponseRedirect(request.path.rsplit("delete/", 1)[0])

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except (ProtectedError, RestrictedError) as exc:
            self.message_user(request, refusal("ces éléments", exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Plan)
class PlanAdmin(RefusedDeletionAdmin):
    list_display = ["title", "kind", "published", "published_at", "imported_at"]
    list_filter = ["kind", "published"]
    search_fields = ["title", "slug"]
    readonly_fields = ["published_at", "published_by", "imported_at", "source_sha256"]
    raw_id_fields = ["perimeter"]


@admin.register(Section)
class SectionAdmin(RefusedDeletionAdmin):
    list_display = ["__str__", "plan", "depth"]
    list_filter = ["plan"]
    search_fields = ["title", "number"]
    raw_id_fields = ["plan", "parent"]


@admin.register(Organisation)
class OrganisationAdmin(RefusedDeletionAdmin):
    list_display = ["name", "acronym", "plan"]
    list_filter = ["plan"]
    search_fields = ["name", "acronym", "key"]
    raw_id_fields = ["plan"]


@admin.register(Fiche)
class FicheAdmin(RefusedDeletionAdmin):
    list_display = ["number", "title", "plan", "version"]
    list_filter = ["plan"]
    search_fields = ["title", "number"]
    raw_id_fields = ["plan", "section"]
    readonly_fields = ["version"]
    exclude = ["linked_fiches"]

    def save_model(self, request, obj, form, change):
        if change:
            # An edit form opened before this change must be refused, as after any other change.
            obj.version += 1
        super().save_model(request, obj, form, change)
