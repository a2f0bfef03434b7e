"""The footer's legal pages: thin views."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe

# The footer's pages: template and title. The accessibility level is written once, in
# home/_accessibility_level.html, which the footer and the statement both include (RGAA 4.1).
PAGES = {
    "accessibility": ("home/accessibility.html", "Déclaration d’accessibilité"),
    "legal": ("home/legal.html", "Mentions légales"),
    "personal_data": ("home/personal_data.html", "Données personnelles"),
    "sitemap": ("home/sitemap.html", "Plan du site"),
}


@require_safe
def static_page(request, page: str):
    template, title = PAGES[page]
    context = {"title": title, "breadcrumb_data": {"current": title}}
    return render(request, template, context)
