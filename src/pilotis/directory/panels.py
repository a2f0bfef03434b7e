"""The directory's panel on an organisation's page: the resources it runs."""

from __future__ import annotations

from pilotis.directory.models import Resource
from pilotis.plans.models import Organisation
from pilotis.plans.panels import Item, OrganisationPanel


def resources_run_by(organisation: Organisation, user) -> OrganisationPanel:
    rows = Resource.objects.filter(organisation=organisation).only("pk", "name", "plan")
    return OrganisationPanel(
        "Ressources du répertoire qu’elle porte",
        [Item(r.name, r.get_absolute_url()) for r in rows.select_related("plan")],
        "Aucune ressource du répertoire n’est rattachée à cette organisation.",
    )
