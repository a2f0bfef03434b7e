"""Site-wide template context: the DSFR site configuration, without a database query per page."""

from types import SimpleNamespace

# django-dsfr's own context processor reads its DsfrConfig table twice on every page when the table
# is empty; Pilotis' header and footer are fixed, so a constant does the same job at no cost.
_SITE_CONFIG = SimpleNamespace(
    site_title="Pilotis",
    site_tagline="Piloter un contrat local de santé",
    header_brand_html="république<br>française",
    footer_brand="république française",
    footer_brand_html="république<br>française",
    footer_description="",
    beta_tag=False,
    mourning=False,
    notice_title="",
    notice_description="",
    notice_link="",
    notice_type="info",
    notice_icon_class="",
    notice_is_collapsible=False,
    operator_logo_file=None,
    operator_logo_alt="",
    operator_logo_width=0,
    accessibility_status="NOT",
)


def site_config(request) -> dict:
    return {"SITE_CONFIG": _SITE_CONFIG}
