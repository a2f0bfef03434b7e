"""Pages of the COPIL cycle: decisions on a frozen campaign, its validation, and the errata."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_http_methods, require_POST


@login_required
@require_http_methods(["GET", "POST"])
def copil(request, slug, year):
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def decide(request, slug, year, number):
    raise Http404


@login_required
@require_POST
def validate(request, slug, year):
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def errata(request, slug, year):
    raise Http404
