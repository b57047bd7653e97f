"""The iCalendar feed of a unit (RFC 5545), written by hand: it is small.

Public: it holds only what a notice board shows (the unit's name, the titles, times and
places); never who signed up or organised. The service days are all-day events, the
activities timed ones in Asia/Shanghai (a VTIMEZONE is included so any calendar app
reads the local times).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from linli.org.models import Unit

from .models import Activity, ActivityStatus

TZID = "Asia/Shanghai"
PRODID = "-//linli//service days//ZH"
VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0800",
    "TZOFFSETTO:+0800",
    "TZNAME:CST",
    "END:STANDARD",
    "END:VTIMEZONE",
]


def escape(text: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newlines escaped, control
    characters dropped."""
    text = "".join(ch for ch in str(text) if ch == "\n" or ch >= " ")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> list[str]:
    """Lines longer than 75 octets folded (continuation lines start with a space),
    never inside a UTF-8 character."""
    out: list[str] = []
    current, size = "", 0
    limit = 75
    for ch in line:
        n = len(ch.encode())
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return out


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y%m%dT%H%M%S")


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def feed(
    unit: Unit,
    service_days: Iterable[dt.date],
    activities: Iterable[Activity],
    *,
    host: str,
    now: dt.datetime | None = None,
) -> str:
    now = now or timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(unit.name)}",
        f"X-WR-TIMEZONE:{TZID}",
        *VTIMEZONE,
    ]
    for day in service_days:
        lines += [
            "BEGIN:VEVENT",
            f"UID:serviceday-{unit.pk}-{day:%Y%m%d}@{host}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
            "SUMMARY:" + escape(_("%(unit)s neighbourhood service day") % {"unit": unit.name}),
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    for a in activities:
        end = a.ends_at or (a.starts_at + dt.timedelta(hours=2))
        status = "CANCELLED" if a.status == ActivityStatus.CANCELLED else "CONFIRMED"
        lines += [
            "BEGIN:VEVENT",
            f"UID:activity-{a.pk}@{host}",
            f"DTSTAMP:{_stamp(a.updated_at or now)}",
            f"DTSTART;TZID={TZID}:{_local(a.starts_at)}",
            f"DTEND;TZID={TZID}:{_local(end)}",
            f"SUMMARY:{escape(a.title)}",
            f"LOCATION:{escape(a.place)}",
            f"CATEGORIES:{escape(a.get_kind_display())}",
            f"STATUS:{status}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(f"{part}\r\n" for line in lines for part in fold(line))
