"""Template tags of the reports: the report links a campaign's dashboard shows to its readers."""

from django import template
from django.urls import reverse

from pilotis.reports import perms

register = template.Library()

FORMATS = (("pdf", "PDF"), ("docx", "DOCX modifiable"), ("xlsx", "Données XLSX"))


@register.inclusion_tag("reports/_campaign_links.html", takes_context=True)
def campaign_reports(context, plan, campaign) -> dict:
    """The annual report of `campaign` (page and downloads) and the final evaluation."""
    request = context.get("request")
    user = getattr(request, "user", None)
    shown = perms.can_view_reports(user, plan)
    return {
        "shown": shown,
        "campaign": campaign,
        "page_url": reverse("reports:annual", args=[plan.slug, campaign.year]) if shown else "",
        "files": [
            (label, fmt, reverse("reports:annual_file", args=[plan.slug, campaign.year, fmt]))
            for fmt, label in FORMATS
        ]
        if shown
        else [],
        "final_url": reverse("reports:final", args=[plan.slug]) if shown else "",
    }
