"""The governance's panel on an organisation's page: the bodies it sits in."""

from __future__ import annotations

from pilotis.governance.models import BodyMember
from pilotis.plans.models import Organisation
from pilotis.plans.panels import Item, OrganisationPanel


def bodies_of(organisation: Organisation, user) -> OrganisationPanel:
    rows = BodyMember.objects.filter(organisation=organisation).select_related("body__plan")
    return OrganisationPanel(
        "Instances où elle siège",
        [Item(m.body.name, m.body.get_absolute_url()) for m in rows],
        "Elle ne siège dans aucune instance enregistrée.",
    )
