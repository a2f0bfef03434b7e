"""The personal API tokens page: create a token (shown once), list and revoke one's tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from pilotis.api import tokens
from pilotis.api.forms import TokenForm
from pilotis.api.models import ApiToken


def _context(request, form: TokenForm, **extra) -> dict:
    return {
        "title": "Mes jetons d'API",
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "docs_url": reverse("api:docs"),
        "breadcrumb_data": {
            "links": [{"url": reverse("accounts:account"), "title": "Mon compte"}],
            "current": "Mes jetons d'API",
        },
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, secret = tokens.create(request.user, form.cleaned_data["name"], form.expires_at())
        # Shown in this very answer and nowhere else: a redirect would need the secret kept
        # in the session, that is in the database, in clear.
        response = render(
            request,
            "api/tokens.html",
            _context(request, TokenForm(), new_token=token, secret=secret),
        )
        response["Cache-Control"] = "no-store"
        return response
    status = 400 if form.errors else 200
    return render(request, "api/tokens.html", _context(request, form), status=status)


@login_required
@require_POST
def revoke(request, pk: int):
    # Someone else's token is a 404: its existence is none of the caller's business.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if tokens.revoke(token):
        messages.success(request, f"Le jeton « {token.name} » est révoqué : il n'ouvre plus l'API.")
    else:
        messages.info(request, f"Le jeton « {token.name} » était déjà révoqué.")
    return redirect("api:tokens")
