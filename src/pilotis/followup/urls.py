"""URLs of the yearly follow-up: a plan's campaigns, their dashboards, fiche reports, my fiches."""

from django.urls import path

from pilotis.followup import spreadsheet_views, views, views_copil
from pilotis.followup.views_weights import weights_page

app_name = "followup"

urlpatterns = [
    path("suivi/mes-fiches/", views.my_fiches, name="my_fiches"),
    path("plans/<slug:slug>/suivi/", views.campaigns, name="campaigns"),
    path("plans/<slug:slug>/suivi/<int:year>/", views.dashboard, name="dashboard"),
    path(
        "plans/<slug:slug>/suivi/<int:year>/reglages/",
        views.campaign_settings,
        name="campaign_settings",
    ),
    path("plans/<slug:slug>/suivi/<int:year>/figer/", views.freeze, name="freeze"),
    path("plans/<slug:slug>/suivi/<int:year>/rouvrir/", views_copil.unfreeze, name="unfreeze"),
    path("plans/<slug:slug>/suivi/<int:year>/copil/", views_copil.review, name="copil"),
    path(
        "plans/<slug:slug>/suivi/<int:year>/copil/valider/",
        views_copil.validate,
        name="copil_validate",
    ),
    path(
        "plans/<slug:slug>/suivi/<int:year>/copil/fiches/<str:number>/",
        views_copil.decide,
        name="copil_decision",
    ),
    path(
        "plans/<slug:slug>/suivi/<int:year>/copil/fiches/<str:number>/erratum/",
        views_copil.erratum,
        name="copil_erratum",
    ),
    path(
        "plans/<slug:slug>/suivi/<int:year>/fiches/<str:number>/",
        views.report,
        name="report",
    ),
    path(
        "plans/<slug:slug>/suivi/<int:year>/tableur/",
        spreadsheet_views.upload,
        name="spreadsheet",
    ),
    path(
        "plans/<slug:slug>/suivi/<int:year>/tableur/telecharger/",
        spreadsheet_views.download,
        name="spreadsheet_download",
    ),
    path(
        "plans/<slug:slug>/suivi/<int:year>/tableur/<str:sheet>.csv",
        spreadsheet_views.download_csv,
        name="spreadsheet_csv",
    ),
    path("plans/<slug:slug>/suivi/ponderation/", weights_page, name="weights"),
]
