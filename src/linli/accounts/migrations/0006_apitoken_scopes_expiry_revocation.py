"""API tokens gain scopes (read, write) and revocation, and every token now expires.

Tokens issued before this had no expiry (or one set by hand); those without one get
90 days from the migration, so no client breaks on the day of the upgrade, and keep
both scopes (they could write before)."""

import datetime

import django.utils.timezone
from django.db import migrations, models

import linli.accounts.models

GRACE = datetime.timedelta(days=90)


def give_every_token_an_expiry(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True).update(
        expires_at=django.utils.timezone.now() + GRACE
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_logincode"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(
                default=linli.accounts.models.default_token_scopes, verbose_name="scopes"
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="revoked"),
        ),
        migrations.RunPython(give_every_token_an_expiry, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last used"),
        ),
    ]
