"""URLs of the reports: a campaign's annual report and the plan's final evaluation, per format."""

from django.urls import path

from pilotis.reports import views

app_name = "reports"

urlpatterns = [
    path("plans/<slug:slug>/suivi/<int:year>/rapport/", views.annual, name="annual"),
    path(
        "plans/<slug:slug>/suivi/<int:year>/rapport/<str:fmt>/",
        views.annual_file,
        name="annual_file",
    ),
    path("plans/<slug:slug>/evaluation-finale/", views.final, name="final"),
    path(
        "plans/<slug:slug>/evaluation-finale/<str:fmt>/",
        views.final_file,
        name="final_file",
    ),
    path("rapports/preparation/<uuid:job_id>/", views.job, name="job"),
    path("rapports/preparation/<uuid:job_id>/etat/", views.job_status, name="job_status"),
    path("rapports/preparation/<uuid:job_id>/fichier/", views.job_file, name="job_file"),
    path("rapports/preparation/<uuid:job_id>/relancer/", views.job_retry, name="job_retry"),
]
