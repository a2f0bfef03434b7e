"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

# Errors raised outside the API's own handlers: JSON under /api/, the HTML page elsewhere.
handler400 = "pilotis.api.errors.bad_request"
handler403 = "pilotis.api.errors.permission_denied"
handler404 = "pilotis.api.errors.page_not_found"
handler500 = "pilotis.api.errors.server_error"

urlpatterns = [
    # The admin signs in through Pilotis' own page, so the lockout and second factor apply.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="admin_login_redirect",
    ),
    path("admin/", admin.site.urls),
    path("", include("pilotis.home.urls")),
    path("", include("pilotis.accounts.urls")),
    # Before the plan pages: "plans/import/" is not a plan.
    path("", include("pilotis.importers.urls")),
    path("", include("pilotis.plans.urls")),
    path("", include("pilotis.api.urls")),
    path("", include("pilotis.followup.urls")),
    path("", include("pilotis.reports.urls")),
    path("", include("pilotis.observatory.urls")),
    path("", include("pilotis.directory.urls")),
    path("", include("pilotis.governance.urls")),
]
