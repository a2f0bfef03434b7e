"""Background jobs in the admin: read only, to see what ran, for whom, and why one failed."""

from django.contrib import admin

from pilotis.core.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "progress", "requested_by", "created_at", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("title", "error")
    readonly_fields = [field.name for field in Job._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
