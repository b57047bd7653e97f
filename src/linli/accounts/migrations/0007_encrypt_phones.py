"""Accounts' mobiles (the login) encrypted at rest, found and kept unique through a
keyed hash; login codes keep only the keyed hash of their number.

The steps are those of org 0005: the login column widened to text (its unique
constraint goes), the rows normalised, encrypted and hashed while the column is still
a plain text field, then the column declared encrypted and the hash made unique.

Reversible for accounts: going back decrypts the numbers (with the keys in force)
before the column narrows and is unique again. One-way for login codes: their numbers
do not come back (a code lives ten minutes; the ones left behind are unusable).
"""

from django.db import migrations, models

import linli.core.crypto


def encrypt_rows(apps, schema_editor):
    from linli.accounts.models import login_phone
    from linli.core.crypto import blind_index, migrate_columns

    User = apps.get_model("accounts", "User")
    LoginCode = apps.get_model("accounts", "LoginCode")
    # What the manager looks logins up by (`UserManager.get_by_natural_key`): the 11
    # digits of a mobile, so "+86 138…" stored by hand is found as "138…".
    for pk, phone in User.objects.values_list("pk", "phone").iterator():
        if login_phone(phone) != phone:
            User.objects.filter(pk=pk).update(phone=login_phone(phone))
    migrate_columns(User, ["phone"], {"phone_hash": "phone"})
    for pk, phone in LoginCode.objects.values_list("pk", "phone").iterator():
        LoginCode.objects.filter(pk=pk).update(phone_hash=blind_index(phone))


def decrypt_rows(apps, schema_editor):
    from linli.core.crypto import migrate_columns

    User = apps.get_model("accounts", "User")
    migrate_columns(User, ["phone"], {"phone_hash": "phone"}, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_apitoken_scopes_expiry_revocation"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="phone_hash",
            field=linli.core.crypto.BlindIndexField(source="phone"),
        ),
        migrations.AddField(
            model_name="logincode",
            name="phone_hash",
            field=models.CharField(db_index=True, default="", max_length=64),
            preserve_default=False,
        ),
        # Wide enough for the tokens, still plain for the data step; no longer unique.
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=models.TextField(verbose_name="mobile number"),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
        # A default, so that going back can add the column again to existing rows.
        migrations.AlterField(
            model_name="logincode",
            name="phone",
            field=models.CharField(db_index=True, default="", max_length=20),
        ),
        migrations.RemoveField(model_name="logincode", name="phone"),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=linli.core.crypto.EncryptedCharField(
                max_length=20, verbose_name="mobile number"
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone_hash",
            field=linli.core.crypto.BlindIndexField(source="phone", unique=True),
        ),
    ]
