"""The defects a new user met in Chromium (issue 13), checked in a real browser, with axe-core."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from pilotis.accounts.models import Role
from pilotis.followup import services
from tests.followup.conftest import build_carcassonne, member

# A button whose text is clipped: DSFR turns an icon button into an icon-only square (40 px,
# overflow hidden) unless its group says where the icon goes.
CLIPPED_BUTTONS = """() => [...document.querySelectorAll('main .fr-btn')]
    .filter(b => b.textContent.trim() && b.scrollWidth > b.clientWidth + 1)
    .map(b => b.textContent.trim())"""


def _coordinator_with_campaign():
    plan = build_carcassonne()
    coordinator = member(plan, Role.COORDINATOR, first_name="Claire", last_name="Coordinatrice")
    deadline = timezone.localdate() + timedelta(days=30)
    campaign = services.open_campaign(plan, 1, deadline, opened_by=coordinator)
    return plan, coordinator, campaign


def test_campaign_buttons_show_their_text_and_pages_pass_axe(browser):
    plan, coordinator, campaign = _coordinator_with_campaign()
    browser.login(coordinator)

    page = browser.open(f"/plans/{plan.slug}/suivi/{campaign.year}/")
    freeze = page.get_by_role("button", name="Figer la campagne de l’année 1 (2024)")
    assert freeze.bounding_box()["width"] > 200
    assert page.evaluate(CLIPPED_BUTTONS) == []
    assert browser.axe_violations() == []

    page = browser.open(f"/plans/{plan.slug}/suivi/{campaign.year}/fiches/2/")
    assert page.get_by_role("button", name="Valider", exact=True).bounding_box()["width"] > 60
    assert page.evaluate(CLIPPED_BUTTONS) == []

    # The history button's icon is one the shipped DSFR draws (a missing one is a filled square).
    page = browser.open(f"/plans/{plan.slug}/fiches/2/")
    history = page.get_by_role("link", name="Historique des modifications")
    mask = history.evaluate("a => getComputedStyle(a, '::before').maskImage")
    assert mask.startswith("url("), mask
    assert page.evaluate(CLIPPED_BUTTONS) == []
    assert browser.axe_violations() == []


def test_footer_pages_and_api_documentation_pass_axe(browser):
    page = browser.open("/")
    footer = page.locator("footer")
    for name in ("Accessibilité : non conforme", "Mentions légales", "Données personnelles"):
        assert footer.get_by_role("link", name=name).is_visible()
    for path in ("/accessibilite/", "/mentions-legales/", "/donnees-personnelles/", "/api/v1/docs"):
        browser.open(path)
        assert browser.axe_violations() == [], path
    assert page.locator("html").get_attribute("lang") == "fr"


def test_deadline_grid_scrolls_with_the_keyboard_on_a_phone(browser):
    plan, coordinator, _ = _coordinator_with_campaign()
    browser.login(coordinator)
    browser.page.set_viewport_size({"width": 375, "height": 800})
    page = browser.open(f"/plans/{plan.slug}/fiches/2/")
    grid = page.get_by_role("region", name="Actions et années d’échéance (défilement horizontal)")
    assert grid.evaluate("e => e.scrollWidth > e.clientWidth")  # it does scroll sideways
    text_cell = page.locator("td.pilotis-action-text").first
    assert text_cell.bounding_box()["width"] >= 250  # the action's text is not squeezed
    grid.focus()
    assert grid.evaluate("e => document.activeElement === e")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")
    assert browser.axe_violations() == []


def test_members_page_organisation_picker_is_searchable(browser):
    plan, coordinator, _ = _coordinator_with_campaign()
    browser.login(coordinator)
    page = browser.open(f"/plans/{plan.slug}/membres/")
    choices = page.locator("#id_organisations .fr-checkbox-group")
    assert choices.count() == 5
    page.get_by_label("Chercher une organisation").fill("allocations aude")
    shown = [c.inner_text().strip() for c in choices.all() if c.is_visible()]
    assert shown == ["Caisse d'allocations familiales de l'Aude (CAF)"], shown
    assert page.get_by_text("1 sur 5 affichées").is_visible()
    assert browser.axe_violations() == []
