"""Template tags of the follow-up spreadsheets: download and upload links for who may use them."""

from django import template

from pilotis.followup import perms

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("followup/_spreadsheet_links.html", takes_context=True)
def spreadsheet_links(context, campaign) -> dict:
    """The campaign's « Tableur » buttons: coordinators and pilots only."""
    user = _user(context)
    return {
        "campaign": campaign,
        "shown": perms.can_use_spreadsheet(user, campaign),
        "can_upload": perms.can_upload_spreadsheet(user, campaign),
    }


@register.inclusion_tag("followup/_my_spreadsheets.html", takes_context=True)
def my_spreadsheets(context, *todo_lists) -> dict:
    """One spreadsheet per campaign of « Mes fiches à suivre »: the pilot's fiches in each."""
    user = _user(context)
    campaigns = {}
    for todos in todo_lists:
        for todo in todos:
            campaigns.setdefault(todo.campaign.pk, todo.campaign)
    return {"campaigns": [c for c in campaigns.values() if perms.can_use_spreadsheet(user, c)]}
