"""URLs of the account pages (sign-in, passwords, second factor, invitation) and of plan members."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from pilotis.accounts import views

# Not namespaced: django.contrib.auth's views and LOGIN_URL reverse these very names.
auth_patterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/", views.PasswordChangeView.as_view(), name="password_change"),
    path("mot-de-passe-oublie/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe-oublie/envoye/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reinitialisation/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reinitialisation/terminee/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

account_patterns = [
    path("comptes/", views.account, name="account"),
    path("comptes/connexion/code/", views.login_code, name="login_code"),
    path("comptes/double-authentification/", views.totp, name="totp"),
    path("comptes/invitation/<str:token>/", views.invitation, name="invitation"),
    path("plans/<slug:slug>/membres/", views.members, name="members"),
    path(
        "plans/<slug:slug>/membres/<int:pk>/retirer/",
        views.revoke_membership,
        name="revoke_membership",
    ),
    path(
        "plans/<slug:slug>/membres/invitations/<int:pk>/annuler/",
        views.cancel_invitation,
        name="cancel_invitation",
    ),
]

urlpatterns = [
    path("comptes/", include(auth_patterns)),
    path("", include((account_patterns, "accounts"))),
]
