"""Seed the working-day calendar with every year the chinese-calendar package knows.

Self-contained on purpose (migrations must not depend on code that changes
later); `linli.core.calendar.seed_from_package` does the same for later
package upgrades through the `calendar_seed` command.
"""

from django.db import migrations

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed(apps, schema_editor):
    from chinese_calendar import constants

    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarYear = apps.get_model("core", "CalendarYear")
    db = schema_editor.connection.alias
    days = {}
    for source, is_workday in ((constants.holidays, False), (constants.workdays, True)):
        for day, name in source.items():
            label = HOLIDAY_NAMES_ZH.get(str(name), str(name))[:50]
            days[day] = CalendarDay(date=day, is_workday=is_workday, name=label)
    existing = set(CalendarDay.objects.using(db).values_list("date", flat=True))
    CalendarDay.objects.using(db).bulk_create(
        [row for day, row in sorted(days.items()) if day not in existing], batch_size=500
    )
    known = set(CalendarYear.objects.using(db).values_list("year", flat=True))
    CalendarYear.objects.using(db).bulk_create(
        [
            CalendarYear(year=year, source="chinese-calendar")
            for year in sorted({day.year for day in days} - known)
        ]
    )


def unseed(apps, schema_editor):
    db = schema_editor.connection.alias
    apps.get_model("core", "CalendarDay").objects.using(db).all().delete()
    apps.get_model("core", "CalendarYear").objects.using(db).all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
