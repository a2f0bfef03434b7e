from django.urls import path

from pilotis.observatory import views

app_name = "observatory"

urlpatterns = [
    path("observatoire/", views.index, name="index"),
    path("observatoire/import/", views.import_file, name="import"),
    path("observatoire/import/<int:pk>/", views.import_batch, name="import_batch"),
    path("observatoire/indicateurs/<slug:code>/", views.indicator, name="indicator"),
    path(
        "observatoire/indicateurs/<slug:code>/donnees.<str:fmt>",
        views.download,
        name="download",
    ),
    path("observatoire/territoires/<str:level>/<str:code>/", views.territory, name="territory"),
    path("plans/<slug:slug>/territoire/", views.plan_territory, name="plan_territory"),
    path("plans/<slug:slug>/territoire/perimetre/", views.plan_perimeter, name="plan_perimeter"),
    path("plans/<slug:slug>/territoire/indicateurs/", views.plan_ties, name="plan_ties"),
]
