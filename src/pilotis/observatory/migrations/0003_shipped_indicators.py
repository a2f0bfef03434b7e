"""The indicator dictionary shipped with Pilotis (data/indicators.json), in every database."""

import json
from importlib.resources import files

from django.db import migrations


def load(apps, schema_editor):
    Indicator = apps.get_model("observatory", "Indicator")
    names = {f.name for f in Indicator._meta.get_fields()}
    entries = json.loads(files("pilotis.observatory").joinpath("data/indicators.json").read_text())
    for position, entry in enumerate(entries):
        values = {k: v for k, v in entry.items() if k in names and k != "code"}
        Indicator.objects.update_or_create(
            code=entry["code"], defaults={**values, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("observatory", "0002_importbatch_data")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
