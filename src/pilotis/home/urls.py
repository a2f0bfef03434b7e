"""URLs of the home page and of the pages every State site carries (footer links)."""

from django.urls import path

from pilotis.home import views

app_name = "home"

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibilite/", views.static_page, {"page": "accessibility"}, name="accessibility"),
    path("mentions-legales/", views.static_page, {"page": "legal"}, name="legal"),
    path(
        "donnees-personnelles/", views.static_page, {"page": "personal_data"}, name="personal_data"
    ),
    path("plan-du-site/", views.static_page, {"page": "sitemap"}, name="sitemap"),
]
