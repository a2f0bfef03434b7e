"""URLs of the plan pages and the search (the import pages are the importers' own)."""

from django.urls import path

from pilotis.plans import (
    timeline,
    views,
    views_content,
    views_data,
    views_editor,
    views_links,
    views_partners,
    views_publics,
    views_table,
)

app_name = "plans"

urlpatterns = [
    path("plans/", views.index, name="index"),
    path("recherche/", views.search, name="search"),
    # Before "plans/<slug>/" so that "nouveau" is never read as a plan identifier.
    path("plans/nouveau/", views_editor.plan_create, name="plan_create"),
    path("plans/<slug:slug>/", views.overview, name="overview"),
    path("plans/<slug:slug>/export.json", views.export_json, name="export_json"),
    path("plans/<slug:slug>/tableur.xlsx", views.export_xlsx, name="export_xlsx"),
    path("plans/<slug:slug>/rapport-import/", views.import_report, name="import_report"),
    path("plans/<slug:slug>/organisations/", views.organisations, name="organisations"),
    path(
        "plans/<slug:slug>/organisations/<slug:key>/",
        views.organisation_detail,
        name="organisation",
    ),
    path(
        "plans/<slug:slug>/organisations/<slug:key>/type-et-contact/",
        views_partners.organisation_edit,
        name="organisation_edit",
    ),
    path("plans/<slug:slug>/partenariat/", views_partners.partnership, name="partnership"),
    path("plans/<slug:slug>/publics/", views_publics.plan_publics, name="publics"),
    path(
        "plans/<slug:slug>/partenariat/matrice.xlsx",
        views_partners.matrix_xlsx,
        name="partnership_matrix",
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
    path("plans/<slug:slug>/tableau/", views_table.plan_table, name="table"),
    path("plans/<slug:slug>/calendrier/", timeline.plan_timeline, name="timeline"),
    path("plans/<slug:slug>/donnees/", views_data.plan_data, name="data"),
    path("plans/<slug:slug>/liens/", views_links.plan_links, name="links"),
    path("plans/<slug:slug>/liens/proposer/", views_links.propose, name="propose_links"),
    path("plans/<slug:slug>/liens/<int:pk>/decision/", views_links.decide, name="decide_link"),
    path(
        "plans/<slug:slug>/fiches/<str:number>/liens/ajouter/",
        views_links.add_link,
        name="add_link",
    ),
    # The plan editor (coordinators of the plan).
    path("plans/<slug:slug>/editeur/", views_editor.plan_editor, name="editor"),
    path("plans/<slug:slug>/editeur/plan/", views_editor.plan_settings, name="plan_settings"),
    path(
        "plans/<slug:slug>/editeur/sections/ajouter/", views_editor.section_add, name="section_add"
    ),
    path(
        "plans/<slug:slug>/editeur/sections/<int:pk>/modifier/",
        views_editor.section_edit,
        name="section_edit",
    ),
    path(
        "plans/<slug:slug>/editeur/sections/<int:pk>/<str:operation>/",
        views_editor.section_action,
        name="section_action",
    ),
    path("plans/<slug:slug>/editeur/fiches/ajouter/", views_editor.fiche_add, name="fiche_add"),
    path(
        "plans/<slug:slug>/editeur/fiches/<str:number>/",
        views_editor.fiche_parts,
        name="fiche_parts",
    ),
    path(
        "plans/<slug:slug>/editeur/fiches/<str:number>/supprimer/",
        views_editor.fiche_remove,
        name="fiche_remove",
    ),
    path(
        "plans/<slug:slug>/editeur/fiches/<str:number>/<str:part>/ajouter/",
        views_editor.fiche_part_add,
        name="fiche_part_add",
    ),
    path(
        "plans/<slug:slug>/editeur/fiches/<str:number>/actions/<int:pk>/modifier/",
        views_editor.action_edit,
        name="action_edit",
    ),
    path(
        "plans/<slug:slug>/editeur/fiches/<str:number>/indicateurs/<int:pk>/modifier/",
        views_editor.indicator_edit,
        name="indicator_edit",
    ),
    path(
        "plans/<slug:slug>/editeur/fiches/<str:number>/<str:part>/<int:pk>/<str:operation>/",
        views_editor.fiche_part_action,
        name="fiche_part_action",
    ),
    path(
        "plans/<slug:slug>/editeur/organisations/",
        views_editor.organisations_editor,
        name="organisations_editor",
    ),
    path(
        "plans/<slug:slug>/editeur/organisations/<slug:key>/",
        views_editor.organisation_edit,
        name="organisation_edit",
    ),
]
