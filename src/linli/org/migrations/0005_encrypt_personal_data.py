"""ID numbers and mobiles encrypted at rest, looked up through keyed hashes.

The columns are widened to text, the existing rows encrypted and hashed while the
columns are still plain text fields, and only then declared encrypted; the unique
constraint and the index move to the hash columns. Reversible: going back
decrypts the rows (with the keys in force) before the columns narrow again.
"""

from django.db import migrations, models

import linli.core.crypto


def encrypt_rows(apps, schema_editor):
    from linli.core.crypto import migrate_columns

    Member = apps.get_model("org", "Member")
    GuardTeamMember = apps.get_model("org", "GuardTeamMember")
    migrate_columns(
        Member, ["id_number", "phone"], {"id_number_hash": "id_number", "phone_hash": "phone"}
    )
    migrate_columns(GuardTeamMember, ["phone"], {})


def decrypt_rows(apps, schema_editor):
    from linli.core.crypto import migrate_columns

    Member = apps.get_model("org", "Member")
    GuardTeamMember = apps.get_model("org", "GuardTeamMember")
    migrate_columns(
        Member,
        ["id_number", "phone"],
        {"id_number_hash": "id_number", "phone_hash": "phone"},
        forward=False,
    )
    migrate_columns(GuardTeamMember, ["phone"], {}, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0004_member_phone_index"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="member", name="uniq_member_id_number"),
        migrations.RemoveIndex(model_name="member", name="member_phone"),
        migrations.AddField(
            model_name="member",
            name="id_number_hash",
            field=linli.core.crypto.BlindIndexField(source="id_number"),
        ),
        migrations.AddField(
            model_name="member",
            name="phone_hash",
            field=linli.core.crypto.BlindIndexField(source="phone"),
        ),
        # Wide enough for the tokens, still plain for the data step.
        migrations.AlterField(
            model_name="member",
            name="id_number",
            field=models.TextField(blank=True, verbose_name="ID card number"),
        ),
        migrations.AlterField(
            model_name="member",
            name="phone",
            field=models.TextField(blank=True, verbose_name="mobile number"),
        ),
        migrations.AlterField(
            model_name="guardteammember",
            name="phone",
            field=models.TextField(blank=True, verbose_name="mobile number"),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
        migrations.AlterField(
            model_name="member",
            name="id_number",
            field=linli.core.crypto.EncryptedCharField(
                blank=True, max_length=18, verbose_name="ID card number"
            ),
        ),
        migrations.AlterField(
            model_name="member",
            name="phone",
            field=linli.core.crypto.EncryptedCharField(
                blank=True, max_length=20, verbose_name="mobile number"
            ),
        ),
        migrations.AlterField(
            model_name="guardteammember",
            name="phone",
            field=linli.core.crypto.EncryptedCharField(
                blank=True, max_length=20, verbose_name="mobile number"
            ),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(
                condition=models.Q(("phone_hash", ""), _negated=True),
                fields=["phone_hash"],
                name="member_phone_hash",
            ),
        ),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(
                condition=models.Q(("id_number_hash", ""), _negated=True),
                fields=("id_number_hash",),
                name="uniq_member_id_number_hash",
            ),
        ),
    ]
