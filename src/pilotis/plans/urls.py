"""URLs of the plan pages and the search (the import pages are the importers' own)."""

from django.urls import path

from pilotis.plans import views, views_content, views_data, views_links

app_name = "plans"

urlpatterns = [
    path("", views.index, name="index"),
    path("recherche/", views.search, name="search"),
    path("plans/<slug:slug>/", views.overview, name="overview"),
    path("plans/<slug:slug>/export.json", views.export_json, name="export_json"),
    path("plans/<slug:slug>/rapport-import/", views.import_report, name="import_report"),
    path("plans/<slug:slug>/organisations/", views.organisations, name="organisations"),
    path(
        "plans/<slug:slug>/organisations/<slug:key>/",
        views.organisation_detail,
        name="organisation",
    ),
    path("plans/<slug:slug>/publication/", views_content.publication, name="publication"),
    path("plans/<slug:slug>/fiches/<str:number>/", views.fiche_detail, name="fiche"),
    path(
        "plans/<slug:slug>/fiches/<str:number>/modifier/",
        views_content.fiche_edit,
        name="fiche_edit",
    ),
    path(
        "plans/<slug:slug>/fiches/<str:number>/historique/",
        views_content.fiche_history,
        name="fiche_history",
    ),
    path(
        "plans/<slug:slug>/fiches/<str:number>/historique/<int:history_id>/restaurer/",
        views_content.fiche_restore,
        name="fiche_restore",
    ),
    path("plans/<slug:slug>/donnees/", views_data.plan_data, name="data"),
    path("plans/<slug:slug>/liens/", views_links.plan_links, name="links"),
    path("plans/<slug:slug>/liens/proposer/", views_links.propose, name="propose_links"),
    path("plans/<slug:slug>/liens/<int:pk>/decision/", views_links.decide, name="decide_link"),
    path(
        "plans/<slug:slug>/fiches/<str:number>/liens/ajouter/",
        views_links.add_link,
        name="add_link",
    ),
]
