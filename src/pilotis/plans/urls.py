from django.urls import path

from pilotis.plans import views

app_name = "plans"

urlpatterns = [
    path("", views.index, name="index"),
]
