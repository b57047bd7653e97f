from django.db import migrations, models
from django.db.models import Count, F

LEVELS = ["group", "village", "town", "city"]


def _higher(a, b):
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    return a if rank.get(a or "", -1) >= rank.get(b or "", -1) else b


def backfill(apps, schema_editor):
    """What the honest rates read, from the timeline that exists (`docs/appeals.md`,
    "How the rates are counted")."""
    Appeal = apps.get_model("appeals", "Appeal")
    AppealEvent = apps.get_model("appeals", "AppealEvent")

    # The highest level each appeal has been at: where it was filed, where it was
    # escalated to, where it is or was resolved.
    Appeal.objects.update(reached_level=F("level"))
    reached: dict[int, str] = {}
    for pk, level, resolved_level in Appeal.objects.values_list(
        "pk", "level", "resolved_level"
    ).iterator():
        reached[pk] = _higher(level, resolved_level)
    for appeal_id, action, level, data in (
        AppealEvent.objects.filter(action__in=["file", "escalate"])
        .values_list("appeal_id", "action", "level", "data")
        .iterator()
    ):
        to = (data or {}).get("to_level", "") if action == "escalate" else level
        reached[appeal_id] = _higher(reached.get(appeal_id, ""), to)
    for pk, level in reached.items():
        Appeal.objects.filter(pk=pk).exclude(reached_level=level).update(reached_level=level)

    # Resolved more than once: reopened in between, so not resolved on time.
    again = (
        AppealEvent.objects.filter(action="resolve")
        .values("appeal_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values("appeal_id")
    )
    Appeal.objects.filter(pk__in=again).update(resolved_on_time=False)

    # A rating kept on the appeal with no rating event (set by hand or by an import):
    # record it, so the rates that count rating events see it.
    rated = AppealEvent.objects.filter(action="rate").values("appeal_id")
    for a in (
        Appeal.objects.filter(rating__isnull=False)
        .exclude(pk__in=rated)
        .only("pk", "closed_at", "updated_at", "status", "level", "unit_id", "rating")
        .iterator()
    ):
        AppealEvent.objects.create(
            appeal_id=a.pk,
            action="rate",
            at=a.closed_at or a.updated_at,
            actor_label="",
            from_status="resolved",
            to_status=a.status,
            level=a.level,
            unit_id=a.unit_id,
            data={"rating": a.rating, "by": "system", "backfilled": True},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0004_encrypt_personal_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="appeal",
            name="reached_level",
            field=models.CharField(
                blank=True,
                choices=[
                    ("group", "Neighbourhood"),
                    ("village", "Village"),
                    ("town", "Town"),
                    ("city", "City"),
                ],
                max_length=10,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
