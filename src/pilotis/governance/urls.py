"""URLs of a plan's bodies, meetings and decisions."""

from django.urls import path

from pilotis.governance import views

app_name = "governance"

urlpatterns = [
    path("plans/<slug:slug>/instances/", views.bodies, name="bodies"),
    path("plans/<slug:slug>/instances/ajouter/", views.body_edit, name="body_add"),
    path("plans/<slug:slug>/instances/<int:pk>/", views.body, name="body"),
    path("plans/<slug:slug>/instances/<int:pk>/modifier/", views.body_edit, name="body_edit"),
    path(
        "plans/<slug:slug>/instances/<int:body_pk>/reunions/ajouter/",
        views.meeting_edit,
        name="meeting_add",
    ),
    path(
        "plans/<slug:slug>/membres-instances/<int:pk>/retirer/",
        views.member_remove,
        name="member_remove",
    ),
    path("plans/<slug:slug>/reunions.ics", views.feed, name="feed"),
    path("plans/<slug:slug>/reunions/<int:pk>/", views.meeting, name="meeting"),
    path("plans/<slug:slug>/reunions/<int:pk>/modifier/", views.meeting_edit, name="meeting_edit"),
    path("plans/<slug:slug>/reunions/<int:pk>/emargement/", views.attendance, name="attendance"),
    path(
        "plans/<slug:slug>/reunions/<int:pk>/feuille-emargement/",
        views.attendance_sheet,
        name="attendance_sheet",
    ),
    path("plans/<slug:slug>/reunions/<int:pk>/decisions/", views.decision_add, name="decision_add"),
    path(
        "plans/<slug:slug>/reunions/<int:pk>/pieces/", views.attachment_add, name="attachment_add"
    ),
    path(
        "plans/<slug:slug>/reunions/<int:pk>/pieces/<int:attachment_pk>/",
        views.attachment,
        name="attachment",
    ),
    path("plans/<slug:slug>/reunions/<int:pk>/inviter/", views.invite, name="invite"),
    path("plans/<slug:slug>/decisions/", views.decisions, name="decisions"),
    path("plans/<slug:slug>/avenants/", views.amendment_list, name="amendments"),
    path("plans/<slug:slug>/avenants/fusion/", views.merge, name="merge"),
    path("plans/<slug:slug>/versions/", views.plan_versions, name="versions"),
]
