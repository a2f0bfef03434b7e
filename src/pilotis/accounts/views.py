"""Account pages: sign-in with the second factor, passwords, invitations and plan members."""

from __future__ import annotations

import logging
import smtplib

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pilotis.accounts import invitations, otp, perms, roles
from pilotis.accounts.forms import PASSWORD_HINT, InvitationForm, JoinForm, TokenForm
from pilotis.accounts.models import Invitation, Membership, Role
from pilotis.plans import perms as plan_perms
from pilotis.plans.models import Plan

logger = logging.getLogger(__name__)

# The backend that signs in an account just created from an invitation (no password check).
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _crumbs(plan: Plan, current: str) -> dict:
    title = Truncator(plan.title).chars(60)
    return {"links": [{"url": plan.get_absolute_url(), "title": title}], "current": current}


# --- Sign-in, lockout -----------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's sign-in, followed by a code for accounts that enrolled a second factor."""

    def form_valid(self, form):
        user = form.get_user()
        if otp.confirmed_device(user) is None:
            return super().form_valid(form)
        otp.start_pending_login(self.request, user, self.get_success_url())
        return redirect("accounts:login_code")


@require_http_methods(["GET", "POST"])
def login_code(request):
    """Second step of the sign-in: the code of the authenticator application."""
    pending = otp.pending_login(request)
    if pending is None:
        messages.info(request, "Votre connexion a expiré : saisissez à nouveau vos identifiants.")
        return redirect("login")
    user, backend, next_url = pending
    device = otp.confirmed_device(user)
    if device is None:
        # Second factor removed meanwhile (by an administrator): the password was enough.
        otp.clear_pending_login(request)
        auth_login(request, user, backend=backend)
        return redirect(next_url)
    credentials = {"username": user.get_username()}
    # Codes are guessed like passwords: the same lockout counts and blocks them.
    if not AxesProxyHandler.is_allowed(request, credentials):
        return lockout(request, None, credentials)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not otp.verify_is_allowed(device):
            form.add_error(
                "token", "Trop de codes erronés à la suite : patientez quelques secondes."
            )
        elif device.verify_token(form.cleaned_data["token"]):
            otp.clear_pending_login(request)
            auth_login(request, user, backend=backend)
            django_otp.login(request, device)
            return redirect(next_url)
        else:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            form.add_error(
                "token",
                "Code incorrect ou expiré : saisissez le code affiché en ce moment par "
                "l’application.",
            )
    status = 400 if form.errors else 200
    context = {"form": form, "title": "Code de vérification"}
    return render(request, "accounts/login_code.html", context, status=status)


def lockout(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE), in French."""
    context = {
        "title": "Connexion bloquée",
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(
        request, "accounts/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )


# --- My account, passwords, second factor --------------------------------------------------------


@login_required
@require_safe
def account(request):
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("plan")
        .prefetch_related("organisations")
        .order_by("plan__title", "role")
    )
    context = {
        "title": "Mon compte",
        "memberships": memberships,
        "can_use_totp": perms.can_use_totp(request.user),
        "totp_enabled": otp.confirmed_device(request.user) is not None,
        "breadcrumb_data": {"current": "Mon compte"},
    }
    return render(request, "accounts/account.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")
    extra_context = {"title": "Changer de mot de passe", "password_hint": PASSWORD_HINT}

    def form_valid(self, form):
        messages.success(self.request, "Votre mot de passe a été changé.")
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    email_template_name = "accounts/email/password_reset_body.txt"
    extra_context = {"title": "Mot de passe oublié"}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"
    extra_context = {"title": "Courriel envoyé"}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    # Not signed in afterwards: the second factor must not be skipped by a reset link.
    post_reset_login = False
    template_name = "accounts/password_reset_confirm.html"
    extra_context = {"title": "Nouveau mot de passe", "password_hint": PASSWORD_HINT}


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
    extra_context = {"title": "Mot de passe changé"}


@login_required
@require_http_methods(["GET", "POST"])
def totp(request):
    """Enrol, or turn off, the TOTP second factor."""
    if not perms.can_use_totp(request.user):
        raise PermissionDenied(
            "La double authentification est proposée aux coordinateurs et aux administrateurs."
        )
    device = otp.confirmed_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        if device is not None:
            # Turning it off asks for a code too: a borrowed open session must not suffice.
            if device.verify_token(token):
                otp.disable(request.user)
                messages.success(request, "La double authentification est désactivée.")
                return redirect("accounts:account")
        else:
            enrolling = otp.unconfirmed_device(request.user)
            if otp.confirm(enrolling, token):
                django_otp.login(request, enrolling)
                messages.success(
                    request,
                    "La double authentification est activée : chaque connexion vous demandera "
                    "désormais un code de l’application.",
                )
                return redirect("accounts:account")
        form.add_error(
            "token", "Code incorrect ou expiré : saisissez le code affiché en ce moment."
        )
    context = {
        "title": "Double authentification",
        "form": form,
        "enabled": device is not None,
        "breadcrumb_data": {
            "links": [{"url": reverse("accounts:account"), "title": "Mon compte"}],
            "current": "Double authentification",
        },
    }
    if device is None:
        enrolling = otp.unconfirmed_device(request.user)
        context["qr_svg"] = otp.qr_svg(enrolling)
        context["secret"] = otp.secret_base32(enrolling)
    return render(request, "accounts/totp.html", context, status=400 if form.errors else 200)


# --- Plan members and invitations ----------------------------------------------------------------


def _managed_plan(request, slug: str) -> Plan:
    plan = get_object_or_404(Plan, slug=slug)
    # 404 for whoever may not know the plan exists (issue 9: an unpublished plan's slug could be
    # probed through these pages), 403 for those who see it without managing it.
    plan_perms.ensure(
        perms.can_manage_members(request.user, plan),
        request.user,
        plan,
        "Seuls les coordinateurs de ce plan peuvent gérer ses membres.",
    )
    return plan


@login_required
@require_http_methods(["GET", "POST"])
def members(request, slug):
    plan = _managed_plan(request, slug)
    form = InvitationForm(plan, request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            # One transaction: an invitation whose e-mail could not leave is not kept.
            with transaction.atomic():
                invitation, token = invitations.create(
                    email=email,
                    plan=plan,
                    role=form.cleaned_data["role"],
                    organisations=form.cleaned_data["organisations"],
                    created_by=request.user,
                )
                url = request.build_absolute_uri(reverse("accounts:invitation", args=[token]))
                invitations.send(invitation, url)
        except (smtplib.SMTPException, OSError):
            logger.exception("Invitation e-mail to %s could not be sent", email)
            messages.error(
                request,
                "Le courriel d’invitation n’a pas pu être envoyé ; rien n’a été enregistré. "
                "Réessayez plus tard ou prévenez l’administrateur du site.",
            )
        else:
            messages.success(
                request,
                f"Invitation envoyée à {email}. Le lien est valable "
                f"{settings.INVITATION_DAYS} jours et ne sert qu’une fois.",
            )
            return redirect("accounts:members", plan.slug)
    context = {
        "title": f"Membres — {plan.title}",
        "plan": plan,
        "form": form,
        "memberships": plan.memberships.select_related("user").prefetch_related("organisations"),
        "pending": plan.invitations.pending()
        .select_related("created_by")
        .prefetch_related("organisations"),
        "breadcrumb_data": _crumbs(plan, "Membres"),
    }
    return render(request, "accounts/members.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def revoke_membership(request, slug, pk):
    plan = _managed_plan(request, slug)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, plan=plan)
    name = membership.user.get_full_name() or membership.user.get_username()
    coordinators = plan.memberships.filter(role=Role.COORDINATOR)
    if membership.role == Role.COORDINATOR and coordinators.count() == 1:
        messages.error(
            request,
            f"{name} est le seul coordinateur ou la seule coordinatrice du plan : invitez-en "
            "un autre avant de lui retirer ce rôle.",
        )
    else:
        membership.delete()
        roles.forget(request.user)
        messages.success(
            request, f"{name} n’est plus « {membership.get_role_display()} » dans ce plan."
        )
    return redirect("accounts:members", plan.slug)


@login_required
@require_POST
def cancel_invitation(request, slug, pk):
    plan = _managed_plan(request, slug)
    invitation = get_object_or_404(Invitation.objects.pending(), pk=pk, plan=plan)
    # Expired rather than deleted: the record of who was invited, when and by whom stays.
    invitation.expires_at = timezone.now()
    invitation.save(update_fields=["expires_at"])
    messages.success(request, f"L’invitation de {invitation.email} est annulée.")
    return redirect("accounts:members", plan.slug)


@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """The link of the e-mail: set a password (new account) or accept (existing account)."""
    found = invitations.find(token)
    if found is None:
        # The same page as any unknown address: nothing tells whether the token ever existed.
        raise Http404
    if not found.is_pending:
        return _unusable(request, found)
    existing = invitations.existing_user(found.email)
    if existing is not None:
        return _join_existing(request, found, existing)
    return _join_new(request, found)


def _unusable(request, found: Invitation) -> HttpResponse:
    context = {"title": "Invitation expirée", "accepted": found.is_accepted}
    return render(request, "accounts/invitation_unusable.html", context, status=410)


def _join_existing(request, found: Invitation, user) -> HttpResponse:
    if request.method == "POST":
        if not invitations.accept(found, user):
            return _unusable(request, found)
        if request.user.is_authenticated and request.user.pk == user.pk:
            roles.forget(request.user)
            messages.success(request, f"Vous avez rejoint « {found.plan.title} ».")
            return redirect(found.plan)
        messages.success(
            request,
            f"Invitation acceptée : vous avez rejoint « {found.plan.title} ». Connectez-vous "
            "avec votre mot de passe habituel.",
        )
        return redirect(f"{reverse('login')}?next={found.plan.get_absolute_url()}")
    context = {"title": "Rejoindre un plan", "invitation": found, "account": user}
    return render(request, "accounts/invitation_existing.html", context)


def _join_new(request, found: Invitation) -> HttpResponse:
    form = JoinForm(found.email, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
                joined = invitations.accept(found, user)
                if not joined:
                    transaction.set_rollback(True)
        except IntegrityError:
            # Another invitation to the same address created the account a moment ago.
            joined = []
        if not joined:
            return _unusable(request, found)
        auth_login(request, user, backend=_MODEL_BACKEND)
        messages.success(
            request,
            f"Bienvenue ! Votre compte est créé et vous avez rejoint « {found.plan.title} ». "
            f"Votre identifiant de connexion : {user.get_username()}",
        )
        return redirect(found.plan)
    context = {
        "title": "Créer votre compte",
        "invitation": found,
        "form": form,
        "password_hint": PASSWORD_HINT,
    }
    return render(
        request, "accounts/invitation_join.html", context, status=400 if form.errors else 200
    )
