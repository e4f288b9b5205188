"""Ships the key-person and care categories and the default visit-frequency table as data."""

from __future__ import annotations

from django.db import migrations


def load(apps, schema_editor):
    from gridgov.registry.services.categories import categories_load

    names = ("KeyPersonCategory", "VisitFrequency", "CareCategory")
    categories_load({name: apps.get_model("registry", name) for name in names})


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
