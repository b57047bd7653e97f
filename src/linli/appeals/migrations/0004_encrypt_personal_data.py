"""Reporters' and dispute parties' mobiles encrypted at rest; one-time codes keep
only the keyed hash of the number (see org 0005 for the order of the steps).
Reversible, except that the codes' numbers do not come back (they expire in
minutes anyway)."""

from django.db import migrations, models

import linli.core.crypto


def encrypt_rows(apps, schema_editor):
    from linli.core.crypto import blind_index, migrate_columns

    Appeal = apps.get_model("appeals", "Appeal")
    DisputeParty = apps.get_model("appeals", "DisputeParty")
    PhoneCode = apps.get_model("appeals", "PhoneCode")
    migrate_columns(Appeal, ["reporter_phone"], {"reporter_phone_hash": "reporter_phone"})
    migrate_columns(DisputeParty, ["phone"], {})
    for code in PhoneCode.objects.all().only("pk", "phone"):
        PhoneCode.objects.filter(pk=code.pk).update(phone_hash=blind_index(code.phone))


def decrypt_rows(apps, schema_editor):
    from linli.core.crypto import migrate_columns

    Appeal = apps.get_model("appeals", "Appeal")
    DisputeParty = apps.get_model("appeals", "DisputeParty")
    migrate_columns(
        Appeal, ["reporter_phone"], {"reporter_phone_hash": "reporter_phone"}, forward=False
    )
    migrate_columns(DisputeParty, ["phone"], {}, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0003_event_department"),
        ("org", "0005_encrypt_personal_data"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="appeal", name="appeal_phone"),
        migrations.AddField(
            model_name="appeal",
            name="reporter_phone_hash",
            field=linli.core.crypto.BlindIndexField(source="reporter_phone"),
        ),
        migrations.AddField(
            model_name="phonecode",
            name="phone_hash",
            field=models.CharField(db_index=True, default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="appeal",
            name="reporter_phone",
            field=models.TextField(blank=True, verbose_name="reporter's mobile"),
        ),
        migrations.AlterField(
            model_name="disputeparty",
            name="phone",
            field=models.TextField(blank=True, verbose_name="mobile number"),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
        migrations.RemoveField(model_name="phonecode", name="phone"),
        migrations.AlterField(
            model_name="appeal",
            name="reporter_phone",
            field=linli.core.crypto.EncryptedCharField(
                blank=True, max_length=20, verbose_name="reporter's mobile"
            ),
        ),
        migrations.AlterField(
            model_name="disputeparty",
            name="phone",
            field=linli.core.crypto.EncryptedCharField(
                blank=True, max_length=20, verbose_name="mobile number"
            ),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(fields=["reporter_phone_hash"], name="appeal_phone_hash"),
        ),
    ]
