# The code columns of the registers compare as bytes on PostgreSQL (core.fields.CodeField):
# their unique and lookup indexes build twice as fast in a bulk load, and LIKE prefix uses them.


import gridgov.core.fields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_lean_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="address",
            name="key",
            field=gridgov.core.fields.CodeField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="organization",
            name="phone_index",
            field=gridgov.core.fields.CodeField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="resident",
            name="household_no",
            field=gridgov.core.fields.CodeField(blank=True, max_length=32, verbose_name="户号"),
        ),
        migrations.AlterField(
            model_name="resident",
            name="id_number_index",
            field=gridgov.core.fields.CodeField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="resident",
            name="phone_index",
            field=gridgov.core.fields.CodeField(blank=True, editable=False, max_length=64),
        ),
    ]
