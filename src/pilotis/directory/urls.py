"""URLs of the directory of resources of a plan."""

from django.urls import path

from pilotis.directory import views

app_name = "directory"

urlpatterns = [
    path("plans/<slug:slug>/repertoire/", views.index, name="index"),
    path("plans/<slug:slug>/repertoire/ajouter/", views.edit, name="add"),
    path("plans/<slug:slug>/repertoire/importer/", views.upload, name="upload"),
    path("plans/<slug:slug>/repertoire/a-verifier/", views.stale, name="stale"),
    path("plans/<slug:slug>/repertoire/facile-a-lire/", views.easy_read, name="easy_read"),
    path(
        "plans/<slug:slug>/repertoire/export.<str:fmt>",
        views.export,
        name="export",
    ),
    path("plans/<slug:slug>/repertoire/<int:pk>/", views.resource, name="resource"),
    path("plans/<slug:slug>/repertoire/<int:pk>/modifier/", views.edit, name="edit"),
    path("plans/<slug:slug>/repertoire/<int:pk>/supprimer/", views.delete, name="delete"),
    path("repertoire/verifier/<str:token>/", views.verify, name="verify"),
]
