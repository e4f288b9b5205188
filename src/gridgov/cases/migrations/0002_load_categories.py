from django.db import migrations


def load(apps, schema_editor):
    from gridgov.cases.services.categories import categories_load

    categories_load(model=apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
