"""URLs of the import pages."""

from django.urls import path

from pilotis.importers import views

app_name = "importers"

urlpatterns = [
    # Included before the plan pages, so that "import" is never read as a plan identifier.
    path("plans/import/", views.import_document, name="import"),
    path("plans/import/modele.xlsx", views.blank_spreadsheet, name="blank_spreadsheet"),
    path("plans/import/tache/<uuid:job_id>/", views.job, name="job"),
]
