"""The outbox's recipient addresses (mobiles, e-mail addresses, webhook URLs)
encrypted at rest, with a keyed hash to find a number's messages (the development
inbox). The steps are those of org 0005. Reversible: going back decrypts the rows
(with the keys in force) before the column narrows again."""

from django.db import migrations, models

import linli.core.crypto


def encrypt_rows(apps, schema_editor):
    from linli.core.crypto import migrate_columns

    migrate_columns(apps.get_model("notify", "Outbox"), ["address"], {"address_hash": "address"})


def decrypt_rows(apps, schema_editor):
    from linli.core.crypto import migrate_columns

    migrate_columns(
        apps.get_model("notify", "Outbox"), ["address"], {"address_hash": "address"}, forward=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outbox",
            name="address_hash",
            field=linli.core.crypto.BlindIndexField(source="address"),
        ),
        # Wide enough for the tokens, still plain for the data step.
        migrations.AlterField(
            model_name="outbox",
            name="address",
            field=models.TextField(blank=True, verbose_name="address"),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
        migrations.AlterField(
            model_name="outbox",
            name="address",
            field=linli.core.crypto.EncryptedCharField(
                blank=True, max_length=500, verbose_name="address"
            ),
        ),
    ]
